"""Which periods hold data for an area, and the period a page opens on (M01 income by period, M06).

Every page with figures shows one period: a year, or a cumulative quarter (1 January to the quarter's
end) on the quarterly pages. A period is *filled* for an area when at least ``M01.period_complete_share``
(a dated parameter, ``data/params/periods.yaml``) of the area's households have data for it:

- a year counts the households with a yearly TierResult (the pipeline result every yearly figure is
  read from);
- a quarter counts the households with a cumulative quarterly Income row (what the assessment runs on);
  the 4th quarter counts the yearly Income rows when the area has no 4th-quarter rows, as the
  assessment falls back to them.

A page opens on the latest filled period of the user's area, so one stray row of a new year or the
calendar's current quarter never becomes the default. An unfilled period says 该期间暂无数据 and
links to the latest filled one; a report for it is refused (:func:`require_filled`).

The counts are two grouped queries on indexed columns, cached per scope and data version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Q, QuerySet

from zengshou.params import ParameterError, tree
from zengshou.registry.areas import code_prefix

#: Query values kept by the selector and the link to the latest period (everything else the page has).
PERIOD_KEYS = ("year", "quarter", "page")
#: ``?year=all`` on the work lists (预警): every year.
ALL_YEARS = "all"
DEFAULT_SHARE = 0.5
CACHE_SECONDS = 300
EMPTY_TITLE = "该期间暂无数据"


class NoData(ValueError):
    """A period (or area) without data to report on; the message is Chinese and says what exists."""


@dataclass(frozen=True)
class Coverage:
    """Households of an area, and how many of them have data for each year and cumulative quarter."""

    households: int
    yearly: Mapping[int, int] = field(default_factory=dict)
    quarterly: Mapping[tuple[int, int], int] = field(default_factory=dict)

    def year_rows(self, year: int) -> int:
        return int(self.yearly.get(year, 0))

    def quarter_rows(self, year: int, quarter: int) -> int:
        return int(self.quarterly.get((year, quarter), 0))

    def year_filled(self, year: int) -> bool:
        return _enough(self.year_rows(year), self.households, year)

    def quarter_filled(self, year: int, quarter: int) -> bool:
        return _enough(self.quarter_rows(year, quarter), self.households, year)

    def filled_years(self) -> list[int]:
        """Filled years, latest first."""
        return sorted((y for y in self.yearly if self.year_filled(y)), reverse=True)

    def filled_quarters(self) -> list[tuple[int, int]]:
        """Filled cumulative quarters, latest first."""
        return sorted((p for p in self.quarterly if self.quarter_filled(*p)), reverse=True)


def complete_share(year: int) -> float:
    """The dated share of households a period needs to count as filled."""
    try:
        return float(tree().for_year("M01.period_complete_share", year))
    except ParameterError:  # a year before the parameter's first date: the first value holds
        return DEFAULT_SHARE


def _enough(rows: int, households: int, year: int) -> bool:
    return households > 0 and rows > 0 and rows >= complete_share(year) * households


# ---------------------------------------------------------------- counting


def _data_version() -> str:
    """Changes whenever results, incomes or households change: primary-key maxima (index lookups)
    and the latest import/pipeline audit event (an import may update rows in place)."""
    from zengshou.registry.models import AuditEvent, Income
    from zengshou.tiers.models import TierResult

    parts = (
        TierResult.objects.aggregate(m=Max("pk"))["m"],
        Income.objects.aggregate(m=Max("pk"))["m"],
        AuditEvent.objects.filter(action__in=["import", "feed.import", "pipeline.store"]).aggregate(
            m=Max("pk")
        )["m"],
    )
    return repr(parts)


def _count(where: str, params: list[Any]) -> Coverage:
    """The three grouped counts over the households matching ``where`` (alias h)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM registry_household h WHERE {where}", params)
        households = int(cur.fetchone()[0])
        cur.execute(
            "SELECT t.year, COUNT(*) FROM tiers_tierresult t "
            "JOIN registry_household h ON h.household_id = t.household_id "
            f"WHERE t.quarter IS NULL AND {where} GROUP BY t.year",
            params,
        )
        yearly = {int(y): int(n) for y, n in cur.fetchall()}
        cur.execute(
            "SELECT i.year, i.quarter, COUNT(*) FROM registry_income i "
            "JOIN registry_household h ON h.household_id = i.household_id "
            f"WHERE {where} GROUP BY i.year, i.quarter",
            params,
        )
        income = {(int(y), None if q is None else int(q)): int(n) for y, q, n in cur.fetchall()}
    quarterly: dict[tuple[int, int], int] = {}
    for (y, q), n in income.items():
        if q is not None:
            quarterly[(y, q)] = n
    for (y, q), n in income.items():
        if q is None and (y, 4) not in quarterly:  # the assessment's 4th quarter falls back to the year
            quarterly[(y, 4)] = n
    return Coverage(households, yearly, quarterly)


def _cached(raw: str, where: str, params: list[Any]) -> Coverage:
    key = "zs:periods:" + hashlib.sha1(f"{raw}|{_data_version()}".encode()).hexdigest()
    found = cache.get(key)
    if isinstance(found, Coverage):
        return found
    cov = _count(where, params)
    cache.set(key, cov, CACHE_SECONDS)
    return cov


def scope_coverage(s: Any, area_code: str | None = None) -> Coverage:
    """Coverage of the households a user sees in ``area_code`` (default his area): the yearly pages."""
    from zengshou.web.stats import _scope_sql

    prefix = code_prefix(area_code or s.area_code)
    where, params = _scope_sql(s, prefix)
    return _cached(f"scope|{s.role}|{s.prefix}|{s.cadre_id}|{prefix}", where, params)


def area_coverage(area_code: str) -> Coverage:
    """Coverage of every household under an area (the assessment and its report, which are per area)."""
    prefix = code_prefix(area_code)
    return _cached(f"area|{prefix}", "h.village_code >= %s AND h.village_code < %s", [prefix, prefix + ":"])


# ---------------------------------------------------------------- the period a page shows


def year_label(year: int, quarter: int | None = None) -> str:
    return f"{year}年第{quarter}季度" if quarter else f"{year}年度"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class Period:
    """The period a page shows, whether it is filled, and what the selector and the empty note need."""

    year: int | None
    quarter: int | None
    quarterly: bool
    filled: bool
    rows: int
    households: int
    latest: tuple[int, int | None] | None
    years: tuple[int, ...]
    filled_years: frozenset[int]
    kept: tuple[tuple[str, str], ...] = ()
    allow_all: bool = False
    what: str = "收入测算结果"
    note: str = ""

    @property
    def all_years(self) -> bool:
        return self.year is None and self.allow_all

    @property
    def label(self) -> str:
        if self.year is None:
            return "全部年度" if self.allow_all else ""
        return year_label(self.year, self.quarter)

    @property
    def latest_label(self) -> str:
        return year_label(*self.latest) if self.latest else ""

    def query(self, year: int | None, quarter: int | None) -> str:
        """The page's own query string for another period (filters kept, page reset)."""
        pairs = list(self.kept)
        if year is not None:
            pairs.append(("year", str(year)))
        if quarter is not None:
            pairs.append(("quarter", str(quarter)))
        return urlencode(pairs)

    @property
    def latest_query(self) -> str:
        return self.query(*self.latest) if self.latest else ""

    @property
    def year_options(self) -> list[Option]:
        out = [Option(ALL_YEARS, "全部年度", self.all_years)] if self.allow_all else []
        for y in self.years:
            note = "" if y in self.filled_years else "（暂无完整数据）"
            out.append(Option(str(y), f"{y}年{note}", y == self.year))
        return out

    @property
    def quarter_options(self) -> list[Option]:
        return [Option(str(q), f"第{q}季度", q == self.quarter) for q in range(1, 5)]

    @property
    def detail(self) -> str:
        """Why the period is empty, in the user's words."""
        if self.note:
            return self.note
        if self.year is None:
            return f"本区域还没有{self.what}。"
        if self.households == 0:
            return f"本区域还没有农户数据，{self.label}无可统计的{self.what}。"
        if self.rows == 0:
            return f"本区域{self.households:,}户在{self.label}都还没有{self.what}。"
        share = self.rows / self.households
        need = complete_share(self.year)
        return (
            f"{self.label}只有{self.rows:,}户有{self.what}（占本区域{self.households:,}户的{share:.0%}），"
            f"不足统计所需的{need:.0%}。"
        )

    @property
    def message(self) -> str:
        """One line for a refused report or a CLI error."""
        tail = f"最近有数据的期间：{self.latest_label}。" if self.latest else ""
        return f"{EMPTY_TITLE}：{self.detail}{tail}"

    def window(self) -> tuple[dt.date, dt.date | None] | None:
        """Dates the year covers for dated records (monitoring objects): 1 January to 31 December,
        or to today for the latest filled year and later, which are still being worked on."""
        if self.year is None:
            return None
        start = dt.date(self.year, 1, 1)
        if self.latest is None or self.year >= self.latest[0]:
            return start, None
        return start, dt.date(self.year, 12, 31)


def _kept(query: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    if query is None:
        return ()
    items = query.lists() if hasattr(query, "lists") else ((k, [v]) for k, v in query.items())
    return tuple((k, str(v)) for k, vs in items if k not in PERIOD_KEYS for v in vs)


def _int(value: Any, allowed: range) -> int | None:
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdecimal() and int(text) in allowed:
        return int(text)
    return None


def _years_param(query: Mapping[str, Any] | None, key: str) -> Any:
    return query.get(key) if query is not None else None


def year_period(cov: Coverage, query: Mapping[str, Any] | None = None, *, allow_all: bool = False) -> Period:
    """The year a yearly page shows: ``?year=`` when it is a plausible year, else the latest filled
    year (or, when none is filled, the latest with any result); ``?year=all`` where ``allow_all``."""
    from zengshou.web.forms import YEARS

    filled = cov.filled_years()
    latest: tuple[int, int | None] | None = (filled[0], None) if filled else None
    raw = _years_param(query, "year")
    asked = _int(raw, YEARS)
    if allow_all and str(raw or "").strip() == ALL_YEARS:
        year: int | None = None
    elif asked is not None:
        year = asked
    elif latest:
        year = latest[0]
    else:
        year = max(cov.yearly) if cov.yearly else None
    years = sorted({*cov.yearly, *([year] if year else [])}, reverse=True)
    return Period(
        year=year,
        quarter=None,
        quarterly=False,
        filled=(year is None and allow_all) or (year is not None and cov.year_filled(year)),
        rows=cov.year_rows(year) if year else 0,
        households=cov.households,
        latest=latest,
        years=tuple(years),
        filled_years=frozenset(filled),
        kept=_kept(query),
        allow_all=allow_all,
    )


def _calendar_quarter(today: dt.date | None = None) -> tuple[int, int]:
    """The last quarter the calendar has finished: the fallback when an area has no data at all."""
    today = today or dt.date.today()
    q = (today.month - 1) // 3
    return (today.year, q) if q else (today.year - 1, 4)


def quarter_period(
    cov: Coverage,
    query: Mapping[str, Any] | None = None,
    *,
    filled: Mapping[tuple[int, int], bool] | None = None,
    what: str = "累计季度收入数据",
    note: str = "",
) -> Period:
    """The cumulative quarter a quarterly page shows: ``?year=&quarter=``, else the latest filled.

    ``filled`` replaces the income coverage's verdict (the targets page counts progress reports).
    """
    from zengshou.web.forms import YEARS

    verdict = dict(filled) if filled is not None else {p: cov.quarter_filled(*p) for p in cov.quarterly}
    full = sorted((p for p, ok in verdict.items() if ok), reverse=True)
    any_rows = sorted(verdict, reverse=True)
    latest: tuple[int, int | None] | None = full[0] if full else None
    fallback = full[0] if full else (any_rows[0] if any_rows else _calendar_quarter())
    year = _int(_years_param(query, "year"), YEARS)
    quarter = _int(_years_param(query, "quarter"), range(1, 5))
    if year is None and quarter is None:
        year, quarter = fallback
    elif year is None:
        year = fallback[0]
    elif quarter is None:
        in_year = [q for y, q in full if y == year]
        quarter = in_year[0] if in_year else fallback[1] if fallback[0] == year else 4
    assert year is not None and quarter is not None
    years = sorted({y for y, _ in verdict} | {year}, reverse=True)
    return Period(
        year=year,
        quarter=quarter,
        quarterly=True,
        filled=verdict.get((year, quarter), False),
        rows=cov.quarter_rows(year, quarter),
        households=cov.households,
        latest=latest,
        years=tuple(years),
        filled_years=frozenset(y for y, _ in full),
        kept=_kept(query),
        what=what,
        note=note,
    )


def default_year(s: Any, area_code: str | None = None) -> int | None:
    """The year a user's yearly figures open on (the API, the dashboard's default)."""
    return year_period(scope_coverage(s, area_code)).year


def require_filled(area_code: str, year: int, quarter: int) -> Period:
    """The period for a report on ``area_code``, or :class:`NoData` saying why there is none."""
    from zengshou.registry.models import Area

    if not Area.objects.filter(code=area_code).exists():
        raise NoData(f"区划代码 {area_code} 不存在，请填写县、市或自治区的12位以内区划代码（如 640422）。")
    p = quarter_period(area_coverage(area_code), {"year": str(year), "quarter": str(quarter)})
    if not p.filled:
        raise NoData(p.message)
    return p


def monitoring_in(qs: QuerySet[Any], period: Period, *, eliminated: bool) -> QuerySet[Any]:
    """Monitoring objects of the period's window: still monitored at its end (监测中), or whose risk
    was eliminated within it (已消除风险). ``?year=all`` is today's state."""
    w = period.window()
    if w is None:
        return qs.filter(risk_eliminated_on__isnull=not eliminated)
    start, end = w
    if eliminated:
        qs = qs.filter(risk_eliminated_on__gte=start)
        return qs.filter(risk_eliminated_on__lte=end) if end else qs
    if end is None:
        return qs.filter(risk_eliminated_on__isnull=True)
    return qs.filter(included_on__lte=end).filter(
        Q(risk_eliminated_on__isnull=True) | Q(risk_eliminated_on__gt=end)
    )
