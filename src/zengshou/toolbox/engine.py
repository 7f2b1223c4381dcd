"""The polars runner of the toolbox: evaluation, the 帮扶措施 table, explanation and what-if.

All work is columnar: each measure is one filter over the facts of every household and member
(:mod:`zengshou.rules.compute`, computed once). The rule definitions themselves
(:mod:`zengshou.toolbox.definitions`) know nothing of polars.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from zengshou.frames import Population
from zengshou.params import ParameterError, ParameterSet
from zengshou.rules import compute as rc
from zengshou.rules import facts as rf
from zengshou.rules.clauses import citation, quote
from zengshou.rules.dsl import (
    BinOp,
    Col,
    Condition,
    Env,
    Expr,
    FillNull,
    NotInForce,
    Param,
    columns_in,
    compile_polars,
    params_in,
)
from zengshou.rules.text import fact_expr, placeholders, render, value_text, yuan
from zengshou.toolbox import definitions as d

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

ENGINE = rc.ENGINE


def shipped_params() -> ParameterSet:
    """The toolbox's section of the parameter tree, plus the keys its facts read from other sections
    (C03's school ages for T14's dropouts, L00's working definitions): one definition, read by both."""

    return with_fact_params(ParameterSet.shipped("toolbox"))


def with_fact_params(ps: ParameterSet) -> ParameterSet:
    """``ps`` with any key the facts read that it lacks, taken from the shipped tree."""
    from zengshou.params import tree

    missing = [k for k in sorted(_FACT_PARAMS) if k not in ps.params]
    if not missing:
        return ps
    whole = tree()
    return ParameterSet({**ps.params, **{k: whole.get(k) for k in missing}})


# --- environment ---------------------------------------------------------------------------------


def make_env(
    params: ParameterSet | None,
    year: int,
    county_toolboxes: Mapping[str, Any] | None = None,
) -> Env:
    """Parameter values in force at the end of ``year``, regional and per county (W01)."""
    ps = with_fact_params(params or shipped_params())
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


def build_facts(pop: Population, quintiles: pl.DataFrame, env: Env) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Household and member facts with the classification, for the year of ``env`` (see :func:`facts`)."""
    known = rc.classified(rc.compute(pop, env), quintiles)
    known.require()
    return known.households, known.members


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


def _fact_text(name: str) -> pl.Expr:
    return fact_expr(rf.fact(name))


# --- what a reason shows -------------------------------------------------------------------------

#: The three tiers of C02: a tier condition naming all three holds for every tiered household.
ALL_TIERS = frozenset({"示范引领户", "巩固提升户", "风险防范户"})


def _tiers_key(c: Condition) -> str | None:
    keys = params_in(c.expr)
    key = next(iter(keys)) if len(keys) == 1 else None
    return key if key and key.endswith(".tiers") and columns_in(c.expr) == {"tier"} else None


def always_holds(c: Condition, measure: d.Measure, env: Env, county: str | None = None) -> bool:
    """Whether a condition that holds tells an official nothing of the household, so it is not listed:
    the county's switch (``<code>.enabled``), the low-income plan's scope (the L00 entry states it),
    and a tier condition naming every tier."""
    if not columns_in(c.expr) and params_in(c.expr) == {f"{measure.code}.enabled"}:
        return True
    if isinstance(c.expr, Col) and c.expr.name == "in_scope":
        return True
    key = _tiers_key(c)
    if key is None:
        return False
    if county is None and key in env.county_values:
        return False
    try:
        return ALL_TIERS <= set(env.value(key, county) or ())
    except Exception:  # a key not in force: the condition is not known to hold
        return False


def _operands(expr: Expr) -> list[Expr]:
    """The parts of an ``or`` (any of which makes the condition hold)."""
    if isinstance(expr, FillNull) and isinstance(expr.arg, BinOp) and expr.arg.op == "or":
        expr = expr.arg
    if isinstance(expr, BinOp) and expr.op == "or":
        return _operands(expr.left) + _operands(expr.right)
    return [expr]


def _deps(name: str, depth: int = 3) -> set[str]:
    """A column and the columns its fact is computed from."""
    found = {name}
    fact = rf.FACTS.get(name)
    if fact is not None and fact.expr is not None and depth:
        for c in columns_in(fact.expr):
            found |= _deps(c, depth - 1)
    return found


def _direct(name: str) -> set[str]:
    fact = rf.FACTS.get(name)
    return columns_in(fact.expr) if fact is not None and fact.expr is not None else set()


def _part_shows(c: Condition, part: Expr) -> list[str]:
    """The facts that show why one part of an ``or`` holds: the condition's shown facts the part
    reads (or that read only what it reads), then any other fact it reads directly."""
    read = columns_in(part)
    used: set[str] = set()
    for name in read:
        used |= _deps(name)
    chosen = [s for s in c.shows if s in used or (_direct(s) and _direct(s) <= used)]
    covered = set(chosen).union(*(_deps(s) for s in chosen))
    extra = sorted(n for n in read if n in rf.FACTS and n not in covered and not (_deps(n) & set(chosen)))
    return chosen + extra


def shown_facts(c: Condition) -> list[tuple[str, list[Expr]]]:
    """Each fact a holding condition shows, with the parts of its ``or`` one of which must hold for
    the fact to be shown (empty: always shown), so a reason names the facts that made it apply."""
    parts = _operands(c.expr)
    if len(parts) < 2:
        return [(s, []) for s in c.shows]
    out: dict[str, list[Expr]] = {}
    for part in parts:
        for s in _part_shows(c, part):
            out.setdefault(s, []).append(part)
    order = [s for s in c.shows if s in out] + [s for s in out if s not in c.shows]
    return [(s, out[s]) for s in order]


def plain_requirements(
    measure: d.Measure, env: Env, county: str | None = None, assumed: frozenset[str] = frozenset()
) -> str:
    """What a measure without a shown fact requires (its scope or tiers), for a reason to say."""
    return "；".join(
        render(c.requirement, env, county, assumed)
        for c in measure.conditions
        if params_in(c.expr) != {f"{measure.code}.enabled"} or columns_in(c.expr)
    )


def _reason(measure: d.Measure, env: Env) -> pl.Expr:
    pieces: list[pl.Expr] = []
    seen: set[str] = set()
    for c in measure.conditions:
        if always_holds(c, measure, env):
            continue
        for name, parts in shown_facts(c):
            if name in seen:
                continue
            seen.add(name)
            text = _fact_text(name)
            if parts:
                holds = pl.any_horizontal([compile_polars(p, env).fill_null(False) for p in parts])
                text = pl.when(holds).then(text)
            pieces.append(text)
    if not pieces:
        return pl.lit(f"{measure.code}：{plain_requirements(measure, env)}")
    return pl.concat_str(
        [pl.lit(measure.code + "："), pl.concat_str(pieces, separator="；", ignore_nulls=True)]
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
                    (_reason(m, env) if reasons else pl.lit(None, pl.Utf8)).alias("reason"),
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
    facts: rc.Facts | None = None,
) -> pl.DataFrame:
    """:func:`evaluate` plus ``county_code``, ``to_household`` (whether the amount is the household's)
    and ``income_effect`` (the amount counted as yearly household income: not one-off amounts).

    ``facts`` are the run's facts (computed with the same parameters); computed here when absent.
    """
    env = make_env(params, year, county_toolboxes)
    if facts is None:
        hh, mem = build_facts(pop, quintiles, env)
    else:
        known = rc.classified(facts, quintiles, env)
        known.require()
        hh, mem = known.households, known.members
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
    """Why a measure applies to a household or one member, or not, as an official reads it.

    ``who`` names a member by relation and age (户主，52岁), never by ID number; ``clause`` cites
    the plan's clause (低收入组方案 二（九）) and ``quote`` is the sentence of it the rule applies.
    """

    code: str
    title: str
    applies: bool
    text: str
    id_number: str | None = None
    amount: float | None = None
    units: str = ""
    who: str = ""
    clause: str = ""
    quote: str = ""


def _value_text(name: str, value: Any) -> str:
    return value_text(rf.fact(name), value)


def text_keys(measure: d.Measure) -> set[str]:
    """Parameters named only in a measure's texts (requirements, amount note)."""
    texts = [c.requirement for c in measure.conditions] + [measure.amount_note]
    return {k for t in texts for k in placeholders(t)}


def member_name(row: Mapping[str, Any]) -> str:
    """A member as officials name one on a page: relation and age (``户主，52岁``)."""
    relation = row.get("relation") or "成员"
    age = row.get("age")
    return f"{relation}，{int(age)}岁" if isinstance(age, int | float) else str(relation)


def member_label(relation: str | None, id_number: str | None, year: int) -> str:
    """:func:`member_name` from a stored member: the age is read from the ID number, as the facts do."""
    digits = (id_number or "")[6:10]
    age = year - int(digits) if digits.isdigit() else None
    return member_name({"relation": relation, "age": age})


def assumed_keys(params: ParameterSet) -> frozenset[str]:
    """Parameters no published figure backs (``assumption: true``): their shown values are marked."""
    return frozenset(k for k, p in params.params.items() if p.assumption)


def _assumed_here(assumed: frozenset[str], env: Env, county: str | None) -> frozenset[str]:
    """Assumed keys whose value in force is still the assumed one (a county's own value is not)."""
    if not county:
        return assumed
    return frozenset(k for k in assumed if county not in (env.county_values.get(k) or {}))


def _explain_rows(
    frame: pl.DataFrame, measure: d.Measure, env: Env, assumed: frozenset[str] = frozenset()
) -> list[Explanation]:
    cond_cols = [
        compile_polars(c.expr, env).fill_null(False).alias(f"__c{i}")
        for i, c in enumerate(measure.conditions)
    ]
    shows = [shown_facts(c) for c in measure.conditions]
    parts = {id(p): p for cond in shows for _, ps in cond for p in ps}
    part_cols = [compile_polars(p, env).fill_null(False).alias(f"__p{k}") for k, p in parts.items()]
    amount = (
        compile_polars(measure.amount, env).cast(pl.Float64) if measure.amount is not None else pl.lit(None)
    )
    rows = frame.with_columns(*cond_cols, *part_cols, amount.cast(pl.Float64).alias("__amount")).to_dicts()
    clause = citation(measure.code, measure.clause.split("；")[0])
    quoted = quote(measure.code)
    cite = f"；依据 {clause}" if clause else ""
    out = []
    for row in rows:
        county = row.get("county_code")
        marked = _assumed_here(assumed, env, county)
        member = measure.level == "member"
        who = row.get("id_number") if member else None
        name = member_name(row) if member else ""
        prefix = measure.code + (f"（{name}）" if name else "")
        failed = [c for i, c in enumerate(measure.conditions) if not row[f"__c{i}"]]
        if failed:
            pieces = []
            for c in failed:
                facts_text = "，".join(_value_text(s, row.get(s)) for s in c.shows)
                req = render(c.requirement, env, county, marked)
                pieces.append(f"{facts_text}，条件为{req}" if facts_text else f"条件为{req}")
            text = f"{prefix} 不适用：" + "；".join(pieces) + cite
            out.append(
                Explanation(
                    measure.code, measure.title, False, text, who, who=name, clause=clause, quote=quoted
                )
            )
            continue
        shown: list[str] = []
        reqs: list[str] = []
        for c, cond_shows in zip(measure.conditions, shows, strict=True):
            if always_holds(c, measure, env, county) or not c.shows:
                continue
            reqs.append(render(c.requirement, env, county, marked))
            for s, ps in cond_shows:
                if s not in shown and (not ps or any(row[f"__p{id(p)}"] for p in ps)):
                    shown.append(s)
        facts_text = "，".join(_value_text(s, row.get(s)) for s in shown)
        amt = row["__amount"] or None
        text = f"{prefix} 适用（{measure.title}）"
        if facts_text:
            text += f"：{facts_text}；条件为{'；'.join(reqs)}"
        else:
            text += f"：{plain_requirements(measure, env, county, marked)}"
        if amt:
            text += f"；金额 {yuan(amt)}"
        if measure.amount_note:
            text += f"；说明：{render(measure.amount_note, env, county, marked)}"
        text += cite
        out.append(
            Explanation(
                measure.code,
                measure.title,
                True,
                text,
                who,
                amt,
                "、".join(measure.units),
                name,
                clause,
                quoted,
            )
        )
    return out


def explain_frames(
    household_id: str,
    hh: pl.DataFrame,
    mem: pl.DataFrame,
    env: Env,
    measures: Sequence[d.Measure],
    assumed: frozenset[str] = frozenset(),
) -> list[Explanation]:
    one = hh.filter(pl.col("household_id") == household_id)
    if one.height == 0:
        raise KeyError(f"户编号 {household_id} 不存在 / no household {household_id!r}")
    people = mem.filter(pl.col("household_id") == household_id).with_columns(
        pl.lit(one["county_code"][0]).alias("county_code")
    )
    out = _explain_rows(one, d.SCOPE, env, assumed)
    county = one["county_code"][0]
    for m in measures:
        if m.county and m.county != county:
            continue
        out.extend(_explain_rows(one if m.level == "household" else people, m, env, assumed))
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

    Person-level measures give one explanation per member, named by relation and age. The first
    entry is the scope rule L00. Each cites its clause; a shown assumed parameter is marked.
    """
    ps = with_fact_params(params or shipped_params())
    env = make_env(ps, year, county_toolboxes)
    pop1 = _one_household(pop, household_id)
    q = quintiles.filter(pl.col("household_id") == household_id)
    hh, mem = build_facts(pop1, q, env)
    return explain_frames(household_id, hh, mem, env, _measures(county_toolboxes), assumed_keys(ps))


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
                return [int(v) for v in items]  # C03.compulsory_school_age: 6,17
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


_FACT_PARAMS: set[str] = {k for fact in rf.ALL_FACTS if fact.expr is not None for k in params_in(fact.expr)}
_FACT_PARAMS.add("C02.tier_of_quintile")


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
    base_ps = with_fact_params(params or shipped_params())
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
    ps = with_fact_params(params or shipped_params())
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
    "make_env",
    "measures_table",
    "member_label",
    "member_name",
    "toolbox_whatif",
    "whatif",
]
