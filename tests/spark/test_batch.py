"""The whole batch on Spark gives the polars pipeline's result tables, row for row, on the demo region.

A synthetic region (as ``tests/test_demo_results.py`` builds it: 3,000 households, seed 2025) is
written as Parquet, run by ``zengshou.spark.batch.run`` (accounts, alerts, tiers per county with the
region's cut points, measures compiled to Spark, pairing per city) and by ``run_batch`` on the same
files. Pairing is compared by which households are paired and how (polars itself leaves open which
of two equally good cadres a household gets).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.test_demo_results import HOUSEHOLDS, SEED, YEAR, YEARS
from zengshou.pipeline import BatchResult, run_batch
from zengshou.spark.batch import OUTPUTS, SparkRun, run
from zengshou.spark.parquet import read_population, write_population

#: What pairing is compared on: everything but the cadre picked among equals.
PAIRING_KEY = [
    "household_id",
    "county_code",
    "fell",
    "per_capita_income",
    "previous_cadre_id",
    "paired",
    "interim",
]


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from zengshou import synth

    folder = tmp_path_factory.mktemp("parquet-region")
    write_population(synth.generate(HOUSEHOLDS, YEARS, SEED).population, folder)
    return folder


@pytest.fixture(scope="module")
def both(spark, region: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BatchResult, SparkRun]:
    out = tmp_path_factory.mktemp("spark-out")
    return run_batch(read_population(region), YEAR), run(spark, str(region), YEAR, str(out))


def _rows(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    if name == "pairing":
        frame = frame.with_columns(pl.col("cadre_id").is_not_null().alias("paired")).select(PAIRING_KEY)
    return frame.sort(frame.columns, nulls_last=True)


@pytest.mark.parametrize("name", OUTPUTS)
def test_each_result_table_on_spark_equals_the_polars_pipelines(
    both: tuple[BatchResult, SparkRun], name: str
) -> None:
    expected, got = both
    written = pl.read_parquet(Path(got.out) / name / "*.parquet")
    assert written.schema == expected.frames[name].schema
    assert expected.frames[name].height > 0
    assert _rows(written, name).equals(_rows(expected.frames[name], name))
    assert got.rows[name] == written.height


def test_tiers_are_placed_with_the_cut_points_of_the_whole_region(both: tuple[BatchResult, SparkRun]) -> None:
    expected, got = both
    ranked = expected.accounts.filter(pl.col("per_capita_income").is_not_null() & (pl.col("size") > 0))
    assert got.cut_points == expected.cut_points
    assert got.cut_points is not None and got.cut_points.households == ranked.height


def test_the_parquet_folder_holds_the_population_it_was_written_from(region: Path) -> None:
    from zengshou import synth

    pop = synth.generate(HOUSEHOLDS, YEARS, SEED).population
    back = read_population(region)
    for key, frame in pop.counts().items():
        assert back.counts()[key] == frame
    assert back.members.equals(pop.members)
    assert set(back.feeds) == set(pop.feeds)
