"""Area statistics for the dashboard and the API, aggregated in SQL over the user's scope (M01, M02, M04).

Every figure comes from the stored pipeline results (TierResult, Alert, MonitoringObject) and the
registry; nothing is computed per household in Python, so a region of 50,000 households stays fast.
Results are cached for a few minutes per scope and data version (the latest pipeline run and alert
change), so a page reload after an alert decision still shows the new counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q

from zengshou import interchange as ix
from zengshou.monitor.clues import households_with_open_alerts
from zengshou.monitor.lines import Lines
from zengshou.monitor.models import OPEN_STATUSES, AlertStatus, MonitoringObject
from zengshou.monitor.rules import CODES
from zengshou.registry.models import Area, Member
from zengshou.tiers.models import TierResult
from zengshou.web import scope as sc
from zengshou.web.roles import Role

COMPONENTS = (
    ("wage_pc", "工资性收入"),
    ("operating_net_pc", "经营净收入"),
    ("property_pc", "财产净收入"),
    ("transfer_pc", "转移净收入"),
)
#: Income bands for the distribution chart, in multiples of the year's monitoring line.
BAND_FACTORS = (1.0, 1.5, 2.0, 3.0, 4.0)
CHILD_LEVEL = {"region": "county", "city": "county", "county": "township", "township": "village"}
CODE_LENGTH = {"county": 6, "township": 9, "village": 12}


def _param(key: str, year: int) -> float | None:
    from zengshou.params import tree

    try:
        return float(tree().for_year(key, year))
    except Exception:  # a missing parameter only hides a reference line
        return None


def _lines(year: int) -> Lines | None:
    """M05's lines of the year (the region's and the areas' own), or None where the year has none."""
    from zengshou.monitor.lines import lines
    from zengshou.params import tree

    try:
        return lines(tree(), year)
    except Exception:  # a missing parameter only hides a reference line
        return None


def _ratio(a: Any, b: Any) -> float | None:
    return float(a) / float(b) if b else None


def area_stats(
    s: sc.Scope, area_code: str | None = None, year: int | None = None, period: Any = None
) -> dict[str, Any]:
    """Everything the 驾驶舱 shows for ``area_code`` (default: the user's area) and ``year`` (default:
    the latest year filled for the area, :mod:`zengshou.web.periods`), within the scope.

    The income figures (one pass over the stored results) are cached until the pipeline runs again;
    household, alert and monitoring counts are read live, so a decision shows at once. Alerts count
    for the year they were raised for, monitoring objects over the period's window.
    """
    from zengshou.registry.areas import code_prefix
    from zengshou.web import periods

    code = area_code or s.area_code
    if period is None or (year is not None and period.year != year):
        period = periods.year_period(periods.scope_coverage(s, code), {"year": str(year or "")})
    year = period.year
    area = Area.objects.get(code=code)
    prefix = code_prefix(code)
    tier_version = cache.get("zs:tier_version")
    if tier_version is None:  # re-read at most once a minute: a pipeline run shows within a minute
        tier_version = str(TierResult.objects.aggregate(t=Max("computed_at"))["t"])
        cache.set("zs:tier_version", tier_version, 60)
    raw = f"{s.role}|{s.prefix}|{s.cadre_id}|{code}|{year}|{tier_version}"
    key = "zs:stats:" + hashlib.sha1(raw.encode()).hexdigest()
    income = cache.get(key)
    if income is None:
        income = _income_figures(s, area, prefix, year)
        cache.set(key, income, 3600)
    live = _live_counts(s, prefix, year, period.window())
    if income.get("tier_persons"):
        live["persons"] = income["tier_persons"]  # persons as counted by the latest pipeline run
    else:
        live["persons"] = Member.objects.filter(
            sc.household_q(s) & sc.code_range("household__village_id", prefix)
        ).count()
    return _plain(
        {
            "area": {"code": area.code, "name": area.name, "level": area.level},
            "year": year,
            "filled": period.filled,
            "latest_year": period.latest[0] if period.latest else None,
            **income,
            **live,
        }
    )


def _scope_sql(s: sc.Scope, prefix: str) -> tuple[str, list[Any]]:
    """WHERE clause (on alias h = registry_household) for the scope and the area shown."""
    # A range, not LIKE, so the index on village_code is used (codes are digits; ':' sorts after '9').
    narrow = prefix if len(prefix) >= len(s.prefix) else s.prefix
    where = "h.village_code >= %s AND h.village_code < %s"
    params: list[Any] = [narrow, narrow + ":"]
    if not (narrow.startswith(s.prefix) and narrow.startswith(prefix)):
        where += " AND 1 = 0"
    if s.role == Role.CADRE:
        where += (
            " AND h.household_id IN (SELECT p.household_id FROM registry_pairing p"
            " WHERE p.cadre_id = %s AND p.ended_on IS NULL)"
        )
        params.append(s.cadre_id or "")
    if s.role == Role.DEPARTMENT:
        where += " AND 1 = 0"
    return where, params


def _income_figures(s: sc.Scope, area: Area, prefix: str, year: int | None) -> dict[str, Any]:
    """Tiers, quintiles, income bands, component trend, M04 fall share and the sub-areas, from two
    grouped SQL queries over TierResult (the cube is small; the rest is arithmetic on it)."""
    real = "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    where, params = _scope_sql(s, prefix)
    out: dict[str, Any] = {"components": [{"key": c, "label": label} for c, label in COMPONENTS]}

    comp_sums = ", ".join(f"SUM(CAST(t.{c} AS {real}) * t.size)" for c, _ in COMPONENTS)
    sql = (
        f"SELECT t.year, SUM(t.size), SUM(CAST(t.per_capita_income AS {real}) * t.size), {comp_sums} "
        "FROM tiers_tierresult t JOIN registry_household h ON h.household_id = t.household_id "
        f"WHERE t.quarter IS NULL AND {where} GROUP BY t.year ORDER BY t.year"
    )
    trend = []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for y, p, total, *comps in cur.fetchall():
            p = p or 0
            row = {"year": y, "per_capita_income": round(_ratio(total or 0, p) or 0)}
            row.update(
                {c: round(_ratio(v or 0, p) or 0) for (c, _), v in zip(COMPONENTS, comps, strict=True)}
            )
            trend.append(row)
    out["trend"] = trend

    known = _lines(year) if year else None
    # the line of the area shown (a county's own where it set one); "以下" includes the line
    line = known.line(area.code) if known else None
    out["monitoring_line"] = line
    out["monitoring_line_note"] = known.note(area.code) if known else ""
    out["monitoring_line_areas"] = (
        [{"area": a, "line": v} for a, v in sorted(known.areas.items()) if a.startswith(area.code)]
        if known
        else []
    )
    edges = [round(line * f) for f in BAND_FACTORS] if line else []
    band_case = (
        "CASE "
        + " ".join(
            f"WHEN t.per_capita_income IS NOT NULL AND CAST(t.per_capita_income AS {real}) {'<=' if i == 0 else '<'} {e} THEN {i}"
            for i, e in enumerate(edges)
        )
        + f" WHEN t.per_capita_income IS NULL THEN -1 ELSE {len(edges)} END"
        if edges
        else "-1"
    )
    child = CHILD_LEVEL.get(area.level)
    n = CODE_LENGTH[child] if child else len(area.code)
    cube_sql = (
        f"SELECT SUBSTR(h.village_code, 1, {n}), t.tier, t.quintile, t.fell, "
        # the scope (L00) as the tier step stored it
        f"CASE WHEN t.in_scope THEN 1 ELSE 0 END, {band_case}, COUNT(*), SUM(t.size), SUM(CAST(t.per_capita_income AS {real}) * t.size) "
        "FROM tiers_tierresult t JOIN registry_household h ON h.household_id = t.household_id "
        f"WHERE t.year = %s AND t.quarter IS NULL AND {where} GROUP BY 1, 2, 3, 4, 5, 6"
    )
    cube: list[tuple[Any, ...]] = []
    if year:
        with connection.cursor() as cur:
            cur.execute(cube_sql, [year, *params])
            cube = cur.fetchall()

    tiers = {t: {"households": 0, "persons": 0} for t in ix.TIERS}
    quint: dict[str, dict[str, float]] = {q: {"persons": 0, "w": 0.0} for q in ix.QUINTILES}
    bands = [0] * (len(edges) + 1) if edges else []
    fell_p = fell_f = 0
    subs: dict[str, dict[str, float]] = {}
    for sub, tier, quintile, fell, in_plan, band, h, p, w in cube:
        p = p or 0
        if tier in tiers:
            tiers[tier]["households"] += h
            tiers[tier]["persons"] += p
        if quintile in quint:
            quint[quintile]["persons"] += p
            quint[quintile]["w"] += w or 0
        if band is not None and band >= 0:
            bands[band] += h
        if in_plan:
            fell_p += p
            fell_f += p if fell else 0
        a = subs.setdefault(sub, {"h": 0, "p": 0, "w": 0.0, "risk": 0, "fell": 0})
        a["h"] += h
        a["p"] += p
        a["w"] += w or 0
        a["risk"] += h if tier == "风险防范户" else 0
        a["fell"] += h if fell else 0
    out["tiers"] = [{"tier": t, **v} for t, v in tiers.items()]
    out["quintiles"] = [
        {
            "quintile": q,
            "persons": int(v["persons"]),
            "avg_income": round(v["w"] / v["persons"]) if v["persons"] else None,
        }
        for q, v in quint.items()
    ]
    out["income_bands"] = [
        {"label": lab, "households": c} for lab, c in zip(band_labels(edges), bands, strict=True)
    ]
    out["fell"] = {
        "persons": fell_p,
        "fell_persons": fell_f,
        "share": _ratio(fell_f, fell_p),
        "national_average": _param("M04.fell_share_national_average", year) if year else None,
    }
    out["tier_persons"] = sum(v["persons"] for v in tiers.values())
    children: list[dict[str, Any]] = []
    if child:
        names = dict(Area.objects.filter(code__in=list(subs)).values_list("code", "name"))
        for sub, a in subs.items():
            children.append(
                {
                    "code": sub,
                    "name": names.get(sub, sub),
                    "households": int(a["h"]),
                    "per_capita_income": round(a["w"] / a["p"]) if a["p"] else 0,
                    "risk_households": int(a["risk"]),
                    "risk_share": _ratio(a["risk"], a["h"]),
                    "fell_share": _ratio(a["fell"], a["h"]),
                }
            )
        children.sort(key=lambda c: c["per_capita_income"], reverse=True)
    out["children"] = children
    out["child_level"] = child
    return out


def band_labels(edges: list[int]) -> list[str]:
    """Labels of the bands cut at ``edges`` (one more band than edges); none without a monitoring line,
    as before the pipeline has run for a year: the chart is then left out rather than mislabelled."""
    if not edges:
        return []
    labels = [f"{edges[0]:,}及以下"]
    labels += [f"{lo:,}–\n{hi:,}" for lo, hi in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]:,}以上")
    return labels


def _live_counts(
    s: sc.Scope,
    prefix: str,
    year: int | None = None,
    window: tuple[dt.date, dt.date | None] | None = None,
) -> dict[str, Any]:
    """Households, persons, alerts of ``year`` and monitoring objects of ``window`` (see
    :meth:`zengshou.web.periods.Period.window`): cheap indexed counts, never cached."""
    out: dict[str, Any] = {
        "households": sc.households(s).filter(sc.code_range("village_id", prefix)).count(),
    }
    al = sc.alerts(s).filter(sc.code_range("area_code", prefix))
    if year is not None:
        al = al.filter(year=year)
    open_by_code = {
        r["code"]: r["n"] for r in al.filter(status__in=OPEN_STATUSES).values("code").annotate(n=Count("pk"))
    }
    out["open_alerts"] = [
        {"code": c, "title": CODES.get(c, c), "count": n}
        for c, n in sorted(open_by_code.items(), key=lambda kv: -kv[1])
    ]
    by_status = {r["status"]: r["n"] for r in al.values("status").annotate(n=Count("pk"))}
    out["alerts_by_status"] = [
        {"status": v, "label": label, "count": by_status.get(v, 0)} for v, label in AlertStatus.choices
    ]
    with_clue = households_with_open_alerts(al)
    out["clues"] = {"households": with_clue, "share": _ratio(with_clue, out["households"])}
    # Monitoring objects are few: read them all with their village code and count in Python, so the
    # database walks the small table instead of every household of the area.
    mo = MonitoringObject.objects.all()
    start, end = window or (None, None)
    if end is not None:
        mo = mo.filter(included_on__lte=end)
    if start is not None:
        mo = mo.filter(Q(risk_eliminated_on__isnull=True) | Q(risk_eliminated_on__gte=start))
    if s.role == Role.CADRE:
        mo = mo.filter(sc.household_q(s))
    open_types: dict[str, int] = {}
    eliminated = 0
    narrow = prefix if len(prefix) >= len(s.prefix) else s.prefix
    for village, mtype, gone in mo.values_list(
        "household__village_id", "monitoring_type", "risk_eliminated_on"
    ):
        if not (village.startswith(narrow) and village.startswith(s.prefix) and village.startswith(prefix)):
            continue
        if gone is None or (end is not None and gone > end):
            open_types[mtype] = open_types.get(mtype, 0) + 1
        else:
            eliminated += 1
    out["monitoring"] = {
        "open": sum(open_types.values()),
        "eliminated": eliminated,
        "by_type": [{"type": t, "count": n} for t, n in sorted(open_types.items())],
    }
    return out


def _plain(v: Any) -> Any:
    """Decimals to floats so the result is JSON (for json_script and the API)."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v
