"""The toolbox commands over the database: explain, whatif, toolbox show/check, plan generate/show/set/cost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import make_id
from zengshou.cli import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def region(village):
    from zengshou.registry.models import Household, Income, Member

    incomes = [3000, 9000, 15000, 22000, 40000]
    for n, per_capita in enumerate(incomes, start=1):
        h = Household.objects.create(
            household_id=f"HY{n:03d}",
            village=village,
            household_type="脱贫户" if n <= 2 else "一般农户",
            housing_safe=True,
            water_safe=True,
            idle_courtyard=n == 1,
            courtyard_willing=n == 1,
        )
        Member.objects.create(
            household=h,
            name=f"户主{n}",
            id_number=make_id(n),
            relation="户主",
            health="健康",
            labour="普通劳动力",
            medical_insured=True,
        )
        Member.objects.create(
            household=h,
            name=f"配偶{n}",
            id_number=make_id(100 + n, dt.date(1950, 1, 1), male=False),
            relation="配偶",
            health="患有大病",
            labour="丧失劳动力",
            medical_insured=True,
        )
        Income.objects.create(household=h, year=2025, wage=per_capita * 2)
    return village


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_whatif_and_plans_from_the_database(region) -> None:
    out = _ok(["explain", "HY001", "--year", "2025"])
    assert "L02 适用" in out and "金额 2000元；依据 低收入组方案 二（二）" in out
    assert "    原文 低收入组方案 二（二）：“针对有闲置场地、房屋、棚圈和发展意愿的，每户补贴2000元”" in out
    assert "L06 适用" in out  # a seriously ill spouse and one labourer
    assert "L11（配偶，75岁）" in out and "********" not in out
    assert "✔ L10" not in out  # blank 残疾等级 in the registry is no disability
    out = _ok(["whatif", "--set", "L02.amount=3000", "--year", "2025"])
    assert "L02" in out and "1,000" in out and "海原县" in out
    out = _ok(["plan", "generate", "--year", "2025", "--user", "县管理员"])
    assert "新计划" in out
    out = _ok(["plan", "show", "HY001", "--year", "2025"])
    assert "L02" in out and "拟定" in out and "预计年增收" in out
    assert "L11（户主，" in out and "********" not in out
    from zengshou.toolbox.models import PlanItem

    item = PlanItem.objects.get(plan__household_id="HY001", code="L02")
    out = _ok(["plan", "set", str(item.id), "agreed", "--date", "2025-03-01"])
    assert "已与农户商定" in out
    bad = runner.invoke(app, ["plan", "set", str(item.id), "delivered", "--date", "2025-04-01"])
    assert bad.exit_code == 2 and "需要佐证" in bad.output
    out = _ok(["plan", "cost", "--year", "2025", "--by", "code"])
    assert "L02" in out and "2,000" in out


def test_toolbox_show_and_check(tmp_path: Path) -> None:
    out = _ok(["toolbox", "show", "--county", "640522", "--date", "2025-06-01"])
    assert "L02.amount = 2000 元/户" in out and "区级" in out
    bad = tmp_path / "640522.yaml"
    bad.write_text(
        "county: '640522'\nparams:\n  L02.amount: {source: 县文件, values: [{from: 2025-01-01, value: 3000}]}\n"
        "  L99.x: {source: 县文件, values: [{from: 2025-01-01, value: 1}]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["toolbox", "check", str(bad)])
    assert result.exit_code == 2 and "L99.x" in result.output
    result = runner.invoke(app, ["toolbox", "show", "--county", "123456"])
    assert result.exit_code == 2 and "不是宁夏" in result.output
    uncited = tmp_path / "uncited.yaml"
    uncited.write_text(
        "county: '640522'\nparams:\n  L02.amount:\n    values: [{from: 2025-01-01, value: 3000}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["toolbox", "check", str(uncited)])
    assert result.exit_code == 2 and "第 3 行: 参数 L02.amount 没有写明依据" in result.output


def test_explain_reads_only_the_households_village_when_its_tier_is_stored(region, monkeypatch) -> None:
    from zengshou.registry import read as feeds
    from zengshou.registry.models import Area, Household, Member
    from zengshou.tiers.models import TierResult

    other = Area.objects.create(code="640522100202", name="别村", level="village", parent_id="640522100")
    h = Household.objects.create(
        household_id="HY900", village=other, household_type="脱贫户", housing_safe=True, water_safe=True
    )
    Member.objects.create(
        household=h,
        name="户主",
        id_number=make_id(900),
        relation="户主",
        health="健康",
        labour="普通劳动力",
        medical_insured=True,
    )
    for hid, quintile, tier in (("HY001", "低收入组", "风险防范户"), ("HY900", "低收入组", "风险防范户")):
        TierResult.objects.create(
            household_id=hid,
            year=2025,
            size=2,
            quintile=quintile,
            tier=tier,
            computed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        )
    calls: list[tuple[object, object]] = []
    real = feeds.population_from_database

    def spy(area=None, years=None):
        calls.append((area, tuple(years) if years is not None else None))
        return real(area, years)

    monkeypatch.setattr(feeds, "population_from_database", spy)
    out = _ok(["explain", "HY900", "--year", "2025", "--applicable"])
    assert calls == [("640522100202", (2025,))]  # its village and the year's income only
    assert "✔ L00" in out and "✔ L11" in out
    out = _ok(["explain", "HY001", "--year", "2025"])
    assert calls[-1] == ("640522100201", (2025,)) and "L02 适用" in out
    missing = runner.invoke(app, ["explain", "NOBODY", "--year", "2025"])
    assert missing.exit_code == 1 and "户编号 NOBODY 不存在" in missing.output


def test_explain_without_stored_tiers_ranks_the_whole_region(region, monkeypatch) -> None:
    from zengshou.registry import read as feeds

    calls: list[tuple[object, object]] = []
    real = feeds.population_from_database

    def spy(area=None, years=None):
        calls.append((area, tuple(years) if years is not None else None))
        return real(area, years)

    monkeypatch.setattr(feeds, "population_from_database", spy)
    out = _ok(["explain", "HY001", "--year", "2025"])
    assert calls == [(None, (2024, 2025))]  # C01 needs every person; the run needs the year before
    assert "尚无分层结果" in out and "L02 适用" in out


def test_whatif_names_valid_keys_and_warns_about_keys_no_rule_reads(region) -> None:
    bad = runner.invoke(app, ["whatif", "--set", "L02.amout=3000", "--year", "2025"])
    assert bad.exit_code == 2
    assert "未定义参数 L02.amout" in bad.output and "L02.amount, L02.enabled" in bad.output
    out = _ok(["whatif", "--set", "L11.cover=600000", "--set", "L05.broker_subsidy=300", "--year", "2025"])
    assert "注意 / warning：没有规则读取 L11.cover" in out
    assert "没有规则读取 L05.broker_subsidy" not in out  # T03 reads it for its amount
