"""The policy toolbox (L01a–L13b, T03–T18, W01, W02): household measures as rules as code.

Rules are data (:mod:`.definitions`) in a small expression language (:mod:`.dsl`) that compiles to
polars (:mod:`.engine`) and PySpark (:mod:`.spark`). County toolboxes (:mod:`.county`) switch
measures and override parameters; plans (:mod:`.plans`, Django models) store each household's
measures and their status.
"""

from __future__ import annotations

from typing import Any

from zengshou.toolbox.engine import (
    Explanation,
    WhatIfResult,
    cost_summary,
    evaluate,
    evaluate_full,
    explain,
    facts,
    measures_table,
    whatif,
)

__all__ = [
    "Explanation",
    "WhatIfResult",
    "cost_summary",
    "evaluate",
    "evaluate_full",
    "explain",
    "facts",
    "generate_plans",
    "measures_table",
    "whatif",
]


def __getattr__(name: str) -> Any:
    if name == "generate_plans":  # needs Django; imported on first use
        from zengshou.toolbox.plans import generate_plans

        return generate_plans
    raise AttributeError(name)
