"""The toolbox as a stage of the batch pipeline: ``measures`` and the 帮扶措施 result table.

Importing this module registers both with :mod:`zengshou.pipeline` (the lead wires the import).
County toolboxes come from ``data/toolboxes`` and, when Django is set up, from the saved versions.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from zengshou import pipeline
from zengshou.params import ParameterError
from zengshou.toolbox.engine import FULL_SCHEMA, evaluate_full, measures_table


def county_toolboxes() -> dict[str, Any]:
    from django.apps import apps

    from zengshou.toolbox.county import effective_toolboxes

    try:
        return effective_toolboxes(use_database=apps.ready)
    except Exception:  # the table may not exist before migrate: fall back to the files
        return effective_toolboxes(use_database=False)


def _measures(r: pipeline.BatchResult) -> pl.DataFrame:
    from zengshou.params import ParameterSet

    params = ParameterSet(dict(ParameterSet.shipped("toolbox").params))
    params.layer({k: v for k, v in r.params.params.items() if k in params.params})  # user --params files
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
