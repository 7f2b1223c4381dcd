"""Households imported with 户类型 监测对象-* are monitoring objects from that import on (M02, M05)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.ingest.conftest import Rows, valid_rows, write_folder
from zengshou.ingest import load
from zengshou.monitor import workflow

pytestmark = pytest.mark.django_db


def _rows(**types: str) -> Rows:
    rows = valid_rows()
    for h in rows["家庭"]:
        if h["户编号"] in types:
            h["户类型"] = types[h["户编号"]]
    return rows


def _import(tmp_path: Path, rows: Rows, name: str = "县"):
    return load(write_folder(tmp_path / name, rows), username="county")


def _open() -> dict[str, str]:
    from zengshou.monitor.models import MonitoringObject

    return dict(
        MonitoringObject.objects.filter(risk_eliminated_on__isnull=True).values_list(
            "household_id", "monitoring_type"
        )
    )


def test_an_imported_monitoring_household_is_a_monitoring_object_with_its_category(tmp_path: Path) -> None:
    from zengshou.monitor.models import MonitoringObject

    summary = _import(tmp_path, _rows(H002="监测对象-边缘易致贫户", H003="监测对象-突发严重困难户"))
    assert _open() == {"H002": "边缘易致贫户", "H003": "突发严重困难户"}
    obj = MonitoringObject.objects.get(household_id="H002")
    assert (obj.source, obj.source_file, obj.included_by) == ("import", "县", "county")
    assert obj.included_on == dt.date(2024, 1, 1)  # the latest year the file has income for
    assert obj.previous_household_type == "一般农户"
    assert summary.monitoring_included == 2 and "按户类型新纳入 2 户" in str(summary)


def test_the_dashboard_counts_imported_monitoring_objects(tmp_path: Path) -> None:
    from zengshou.web import scope as sc
    from zengshou.web.roles import Role
    from zengshou.web.stats import _live_counts

    _import(tmp_path, _rows(H002="监测对象-边缘易致贫户"))
    s = sc.Scope(
        username="county",
        role=Role.COUNTY,
        area_code="640522",
        area_name="海原县",
        area_level="county",
        prefix="640522",
        cadre_id=None,
        department="",
    )
    counts = _live_counts(s, "640522", 2024, (dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    assert counts["monitoring"]["open"] == 1
    assert counts["monitoring"]["by_type"] == [{"type": "边缘易致贫户", "count": 1}]


def test_reimporting_the_same_file_does_not_duplicate_and_a_new_category_is_taken(tmp_path: Path) -> None:
    from zengshou.monitor.models import MonitoringObject

    _import(tmp_path, _rows(H002="监测对象-边缘易致贫户"))
    again = _import(tmp_path, _rows(H002="监测对象-边缘易致贫户"))
    assert again.monitoring_included == 0 and MonitoringObject.objects.count() == 1
    moved = _import(tmp_path, _rows(H002="监测对象-突发严重困难户"), "县2")
    assert moved.monitoring_recategorised == 1 and _open() == {"H002": "突发严重困难户"}
    assert MonitoringObject.objects.count() == 1


def test_a_file_cannot_take_a_household_out_of_monitoring_only_risk_elimination_can(tmp_path: Path) -> None:
    from zengshou.registry.models import Household

    _import(tmp_path, _rows(H002="监测对象-边缘易致贫户"))
    summary = _import(tmp_path, _rows(H002="一般农户"), "县2")
    assert _open() == {"H002": "边缘易致贫户"}
    assert Household.objects.get(pk="H002").household_type == "监测对象-边缘易致贫户"
    (warning,) = [w for w in summary.warnings if w.column == "户类型"]
    assert warning.row == 3 and "须经风险消除" in warning.message_zh


def test_an_imported_monitoring_object_goes_through_risk_elimination(tmp_path: Path) -> None:
    from django.utils import timezone

    from zengshou.monitor.models import MonitoringObject
    from zengshou.registry.models import Household
    from zengshou.tiers.models import TierResult

    _import(tmp_path, _rows(H002="监测对象-边缘易致贫户"))
    obj = MonitoringObject.objects.get(household_id="H002")
    for quarter in (None, 1):
        year = 2024 if quarter is None else 2025
        TierResult.objects.create(
            household_id="H002",
            year=year,
            quarter=quarter,
            size=1,
            per_capita_income=Decimal(9000),
            computed_at=timezone.now(),
        )
    workflow.eliminate_risk(obj, "wang", "入户核实，村民代表评议通过")
    obj.refresh_from_db()
    assert obj.risk_eliminated_on is not None and _open() == {}
    assert Household.objects.get(pk="H002").household_type == "一般农户"
