"""zengshou model train / score --store / show / backtest on the registry (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.model.panel import VILLAGES, make_panel
from zengshou.cli import app

runner = CliRunner()


def _load(pop) -> None:
    """The panel into the registry in bulk (areas, households, members, income, 人社 and 医保 feeds)."""
    from zengshou.registry import models as r

    for code in sorted({v[:9] for v in VILLAGES}):
        r.Area.objects.get_or_create(
            code=code, defaults={"name": f"镇{code[-3:]}", "level": "township", "parent_id": code[:6]}
        )
    r.Area.objects.bulk_create(
        [r.Area(code=v, name=f"村{v[-3:]}", level="village", parent_id=v[:9]) for v in VILLAGES]
    )
    r.Household.objects.bulk_create(
        [
            r.Household(
                household_id=h["household_id"],
                village_id=h["village_code"],
                household_type=h["household_type"],
                arable_mu=Decimal(str(h["arable_mu"])),
                cattle=h["cattle"],
                sheep=h["sheep"],
                housing_safe=True,
                water_safe=True,
            )
            for h in pop.households.iter_rows(named=True)
        ]
    )
    r.Member.objects.bulk_create(
        [
            r.Member(
                household_id=m["household_id"],
                name=m["name"],
                id_number=m["id_number"],
                relation=m["relation"],
                health=m["health"],
                labour=m["labour"],
                medical_insured=True,
            )
            for m in pop.members.iter_rows(named=True)
        ],
        batch_size=2000,
    )
    money = ("wage", "operating_gross", "operating_cost", "transfer")
    r.Income.objects.bulk_create(
        [
            r.Income(
                household_id=i["household_id"],
                year=i["year"],
                **{k: Decimal(str(round(i[k], 2))) for k in money},
            )
            for i in pop.income.iter_rows(named=True)
        ],
        batch_size=2000,
    )
    member_ids = dict(r.Member.objects.values_list("id_number", "id"))
    emp = r.FeedBatch.objects.create(kind="人社", source_name="panel")
    r.EmploymentRecord.objects.bulk_create(
        [
            r.EmploymentRecord(
                batch=emp,
                id_number=e["id_number"],
                member_id=member_ids[e["id_number"]],
                status=e["status"],
                start_date=e["start_date"],
                end_date=e["end_date"],
            )
            for e in pop.feeds["employment"].iter_rows(named=True)
        ],
        batch_size=2000,
    )
    med = r.FeedBatch.objects.create(kind="医保", source_name="panel")
    r.MedicalRecord.objects.bulk_create(
        [
            r.MedicalRecord(
                batch=med,
                id_number=e["id_number"],
                member_id=member_ids[e["id_number"]],
                year=e["year"],
                total_cost=Decimal(str(e["total_cost"])),
                self_paid=Decimal(str(e["self_paid"])),
            )
            for e in pop.feeds["medical"].iter_rows(named=True)
        ]
    )


@pytest.mark.django_db
def test_train_score_store_and_show_on_the_registry(model_home) -> None:
    from zengshou.monitor.models import Alert

    pop, _ = make_panel(1500, years=(2022, 2023, 2024, 2025), seed=5)
    _load(pop)
    res = runner.invoke(app, ["model", "train", "--years", "2022-2024"])
    assert res.exit_code == 0, res.output
    assert "模型 v1 已保存" in res.output and "4,500 户·年（1,500 户）" in res.output
    assert (model_home / "models" / "risk" / "v1" / "booster.txt").exists()

    out = model_home / "scores.csv"
    res = runner.invoke(
        app, ["model", "score", "--year", "2025", "--store", "--out", str(out), "--user", "县级管理员"]
    )
    assert res.exit_code == 0, res.output
    assert "2025年评分 1,500 户" in res.output and "走访名单 75 户" in res.output
    table = pl.read_csv(out)
    assert table.columns == ["户编号", "年度", "风险概率", "排名", "优先走访", "级别", "主要原因"]
    assert table.height == 1500
    stored = Alert.objects.filter(code="R01", year=2025)
    n = stored.count()
    assert n == table.filter(pl.col("级别").is_not_null()).height > 0
    assert stored.first().explanation.startswith("模型预测2026年")
    # scoring again refreshes the open alerts, never duplicates them
    res = runner.invoke(app, ["model", "score", "--year", "2025", "--store"])
    assert res.exit_code == 0, res.output
    assert Alert.objects.filter(code="R01", year=2025).count() == n

    res = runner.invoke(app, ["model", "show"])
    assert res.exit_code == 0 and "风险预测模型 v1" in res.output and "2022, 2023, 2024" in res.output

    res = runner.invoke(app, ["model", "backtest", "--from-database", "--budget", "0.1"])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.output)
    assert figures["source"] == "database" and figures["test_year"] == 2024 and figures["visits"] == 150
    assert "reasons" not in figures  # shocks are known only on the synthetic panel


@pytest.mark.django_db
def test_train_refuses_too_little_data_with_a_clear_message(model_home) -> None:
    pop, _ = make_panel(200, years=(2023, 2024), seed=2)
    _load(pop)
    res = runner.invoke(app, ["model", "train"])
    assert res.exit_code == 1
    assert "训练数据太少" in res.output and "200户" in res.output
    res = runner.invoke(app, ["model", "score", "--year", "2024"])
    assert res.exit_code == 1 and "尚未训练模型" in res.output
