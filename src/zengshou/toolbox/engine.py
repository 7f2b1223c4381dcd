"""The polars runner of the toolbox: facts, evaluation, the 帮扶措施 table, explanation and what-if.

All work is columnar: the facts of every household and member are built with one pass of
expressions and one group-by, and each measure is one filter over those frames. The rule
definitions themselves (:mod:`zengshou.toolbox.definitions`) know nothing of polars.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import DatedValue, Parameter, ParameterError, ParameterSet
from zengshou.toolbox import definitions as d
from zengshou.toolbox.dsl import (
    Env,
    Expr,
    NotInForce,
    Param,
    compile_polars,
    compile_polars_agg,
    params_in,
)

#: Columns of :func:`evaluate`'s result.
RESULT_SCHEMA: dict[str, Any] = {
    "household_id": pl.Utf8,
    "code": pl.Utf8,
    "id_number": pl.Utf8,
    "amount": pl.Float64,
    "units": pl.Utf8,
    "reason": pl.Utf8,
}
#: Extra columns kept internally: the county (cost by county), whether the amount is the household's
#: money, and the yearly income effect (that amount unless the measure's ``<code>.one_off`` is true).
FULL_SCHEMA: dict[str, Any] = {
    **RESULT_SCHEMA,
    "county_code": pl.Utf8,
    "to_household": pl.Boolean,
    "income_effect": pl.Float64,
}

#: polars engine for the batch plans: the streaming engine keeps the big group-by and joins fast and lean.
ENGINE: Any = "streaming"

#: Household columns that member-level measures read (joined onto the member frame).
_HOUSEHOLD_COLUMNS_FOR_MEMBERS = (
    "county_code",
    "village_code",
    "household_type",
    "quintile",
    "tier",
    "in_scope",
    "labourers",
    "dibao_household",
    "assets_within_dibao_rules",
    "whole_ill_or_disabled",
    "whole_no_labour",
)


#: Parameters of other parts that the toolbox's facts read, by key → the shipped file that owns them.
#: They are layered in (not copied into toolbox.yaml) so both parts read one definition.
SHARED_PARAMS: dict[str, str] = {"compulsory_school_age": "tiers"}


def shipped_params() -> ParameterSet:
    """toolbox.yaml, plus the keys of :data:`SHARED_PARAMS` from their own files."""
    return with_shared_params(ParameterSet.shipped("toolbox"))


def with_shared_params(ps: ParameterSet) -> ParameterSet:
    """``ps`` with any :data:`SHARED_PARAMS` key it lacks taken from the owning shipped file."""
    missing = [k for k in SHARED_PARAMS if k not in ps.params]
    if not missing:
        return ps
    out = ParameterSet(dict(ps.params))
    for key in missing:
        out.layer({key: ParameterSet.shipped(SHARED_PARAMS[key]).get(key)})
    return out


# --- environment ---------------------------------------------------------------------------------


def make_env(
    params: ParameterSet | None,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
) -> Env:
    """Parameter values in force at the end of ``year``, regional and per county (W01)."""
    ps = with_shared_params(params or shipped_params())
    values: dict[str, Any] = {}
    for key, p in ps.params.items():
        try:
            values[key] = p.at(dt.date(year, 12, 31))
        except ParameterError as exc:  # not yet in force that year: a rule reading it raises this
            values[key] = NotInForce(str(exc))
    county_values: dict[str, dict[str, Any]] = {}
    for county, tb in (county_toolboxes or {}).items():
        for key, value in tb.values_for_year(ps, year).items():
            if tb.is_local_key(key):
                values[key] = value
            elif value != values.get(key):
                county_values.setdefault(key, {})[county] = value
    return Env(year=year, values=values, county_values=county_values)


def _measures(county_toolboxes: Mapping[str, Any] | None) -> list[d.Measure]:
    out = list(d.MEASURES)
    for tb in (county_toolboxes or {}).values():
        out.extend(tb.local_measures)
    return out


# --- facts -------------------------------------------------------------------------------------------


def _tiers(quintiles: pl.DataFrame, env: Env) -> pl.DataFrame:
    """``household_id, quintile, tier``: the tier given (C03 may have moved it), else C02's of the quintile."""
    missing = [c for c in ("household_id", "quintile") if c not in quintiles.columns]
    if missing:
        raise ValueError(
            f"五等份分组表缺少列 {missing}（应有 household_id, quintile[, tier]）/ quintile frame lacks columns"
        )
    q = quintiles.select(
        pl.col("household_id").cast(pl.Utf8),
        pl.col("quintile").cast(pl.Utf8),
        (pl.col("tier").cast(pl.Utf8) if "tier" in quintiles.columns else pl.lit(None, pl.Utf8)).alias(
            "tier"
        ),
    )
    mapping = env.value("C02.tier_of_quintile")
    q = q.with_columns(
        pl.col("tier").fill_null(
            pl.col("quintile").replace_strict(dict(mapping), default=None, return_dtype=pl.Utf8)
        )
    )
    return q.unique("household_id", keep="first")


def _operating_income(pop: Population, year: int) -> pl.DataFrame:
    """Gross operating income of ``year``: the whole-year row, else the latest cumulative quarter."""
    inc = pop.income.filter(pl.col("year") == year)
    return (
        inc.with_columns(pl.col("quarter").fill_null(5).alias("_q"))
        .sort("_q")
        .group_by("household_id")
        .agg(pl.col("operating_gross").last().alias("operating_income"))
    )


def _apply(frame: pl.LazyFrame, exprs: Mapping[str, Expr], env: Env) -> pl.LazyFrame:
    """Add derived columns in order (a later one may read an earlier one), lazily."""
    for name, expr in exprs.items():
        frame = frame.with_columns(compile_polars(expr, env).alias(name))
    return frame


def _blank_to_null(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Empty text is a missing value (the registry stores blank enumerations as ``""``)."""
    text = pl.col(pl.Utf8)
    return frame.with_columns(pl.when(text.str.len_bytes() == 0).then(None).otherwise(text).name.keep())


def guarantee_frame(pop: Population, env: Env) -> pl.DataFrame:
    """T14's facts (:data:`definitions.GUARANTEE_FACTS`) as C03 reads them, one row per household
    with an unmet guarantee or a 住建 grade (the others take the defaults of ``GUARANTEE_FACTS``).

    ``zengshou.tiers.rules.guarantee_counts`` decides dropouts (compulsory-school age, member sheet or
    教育 feed), unsafe housing (家庭 sheet or 住建 grade C/D), unsafe water and the uninsured, as the
    tier's C03 reasons and the M03g/M03h alerts do.
    """
    from zengshou.tiers.rules import guarantee_counts

    key = "compulsory_school_age"
    ages = ParameterSet({key: Parameter(key, [DatedValue(dt.date(env.year, 1, 1), env.value(key))])})
    return guarantee_counts(pop, env.year, ages).select(
        "household_id", "dropouts", "uninsured", "housing_unsafe", "water_unsafe", "housing_grade"
    )


def build_facts(pop: Population, quintiles: pl.DataFrame, env: Env) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Household and member facts for the year of ``env`` (see :func:`facts`); one lazy plan.

    T14's 三保障 facts come from C03 (:func:`guarantee_frame`), department feeds included when the
    population carries them (``zengshou.monitor.feeds.population_from_database`` loads them).
    """
    households = _blank_to_null(pop.households.lazy()).with_columns(
        pl.col("village_code").str.slice(0, 6).alias("county_code")
    )
    counties = households.select("household_id", "county_code")
    members = _blank_to_null(pop.members.lazy()).join(counties, on="household_id", how="left")
    members = _apply(members, d.MEMBER_FACTS, env).collect(engine=ENGINE).lazy()
    parts = [compile_polars_agg(n, e, env) for n, e in d.HOUSEHOLD_AGGREGATES.items()]
    aggregates = (
        members.select("household_id", *[row for row, _ in parts])
        .group_by("household_id")
        .agg([agg for _, agg in parts])
    )
    villages = pop.villages.lazy().select("village_code", "collective_income_10k")
    hh_lf = (
        households.join(_tiers(quintiles, env).lazy(), on="household_id", how="left")
        .join(_operating_income(pop, env.year).lazy(), on="household_id", how="left")
        .join(villages, on="village_code", how="left")
        .join(aggregates, on="household_id", how="left")
        .with_columns([pl.col(n).fill_null(0) for n in d.HOUSEHOLD_AGGREGATES])
        .join(guarantee_frame(pop, env).lazy(), on="household_id", how="left")
        .with_columns([pl.col(n).fill_null(v) for n, v in d.GUARANTEE_FACTS.items()])
    )
    hh_lf = _apply(hh_lf, d.HOUSEHOLD_FACTS, env).with_columns(_applies(d.SCOPE, env).alias("in_scope"))
    hh = hh_lf.collect(engine=ENGINE)
    cols = [c for c in _HOUSEHOLD_COLUMNS_FOR_MEMBERS if c != "county_code"]
    mem = members.join(hh.lazy().select("household_id", *cols), on="household_id", how="left").collect(
        engine=ENGINE
    )
    return hh, mem


def facts(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    params: ParameterSet | None = None,
    county_toolboxes: Mapping[str, Any] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(household_facts, member_facts)``: the catalogue's working definitions as columns.

    ``quintiles`` has ``household_id, quintile`` and optionally ``tier`` (from
    ``zengshou.tiers.classify``); without ``tier`` C02 maps the quintile. Ages are completed years
    on 31 December of ``year``. Member facts carry the household columns member rules read.
    """
    return build_facts(pop, quintiles, make_env(params, year, county_toolboxes))


# --- evaluation ------------------------------------------------------------------------------------


def _applies(measure: d.Measure, env: Env) -> pl.Expr:
    out = pl.lit(True)
    for c in measure.conditions:
        out = out & compile_polars(c.expr, env).fill_null(False)
    return out


def _fmt_value(name: str) -> pl.Expr:
    """The text of a fact's value as an official reads it (是/否, 2, 1.5, 未填)."""
    fact = d.FACTS.get(name) or d.Fact(name, name)
    c = pl.col(name)
    if fact.kind == "bool":
        b = c.cast(pl.Boolean)
        text = pl.when(b.is_null()).then(None).when(b).then(pl.lit("是")).otherwise(pl.lit("否"))
    elif fact.kind == "num":
        f = c.cast(pl.Float64)
        text = (
            pl.when(f == f.round(0)).then(f.cast(pl.Int64).cast(pl.Utf8)).otherwise(f.round(2).cast(pl.Utf8))
        )
    else:
        text = c.cast(pl.Utf8)
    return text.fill_null(pl.lit("未填"))


def _fact_text(name: str) -> pl.Expr:
    fact = d.FACTS.get(name) or d.Fact(name, name)
    parts = [pl.lit(fact.label + " "), _fmt_value(name)]
    if fact.unit:
        parts.append(pl.when(pl.col(name).is_null()).then(pl.lit("")).otherwise(pl.lit(" " + fact.unit)))
    return pl.concat_str(parts)


def _reason(measure: d.Measure) -> pl.Expr:
    shown: list[str] = []
    for c in measure.conditions:
        shown.extend(s for s in c.shows if s not in shown)
    if not shown:
        return pl.lit(measure.code)
    return pl.concat_str(
        [pl.lit(measure.code + "："), pl.concat_str([_fact_text(s) for s in shown], separator="；")]
    )


def _evaluate_frames(
    hh: pl.DataFrame, mem: pl.DataFrame, env: Env, measures: Sequence[d.Measure], reasons: bool = True
) -> pl.DataFrame:
    """One lazy query per measure over the shared flagged frames, collected together.

    ``reasons=False`` leaves the reason text out (what-if compares applicability and amounts only).
    """
    parts: list[pl.LazyFrame] = []
    for level, frame in (("household", hh), ("member", mem)):
        chosen = [m for m in measures if m.level == level]
        if not chosen:
            continue
        flagged = frame.lazy().with_columns([_applies(m, env).alias(f"__{m.code}") for m in chosen])
        for m in chosen:
            amount = compile_polars(m.amount, env).cast(pl.Float64) if m.amount is not None else pl.lit(None)
            income = (
                pl.when(_one_off(m, env)).then(None).otherwise(amount)
                if m.to_household and m.amount is not None
                else pl.lit(None)
            )
            parts.append(
                flagged.filter(pl.col(f"__{m.code}")).select(
                    pl.col("household_id"),
                    pl.lit(m.code).alias("code"),
                    (pl.col("id_number") if level == "member" else pl.lit(None, pl.Utf8)).alias("id_number"),
                    amount.cast(pl.Float64).alias("amount"),
                    pl.lit("、".join(m.units)).alias("units"),
                    (_reason(m) if reasons else pl.lit(None, pl.Utf8)).alias("reason"),
                    pl.col("county_code"),
                    pl.lit(m.to_household).alias("to_household"),
                    income.cast(pl.Float64).alias("income_effect"),
                )
            )
    if not parts:
        return pl.DataFrame(schema=FULL_SCHEMA)
    out = pl.concat([p.select([pl.col(k).cast(t) for k, t in FULL_SCHEMA.items()]) for p in parts]).collect(
        engine=ENGINE
    )
    return out.with_columns(
        pl.when(pl.col(c) == 0).then(None).otherwise(pl.col(c)).alias(c) for c in ("amount", "income_effect")
    ).sort("household_id", "code", "id_number", nulls_last=False)


def _one_off(measure: d.Measure, env: Env) -> pl.Expr:
    """Whether the measure's amount is paid once (``<code>.one_off``, per county); false without the key."""
    key = f"{measure.code}.one_off"
    if key not in env.values:
        return pl.lit(False)
    return compile_polars(Param(key), env).cast(pl.Boolean).fill_null(False)


def evaluate_full(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
) -> pl.DataFrame:
    """:func:`evaluate` plus ``county_code``, ``to_household`` (whether the amount is the household's)
    and ``income_effect`` (the amount counted as yearly household income: not one-off amounts)."""
    env = make_env(params, year, county_toolboxes)
    hh, mem = build_facts(pop, quintiles, env)
    return _evaluate_frames(hh, mem, env, _measures(county_toolboxes))


def evaluate(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
) -> pl.DataFrame:
    """Every applicable measure: ``household_id, code, id_number, amount, units, reason``.

    ``id_number`` is set for person-level measures and null for household ones; ``amount`` is null
    where the texts name no amount. ``county_toolboxes`` (county code → :class:`CountyToolbox`)
    switch measures off, override parameters or add local measures per county (W01).
    """
    return evaluate_full(pop, quintiles, year, county_toolboxes, params).select(list(RESULT_SCHEMA))


def measures_table(results: pl.DataFrame) -> pl.DataFrame:
    """The 帮扶措施 result table of the interchange spec from :func:`evaluate`'s frame."""
    return results.select(
        pl.col("household_id").alias("户编号"),
        pl.col("code").alias("措施代码"),
        pl.col("id_number").alias("证件号码"),
        pl.col("amount").round(2).alias("金额(元)"),
        pl.col("units").alias("责任单位"),
        pl.col("reason").alias("依据"),
    )


def cost_summary(results: pl.DataFrame, by: Sequence[str] = ("county_code", "code")) -> pl.DataFrame:
    """Plan cost (sum of amounts) and counts grouped by county, measure or lead unit.

    ``lead_unit`` is the first responsible unit of a measure, so a cost is counted once.
    """
    frame = results
    if "lead_unit" in by:
        frame = frame.with_columns(pl.col("units").str.split("、").list.first().alias("lead_unit"))
    return (
        frame.group_by(list(by))
        .agg(
            pl.col("household_id").n_unique().alias("households"),
            pl.len().alias("items"),
            pl.col("amount").fill_null(0).sum().alias("cost"),
        )
        .sort(list(by))
    )


# --- explanation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    code: str
    title: str
    applies: bool
    text: str
    id_number: str | None = None
    amount: float | None = None
    units: str = ""


def _value_text(name: str, value: Any) -> str:
    fact = d.FACTS.get(name) or d.Fact(name, name)
    if value is None:
        shown = "未填"
    elif fact.kind == "bool":
        shown = "是" if value else "否"
    elif isinstance(value, float) and value == int(value):
        shown = str(int(value))
    else:
        shown = str(value)
    return f"{fact.label} {shown}" + (f" {fact.unit}" if fact.unit and value is not None else "")


#: A ``{parameter.key}`` placeholder of a requirement or note, optionally ``|range`` (6—16) or ``|%`` (10%).
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)(?:\|(range|%))?\}")


def _number(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v == int(v) else str(v)


def render(template: str, env: Env, county: str | None = None) -> str:
    """Fill ``{parameter.key}`` placeholders with the values in force (lists joined by 、)."""

    def sub(m: re.Match[str]) -> str:
        v = env.value(m.group(1), county)
        if m.group(2) == "range" and isinstance(v, list | tuple) and len(v) == 2:
            return f"{_number(v[0])}—{_number(v[1])}"
        if m.group(2) == "%" and isinstance(v, int | float):
            return f"{_number(round(v * 100, 4))}%"
        if isinstance(v, list | tuple):
            return "、".join(str(x) for x in v)
        return _number(v)

    return PLACEHOLDER.sub(sub, template)


def text_keys(measure: d.Measure) -> set[str]:
    """Parameters named only in a measure's texts (requirements, amount note)."""
    texts = [c.requirement for c in measure.conditions] + [measure.amount_note]
    return {m.group(1) for t in texts for m in PLACEHOLDER.finditer(t)}


def _explain_rows(frame: pl.DataFrame, measure: d.Measure, env: Env) -> list[Explanation]:
    cond_cols = [
        compile_polars(c.expr, env).fill_null(False).alias(f"__c{i}")
        for i, c in enumerate(measure.conditions)
    ]
    amount = (
        compile_polars(measure.amount, env).cast(pl.Float64) if measure.amount is not None else pl.lit(None)
    )
    rows = frame.with_columns(*cond_cols, amount.cast(pl.Float64).alias("__amount")).to_dicts()
    out = []
    for row in rows:
        county = row.get("county_code")
        who = row.get("id_number") if measure.level == "member" else None
        prefix = measure.code
        if who:
            from zengshou.registry.idnumber import mask

            prefix += f"（{mask(who)}）"
        failed = [c for i, c in enumerate(measure.conditions) if not row[f"__c{i}"]]
        if failed:
            pieces = []
            for c in failed:
                facts_text = "，".join(_value_text(s, row.get(s)) for s in c.shows)
                req = render(c.requirement, env, county)
                pieces.append(f"{facts_text}，条件为{req}" if facts_text else f"条件为{req}")
            text = f"{prefix} 不适用：" + "；".join(pieces)
            out.append(Explanation(measure.code, measure.title, False, text, who))
            continue
        shown: list[str] = []
        for c in measure.conditions:
            shown.extend(s for s in c.shows if s not in shown)
        reqs = "；".join(render(c.requirement, env, county) for c in measure.conditions if c.shows)
        facts_text = "，".join(_value_text(s, row.get(s)) for s in shown)
        amt = row["__amount"] or None
        text = f"{prefix} 适用（{measure.title}）：{facts_text}；条件为{reqs}"
        if amt:
            text += f"；金额 {amt:g} 元"
        if measure.amount_note:
            text += f"；{render(measure.amount_note, env, county)}"
        out.append(Explanation(measure.code, measure.title, True, text, who, amt, "、".join(measure.units)))
    return out


def explain_frames(
    household_id: str, hh: pl.DataFrame, mem: pl.DataFrame, env: Env, measures: Sequence[d.Measure]
) -> list[Explanation]:
    one = hh.filter(pl.col("household_id") == household_id)
    if one.height == 0:
        raise KeyError(f"户编号 {household_id} 不存在 / no household {household_id!r}")
    people = mem.filter(pl.col("household_id") == household_id).with_columns(
        pl.lit(one["county_code"][0]).alias("county_code")
    )
    out = _explain_rows(one, d.SCOPE, env)
    county = one["county_code"][0]
    for m in measures:
        if m.county and m.county != county:
            continue
        out.extend(_explain_rows(one if m.level == "household" else people, m, env))
    return out


def explain(
    household_id: str,
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
) -> list[Explanation]:
    """Why each measure applies to a household or not, down to facts and parameter values.

    Person-level measures give one explanation per member. The first entry is the scope rule L00.
    """
    env = make_env(params, year, county_toolboxes)
    pop1 = _one_household(pop, household_id)
    q = quintiles.filter(pl.col("household_id") == household_id)
    hh, mem = build_facts(pop1, q, env)
    return explain_frames(household_id, hh, mem, env, _measures(county_toolboxes))


def _one_household(pop: Population, household_id: str) -> Population:
    hh = pop.households.filter(pl.col("household_id") == household_id)
    return Population(
        households=hh,
        members=pop.members.filter(pl.col("household_id") == household_id),
        income=pop.income.filter(pl.col("household_id") == household_id),
        villages=pop.villages.filter(pl.col("village_code").is_in(hh["village_code"].to_list())),
        cadres=pop.cadres,
        feeds=pop.feeds,
    )


# --- what-if ---------------------------------------------------------------------------------------


def parse_value(params: ParameterSet, key: str, raw: Any, year: int) -> Any:
    """A what-if value typed like the parameter's current value (``3000`` → int, ``否`` → False)."""
    current = params.for_year(key, year)
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    try:
        if isinstance(current, bool):
            if text.lower() in ("1", "true", "yes", "y", "是", "on"):
                return True
            if text.lower() in ("0", "false", "no", "n", "否", "off"):
                return False
            raise ValueError(text)
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, list | tuple):
            items = [v.strip() for v in text.replace("，", ",").replace("、", ",").split(",") if v.strip()]
            if current and all(isinstance(v, int) and not isinstance(v, bool) for v in current):
                return [int(v) for v in items]  # compulsory_school_age: 6,17
            return items
    except ValueError:
        raise ParameterError(
            f"参数 {key} 的取值 {raw!r} 类型不符（应与当前值 {current!r} 同类）/ value has the wrong type"
        ) from None
    return text


@dataclass
class WhatIfResult:
    year: int
    changes: dict[str, Any]
    base: pl.DataFrame
    scenario: pl.DataFrame
    by_measure: pl.DataFrame
    by_county: pl.DataFrame
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: Changed keys that no rule reads (text only, income effect only, or nothing): the result is unchanged by them.
    warnings: list[str] = field(default_factory=list)


_KEY = ["household_id", "code", "id_number"]


def compare(base: pl.DataFrame, scenario: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Households gained and lost per measure, and the cost change by county."""
    b = base.with_columns(pl.col("id_number").fill_null(""))
    s = scenario.with_columns(pl.col("id_number").fill_null(""))
    gained = s.join(b.select(_KEY), on=_KEY, how="anti")
    lost = b.join(s.select(_KEY), on=_KEY, how="anti")

    def per_code(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("code").agg(pl.col("household_id").n_unique().alias(name))

    def cost(frame: pl.DataFrame, by: str, name: str) -> pl.DataFrame:
        return frame.group_by(by).agg(pl.col("amount").fill_null(0).sum().alias(name))

    codes = pl.concat([b.select("code"), s.select("code")]).unique()
    by_measure = (
        codes.join(per_code(b, "households_before"), on="code", how="left")
        .join(per_code(s, "households_after"), on="code", how="left")
        .join(per_code(gained, "gained"), on="code", how="left")
        .join(per_code(lost, "lost"), on="code", how="left")
        .join(cost(b, "code", "cost_before"), on="code", how="left")
        .join(cost(s, "code", "cost_after"), on="code", how="left")
        .fill_null(0)
        .with_columns((pl.col("cost_after") - pl.col("cost_before")).alias("cost_change"))
        .sort("code")
    )
    counties = pl.concat([b.select("county_code"), s.select("county_code")]).unique()
    by_county = (
        counties.join(cost(b, "county_code", "cost_before"), on="county_code", how="left")
        .join(cost(s, "county_code", "cost_after"), on="county_code", how="left")
        .fill_null(0)
        .with_columns((pl.col("cost_after") - pl.col("cost_before")).alias("cost_change"))
        .with_columns(
            pl.col("county_code")
            .replace_strict(_county_names(), default=pl.col("county_code"))
            .alias("county_name")
        )
        .sort("county_code")
    )
    return by_measure, by_county


def _county_names() -> dict[str, str]:
    from zengshou.registry.areas import counties

    return {c.code: c.name for c in counties()}


_FACT_PARAMS: set[str] = set()
for _e in [*d.MEMBER_FACTS.values(), *d.HOUSEHOLD_AGGREGATES.values(), *d.HOUSEHOLD_FACTS.values()]:
    _FACT_PARAMS |= params_in(_e)
for _c in d.SCOPE.conditions:
    _FACT_PARAMS |= params_in(_c.expr)
_FACT_PARAMS.add("C02.tier_of_quintile")
_FACT_PARAMS |= set(SHARED_PARAMS)  # compulsory_school_age: T14's dropouts (guarantee_frame)


def _reads(measure: d.Measure) -> set[str]:
    keys: set[str] = set()
    for c in measure.conditions:
        keys |= params_in(c.expr)
    if measure.amount is not None:
        keys |= params_in(measure.amount)
    return keys


def _family(prefix: str, measures: Iterable[d.Measure]) -> list[d.Measure]:
    """Measures a key prefix names: the code itself, or its family (``L04`` → L04a, L04b)."""
    return [m for m in measures if prefix in (m.code, re.sub(r"[a-z]$", "", m.code))]


def check_keys(params: ParameterSet, keys: Iterable[str], measures: Sequence[d.Measure]) -> None:
    """Raise for a what-if key that is no parameter, naming the valid keys of the measure it names."""
    for key in keys:
        if key in params.params:
            continue
        prefix = key.split(".", 1)[0]
        family = _family(prefix, measures)
        valid = {k for k in params.params if k.split(".", 1)[0] == prefix}
        for m in family:
            valid |= (_reads(m) | text_keys(m)) & set(params.params)
        if valid:
            hint = f"{prefix} 的参数有 / valid keys of {prefix}: {', '.join(sorted(valid))}"
        else:
            prefixes = sorted({k.split(".", 1)[0] for k in params.params})
            hint = f"没有 {prefix} 这一措施；可用的前缀 / known prefixes: {', '.join(prefixes)}"
        raise ParameterError(f"未定义参数 {key} / unknown parameter {key!r}。{hint}")


def unread_warnings(keys: Iterable[str], measures: Sequence[d.Measure]) -> list[str]:
    """A warning for each key no rule reads: changing it cannot change households or costs."""
    read = set(_FACT_PARAMS)
    texts: set[str] = set()
    for m in (d.SCOPE, *measures):
        read |= _reads(m)
        texts |= text_keys(m)
    out = []
    for key in keys:
        if key in read:
            continue
        if key.endswith(".one_off"):
            out.append(
                f"{key} 只决定计划的预计年增收是否计入该金额，不改变适用户数和费用"
                f" / {key} only affects the plans' income effect, not households or costs"
            )
        elif key in texts:
            out.append(
                f"没有规则读取 {key}：它只出现在措施说明文字中，适用户数和费用不变"
                f" / no rule reads {key}; it only appears in explanation texts"
            )
        else:
            out.append(
                f"没有规则读取 {key}，适用户数和费用不变 / no rule reads {key}; the result is unchanged"
            )
    return out


def whatif(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    changes: Mapping[str, Any],
    county_toolboxes: Mapping[str, Any] | None = None,
    params: ParameterSet | None = None,
) -> WhatIfResult:
    """Evaluate the population under the parameters in force and with ``changes`` from 1 January of
    ``year``; report households gained and lost per measure and the cost change by county.

    A county that overrides a changed parameter in its own toolbox keeps its own value. An unknown
    key raises :class:`ParameterError` naming the valid keys of its measure; a key no rule reads is
    evaluated (nothing changes) and named in ``warnings``.
    """
    import time

    start = time.perf_counter()
    base_ps = with_shared_params(params or shipped_params())
    measures = _measures(county_toolboxes)
    check_keys(base_ps, changes, measures)
    changed = base_ps
    typed: dict[str, Any] = {}
    for key, raw in changes.items():
        value = parse_value(base_ps, key, raw, year)
        typed[key] = value
        changed = changed.with_value(key, value, dt.date(year, 1, 1))
    env_b = make_env(base_ps, year, county_toolboxes)
    env_s = make_env(changed, year, county_toolboxes)
    hh_b, mem_b = build_facts(pop, quintiles, env_b)
    base = _evaluate_frames(hh_b, mem_b, env_b, measures, reasons=False)
    if _FACT_PARAMS & set(typed):
        del hh_b, mem_b  # the scenario derives its own facts; keep one set in memory at a time
        hh_s, mem_s = build_facts(pop, quintiles, env_s)
        scenario = _evaluate_frames(hh_s, mem_s, env_s, measures, reasons=False)
    else:
        touched = [m for m in measures if _reads(m) & set(typed)]
        codes = [m.code for m in touched]
        scenario = pl.concat(
            [
                base.filter(~pl.col("code").is_in(codes)),
                _evaluate_frames(hh_b, mem_b, env_s, touched, reasons=False),
            ]
        )
    by_measure, by_county = compare(base, scenario)
    notes = [
        f"{county} 的工具箱自定 {key}，沿用本县取值"
        for key in typed
        for county in (env_b.county_values.get(key) or {})
    ]
    return WhatIfResult(
        year,
        typed,
        base,
        scenario,
        by_measure,
        by_county,
        time.perf_counter() - start,
        notes,
        unread_warnings(typed, measures),
    )


def toolbox_whatif(
    pop: Population,
    quintiles: pl.DataFrame,
    year: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    params: ParameterSet | None = None,
) -> WhatIfResult:
    """What replacing the county toolboxes ``before`` by ``after`` changes in ``year``: households
    gained and lost per measure and the cost change by county, shown before a county saves its edit.

    Like :func:`whatif`, the facts are derived once and only the measures that read a changed key are
    re-evaluated, unless a changed key feeds the facts or the local measures themselves differ.
    """
    import time

    start = time.perf_counter()
    ps = with_shared_params(params or shipped_params())
    env_b = make_env(ps, year, before)
    env_s = make_env(ps, year, after)
    keys = set(env_b.values) | set(env_s.values) | set(env_b.county_values) | set(env_s.county_values)
    changed = {
        k
        for k in keys
        if env_b.values.get(k) != env_s.values.get(k)
        or env_b.county_values.get(k) != env_s.county_values.get(k)
    }
    measures_b, measures_s = _measures(before), _measures(after)
    hh_b, mem_b = build_facts(pop, quintiles, env_b)
    base = _evaluate_frames(hh_b, mem_b, env_b, measures_b, reasons=False)
    if measures_b != measures_s or _FACT_PARAMS & changed:
        del hh_b, mem_b
        hh_s, mem_s = build_facts(pop, quintiles, env_s)
        scenario = _evaluate_frames(hh_s, mem_s, env_s, measures_s, reasons=False)
    else:
        touched = [m for m in measures_s if (_reads(m) | {f"{m.code}.one_off"}) & changed]
        codes = [m.code for m in touched]
        scenario = pl.concat(
            [
                base.filter(~pl.col("code").is_in(codes)),
                _evaluate_frames(hh_b, mem_b, env_s, touched, reasons=False),
            ]
        )
    by_measure, by_county = compare(base, scenario)
    return WhatIfResult(
        year,
        {k: None for k in sorted(changed)},
        base,
        scenario,
        by_measure,
        by_county,
        time.perf_counter() - start,
    )


__all__ = [
    "RESULT_SCHEMA",
    "Explanation",
    "WhatIfResult",
    "build_facts",
    "check_keys",
    "cost_summary",
    "evaluate",
    "evaluate_full",
    "explain",
    "facts",
    "guarantee_frame",
    "make_env",
    "measures_table",
    "toolbox_whatif",
    "whatif",
]
