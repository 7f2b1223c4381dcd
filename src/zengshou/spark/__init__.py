"""The batch on Apache Spark: accounts, alerts, tiers, measures and pairing from Parquet to Parquet.

:mod:`.parquet` writes and reads the registry as Parquet (``zengshou export --format parquet``),
:mod:`.partitions` runs the project's own polars code per county or city inside Spark tasks, and
:mod:`.batch` is ``zengshou spark run``: which step runs how is listed in ``docs/spark.md``.
PySpark is an optional extra (``pip install -e '.[spark]'``); everything imports it on first use.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def session(
    master: str = "local[*]",
    app: str = "zengshou",
    local_dir: str | None = None,
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
    extra: dict[str, str] | None = None,
) -> Any:
    """A Spark session for the batch: UI off, the driver on loopback in local mode, this interpreter
    for the Python workers (the batch's tasks import zengshou), ``local_dir`` for shuffle files (two
    runs side by side keep apart). On a cluster ``spark-submit`` sets the master and these settings
    only add to its own."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "true")
    )
    if master:
        builder = builder.master(master)
    if master.startswith("local"):
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config(
            "spark.driver.host", "127.0.0.1"
        )
    if local_dir:
        builder = builder.config("spark.local.dir", local_dir)
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if driver_memory:
        builder = builder.config("spark.driver.memory", driver_memory)
    for key, value in (extra or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
