"""M02: what is known about a household at the end of year t, as one row of numbers per household.

Everything is computed on :func:`as_of` — the population cut at 31 December of t: income rows of
later years dropped, feed rows dated later dropped, and end dates after t blanked (at the end of t
nobody knows that a job or a 低保 will end next year). That cut is the model's guard against leakage;
``tests/model/test_features.py`` changes only data of t+1 and checks that no feature of t moves.

The registry's member and household sheets carry no history: they describe the households *now*.
From them the model takes only what does not move with a shock — ages (computed for year t from the
ID number), household size, land, livestock, whether the household was registered poor
(脱贫户/脱贫不稳定户) — and takes health, disability, work and housing from the dated feeds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.income import account
from zengshou.monitor.lines import lines
from zengshou.params import ParameterSet
from zengshou.rules.employment import holds_job, job_lost_between, lost_on


@dataclass(frozen=True)
class Feature:
    name: str
    group: str  # the reason group its contribution counts towards (see zengshou.model.reasons)
    label: str  # Chinese, for the model card and drift reports


#: The model's inputs, in column order. Changing this list changes the model version's schema.
FEATURES: tuple[Feature, ...] = (
    # income level and trend (M01, M04, M05)
    Feature("pc_income", "income_level", "人均纯收入（元）"),
    Feature("line_ratio", "income_level", "人均纯收入 ÷ 当年监测范围"),
    Feature("pc_change_ratio", "income_trend", "人均纯收入同比变化率"),
    Feature("pc_change_ratio_prev", "income_trend", "上年人均纯收入同比变化率"),
    # components
    Feature("wage_pc", "wage", "人均工资性收入（元）"),
    Feature("wage_change_ratio", "wage", "工资性收入同比变化率"),
    Feature("wage_share", "wage", "工资性收入占比"),
    Feature("operating_pc", "operating", "人均经营净收入（元）"),
    Feature("operating_change_ratio", "operating", "经营净收入同比变化率"),
    Feature("operating_share", "operating", "经营净收入占比"),
    Feature("property_pc", "income_level", "人均财产净收入（元）"),
    Feature("transfer_share", "transfer", "转移净收入占比"),
    Feature("dibao_pc", "transfer", "人均低保金（元）"),
    Feature("pension_pc", "structure", "人均养老金（元）"),
    Feature("rigid_ratio", "medical", "刚性支出（医疗自付+教育）÷ 家庭纯收入"),
    Feature("consumption_ratio", "income_level", "生活消费支出 ÷ 纯收入"),
    # household (registry snapshot, stable facts only)
    Feature("size", "structure", "家庭人口"),
    Feature("children", "structure", "16岁以下人数"),
    Feature("elderly", "structure", "65岁以上人数"),
    Feature("working_age", "structure", "16–60岁人数"),
    Feature("dependency_ratio", "structure", "非劳动年龄人口占比"),
    Feature("arable_mu", "operating", "耕地面积（亩）"),
    Feature("livestock_units", "operating", "牲畜（折合牛单位）"),
    Feature("former_poor", "structure", "脱贫户或脱贫不稳定户"),
    # department feeds (M07)
    Feature("medical_self_paid", "medical", "医保个人自付（元，当年）"),
    Feature("medical_high_new", "medical", "新增高额医疗自付人数（当年达标、上年未达）"),
    Feature("medical_high", "medical", "高额医疗自付人数（当年）"),
    Feature("disability_new", "disability", "当年新办残疾证人数"),
    Feature("disability_severe_new", "disability", "当年新办重度（一、二级）残疾证人数"),
    Feature("disability_total", "disability", "持残疾证人数"),
    Feature("disability_month", "disability", "当年新办残疾证的最晚月份"),
    Feature("dibao_active", "transfer", "年末享受低保人数"),
    Feature("dibao_ended", "transfer", "当年低保终止人数"),
    Feature("temporary_assistance", "medical", "当年临时救助人数"),
    Feature("employed_end", "employment", "年末在业人数（人社）"),
    Feature("employed_change", "employment", "年末在业人数比上年末变化"),
    Feature("jobs_ended", "employment", "当年就业终止且无新就业人数"),
    Feature("job_end_month", "employment", "当年就业终止的最晚月份（越晚次年影响越大）"),
    Feature("house_unsafe", "house", "住建鉴定C/D级"),
    # village and county situation
    Feature("area_disasters", "disaster", "所在村、乡、县当年灾害次数"),
    Feature("area_disaster_loss", "disaster", "所在地区当年灾害直接经济损失（万元）"),
    Feature("area_disaster_late", "disaster", "所在地区下半年发生灾害"),
    # past alerts
    Feature("fell_now", "income_trend", "当年收入不增反降（M04）"),
    Feature("under_line_now", "income_level", "当年低于监测范围（M05）"),
    Feature("rule_alerts", "history", "当年规则预警条数（户）"),
    Feature("rule_alerts_prev", "history", "上年规则预警条数（户）"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

#: Department-signal codes of zengshou.monitor.rules that the rule baseline counts (M03d–M03k, M07).
DEPARTMENT_CODES = ("M03d", "M03e", "M03f", "M03g", "M03h", "M03i", "M03j", "M03k")


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _cut_dates(frame: pl.DataFrame, end: dt.date, start_col: str, end_col: str | None) -> pl.DataFrame:
    out = frame.filter(pl.col(start_col).is_null() | (pl.col(start_col) <= end))
    if end_col is not None and end_col in out.columns:
        out = out.with_columns(
            pl.when(pl.col(end_col) > end).then(None).otherwise(pl.col(end_col)).alias(end_col)
        )
    return out


def as_of(pop: Population, year: int) -> Population:
    """The population as known on 31 December of ``year``: nothing dated later survives."""
    end = year_end(year)
    feeds: dict[str, pl.DataFrame] = {}
    for key, given in pop.feeds.items():
        if key not in ix.FEEDS_BY_NAME:
            continue
        frame = conform(given, ix.FEEDS_BY_NAME[key])
        if key == "medical":
            feeds[key] = frame.filter(pl.col("year") <= year)
        elif key == "disability":
            feeds[key] = _cut_dates(frame, end, "issued_on", None)
        elif key == "civil":
            feeds[key] = _cut_dates(frame, end, "start_date", "end_date")
        elif key == "employment":
            # a job that ends after t was held at t: the 就业状态 it ends in (e.g. 失业) is later news too
            later = pl.col("end_date") > end
            feeds[key] = _cut_dates(
                frame.with_columns(
                    pl.when(later).then(pl.lit("就业")).otherwise(pl.col("status")).alias("status")
                ),
                end,
                "start_date",
                "end_date",
            )
        elif key == "education":
            feeds[key] = frame.filter(
                pl.col("graduation_year").is_null() | (pl.col("graduation_year") <= year)
            )
        elif key == "housing":
            feeds[key] = _cut_dates(frame, end, "assessed_on", None)
        elif key == "disaster":
            feeds[key] = frame.filter(pl.col("occurred_on") <= end)
    return Population(
        households=pop.households,
        members=pop.members,
        income=pop.income.filter(pl.col("year") <= year),
        villages=pop.villages,
        cadres=pop.cadres,
        feeds=feeds,
    )


def income_years(pop: Population) -> list[int]:
    """Years with whole-year income rows, ascending."""
    whole = pop.income.filter(pl.col("quarter").is_null())
    return sorted(int(y) for y in whole["year"].unique().drop_nulls().to_list())


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den.abs() > 0).then(num / den.abs()).otherwise(None)


def _feed(pop: Population, key: str, persons: pl.LazyFrame) -> pl.LazyFrame | None:
    """A person feed joined to its household by 证件号码 (rows that match no member dropped)."""
    frame = pop.feeds.get(key)
    if frame is None or frame.height == 0:
        return None
    lf = frame.lazy()
    if "household_id" in frame.columns:
        lf = lf.drop("household_id")
    return lf.join(persons, on="id_number", how="inner")


def _count(lf: pl.LazyFrame, cond: pl.Expr, name: str) -> pl.LazyFrame:
    return lf.filter(cond).group_by("household_id").agg(pl.col("id_number").n_unique().alias(name))


def _person_features(pop: Population, year: int, params: ParameterSet) -> list[pl.LazyFrame]:
    end, prev_end = year_end(year), year_end(year - 1)
    start = dt.date(year, 1, 1)
    persons = pop.members.lazy().select("household_id", "id_number")
    parts: list[pl.LazyFrame] = []

    medical = _feed(pop, "medical", persons)
    if medical is not None:
        high = float(params.for_year("M03d.medical_selfpay_high", year))
        per_person = medical.group_by("household_id", "id_number", "year").agg(pl.col("self_paid").sum())
        now = per_person.filter(pl.col("year") == year)
        before_high = per_person.filter((pl.col("year") == year - 1) & (pl.col("self_paid") >= high))
        parts.append(now.group_by("household_id").agg(pl.col("self_paid").sum().alias("medical_self_paid")))
        parts.append(_count(now, pl.col("self_paid") >= high, "medical_high"))
        parts.append(
            _count(
                now.join(before_high.select("id_number"), on="id_number", how="anti"),
                pl.col("self_paid") >= high,
                "medical_high_new",
            )
        )

    disability = _feed(pop, "disability", persons)
    if disability is not None:
        new = pl.col("issued_on").is_between(start, end)
        parts.append(_count(disability, new, "disability_new"))
        parts.append(
            _count(
                disability,
                new & pl.col("grade").is_in(list(ix.SEVERE_DISABILITY_GRADES)),
                "disability_severe_new",
            )
        )
        parts.append(_count(disability, pl.lit(True), "disability_total"))
        parts.append(
            disability.filter(new)
            .group_by("household_id")
            .agg(pl.col("issued_on").dt.month().max().cast(pl.Int64).alias("disability_month"))
        )

    civil = _feed(pop, "civil", persons)
    if civil is not None:
        dibao = pl.col("assistance_type") == "低保"
        active = pl.col("end_date").is_null()  # end dates after the year were blanked by as_of
        active_ids = civil.filter(dibao & active).select("id_number").unique()
        parts.append(_count(civil, dibao & active, "dibao_active"))
        parts.append(
            _count(
                civil.filter(dibao & pl.col("end_date").is_between(start, end)).join(
                    active_ids, on="id_number", how="anti"
                ),
                pl.lit(True),
                "dibao_ended",
            )
        )
        parts.append(
            _count(
                civil,
                (pl.col("assistance_type") == "临时救助")
                & (pl.col("start_date").is_between(start, end) | pl.col("end_date").is_between(start, end)),
                "temporary_assistance",
            )
        )

    employment = _feed(pop, "employment", persons)
    if employment is not None:
        # an open 失业 registration is unemployment, not a job (zengshou.rules.employment)
        active_now = holds_job(end)
        active_before = holds_job(prev_end)
        working = employment.filter(active_now).select("id_number").unique()
        parts.append(_count(employment, active_now, "employed_end"))
        parts.append(_count(employment, active_before, "employed_prev_end"))
        ended = employment.filter(job_lost_between(start, end)).join(working, on="id_number", how="anti")
        parts.append(_count(ended, pl.lit(True), "jobs_ended"))
        parts.append(
            ended.group_by("household_id").agg(
                lost_on().dt.month().max().cast(pl.Int64).alias("job_end_month")
            )
        )

    housing = pop.feeds.get("housing")
    if housing is not None and housing.height:
        from zengshou.rules.facts import UNSAFE_GRADES, assessed_grades

        parts.append(
            assessed_grades(pop).select(
                "household_id",
                pl.col("assessed_grade").is_in(list(UNSAFE_GRADES)).cast(pl.Int64).alias("house_unsafe"),
            )
        )
    return parts


def _disasters(pop: Population, year: int, villages: pl.LazyFrame) -> pl.LazyFrame | None:
    """Disasters of the year reported for a village, or any area above it (township, county, city)."""
    disaster = pop.feeds.get("disaster")
    if disaster is None or disaster.height == 0:
        return None
    code = pl.col("area_code")
    rows = (
        disaster.lazy()
        .filter(pl.col("occurred_on").dt.year() == year)
        .with_columns(
            pl.when(code.str.len_chars() == 12)
            .then(12)
            .when(code.str.len_chars() == 9)
            .then(9)
            .when(code.str.ends_with("0000"))
            .then(2)
            .when(code.str.ends_with("00"))
            .then(4)
            .otherwise(6)
            .alias("plen"),
        )
        .with_columns(code.str.slice(0, pl.col("plen")).alias("prefix"))
    )
    matched = []
    for n in (2, 4, 6, 9, 12):
        matched.append(
            villages.with_columns(pl.col("village_code").str.slice(0, n).alias("prefix")).join(
                rows.filter(pl.col("plen") == n), on="prefix", how="inner"
            )
        )
    return (
        pl.concat(matched)
        .group_by("village_code")
        .agg(
            pl.len().alias("area_disasters"),
            pl.col("direct_loss_10k").fill_null(0).sum().alias("area_disaster_loss"),
            (pl.col("occurred_on").dt.month() >= 7).any().cast(pl.Int64).alias("area_disaster_late"),
        )
    )


def _age_structure(pop: Population, year: int) -> pl.LazyFrame:
    from zengshou.rules.compute import fact_column

    age = fact_column("age", year)
    return (
        pop.members.lazy()
        .select("household_id", age.alias("age"))
        .group_by("household_id")
        .agg(
            (pl.col("age") < 16).sum().cast(pl.Int64).alias("children"),
            (pl.col("age") >= 65).sum().cast(pl.Int64).alias("elderly"),
            pl.col("age").is_between(16, 60).sum().cast(pl.Int64).alias("working_age"),
        )
    )


def _household_alert_counts(
    pop: Population, accounts: pl.DataFrame, params: ParameterSet, year: int
) -> pl.DataFrame:
    """Rule alerts (zengshou.monitor.rules) per household for the year, and whether any is a department signal.

    An area alert of 应急 (M03k) counts for every household in the area.
    """
    from zengshou.monitor.rules import alerts

    al = alerts(pop, accounts, params, year)
    own = al.filter(pl.col("household_id").is_not_null())
    area = al.filter(pl.col("household_id").is_null() & (pl.col("code") == "M03k"))
    hh = pop.households.select("household_id", "village_code")
    area_hits = []
    for n in (6, 9, 12):
        area_hits.append(
            hh.with_columns(pl.col("village_code").str.slice(0, n).alias("area_code"))
            .join(
                area.filter(pl.col("area_code").str.len_chars() == n).select("area_code", "code"),
                on="area_code",
            )
            .select("household_id", "code")
        )
    rows = pl.concat([own.select("household_id", "code"), *area_hits])
    return rows.group_by("household_id").agg(
        pl.len().cast(pl.Int64).alias("rule_alerts"),
        pl.col("code").is_in(list(DEPARTMENT_CODES)).any().alias("department_alert"),
    )


def build(pop: Population, year: int, params: ParameterSet) -> pl.DataFrame:
    """One row per household with a whole-year income row in ``year``: :data:`FEATURES` and context.

    Extra columns: ``household_id``, ``village_code``, ``year``, ``rule_flag`` (the rule baseline:
    under the monitoring line or a department alert at the end of the year) and ``department_alert``.
    """
    known = as_of(pop, year)
    acc = account(known, year)
    if acc.height == 0:
        return pl.DataFrame(
            schema={
                "household_id": pl.Utf8,
                "village_code": pl.Utf8,
                "year": pl.Int64,
                **{n: pl.Float64 for n in FEATURE_NAMES},
                "rule_flag": pl.Boolean,
                "department_alert": pl.Boolean,
            }
        )
    # each household's own line (the region's, or its city's or county's higher one)
    line = lines(params, year).line_expr()
    prev_acc = account(known, year - 1).select(
        "household_id",
        pl.col("change_ratio").alias("pc_change_ratio_prev"),
        pl.col("fell").alias("fell_prev"),
    )
    income_t = (
        known.income.lazy()
        .filter((pl.col("year") == year) & pl.col("quarter").is_null())
        .group_by("household_id")
        .agg(pl.col("transfer_dibao").fill_null(0).sum(), pl.col("transfer_pension").fill_null(0).sum())
    )
    size = pl.col("size")
    net = pl.col("net_income")
    base = (
        acc.lazy()
        .join(prev_acc.lazy(), on="household_id", how="left")
        .join(income_t, on="household_id", how="left")
        .with_columns(
            pl.col("per_capita_income").alias("pc_income"),
            (pl.col("per_capita_income") / line).alias("line_ratio"),
            pl.col("change_ratio").alias("pc_change_ratio"),
            _ratio(pl.col("wage_pc") - pl.col("prev_wage_pc"), pl.col("prev_wage_pc")).alias(
                "wage_change_ratio"
            ),
            _ratio(pl.col("wage_pc"), pl.col("per_capita_income")).alias("wage_share"),
            pl.col("operating_net_pc").alias("operating_pc"),
            _ratio(
                pl.col("operating_net_pc") - pl.col("prev_operating_net_pc"), pl.col("prev_operating_net_pc")
            ).alias("operating_change_ratio"),
            _ratio(pl.col("operating_net_pc"), pl.col("per_capita_income")).alias("operating_share"),
            _ratio(pl.col("transfer_pc"), pl.col("per_capita_income")).alias("transfer_share"),
            pl.when(size > 0).then(pl.col("transfer_dibao") / size).alias("dibao_pc"),
            pl.when(size > 0).then(pl.col("transfer_pension") / size).alias("pension_pc"),
            _ratio(pl.col("medical_selfpay") + pl.col("education_spending"), net).alias("rigid_ratio"),
            _ratio(pl.col("consumption_pc"), pl.col("per_capita_income")).alias("consumption_ratio"),
            pl.col("fell").cast(pl.Int64).alias("fell_now"),
            (pl.col("per_capita_income") <= line).cast(pl.Int64).alias("under_line_now"),
        )
    )
    # No village or county figures: they are unique to an area and year, and the trees learnt which
    # areas a training year's next-year shocks hit instead of what a shock looks like
    # (docs/risk-model.md). The area's situation enters through the dated 应急 reports below.
    households = known.households.lazy().select(
        "household_id",
        pl.col("arable_mu").fill_null(0),
        (pl.col("cattle").fill_null(0) + pl.col("sheep").fill_null(0) / 5 + pl.col("pigs").fill_null(0) / 3)
        .cast(pl.Float64)
        .alias("livestock_units"),
        pl.col("household_type")
        .is_in(["脱贫户", "监测对象-脱贫不稳定户"])
        .cast(pl.Int64)
        .alias("former_poor"),
    )
    lf = base.join(households, on="household_id", how="left").join(
        _age_structure(known, year), on="household_id", how="left"
    )
    disasters = _disasters(known, year, acc.lazy().select("village_code").unique())
    if disasters is not None:
        lf = lf.join(disasters, on="village_code", how="left")
    for part in _person_features(known, year, params):
        lf = lf.join(part, on="household_id", how="left")
    alerts_now = _household_alert_counts(known, acc, params, year)
    prev_known = as_of(pop, year - 1)
    prev_full = account(prev_known, year - 1)
    alerts_prev = (
        _household_alert_counts(prev_known, prev_full, params, year - 1).select(
            "household_id", pl.col("rule_alerts").alias("rule_alerts_prev")
        )
        if prev_full.height
        else pl.DataFrame(schema={"household_id": pl.Utf8, "rule_alerts_prev": pl.Int64})
    )
    lf = lf.join(alerts_now.lazy(), on="household_id", how="left").join(
        alerts_prev.lazy(), on="household_id", how="left"
    )
    names = set(lf.collect_schema().names())
    counts_zero = (
        "medical_self_paid",
        "medical_high_new",
        "medical_high",
        "disability_new",
        "disability_severe_new",
        "disability_total",
        "dibao_active",
        "dibao_ended",
        "temporary_assistance",
        "employed_end",
        "employed_prev_end",
        "jobs_ended",
        "job_end_month",
        "disability_month",
        "house_unsafe",
        "area_disasters",
        "area_disaster_loss",
        "area_disaster_late",
        "rule_alerts",
        "rule_alerts_prev",
        "children",
        "elderly",
        "working_age",
    )
    lf = lf.with_columns(
        [(pl.col(c).fill_null(0) if c in names else pl.lit(0)).cast(pl.Float64).alias(c) for c in counts_zero]
    ).with_columns(
        (pl.col("employed_end") - pl.col("employed_prev_end")).alias("employed_change"),
        pl.when(size > 0).then(1 - pl.col("working_age") / size).alias("dependency_ratio"),
        pl.col("department_alert").fill_null(False)
        if "department_alert" in names
        else pl.lit(False).alias("department_alert"),
    )
    lf = lf.with_columns(
        (pl.col("under_line_now").cast(pl.Boolean) | pl.col("department_alert")).alias("rule_flag"),
        pl.lit(year, dtype=pl.Int64).alias("year"),
    )
    return (
        lf.select(
            "household_id",
            "village_code",
            "year",
            *[pl.col(n).cast(pl.Float64) for n in FEATURE_NAMES],
            "rule_flag",
            "department_alert",
        )
        .sort("household_id")
        .collect()
    )


def outcomes(pop: Population, year: int, params: ParameterSet) -> pl.DataFrame:
    """The label of year ``year`` − 1's features: in ``year`` income fell (M04) or is under the line (M05).

    One row per household with whole-year income rows in both ``year`` − 1 and ``year``:
    ``household_id``, ``fell``, ``under_line``, ``at_risk`` (either), ``pc_income_next``.
    """
    line = lines(params, year).line_expr()
    acc = account(as_of(pop, year), year).filter(pl.col("prev_per_capita_income").is_not_null())
    return acc.select(
        "household_id",
        pl.col("fell").fill_null(False),
        (pl.col("per_capita_income") <= line).fill_null(False).alias("under_line"),
        pl.col("per_capita_income").alias("pc_income_next"),
    ).with_columns((pl.col("fell") | pl.col("under_line")).alias("at_risk"))
