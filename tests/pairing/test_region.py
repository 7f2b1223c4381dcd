"""Pairing over a generated region: frames from the population, every rule holds, CLI writes and audits."""

from __future__ import annotations

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
    changed = proposal.filter(pl.col("变更").is_in(["新结对", "调整"]))
    assert AuditEvent.objects.filter(action="pairing.confirm", username="tester").count() == changed.height
    open_pairs = dict(Pairing.objects.filter(ended_on__isnull=True).values_list("household_id", "cadre_id"))
    for h, c in proposal.filter(pl.col("干部编号").is_not_null()).select("户编号", "干部编号").iter_rows():
        assert open_pairs[h] == c
    # Run again: the confirmed pairs are all kept.
    r2 = runner.invoke(app, ["pair", "--year", str(YEAR)])
    assert "新结对或调整 0" in r2.output, r2.output


def test_pipeline_stage_gives_the_spec_table(region) -> None:
    from zengshou.pairing import pipeline_stage, pipeline_table

    batch = run_batch(region.population, YEAR)
    batch.frames["pairing"] = pipeline_stage(batch)
    table = pipeline_table(batch)
    assert table.columns == ["户编号", "干部编号", "干部职级"]
    assert table["干部编号"].null_count() < table.height
