"""``zengshou spark run``: the batch pipeline on Spark, from a Parquet registry to Parquet result tables.

The steps and the same definitions as :func:`zengshou.pipeline.run_batch`:

1. accounts — ``income.account`` per county (:mod:`.partitions`);
2. cut points — C01 over the whole region: Spark counts the households per income
   (``tiers.rules.income_blocks``), the driver places the cut points from those counts with
   ``tiers.rules.cut_points_of_blocks`` (official cut points, when set, win as in polars);
3. alerts and tiers — ``monitor.rules.alerts`` and ``tiers.classify`` per county with the region's
   cut points, and the feed facts the measures read;
4. measures — the toolbox's rules compiled to Spark Columns (``toolbox.spark.measures_spark``,
   ``rules.spark.compile_spark``) over the whole region;
5. pairing — ``pairing.stage.pairs`` per city (a city's cadres may pair any household of it).

Each output is written as ``OUT/<stage>/`` Parquet with the columns of the polars frames.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from zengshou import frames
from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.params import ParameterError, ParameterSet, tree
from zengshou.spark import partitions
from zengshou.spark.parquet import FEEDS, feed_schema, table_path
from zengshou.spark.partitions import PART

if TYPE_CHECKING:
    from zengshou.tiers import CutPoints

#: The stages written, in run order (as ``zengshou.pipeline.STAGES`` without the facts).
OUTPUTS: tuple[str, ...] = ("accounts", "alerts", "tiers", "measures", "pairing")
_TABLES = {t.key: t for t in ix.TABLES}


@dataclass
class SparkRun:
    """What a run wrote: rows per output, the cut points, seconds per step."""

    out: str
    rows: dict[str, int] = field(default_factory=dict)
    cut_points: CutPoints | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def _population(given: dict[str, pl.DataFrame]) -> Population:
    pop = Population()
    for key in ("households", "members", "income", "villages", "cadres"):
        if key in given:
            setattr(pop, key, given[key])
    pop.feeds = {k: given[f"feed_{k}"] for k in FEEDS if f"feed_{k}" in given}
    return pop


# --- the steps run per partition (module-level so Spark pickles them by reference) -------------------


def _accounts_step(
    year: int, quarter: int | None, key: str, given: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    from zengshou.income import account

    return {"accounts": account(_population(given), year, quarter)}


def _monitor_step(
    params: ParameterSet,
    year: int,
    quarter: int | None,
    toolboxes: dict[str, Any],
    cuts: Any,
    key: str,
    given: dict[str, pl.DataFrame],
) -> dict[str, pl.DataFrame]:
    from zengshou.monitor import rules as monitor_rules
    from zengshou.rules import facts as rf
    from zengshou.rules.compute import tier_of_quintile
    from zengshou.tiers import classify
    from zengshou.toolbox import stage as toolbox_stage
    from zengshou.toolbox.engine import make_env, shipped_params

    pop = _population(given)
    accounts = given["accounts"]
    facts = toolbox_stage.facts(pop, params, year, toolboxes)
    alerts = monitor_rules.alerts(pop, accounts, params, year, quarter, facts=facts)
    tiers = classify(accounts, pop, params, year, alerts=alerts, facts=facts, cut_points=cuts)
    env = make_env(shipped_params().overridden_by(params), year, toolboxes)
    return {
        "alerts": alerts,
        "tiers": tiers,
        "classes": tier_of_quintile(tiers, env),
        "dropouts": rf.education_dropouts(pop).collect(),
        "grades": rf.assessed_grades(pop).collect(),
        "figures": rf.year_figures(pop, year).collect(),
    }


def _pairing_step(
    params: ParameterSet, year: int, key: str, given: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    from zengshou.pairing import stage as pairing_stage

    pop = _population(given)
    return {"pairing": pairing_stage.pairs(pop, given["accounts"], given["tiers"], params, year)}


# --- the run ---------------------------------------------------------------------------------------------


def _schemas() -> dict[str, dict[str, Any]]:
    from zengshou.monitor.rules import ALERT_SCHEMA
    from zengshou.pairing import PAIRS_SCHEMA
    from zengshou.tiers.rules import TIER_SCHEMA
    from zengshou.toolbox.engine import FULL_SCHEMA

    out: dict[str, dict[str, Any]] = {k: dict(frames.schema(t)) for k, t in _TABLES.items()}
    out.update({f"feed_{k}": feed_schema(k) for k in FEEDS})
    out.update(
        alerts=dict(ALERT_SCHEMA),
        tiers=dict(TIER_SCHEMA),
        measures=dict(FULL_SCHEMA),
        pairing=dict(PAIRS_SCHEMA),
        classes={"household_id": pl.Utf8, "quintile": pl.Utf8, "tier": pl.Utf8},
        grades={"household_id": pl.Utf8, "assessed_grade": pl.Utf8},
    )
    return out


def _read(spark: Any, root: str, key: str, schema: dict[str, Any]) -> Any:
    """A Parquet folder as a Spark DataFrame with the table's columns and types."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(table_path(root, key))
    return frame.select(
        *[
            (F.col(c) if c in frame.columns else F.lit(None)).cast(partitions.spark_type(t)).alias(c)
            for c, t in schema.items()
        ]
    )


def run(
    spark: Any,
    input_dir: str | Path,
    year: int,
    out_dir: str | Path,
    quarter: int | None = None,
    params: ParameterSet | None = None,
    on_step: Callable[[str], None] | None = None,
    cut_points: CutPoints | None = None,
) -> SparkRun:
    """Run the batch for ``year`` (or cumulative ``quarter``) over the Parquet registry ``input_dir``
    and write each stage's frame as Parquet under ``out_dir``; what was written.

    C01 places the households with the official cut points, else ``cut_points``, else the ranking of
    every household of the input (as ``run_batch`` ranks a population given without cut points).
    """
    from pyspark.sql import functions as F

    from zengshou.rules import facts as rf
    from zengshou.tiers.rules import cut_points_for, cut_points_of_blocks, official_cut_points
    from zengshou.toolbox import stage as toolbox_stage
    from zengshou.toolbox.engine import _measures, make_env, shipped_params
    from zengshou.toolbox.spark import SparkInputs, measures_spark

    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ValueError(f"季度应为1–4，实际为{quarter} / quarter must be 1–4, got {quarter}")
    ps = params or tree()
    root, out = str(input_dir), str(out_dir).rstrip("/")
    work = f"{out}/_work"
    result = SparkRun(out)
    tell = on_step or (lambda name: None)
    schemas = _schemas()
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        result.seconds[name] = now - t0
        t0 = now

    src = {k: _read(spark, root, k, schemas[k]) for k in _TABLES}
    src.update({f"feed_{k}": _read(spark, root, k, schemas[f"feed_{k}"]) for k in FEEDS})
    county = F.substring("village_code", 1, 6)
    hh_part = src["households"].select("household_id", county.alias(PART))
    member_part = (
        src["members"].select("id_number", "household_id").join(hh_part, "household_id").drop("household_id")
    )

    def by_household(frame: Any) -> Any:
        return frame.join(hh_part, "household_id")

    def by_person(frame: Any) -> Any:
        return frame.join(member_part, "id_number")

    feeds_tagged = {}
    for k in FEEDS:
        frame = src[f"feed_{k}"]
        if k == "disaster":
            feeds_tagged[f"feed_{k}"] = frame.withColumn(PART, F.substring("area_code", 1, 6))
        elif k == "housing":
            hh_of = F.coalesce(F.col("household_id"), F.col("__member_household"))
            members = src["members"].select("id_number", F.col("household_id").alias("__member_household"))
            feeds_tagged[f"feed_{k}"] = (
                frame.join(members, "id_number", "left")
                .join(hh_part.withColumnRenamed("household_id", "__hh"), hh_of == F.col("__hh"))
                .drop("__member_household", "__hh")
            )
        else:
            feeds_tagged[f"feed_{k}"] = by_person(frame)

    def save(packed: Any, stage: str) -> Any:
        """A packed stage result written once (its frames are read from the files after)."""
        packed.write.mode("overwrite").parquet(f"{work}/{stage}")
        return spark.read.parquet(f"{work}/{stage}")

    def write(frame: Any, name: str) -> Any:
        frame.write.mode("overwrite").parquet(f"{out}/{name}")
        written = spark.read.parquet(f"{out}/{name}")
        result.rows[name] = written.count()
        return written

    # 1. accounts per county
    tell("accounts")
    households = src["households"].withColumn(PART, county)
    base = {
        "households": households,
        "members": by_household(src["members"]),
        "income": by_household(src["income"]),
    }
    packed = save(
        partitions.run(base, partial(_accounts_step, year, quarter), {k: schemas[k] for k in base}),
        "accounts",
    )
    accounts = write(partitions.unpack(packed, "accounts", _accounts_schema()), "accounts")
    lap("accounts")

    # 2. the region's cut points
    tell("cut_points")
    official = official_cut_points(ps, year)
    cuts = None
    if official is None and cut_points is None:
        blocks = (
            accounts.filter(F.col("per_capita_income").isNotNull() & (F.col("size") > 0))
            .groupBy("per_capita_income")
            .agg(F.count(F.lit(1)).alias("households"))
        )
        cuts = cut_points_of_blocks(pl.DataFrame(pl.from_arrow(blocks.toArrow())), "自行")
    cuts = cut_points_for(
        pl.DataFrame(schema={"size": pl.Int64, "per_capita_income": pl.Float64}), ps, year, cut_points or cuts
    )
    result.cut_points = cuts
    lap("cut_points")

    # 3. alerts, tiers and the feed facts per county
    tell("alerts")
    toolboxes = toolbox_stage.county_toolboxes()
    monitor_in = {
        **base,
        "villages": src["villages"].withColumn(PART, county),
        "accounts": accounts.withColumn(PART, county),
        **feeds_tagged,
    }
    monitor_schemas = {k: (schemas[k] if k != "accounts" else _accounts_schema()) for k in monitor_in}
    packed = save(
        partitions.run(
            monitor_in, partial(_monitor_step, ps, year, quarter, toolboxes, cuts), monitor_schemas
        ),
        "monitor",
    )
    write(partitions.unpack(packed, "alerts", schemas["alerts"]), "alerts")
    tiers = write(partitions.unpack(packed, "tiers", schemas["tiers"]), "tiers")
    lap("alerts_tiers")

    # 4. measures: the toolbox's rules compiled to Spark
    tell("measures")
    env = make_env(shipped_params().overridden_by(ps), year, toolboxes)
    figures_schema = dict(rf.year_figures(Population(), year).collect_schema())
    inputs = SparkInputs(
        households=src["households"],
        members=src["members"],
        income=src["income"],
        villages=src["villages"],
        classes=partitions.unpack(packed, "classes", schemas["classes"]),
        dropouts=partitions.unpack(packed, "dropouts", _dropouts_schema()),
        grades=partitions.unpack(packed, "grades", schemas["grades"]),
        figures=partitions.unpack(packed, "figures", figures_schema),
    )
    try:
        measures = measures_spark(inputs, env, _measures(toolboxes))
    except ParameterError as exc:  # a year before the plans: the other tables are still written
        print(f"帮扶措施未计算 / measures not computed: {exc}")
        measures = spark.createDataFrame([], partitions.spark_ddl(schemas["measures"]))
    write(measures, "measures")
    lap("measures")

    # 5. pairing per city
    tell("pairing")
    city = F.substring("village_code", 1, 4)
    hh_city = src["households"].select("household_id", city.alias(PART))
    pairing_in = {
        "households": src["households"].withColumn(PART, city),
        "villages": src["villages"].withColumn(PART, city),
        "cadres": src["cadres"].withColumn(PART, F.substring("county_code", 1, 4)),
        "accounts": accounts.withColumn(PART, city),
        "tiers": tiers.join(hh_city, "household_id"),
    }
    pairing_schemas = {k: (schemas[k] if k not in ("accounts",) else _accounts_schema()) for k in pairing_in}
    packed = partitions.run(pairing_in, partial(_pairing_step, ps, year), pairing_schemas)
    write(partitions.unpack(packed, "pairing", schemas["pairing"]), "pairing")
    lap("pairing")
    if "://" not in work or work.startswith("file://"):
        shutil.rmtree(work.removeprefix("file://"), ignore_errors=True)
    return result


def _accounts_schema() -> dict[str, Any]:
    from zengshou.income.accounting import ACCOUNT_SCHEMA

    return dict(ACCOUNT_SCHEMA)


def _dropouts_schema() -> dict[str, Any]:
    from zengshou.rules import facts as rf

    return dict(rf.education_dropouts(Population()).collect_schema())
