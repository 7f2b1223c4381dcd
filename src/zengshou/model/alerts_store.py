"""Store the model's warnings as alerts (code R01) through the monitoring part's bulk upsert.

Re-scoring a year refreshes the open R01 alerts by fingerprint (R01|户编号|year) instead of adding
twins, and a warning a cadre already decided this year is not raised again (``zengshou.monitor.store``).
"""

from __future__ import annotations

from typing import Any

import polars as pl


def store_alerts(warned: pl.DataFrame, year: int, username: str, version: str) -> dict[str, int]:
    """Upsert ``warned`` (rows of :func:`zengshou.model.alerts`) in one transaction, with an audit event."""
    from django.db import transaction
    from django.utils import timezone

    from zengshou.monitor.store import store_alerts as upsert
    from zengshou.registry.audit import record

    now = timezone.now()
    with transaction.atomic():
        counts: dict[str, Any] = upsert(warned, year, None, now)
        record(username, "model.store_alerts", "risk_model", version, {"year": year, **counts})
    return {k: int(v) for k, v in counts.items()}
