"""The generator: valid persons, a consistent panel, calibration within tolerance, causal shocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from typer.testing import CliRunner

from zengshou import interchange as ix
from zengshou import synth
from zengshou.cli import app
from zengshou.registry import idnumber

YEARS = range(2022, 2026)


@pytest.fixture(scope="module")
def region() -> synth.SynthRegion:
    return synth.generate(4000, YEARS, seed=11)


def _per_capita(region: synth.SynthRegion) -> pl.DataFrame:
    pop = region.population
    size = pop.members.group_by("household_id").len("size")
    return (
        pop.income.filter(pl.col("quarter").is_null())
        .join(size, on="household_id")
        .with_columns(
            net=pl.col("wage")
            + pl.col("operating_gross")
            - pl.col("operating_cost")
            + pl.col("property")
            + pl.col("transfer")
        )
    )


def test_every_id_number_is_valid_unique_and_consistent_with_relation(region: synth.SynthRegion) -> None:
    m = region.population.members
    ids = m["id_number"].to_list()
    assert len(set(ids)) == len(ids)
    assert all(idnumber.is_valid(i) for i in ids)
    end = dt.date(YEARS[-1], 12, 31)
    ages = pl.Series([idnumber.age_on(i, end) for i in ids])
    male = pl.Series([idnumber.is_male(i) for i in ids])
    m = m.with_columns(age=ages, male=male)
    assert m.filter(pl.col("relation") == "户主")["age"].min() >= 18
    assert m.filter(pl.col("relation").is_in(["之子", "之孙子", "之父"]))["male"].all()
    assert not m.filter(pl.col("relation").is_in(["之女", "之孙女", "之母"]))["male"].any()
    heads = m.filter(pl.col("relation") == "户主").select("household_id", head_male="male", head_age="age")
    spouses = m.filter(pl.col("relation") == "配偶").join(heads, on="household_id")
    assert (spouses["male"] != spouses["head_male"]).all()
    kids = m.filter(pl.col("relation").is_in(["之子", "之女"])).join(heads, on="household_id")
    assert (kids["age"] < kids["head_age"]).all()
    assert m.filter(pl.col("age") < 16)["labour"].eq("无劳动力").all()


def test_exactly_one_head_per_household_and_codes_match(region: synth.SynthRegion) -> None:
    pop = region.population
    heads = pop.members.filter(pl.col("relation") == "户主").group_by("household_id").len()
    assert heads.height == pop.households.height
    assert heads["len"].max() == 1
    assert pop.households["village_code"].str.len_chars().eq(12).all()
    assert set(pop.households["village_code"]) <= set(pop.villages["village_code"])
    assert pop.households["household_id"].n_unique() == pop.households.height


def test_panel_has_the_same_households_every_year_and_quarters_cumulate(region: synth.SynthRegion) -> None:
    inc = region.population.income
    yearly = inc.filter(pl.col("quarter").is_null())
    per_year = yearly.group_by("year").agg(pl.col("household_id").n_unique().alias("n"))
    assert per_year["n"].to_list() == [region.population.households.height] * len(YEARS)
    q = inc.filter(pl.col("year") == YEARS[-1], pl.col("quarter").is_not_null()).sort(
        "household_id", "quarter"
    )
    wages = q.group_by("household_id", maintain_order=True).agg(pl.col("wage"))
    assert all(w == sorted(w) for w in wages["wage"].head(200).to_list())
    q4 = q.filter(pl.col("quarter") == 4).select("household_id", q4="wage")
    year = (
        yearly.filter(pl.col("year") == YEARS[-1]).select("household_id", "wage").join(q4, on="household_id")
    )
    assert (year["wage"] - year["q4"]).abs().max() < 0.011


def test_same_seed_same_region_other_seed_other_region() -> None:
    a = synth.generate(300, YEARS, seed=5)
    b = synth.generate(300, YEARS, seed=5)
    c = synth.generate(300, YEARS, seed=6)
    assert a.population.members.equals(b.population.members)
    assert a.population.income.equals(b.population.income)
    assert a.shocks.equals(b.shocks)
    assert not a.population.income.equals(c.population.income)


def test_calibration_targets_are_met_within_stated_tolerances(region: synth.SynthRegion) -> None:
    cal = synth.calibration()
    pc = _per_capita(region)
    by_year = pc.group_by("year").agg(
        (pl.col("net").sum() / pl.col("size").sum()).alias("pc"),
        (pl.col("wage").sum() / pl.col("net").sum()).alias("wage"),
        ((pl.col("operating_gross") - pl.col("operating_cost")).sum() / pl.col("net").sum()).alias(
            "operating"
        ),
        (pl.col("transfer").sum() / pl.col("net").sum()).alias("transfer"),
    )
    target = cal["income_per_capita"]["values"]
    tol = cal["income_per_capita"]["tolerance"]
    for year, value in by_year.select("year", "pc").iter_rows():
        assert abs(value / target[year] - 1) <= tol, (year, value)
    comp = cal["income_composition"]
    for part in ("wage", "operating", "transfer"):
        assert (by_year[part] - comp[part]).abs().max() <= comp["tolerance"], part
    hh = region.population.households
    types = cal["household_types"]
    assert abs((hh["household_type"] == "脱贫户").mean() - types["tuopin_share"]) <= types["tolerance"]
    monitoring = hh["household_type"].str.starts_with("监测对象").mean()
    assert abs(monitoring - types["monitoring_share"]) <= types["tolerance"]
    size = cal["household_size"]
    assert abs(pc.filter(pl.col("year") == 2022)["size"].mean() - size["mean"]) <= size["tolerance"]
    m = region.population.members
    health = cal["health"]
    assert abs((m["health"] == "长期慢性病").mean() - health["chronic"]) <= health["tolerance"]
    assert abs(m["disability_grade"].is_not_null().mean() - health["disability"]) <= health["tolerance"]
    ages = pl.Series([idnumber.age_on(i, dt.date(2025, 12, 31)) for i in m["id_number"]])
    age = cal["age_structure"]
    assert abs((ages < 16).mean() - age["under16"]) <= age["tolerance"]
    assert abs((ages >= 60).mean() - age["over60"]) <= age["tolerance"]
    land = cal["land_livestock"]
    assert abs(hh["arable_mu"].mean() - land["arable_mean_mu"]) <= land["tolerance_mu"]
    # spread: the top fifth of persons earns several times the bottom fifth
    y = pc.filter(pl.col("year") == 2024).with_columns(pcap=pl.col("net") / pl.col("size")).sort("pcap")
    y = y.with_columns(cum=pl.col("size").cum_sum() / pl.col("size").sum())
    low = y.filter(pl.col("cum") <= 0.2)
    high = y.filter(pl.col("cum") > 0.8)
    ratio = (high["net"].sum() / high["size"].sum()) / (low["net"].sum() / low["size"].sum())
    spread = cal["income_spread"]
    assert spread["quintile_ratio_min"] <= ratio <= spread["quintile_ratio_max"]


def test_shocks_move_income_the_way_they_say(region: synth.SynthRegion) -> None:
    pc = (
        _per_capita(region)
        .sort("household_id", "year")
        .with_columns(
            prev_wage=pl.col("wage").shift(1).over("household_id"),
            prev_op=(pl.col("operating_gross") - pl.col("operating_cost")).shift(1).over("household_id"),
            op=pl.col("operating_gross") - pl.col("operating_cost"),
            prev_med=pl.col("medical_selfpay").shift(1).over("household_id"),
        )
    )
    shocks = region.shocks
    assert set(shocks["shock"].unique()) <= set(synth.SHOCK_CODES)
    # a job loss in year t: the next year's wage is clearly below the year before the shock
    job = shocks.filter(pl.col("shock") == "job_loss", pl.col("year") < YEARS[-1]).select(
        "household_id", year=pl.col("year") + 1
    )
    hit = pc.join(job, on=["household_id", "year"])
    others = pc.join(shocks.select("household_id").unique(), on="household_id", how="anti")
    assert hit.height > 20
    ratio_hit = (hit["wage"] / hit["prev_wage"]).median()
    ratio_others = (others["wage"] / others["prev_wage"]).drop_nans().median()
    assert ratio_hit < 0.8 < ratio_others
    # serious illness raises medical self-pay in the year it starts
    ill = shocks.filter(pl.col("shock") == "illness").select("household_id", "year")
    ill_rows = pc.join(ill, on=["household_id", "year"])
    assert ill_rows["medical_selfpay"].median() > 3 * others["medical_selfpay"].median()
    # ill members are recorded as such, with a 医保 record
    ill_ids = shocks.filter(pl.col("shock") == "illness")["member_id_number"].drop_nulls()
    members = region.population.members.filter(pl.col("id_number").is_in(ill_ids.to_list()))
    assert (members["health"] == "患有大病").all()
    assert set(ill_ids) <= set(region.feeds["medical"]["id_number"])
    # job losses show in the 人社 feed with the event date as end date
    emp = region.feeds["employment"]
    assert emp.height == shocks.filter(pl.col("shock") == "job_loss")["member_id_number"].drop_nulls().len()


def test_feeds_and_cadres_follow_the_spec(region: synth.SynthRegion) -> None:
    for table in ix.FEEDS:
        assert region.feeds[table.key].columns == table.keys
    cadres = region.population.cadres
    assert set(cadres["rank"]) <= set(ix.CADRE_RANKS)
    pairs = cadres.filter(pl.col("current_households").is_not_null())
    per_cadre = pairs["current_households"].str.split(";").list.len()
    assert per_cadre.max() <= 5
    hh_county = dict(
        region.population.households.select(
            "household_id", pl.col("village_code").str.slice(0, 6)
        ).iter_rows()
    )
    for cadre_county, listed in pairs.select("county_code", "current_households").iter_rows():
        assert all(hh_county[h] == cadre_county for h in listed.split(";"))


def test_cli_writes_csv_folder_and_workbook_with_spec_headers(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "region"
    result = runner.invoke(app, ["synth", "--households", "150", "--years", "2024-2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for table in ix.TABLES:
        frame = pl.read_csv(out / f"{table.name}.csv", infer_schema=False)
        assert frame.columns == table.headers
    assert (out / "_冲击.csv").exists()
    members = pl.read_csv(out / "家庭成员.csv", infer_schema=False)
    assert members["证件号码"].map_elements(idnumber.is_valid, return_dtype=pl.Boolean).all()
    book = tmp_path / "region.xlsx"
    result = runner.invoke(app, ["synth", "--households", "150", "--years", "2024-2025", "--out", str(book)])
    assert result.exit_code == 0, result.output
    reader = fastexcel.read_excel(str(book))
    assert set(t.name for t in ix.TABLES) <= set(reader.sheet_names)
    sheet = reader.load_sheet_by_name("家庭成员", dtypes="string").to_polars()
    assert sheet.columns == ix.MEMBERS.headers
    assert sheet.height == members.height


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    region = synth.generate(50, [2025], seed=1)
    monkeypatch.setattr("zengshou.synth.files.XLSX_MAX_ROWS", 100)
    with pytest.raises(ValueError, match="CSV"):
        synth.write(region, tmp_path / "big.xlsx", "xlsx")
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--years", "20x5", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
