"""Pages of pairing (S02): a county's proposal → review of the changes → confirm (audited), and each
cadre's own list of households. They render inside ``web/base.html`` with the web app's scope.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from zengshou.pairing.solver import PairingResult, city_of
from zengshou.pairing.store import WRITTEN
from zengshou.web import scope as sc
from zengshou.web.access import page
from zengshou.web.forms import parse_year
from zengshou.web.roles import MINE_ROLES, PAIRING_ROLES

SESSION_KEY = "pairing_proposal"
CHANGE_COLUMNS = (
    "household_id",
    "previous_cadre_id",
    "cadre_id",
    "rank",
    "fell",
    "interim",
    "change",
    "reason",
)
FLAGS = ("fell", "interim")


@page(PAIRING_ROLES)
def proposal(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "confirm":
        return _confirm(request, s)
    default_year = dt.date.today().year - 1
    context: dict[str, object] = {"year": default_year}
    if request.method == "POST":
        from zengshou.pairing import max_households, pair_population
        from zengshou.params import tree
        from zengshou.pipeline import MONITORING_STAGES, run_batch
        from zengshou.registry.read import population_from_database

        try:
            year = parse_year(request.POST.get("year") or default_year)
            # the city's population: its senior cadres serve falling households of every county of it
            pop = population_from_database(_city_area(s.area_code), years=(year - 1, year))
            if pop.households.height == 0:
                messages.error(request, "本区域没有农户数据，请先在“导入导出”上传农户数据。")
                return redirect(request.path)
            params = tree()
            # accounts and tiers are what the solver needs; the pairing stage would solve it twice
            batch = run_batch(pop, year, params=params, stages=MONITORING_STAGES)
            cap = max_households(params, year)
        except ValueError as exc:  # a year that is no number, or one before the plans' parameters
            messages.error(request, f"无法生成方案：{exc}")
            return redirect(request.path)
        result = pair_population(pop, batch.accounts, batch.tiers, cap, area=s.area_code)
        written = result.pairs.filter(
            pl.col("change").is_in(["新结对", "调整"])
            | ((pl.col("change") == "未结对") & pl.col("previous_cadre_id").is_not_null())
        )
        changes = written.select([pl.col(c).cast(pl.Utf8) for c in CHANGE_COLUMNS])
        # what confirming writes and checks: the changes, every 未结对 and falling household, the
        # limit, and the falling households the cadres keep outside the proposal
        saved = result.pairs.filter(pl.col("change").is_in(WRITTEN) | pl.col("fell"))
        request.session[SESSION_KEY] = {
            "area": s.area_code,
            "year": year,
            "cap": cap,
            "pairs": saved.select([pl.col(c).cast(pl.Utf8) for c in CHANGE_COLUMNS]).to_dicts(),
            "fixed_falling": dict(
                result.loads.filter(pl.col("fixed_falling") > 0)
                .select("cadre_id", "fixed_falling")
                .iter_rows()
            ),
        }
        context.update(
            year=year,
            cap=cap,
            stats=result.stats,
            changes=changes.to_dicts(),
            unpaired=result.pairs.filter(pl.col("change") == "未结对").to_dicts(),
            shortage=[{**r, "county_name": _area_name(r["county_code"])} for r in result.shortage.to_dicts()],
            cities=[
                {**r, "city_name": _area_name(r["city_code"])}
                for r in result.cities.filter(pl.col("missing_senior") > 0).to_dicts()
            ],
        )
    return render(request, "pairing/proposal.html", context)


def _city_area(area: str) -> str:
    """The area whose population a proposal reads: the city of a county, township or village."""
    from zengshou.registry.areas import level_of

    return city_of(area[:6]) if level_of(area) in ("county", "township", "village") else area


def _confirm(request: HttpRequest, s: sc.Scope) -> HttpResponse:
    from zengshou.pairing.store import PairingConflict, confirm

    saved = request.session.get(SESSION_KEY)
    if not saved or saved.get("area") != s.area_code or "pairs" not in saved:
        messages.error(request, "没有待确认的结对方案，请先生成方案")
        return redirect(request.path)
    pairs = pl.DataFrame(saved["pairs"], schema=dict.fromkeys(CHANGE_COLUMNS, pl.Utf8)).with_columns(
        [(pl.col(c) == "true").alias(c) for c in FLAGS]
    )
    loads = pl.DataFrame(
        list(saved["fixed_falling"].items()),
        schema={"cadre_id": pl.Utf8, "fixed_falling": pl.Int64},
        orient="row",
    )
    result = PairingResult(pairs, pl.DataFrame(), loads, max_households=int(saved["cap"]))
    try:
        counts = confirm(result, s.username)
    except PairingConflict as exc:
        del request.session[SESSION_KEY]
        messages.error(request, str(exc))
        return redirect(request.path)
    del request.session[SESSION_KEY]
    messages.success(
        request, f"已确认：新建结对 {counts['created']} 户，结束原结对 {counts['ended']} 户（已记入审计）"
    )
    return redirect(request.path)


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
