"""Template context: the user's scope and menu on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zengshou.web.access import nav


def web(request: HttpRequest) -> dict[str, Any]:
    s = getattr(request, "scope", None)
    if s is None:
        return {}
    return {"scope": s, "nav": nav(s)}
