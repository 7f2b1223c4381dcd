"""``zengshou export --format parquet`` and ``zengshou spark run`` as a user runs them on the imported
region: the export asks for personal data (the batch computes with the 证件号码), the run writes
every result table as Parquet, and a folder that is no Parquet export is refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.cli.conftest import HOUSEHOLDS, Registry, assert_done, assert_refused
from zengshou.spark.batch import OUTPUTS

pytestmark = pytest.mark.django_db


def test_parquet_export_asks_for_personal_data_and_spark_run_writes_every_result_table(
    registry: Registry, tmp_path: Path, spark: object
) -> None:
    folder, out = tmp_path / "registry.parquet", tmp_path / "results.parquet"
    assert_refused(
        registry.run("export", "--out", str(folder), "--format", "parquet"), "--with-personal-data"
    )
    assert not folder.exists()
    done = registry.run("export", "--out", str(folder), "--format", "parquet", "--with-personal-data")
    assert_done(done, "parquet", f"households {HOUSEHOLDS:,}")
    assert pl.read_parquet(folder / "households" / "*.parquet").height == HOUSEHOLDS

    done = registry.run("spark", "run", "--input", str(folder), "--year", "2025", "--out", str(out))
    assert_done(done, "五等份分界点", "结果已写入")
    written = {name: pl.read_parquet(out / name / "*.parquet") for name in OUTPUTS}
    assert written["tiers"].height == HOUSEHOLDS
    assert written["accounts"]["household_id"].n_unique() == written["accounts"].height
    assert written["measures"].height > 0 and written["alerts"].height > 0
    assert not (out / "_work").exists()


def test_spark_run_refuses_a_folder_that_is_no_parquet_export(registry: Registry, tmp_path: Path) -> None:
    done = registry.run(
        "spark", "run", "--input", str(tmp_path), "--year", "2025", "--out", str(tmp_path / "o")
    )
    assert_refused(done, "不是 Parquet 数据文件夹")
