"""Pairing's step of the batch pipeline (S02): the proposal's pairs and the spec's 结对 result table.

``zengshou run`` writes 结对.csv and a 结对 sheet in 结果.xlsx, and ``zengshou pipeline`` computes the
proposal too; storing and confirming pairs stays with ``zengshou pair --confirm`` and the web page.
"""

from __future__ import annotations

import sys

import polars as pl

from zengshou.frames import Population
from zengshou.pairing import PAIRS_SCHEMA, max_households, pair_population
from zengshou.params import ParameterError, ParameterSet


def pairs(
    pop: Population, accounts: pl.DataFrame, tiers: pl.DataFrame, params: ParameterSet, year: int
) -> pl.DataFrame:
    """The proposal's pairs for ``year``.

    An input without cadres (a file with no 帮扶干部 table) gives an empty frame at once: there is
    nobody to pair with, and listing every household as unpaired would only say the file has none.
    """
    if pop.cadres.height == 0:
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    try:
        cap = max_households(params, year)
    except ParameterError as exc:  # a year before the plans: the other tables are still written
        print(f"结对未计算 / pairing not computed: {exc}", file=sys.stderr)
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    return pair_population(pop, accounts, tiers, cap).pairs


def result_table(pairs: pl.DataFrame) -> pl.DataFrame:
    """The spec's 结对 table with its Chinese columns."""
    return pairs.select(
        pl.col("household_id").alias("户编号"),
        pl.col("cadre_id").alias("干部编号"),
        pl.col("rank").alias("干部职级"),
    )
