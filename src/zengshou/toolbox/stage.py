"""The toolbox as a stage of the batch pipeline: ``measures`` and the 帮扶措施 result table.

Importing this module registers both with :mod:`zengshou.pipeline` (``pipeline.STAGE_MODULES``).
County toolboxes come from ``data/toolboxes`` and, when Django is set up, from the saved versions.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from zengshou import pipeline
from zengshou.params import ParameterError
from zengshou.toolbox.engine import FULL_SCHEMA, evaluate_full, measures_table, shipped_params


def county_toolboxes() -> dict[str, Any]:
    from django.apps import apps

    from zengshou.toolbox.county import ToolboxError, effective_toolboxes

    try:
        return effective_toolboxes(use_database=apps.ready)
    except ToolboxError:  # a saved version that no longer validates: say so, never use the files instead
        raise
    except Exception:  # no database, or the table does not exist before migrate: use the files
        return effective_toolboxes(use_database=False)


def _measures(r: pipeline.BatchResult) -> pl.DataFrame:
    # toolbox.yaml and C03's school ages (T14), with the user's --params files over them
    params = shipped_params().overridden_by(r.params)
    try:
        return evaluate_full(r.population, r.tiers, r.year, county_toolboxes(), params)
    except ParameterError as exc:  # a year before the plans: tiers and alerts still get written
        import sys

        print(f"帮扶措施未计算 / measures not computed: {exc}", file=sys.stderr)
        return pl.DataFrame(schema=FULL_SCHEMA)


def _table(r: pipeline.BatchResult) -> pl.DataFrame:
    return measures_table(r.frames["measures"])


def register() -> None:
    pipeline.register_stage("measures", _measures, after="tiers")
    pipeline.register_result_table("帮扶措施", "measures", _table)


register()
