"""Hand-made populations for the income, tier and monitoring tests: a few households, stated facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from tests.conftest import make_id
from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.params import ParameterSet, tree

VILLAGE = "640522100201"
_seq = iter(range(1, 10_000_000))


def params(**overrides: Any) -> ParameterSet:
    """The shipped parameters, with values replaced from 2021 on."""
    ps = tree()
    for key, value in overrides.items():
        ps = ps.with_value(key, value, dt.date(2021, 1, 1))
    return ps


class Builder:
    """Collects households, members, income rows and feeds, then yields a :class:`Population`."""

    def __init__(self) -> None:
        self.households: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.income: list[dict[str, Any]] = []
        self.feeds: dict[str, list[dict[str, Any]]] = {}

    def household(
        self,
        hid: str,
        size: int = 1,
        income: dict[int, float] | None = None,
        village: str = VILLAGE,
        household_type: str = "脱贫户",
        housing_safe: bool = True,
        water_safe: bool = True,
        members: list[dict[str, Any]] | None = None,
        **more: Any,
    ) -> list[str]:
        """Add a household of ``size`` healthy adults; ``income`` is the whole-year wage by year.

        Keyword arguments named after an income column (operating_gross, transfer, medical_selfpay …)
        map years to amounts; any other is a 家庭 column (tekun=True). Returns the members' ID
        numbers, head first.
        """
        income_parts = {k: v for k, v in more.items() if k in ix.INCOME_AMOUNTS}
        self.households.append(
            {
                "household_id": hid,
                "village_code": village,
                "household_type": household_type,
                "housing_safe": housing_safe,
                "water_safe": water_safe,
                **{k: v for k, v in more.items() if k not in ix.INCOME_AMOUNTS},
            }
        )
        ids = []
        extra = members or []
        for i in range(size):
            spec = extra[i] if i < len(extra) else {}
            born = spec.pop("born", dt.date(1980, 5, 17))
            idn = make_id(next(_seq), born=born)
            ids.append(idn)
            row = {
                "household_id": hid,
                "name": "马某",
                "id_number": idn,
                "relation": "户主" if i == 0 else "之子",
                "health": "健康",
                "labour": "普通劳动力",
                "medical_insured": True,
            }
            row.update(spec)
            self.members.append(row)
        years = set(income or {}) | {y for part in income_parts.values() for y in part}
        for year in sorted(years):
            row = {"household_id": hid, "year": year, "quarter": None, "wage": (income or {}).get(year, 0.0)}
            for col, by_year in income_parts.items():
                row[col] = by_year.get(year, 0.0)
            self.income.append(row)
        return ids

    def quarter(self, hid: str, year: int, quarter: int, **amounts: float) -> None:
        self.income.append({"household_id": hid, "year": year, "quarter": quarter, **amounts})

    def feed(self, key: str, **row: Any) -> None:
        self.feeds.setdefault(key, []).append(row)

    def population(self) -> Population:
        def frame(rows: list[dict[str, Any]], table: ix.Table) -> pl.DataFrame:
            if not rows:
                return conform(pl.DataFrame(), table)
            keys = {k for r in rows for k in r}
            full = [{k: r.get(k) for k in keys} for r in rows]
            return conform(pl.DataFrame(full, infer_schema_length=None), table)

        return Population(
            households=frame(self.households, ix.HOUSEHOLDS),
            members=frame(self.members, ix.MEMBERS),
            income=frame(self.income, ix.INCOME),
            feeds={k: frame(v, ix.FEEDS_BY_NAME[k]) for k, v in self.feeds.items()},
        )
