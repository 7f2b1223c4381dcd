"""A model trained after a folder import sees the department files that came with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import valid_rows, write_folder
from zengshou.ingest import load
from zengshou.model import build, model_params
from zengshou.registry.read import population_from_database

pytestmark = pytest.mark.django_db


def test_after_a_folder_import_the_feed_tables_are_filled_and_the_features_carry_them(tmp_path: Path) -> None:
    from zengshou.registry.models import DisabilityRecord, DisasterRecord

    rows = valid_rows()
    rows["残联"] = [
        {
            "证件号码": rows["家庭成员"][3]["证件号码"],
            "残疾类别": "肢体",
            "残疾等级": "二级",
            "发证日期": "2024-03-01",
        }
    ]
    rows["应急"] = [
        {
            "行政区划代码": "640522100201",
            "灾种": "冰雹",
            "发生日期": "2024-07-02",
            "受灾户数": "12",
            "直接经济损失(万元)": "30.5",
        }
    ]
    load(write_folder(tmp_path / "县", rows))
    assert DisabilityRecord.objects.count() == 1 and DisasterRecord.objects.count() == 1
    features = {
        r["household_id"]: r
        for r in build(population_from_database(), 2024, model_params()).iter_rows(named=True)
    }
    assert features["H002"]["disability_new"] == 1 and features["H002"]["disability_total"] == 1
    assert features["H001"]["area_disasters"] == 1 and features["H001"]["area_disaster_loss"] == 30.5
    assert features["H003"]["area_disasters"] == 0
