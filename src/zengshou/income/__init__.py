"""Income accounting (M01, M04): household and per-capita net income, components, year-on-year change."""

from __future__ import annotations

from zengshou.income.accounting import account, by_area, trend

__all__ = ["account", "by_area", "trend"]
