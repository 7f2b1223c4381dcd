"""Chinese formats for the pages: 2025年3月1日, ¥12,345, 35.1%."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from zengshou.registry.idnumber import mask, mask_name, mask_phone

register = template.Library()


@register.filter
def cn_date(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


@register.filter
def cn_day(value: Any) -> str:
    """A date (or the date of a datetime) without the time."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return cn_date(value)


def yuan_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    v = Decimal(str(value)).quantize(Decimal("1"))
    return f"¥{v:,}" if v >= 0 else f"-¥{-v:,}"


@register.filter
def yuan(value: Any) -> str:
    return yuan_text(value)


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


@register.filter
def num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


@register.filter
def masked_id(value: str) -> str:
    return mask(value)


@register.filter
def masked_name(value: str) -> str:
    return mask_name(value)


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value)


@register.filter
def yesno_cn(value: Any) -> str:
    if value is None:
        return "—"
    return "是" if value else "否"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def clause(code: str) -> str:
    """The clause a rule's catalogue code cites (``分层方案 二（二）3``), empty where none."""
    from zengshou.rules.clauses import citation

    return citation(code or "")


@register.filter
def clause_quote(code: str) -> str:
    """The sentences of the clause a code cites, with their clauses, one per line."""
    from zengshou.rules.clauses import quote

    return quote(code or "")
