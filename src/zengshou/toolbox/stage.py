"""The toolbox's step of the batch pipeline: every household's measures and the 帮扶措施 result table.

County toolboxes come from ``data/toolboxes`` and, when Django is set up, from the saved versions.
"""

from __future__ import annotations

import sys
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterError, ParameterSet
from zengshou.rules.compute import Facts, compute
from zengshou.toolbox.engine import FULL_SCHEMA, evaluate_full, make_env, measures_table, shipped_params


def county_toolboxes() -> dict[str, Any]:
    from django.apps import apps

    from zengshou.toolbox.county import ToolboxError, effective_toolboxes

    try:
        return effective_toolboxes(use_database=apps.ready)
    except ToolboxError:  # a saved version that no longer validates: say so, never use the files instead
        raise
    except Exception:  # no database, or the table does not exist before migrate: use the files
        return effective_toolboxes(use_database=False)


def measures(
    pop: Population,
    tiers: pl.DataFrame,
    params: ParameterSet,
    year: int,
    facts: Facts | None = None,
    toolboxes: dict[str, Any] | None = None,
) -> pl.DataFrame:
    """The measures that apply to each household of ``pop`` for ``year`` (empty before the plans)."""
    # toolbox.yaml and the keys its facts read, with the user's --params files over them
    toolbox_params = shipped_params().overridden_by(params)
    try:
        return evaluate_full(
            pop, tiers, year, county_toolboxes() if toolboxes is None else toolboxes, toolbox_params, facts
        )
    except ParameterError as exc:  # a year before the plans: tiers and alerts still get written
        print(f"帮扶措施未计算 / measures not computed: {exc}", file=sys.stderr)
        return pl.DataFrame(schema=FULL_SCHEMA)


def facts(pop: Population, params: ParameterSet, year: int, toolboxes: dict[str, Any]) -> Facts:
    """The run's facts, with the parameters in force and the counties' own values (W01)."""
    return compute(pop, make_env(params, year, toolboxes))


def result_table(measures: pl.DataFrame) -> pl.DataFrame:
    """The spec's 帮扶措施 table with its Chinese columns."""
    return measures_table(measures)
