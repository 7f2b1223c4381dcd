"""Pairing (S02) as a stage of the batch pipeline: ``pairing`` and the spec's 结对 result table.

Importing this module registers both with :mod:`zengshou.pipeline` (it is in ``STAGE_MODULES``), so
``zengshou run`` writes 结对.csv and a 结对 sheet in 结果.xlsx, and ``zengshou pipeline`` computes the
proposal too (storing and confirming pairs stays with ``zengshou pair --confirm`` and the web page).
"""

from __future__ import annotations

from zengshou import pipeline
from zengshou.pairing import pipeline_stage, pipeline_table


def register() -> None:
    after = "measures" if any(s.name == "measures" for s in pipeline.STAGES) else "tiers"
    pipeline.register_stage("pairing", pipeline_stage, after=after)
    pipeline.register_result_table("结对", "pairing", pipeline_table)


register()
