"""Pages of pairing (S02): a county's proposal → review of the changes → confirm (audited), and each
cadre's own list of households. They render inside ``web/base.html`` with the web app's scope.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zengshou.pairing.solver import PairingResult
from zengshou.web import scope as sc
from zengshou.web.access import page
from zengshou.web.forms import parse_year
from zengshou.web.roles import Role

#: Users who propose and confirm pairings: the county (S02 "由县统筹安排"), and the city and the
#: region for their counties (each county is solved on its own; cadres stay in their county).
PAIRING_ROLES = frozenset({Role.COUNTY, Role.CITY, Role.REGION_ADMIN})
#: A 帮扶干部 sees his own households.
MINE_ROLES = frozenset({Role.CADRE})
SESSION_KEY = "pairing_proposal"
CHANGE_COLUMNS = ("household_id", "previous_cadre_id", "cadre_id", "rank", "fell", "change", "reason")


@page(PAIRING_ROLES)
def proposal(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.pairing.store import confirm

    if request.method == "POST" and request.POST.get("action") == "confirm":
        saved = request.session.get(SESSION_KEY)
        if not saved or saved.get("area") != s.area_code:
            messages.error(request, "没有待确认的结对方案，请先生成方案")
            return redirect(request.path)
        pairs = pl.DataFrame(saved["changes"], schema=dict.fromkeys(CHANGE_COLUMNS, pl.Utf8))
        counts = confirm(PairingResult(pairs, pl.DataFrame(), pl.DataFrame()), s.username)
        del request.session[SESSION_KEY]
        messages.success(
            request, f"已确认：新建结对 {counts['created']} 户，结束原结对 {counts['ended']} 户（已记入审计）"
        )
        return redirect(request.path)
    default_year = dt.date.today().year - 1
    context: dict[str, object] = {"year": default_year}
    if request.method == "POST":
        from zengshou.monitor.feeds import population_from_database
        from zengshou.pairing import max_households, pair_population
        from zengshou.pipeline import MONITORING_STAGES, default_params, run_batch

        try:
            year = parse_year(request.POST.get("year") or default_year)
            pop = population_from_database(s.area_code, years=(year - 1, year))
            if pop.households.height == 0:
                messages.error(request, "本区域没有农户数据，请先在“导入导出”上传农户数据。")
                return redirect(request.path)
            params = default_params()
            # accounts and tiers are what the solver needs; the pairing stage would solve it twice
            batch = run_batch(pop, year, params=params, stages=MONITORING_STAGES)
            cap = max_households(params, year)
        except ValueError as exc:  # a year that is no number, or one before the plans' parameters
            messages.error(request, f"无法生成方案：{exc}")
            return redirect(request.path)
        result = pair_population(pop, batch.accounts, batch.tiers, cap)
        changes = result.pairs.filter(pl.col("change").is_in(["新结对", "调整"])).select(
            [pl.col(c).cast(pl.Utf8) for c in CHANGE_COLUMNS]
        )
        request.session[SESSION_KEY] = {"area": s.area_code, "year": year, "changes": changes.to_dicts()}
        context.update(
            year=year,
            stats=result.stats,
            changes=changes.to_dicts(),
            unpaired=result.pairs.filter(pl.col("change") == "未结对").to_dicts(),
            shortage=[{**r, "county_name": _area_name(r["county_code"])} for r in result.shortage.to_dicts()],
        )
    return render(request, "pairing/proposal.html", context)


def _area_name(code: str) -> str:
    """A county's name for the shortage line: officials know their county by name, not by code."""
    from zengshou.registry.areas import ningxia

    return next((a.name for a in ningxia() if a.code == code), code)


@page(MINE_ROLES)
def mine(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.registry.models import Pairing

    pairs = (
        Pairing.objects.filter(cadre_id=s.cadre_id, ended_on__isnull=True)
        .select_related("household", "household__village")
        .order_by("household_id")
    )
    return render(request, "pairing/mine.html", {"pairs": pairs})
