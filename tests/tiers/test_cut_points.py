"""C01 over the database: the region's cut points are computed over every household, stored with their
source, and place a county run with the region's groups; ``zengshou run`` takes given cut points or
says the file was ranked on its own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.conftest import make_id
from tests.income.build import Builder, params
from tests.monitor.conftest import make_household  # noqa: F401  (fixture)


@pytest.fixture
def two_counties(make_household):  # noqa: F811  (the fixture imported above)
    """Five poor households in 海原县 (640522) and five well-off ones in another county."""
    from zengshou.registry.models import Area, Household, Income, Member

    for i in range(5):
        make_household(f"A{i}", 1, {2024: 3000 + 1000 * i})
    county = Area.objects.filter(level="county").exclude(code="640522").order_by("code").first()
    assert county is not None
    town = Area.objects.create(code=county.code + "100", name="某镇", level="township", parent=county)
    village = Area.objects.create(code=county.code + "100201", name="某村", level="village", parent=town)
    for i in range(5):
        h = Household.objects.create(
            household_id=f"B{i}",
            village=village,
            household_type="一般农户",
            housing_safe=True,
            water_safe=True,
        )
        Member.objects.create(
            household=h,
            name="李某",
            id_number=make_id(900 + i),
            relation="户主",
            health="健康",
            labour="普通劳动力",
            medical_insured=True,
        )
        Income.objects.create(household=h, year=2024, wage=Decimal(20000 + 1000 * i))
    return county.code


def test_region_accounts_read_every_household_of_the_period(two_counties) -> None:
    from zengshou.tiers.store import region_accounts

    acc = region_accounts(2024).sort("household_id")
    assert acc["household_id"].to_list() == [*(f"A{i}" for i in range(5)), *(f"B{i}" for i in range(5))]
    assert acc.filter(pl.col("household_id") == "A1")["per_capita_income"][0] == 4000.0
    assert region_accounts(2023).height == 0


def test_a_county_run_is_placed_with_the_regions_cut_points(two_counties) -> None:
    from zengshou.pipeline import run_on_database
    from zengshou.tiers.models import CutPointSet, TierResult
    from zengshou.tiers.store import stored_cut_points

    result, figures = run_on_database(2024, area="640522")
    assert result.accounts.height == 5
    got = dict(result.tiers.select("household_id", "quintile").iter_rows())
    # ranked on its own the county would fill all five groups; among the region's ten it holds the lower half
    assert [got[f"A{i}"] for i in range(5)] == [
        "低收入组",
        "低收入组",
        "中间偏下收入组",
        "中间偏下收入组",
        "中间收入组",
    ]
    assert "按全区计算分界点位于低收入组" in TierResult.objects.get(household_id="A0").reasons
    stored = CutPointSet.objects.get(year=2024, quarter=None)
    assert (stored.source, stored.households) == ("计算", 10)
    assert (stored.cut_1, stored.cut_2, stored.cut_4) == (
        Decimal("4000.00"),
        Decimal("6000.00"),
        Decimal("22000.00"),
    )
    assert figures["cut_points"]["source"] == "全区计算分界点"
    cuts = stored_cut_points(2024)
    assert cuts is not None and cuts.values == (4000.0, 6000.0, 20000.0, 22000.0) and cuts.source == "计算"
    assert stored_cut_points(2024, 1) is None


def test_official_cut_points_win_and_are_stored_as_official(two_counties) -> None:
    from zengshou.pipeline import run_on_database
    from zengshou.tiers.models import CutPointSet

    ps = params(**{"C01.cut_points": [6000, 11000, 16000, 24000]})
    result, _ = run_on_database(2024, area="640522", params=ps)
    got = dict(result.tiers.select("household_id", "quintile").iter_rows())
    assert [got[f"A{i}"] for i in range(5)] == ["低收入组"] * 4 + ["中间偏下收入组"]
    stored = CutPointSet.objects.get(year=2024, quarter=None)
    assert (stored.source, stored.households, stored.cut_4) == ("官方", None, Decimal("24000.00"))
    run_on_database(2024, area="640522")
    assert CutPointSet.objects.get(year=2024, quarter=None).source == "计算"  # replaced, not added


def _small_folder(folder) -> None:
    from zengshou import interchange as ix
    from zengshou.frames import write_csv

    b = Builder()
    for i, wage in enumerate((5000, 9000, 12000, 20000, 30000)):
        b.household(f"H{i}", 1, {2023: wage, 2024: wage}, household_type="一般农户")
    b.feed("disaster", area_code="640522100201", disaster_type="冰雹", occurred_on=dt.date(2024, 6, 1))
    pop = b.population()
    pop.villages = pl.DataFrame(
        {"village_code": ["640522100201"], "village_name": ["山门村"], "township_name": ["海城镇"]}
    )
    folder.mkdir()
    for table in (ix.VILLAGES, ix.HOUSEHOLDS, ix.MEMBERS, ix.INCOME):
        write_csv(pop.table(table), table, folder / f"{table.name}.csv")


def test_cli_run_without_cut_points_says_the_groups_are_the_files_own(tmp_path) -> None:
    from zengshou.cli import app

    _small_folder(tmp_path / "in")
    args = ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "按本文件 5 户自行分组" in out.output and "不是全区的分组" in out.output
    tiers = pl.read_csv(tmp_path / "out" / "分层结果.csv").sort("户编号")
    assert tiers["五等份组"].to_list()[0] == "低收入组"
    assert "本文件自行分组" in tiers["依据"][0]


def test_cli_run_with_given_cut_points(tmp_path) -> None:
    from zengshou.cli import app

    _small_folder(tmp_path / "in")
    args = ["run", "--input", str(tmp_path / "in"), "--year", "2024", "--out", str(tmp_path / "out")]
    out = CliRunner().invoke(app, [*args, "--cut-points", "6000,11000,16000,24000"])
    assert out.exit_code == 0, out.output
    assert "五等份分界点（给定分界点）：6,000、11,000、16,000、24,000元" in out.output
    tiers = pl.read_csv(tmp_path / "out" / "分层结果.csv").sort("户编号")
    assert tiers["五等份组"].to_list() == [
        "低收入组",
        "中间偏下收入组",
        "中间收入组",
        "中间偏上收入组",
        "高收入组",
    ]
    assert "按给定分界点位于低收入组" in tiers["依据"][0]
    bad = CliRunner().invoke(app, [*args, "--cut-points", "3,2,1"])
    assert bad.exit_code == 2 and "分界点" in bad.output
