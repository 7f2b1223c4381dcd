"""Finding people by any part of their name, with an index on PostgreSQL.

PostgreSQL indexes each name by its single characters and pairs of characters (``zs_name_grams``,
registry migration 0007): a query's pairs (or the query itself, one or two characters) are looked up
in the GIN index and only those names are checked with ``LIKE``. SQLite checks every name in scope.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet

from zengshou.registry.models import Member


def name_grams(q: str) -> list[str]:
    """The index keys a name containing ``q`` must have: ``q`` itself when short, else its pairs."""
    if len(q) <= 2:
        return [q]
    return sorted({q[i : i + 2] for i in range(len(q) - 1)})


class NameGramsContain(Func):
    """PostgreSQL: the name's characters and pairs include every one of ``grams`` (GIN-indexed)."""

    output_field = BooleanField()

    def __init__(self, expression: Any, grams: list[str]) -> None:
        super().__init__(expression)
        self.grams = grams

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"zs_name_grams({sql}) @> %s::text[]", (*params, self.grams)


def members_named(q: str) -> QuerySet[Member]:
    """Members whose name contains ``q``."""
    members = Member.objects.filter(name__contains=q)
    if connection.vendor == "postgresql":
        members = members.filter(NameGramsContain(F("name"), name_grams(q)))
    return members
