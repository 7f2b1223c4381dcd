"""Keyset paging for long lists: a page is the rows after (or before) the last one shown, in index order.

An ``OFFSET`` page makes the database count past every earlier row; a keyset page starts at the key
where the previous page ended, so page 2,000 of a region costs what page 1 costs. The total shown is
counted up to :data:`COUNT_CAP` rows ("1万户以上" beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

COUNT_CAP = 10_000
_SEP = "|"


@dataclass
class KeysetPage:
    """One page of a list ordered by two keys; the pager's links carry the keys of its edges."""

    object_list: list[Any]
    count: int
    count_capped: bool
    number: int
    size: int
    has_previous: bool
    has_next: bool
    links: dict[str, str] = field(default_factory=dict)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.size))


def _key(row: Any, keys: tuple[str, str]) -> str:
    return _SEP.join(str(getattr(row, k)) for k in keys)


def _split(value: str) -> tuple[str, str] | None:
    first, sep, second = value.partition(_SEP)
    return (first, second) if sep else None


def keyset_page(
    qs: QuerySet[Any], keys: tuple[str, str], columns: tuple[str, str], get: QueryDict, size: int
) -> KeysetPage:
    """The page of ``qs`` that ``get`` asks for (``after``, ``before``, ``last`` or the first).

    ``keys`` are the two model attributes the list is ordered by and ``columns`` their database
    columns (the row comparison is written in SQL so that the index serves it on both databases).
    """
    table = qs.model._meta.db_table
    row_sql = f'("{table}"."{columns[0]}", "{table}"."{columns[1]}")'
    ascending, descending = list(keys), [f"-{k}" for k in keys]
    total = qs.order_by()[: COUNT_CAP + 1].count()
    n = str(get.get("n", ""))
    number = int(n) if n.isdigit() and int(n) > 0 else 1
    after, before = _split(get.get("after", "")), _split(get.get("before", ""))
    if after:
        rows = list(
            qs.extra(where=[f"{row_sql} > (%s, %s)"], params=list(after)).order_by(*ascending)[: size + 1]
        )
        has_next, has_previous = len(rows) > size, True
        rows = rows[:size]
    elif before:
        rows = list(
            qs.extra(where=[f"{row_sql} < (%s, %s)"], params=list(before)).order_by(*descending)[: size + 1]
        )
        has_previous, has_next = len(rows) > size, True
        rows = rows[:size][::-1]
        number = max(1, number) if has_previous else 1
    elif get.get("last") and total <= COUNT_CAP:
        tail = total % size or size
        rows = list(qs.order_by(*descending)[:tail])[::-1]
        has_previous, has_next = total > size, False
        number = -(-total // size)
    else:
        rows = list(qs.order_by(*ascending)[: size + 1])
        has_next, has_previous = len(rows) > size, False
        rows = rows[:size]
        number = 1
    page = KeysetPage(rows, min(total, COUNT_CAP), total > COUNT_CAP, number, size, has_previous, has_next)
    page.links = _links(page, keys, get)
    return page


def _links(page: KeysetPage, keys: tuple[str, str], get: QueryDict) -> dict[str, str]:
    base = get.copy()
    for k in ("after", "before", "last", "n", "page"):
        base.pop(k, None)

    def url(**extra: str) -> str:
        q = base.copy()
        for k, v in extra.items():
            q[k] = v
        return "?" + q.urlencode()

    links = {}
    if page.has_previous:
        links["first"] = url()
        links["previous"] = url(before=_key(page.object_list[0], keys), n=str(max(1, page.number - 1)))
    if page.has_next and page.object_list:
        links["next"] = url(after=_key(page.object_list[-1], keys), n=str(page.number + 1))
        if not page.count_capped:
            links["last"] = url(last="1")
    return links
