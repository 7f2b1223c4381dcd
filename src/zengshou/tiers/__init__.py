"""Five equal groups of households and the three tiers (C01–C03); ``classify`` is the batch entry point."""

from __future__ import annotations

from zengshou.tiers.rules import CutPoints, classify, compute_cut_points, quintile_index

__all__ = ["CutPoints", "classify", "compute_cut_points", "quintile_index"]
