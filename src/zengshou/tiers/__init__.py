"""Five equal groups of persons and the three tiers (C01–C03); ``classify`` is the batch entry point."""

from __future__ import annotations

from zengshou.tiers.rules import classify, quintile_index

__all__ = ["classify", "quintile_index"]
