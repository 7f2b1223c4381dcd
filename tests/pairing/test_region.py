"""Pairing over a generated region: frames from the population, every rule holds, CLI writes and audits."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.pairing.test_solver import assert_feasible
from zengshou import synth
from zengshou.cli import app
from zengshou.pairing import cadre_frame, household_frame, pair_population, pairing_table
from zengshou.pipeline import run_batch

YEAR = 2025


@pytest.fixture(scope="module")
def region():
    return synth.generate(600, [YEAR - 1, YEAR], seed=4)


def test_region_pairing_is_feasible_and_keeps_existing_pairs(region) -> None:
    pop = region.population
    batch = run_batch(pop, YEAR)
    hh = household_frame(pop, batch.accounts, batch.tiers)
    cd = cadre_frame(pop)
    assert hh.height > 0
    assert set(hh["household_id"]) <= set(pop.households["household_id"])
    result = pair_population(pop, batch.accounts, batch.tiers)
    assert_feasible(hh, cd, result.pairs)
    # A pair that was allowed and within the limit is kept: no change without a reason.
    again = pair_population(
        pop.__class__(**{**pop.__dict__, "cadres": _with_current(pop.cadres, result.pairs)}),
        batch.accounts,
        batch.tiers,
    )
    assert again.stats["changed"] == 0
    assert pairing_table(result).height == hh.height


def _with_current(cadres: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    current = (
        pairs.filter(pl.col("cadre_id").is_not_null())
        .group_by("cadre_id")
        .agg(pl.col("household_id").sort().str.join(";").alias("current_households"))
    )
    return cadres.drop("current_households").join(current, on="cadre_id", how="left")


def test_cli_pair_confirm_writes_pairs_and_audit(areas_db, tmp_path, region) -> None:
    from zengshou.ingest import load
    from zengshou.registry.models import AuditEvent, Pairing

    synth.write(region, tmp_path / "in", "csv")
    load(tmp_path / "in", username="t", show_progress=False)
    runner = CliRunner()
    out = tmp_path / "p.csv"
    r = runner.invoke(app, ["pair", "--year", str(YEAR), "--out", str(out), "--confirm", "--user", "tester"])
    assert r.exit_code == 0, r.output
    assert "结对方案" in r.output and out.exists()
    proposal = pl.read_csv(out, infer_schema=False)
    # every new or changed pair, and every open pair of a household proposed 未结对, is audited
    changed = proposal.filter(
        pl.col("变更").is_in(["新结对", "调整"])
        | ((pl.col("变更") == "未结对") & pl.col("原干部编号").is_not_null())
    )
    assert AuditEvent.objects.filter(action="pairing.confirm", username="tester").count() == changed.height
    open_pairs = dict(Pairing.objects.filter(ended_on__isnull=True).values_list("household_id", "cadre_id"))
    for h, c in proposal.filter(pl.col("干部编号").is_not_null()).select("户编号", "干部编号").iter_rows():
        assert open_pairs[h] == c
    assert not set(proposal.filter(pl.col("干部编号").is_null())["户编号"]) & set(
        open_pairs
    )  # 未结对: no pair
    # the rules hold on the stored pairs: at most 5 a cadre, one falling household a senior cadre
    assert max(Counter(open_pairs.values()).values()) <= 5
    falling = proposal.filter((pl.col("收入不增反降") == "true") & (pl.col("干部职级") == "县处级以上"))
    assert falling["干部编号"].n_unique() == falling.height
    # Run again: the confirmed pairs are all kept.
    r2 = runner.invoke(app, ["pair", "--year", str(YEAR)])
    assert "新结对或调整 0" in r2.output, r2.output


def test_pipeline_stage_gives_the_spec_table(region) -> None:
    from zengshou.pairing.stage import pairs, result_table

    batch = run_batch(region.population, YEAR)
    table = result_table(pairs(batch.population, batch.accounts, batch.tiers, batch.params, batch.year))
    assert table.columns == ["户编号", "干部编号", "干部职级"]
    assert table["干部编号"].null_count() < table.height


@pytest.mark.parametrize(
    ("area", "cadres"),
    [
        ("640000", ["C640402001", "C640522001"]),  # the region: every county's cadres
        ("640500", ["C640522001"]),  # 中卫市: its counties' cadres (海原县), not 固原's
        ("640522", ["C640522001"]),
        ("640522100", ["C640522001"]),  # a township reads its county's cadres (S02: county-wide)
        ("640522100201", ["C640522001"]),
    ],
)
def test_region_and_city_areas_load_their_counties_cadres(world, area, cadres) -> None:
    from zengshou.registry.read import from_database

    pop = from_database(area)
    assert sorted(pop.cadres["cadre_id"]) == cadres
    current = dict(pop.cadres.select("cadre_id", "current_households").iter_rows())
    assert current["C640522001"] == "6405221002010001"  # the open pair comes with the cadre


def test_region_admin_proposal_pairs_with_the_counties_cadres(world, login) -> None:
    # Before cadres were read for region and city areas, every household came out 未结对.
    from zengshou.registry.models import Cadre

    for county in ("640522", "640402"):
        Cadre.objects.create(
            cadre_id=f"S{county}001", name="县领导", unit="县人民政府", rank="县处级以上", county_id=county
        )
    page = login("region").post("/pairing/", {"action": "propose", "year": "2025"}).content.decode()
    # Over the region only A1 is in the 低收入组; it fell in 2025, so it moves from its 乡科级 cadre
    # to a 县处级以上 cadre of its own county (海原县), not of 原州区.
    assert "范围内 1 户：结对 1 户" in page and "未结对 0 户" in page
    assert "变更清单（1 户）" in page and "S640522001" in page and "S640402001" not in page
    assert "干部不足" not in page
