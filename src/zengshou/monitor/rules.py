"""Alert rules (M03–M05, M07): columnar checks over the accounts, the member sheet and department feeds.

Each rule returns a frame of :data:`ALERT_SCHEMA`; :func:`alerts` runs them all. Levels are 一级 (act
now: verify within the week), 二级 (verify this quarter), 三级 (watch). Every code and rule is listed
in ``docs/monitoring.md``; thresholds come from ``data/params/monitoring.yaml``. Explanations name a
member by relation (之父, 之子 …), never by name or ID number, so alert lists carry no personal data.
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from zengshou.frames import Population
from zengshou.income.text import percent_text, yuan_text
from zengshou.monitor.employment import holds_job, is_unemployment_registration, job_lost_between
from zengshou.params import ParameterSet

ALERT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "area_code": pl.Utf8,
    "code": pl.Utf8,
    "level": pl.Utf8,
    "explanation": pl.Utf8,
    #: Identity of the problem, unique among open alerts: code|household or area|year[|detail].
    "fingerprint": pl.Utf8,
}

#: code → (short title, rule source) for docs, pages and the 预警 table.
CODES: dict[str, str] = {
    "M04": "收入不增反降",
    "M05": "人均纯收入低于监测范围",
    "M03a": "工资性收入骤降（疑似失业）",
    "M03b": "经营净收入骤降",
    "M03c": "刚性支出负担重",
    "M03d": "高额医疗自付（新发大病）",
    "M03e": "新增残疾",
    "M03f": "低保终止",
    "M03g": "义务教育阶段辍学",
    "M03h": "住房不安全",
    "M03i": "饮水不安全",
    "M03j": "就业终止",
    "M03k": "区域灾害（规模性风险）",
    "M03l": "经营收入普遍下降（规模性风险）",
    "M07a": "本期缺少收入数据",
    "R01": "智能模型预警（预计收入下降或低于监测范围）",
}


def period_window(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    """First and last day of the (cumulative) period: January 1 to the end of the quarter or year."""
    month = 12 if quarter is None else 3 * quarter
    return dt.date(year, 1, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def period_share(quarter: int | None) -> float:
    """Share of the year a cumulative period covers; the yearly line is pro-rated to it (M05)."""
    return 1.0 if quarter is None else quarter / 4


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=ALERT_SCHEMA)


def _finish(lf: pl.LazyFrame, code: str, year: int) -> pl.DataFrame:
    """Add code and default fingerprint, cast to the schema."""
    lf = lf.with_columns(pl.lit(code).alias("code"))
    if "fingerprint" not in lf.collect_schema().names():
        subject = pl.coalesce("household_id", "area_code")
        lf = lf.with_columns(
            pl.concat_str([pl.lit(f"{code}|"), subject, pl.lit(f"|{year}")]).alias("fingerprint")
        )
    return lf.select([pl.col(k).cast(t) for k, t in ALERT_SCHEMA.items()]).collect()


def _household_alerts(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.with_columns(pl.col("village_code").alias("area_code"))


def income_fell(accounts: pl.DataFrame, params: ParameterSet, year: int) -> pl.DataFrame:
    """M04 收入不增反降: per-capita net income below the same period of the previous year.

    Level 一级 for a fall of ``fall_ratio_level1`` or more (or from a non-positive base), 二级 for
    ``fall_ratio_level2`` or more, otherwise 三级.
    """
    l1, l2 = params.for_year("fall_ratio_level1", year), params.for_year("fall_ratio_level2", year)
    drop = -pl.col("change_ratio")
    lf = _household_alerts(accounts.lazy().filter(pl.col("fell"))).with_columns(
        pl.when(pl.col("change_ratio").is_null() | (drop >= l1))
        .then(pl.lit("一级"))
        .when(drop >= l2)
        .then(pl.lit("二级"))
        .otherwise(pl.lit("三级"))
        .alias("level"),
        pl.concat_str(
            [
                pl.lit("人均纯收入"),
                yuan_text(pl.col("per_capita_income")),
                pl.lit("元，比上年同期"),
                yuan_text(pl.col("prev_per_capita_income")),
                pl.lit("元减少"),
                yuan_text(-pl.col("change")),
                pl.lit("元"),
                pl.when(pl.col("change_ratio").is_not_null())
                .then(pl.concat_str([pl.lit("（下降"), percent_text(drop), pl.lit("）")]))
                .otherwise(pl.lit("")),
                pl.lit("，收入不增反降"),
            ]
        ).alias("explanation"),
    )
    return _finish(lf, "M04", year)


def under_line(accounts: pl.DataFrame, params: ParameterSet, year: int, quarter: int | None) -> pl.DataFrame:
    """M05: per-capita net income under the year's monitoring line (pro-rated for a cumulative quarter)."""
    line = float(params.for_year("monitoring_line", year))
    threshold = line * period_share(quarter)
    where = f"{year}年防止返贫监测范围{line:,.0f}元" + (
        "" if quarter is None else f"（第{quarter}季度累计按{quarter}/4折算为{threshold:,.0f}元）"
    )
    lf = _household_alerts(
        accounts.lazy().filter(
            pl.col("per_capita_income").is_not_null() & (pl.col("per_capita_income") < threshold)
        )
    ).with_columns(
        pl.lit("一级").alias("level"),
        pl.concat_str(
            [pl.lit("人均纯收入"), yuan_text(pl.col("per_capita_income")), pl.lit(f"元，低于{where}")]
        ).alias("explanation"),
    )
    return _finish(lf, "M05", year)


def component_fall(accounts: pl.DataFrame, params: ParameterSet, year: int) -> pl.DataFrame:
    """M03a / M03b: wage or net operating income per capita fell by ``component_fall_ratio`` or more.

    A halved wage income points to a lost job (M03a, individual risk); a halved operating income to a
    failed harvest, a price fall or a lost herd (M03b). The fall must also reach ``component_fall_min_pc``
    yuan per person. Level 二级; 一级 when the household's whole income fell too.
    """
    ratio = float(params.for_year("component_fall_ratio", year))
    minimum = float(params.for_year("component_fall_min_pc", year))
    out = []
    for code, cur, prev, label in (
        ("M03a", "wage_pc", "prev_wage_pc", "人均工资性收入"),
        ("M03b", "operating_net_pc", "prev_operating_net_pc", "人均经营净收入"),
    ):
        fall = pl.col(prev) - pl.col(cur)
        lf = _household_alerts(
            accounts.lazy().filter(
                (pl.col(prev) > 0)
                & (fall >= pl.col(prev) * ratio)
                & (fall >= minimum)
                & pl.col(cur).is_not_null()
            )
        ).with_columns(
            pl.when(pl.col("fell")).then(pl.lit("一级")).otherwise(pl.lit("二级")).alias("level"),
            pl.concat_str(
                [
                    pl.lit(f"{label}由上年同期"),
                    yuan_text(pl.col(prev)),
                    pl.lit("元降至"),
                    yuan_text(pl.col(cur)),
                    pl.lit("元（下降"),
                    percent_text(fall / pl.col(prev)),
                    pl.lit("）"),
                    pl.lit("，疑似务工中断或失业" if code == "M03a" else "，生产经营受损"),
                ]
            ).alias("explanation"),
        )
        out.append(_finish(lf, code, year))
    return pl.concat(out)


def rigid_spending(accounts: pl.DataFrame, params: ParameterSet, year: int) -> pl.DataFrame:
    """M03c: 合规自付医疗费用 + 教育支出 at least ``rigid_spending_ratio`` of household net income.

    Also requires ``rigid_spending_min`` yuan. Level 一级 when the spending reaches the whole net income.
    """
    ratio = float(params.for_year("rigid_spending_ratio", year))
    minimum = float(params.for_year("rigid_spending_min", year))
    rigid = pl.col("medical_selfpay").fill_null(0) + pl.col("education_spending").fill_null(0)
    lf = _household_alerts(
        accounts.lazy().filter((rigid >= minimum) & (rigid >= pl.col("net_income") * ratio))
    ).with_columns(
        pl.when(rigid >= pl.col("net_income")).then(pl.lit("一级")).otherwise(pl.lit("二级")).alias("level"),
        pl.concat_str(
            [
                pl.lit("刚性支出"),
                yuan_text(rigid),
                pl.lit("元（合规自付医疗费用"),
                yuan_text(pl.col("medical_selfpay").fill_null(0)),
                pl.lit("元、教育支出"),
                yuan_text(pl.col("education_spending").fill_null(0)),
                pl.lit("元），家庭纯收入"),
                yuan_text(pl.col("net_income")),
                pl.lit("元"),
            ]
        ).alias("explanation"),
    )
    return _finish(lf, "M03c", year)


def _members(pop: Population, accounts: pl.DataFrame) -> pl.LazyFrame:
    """Members with their household's village (from the 家庭 sheet, for all households)."""
    return (
        pop.members.lazy()
        .select("household_id", "id_number", "relation", "schooling")
        .join(pop.households.lazy().select("household_id", "village_code"), on="household_id", how="inner")
    )


def _feed(pop: Population, key: str) -> pl.LazyFrame | None:
    frame = pop.feeds.get(key)
    if frame is None or frame.height == 0:
        return None
    return frame.lazy()


def _per_household(lf: pl.LazyFrame, level: pl.Expr, phrase: pl.Expr, prefix: str) -> pl.LazyFrame:
    """One alert per household from person rows: phrases joined, the most severe level kept."""
    return (
        lf.with_columns(level.alias("level"), phrase.alias("phrase"))
        .group_by("household_id", "village_code")
        .agg(pl.col("level").min(), pl.col("phrase").unique(maintain_order=True).sort().str.join("；"))
        .with_columns(
            pl.col("village_code").alias("area_code"),
            pl.concat_str([pl.lit(prefix), pl.col("phrase")]).alias("explanation"),
        )
    )


def feed_alerts(
    pop: Population, accounts: pl.DataFrame, params: ParameterSet, year: int, quarter: int | None
) -> pl.DataFrame:
    """M03d–M03j, M07: individual risks found in department feeds and the household sheets.

    M03d 医保 个人自付 ≥ ``medical_selfpay_high`` in the year (一级 at twice that), or a first 大病保险
    reimbursement (none the year before: a new serious illness); M03e a disability
    certificate issued in the period (一级 for grade 一级/二级); M03f a 低保 that ended in the period with
    no later 低保; M03g a member of compulsory-school age 辍学 (member sheet or 教育 feed), 一级; M03h
    a house graded C/D by 住建 or 住房安全 否, 一级; M03i 饮水安全 否, 一级; M03j an employment that
    ended in the period, or a 失业 registration made in it, with no job held at the period's end, 三级
    (an open 失业 registration is unemployment, not a job: ``zengshou.monitor.employment``).
    """
    start, end = period_window(year, quarter)
    # computed once: every person-feed rule joins its few rows to it
    members = _members(pop, accounts).collect().lazy()
    out: list[pl.DataFrame] = []
    relation = pl.col("relation").fill_null("成员")

    medical = _feed(pop, "medical")
    if medical is not None:
        high = float(params.for_year("medical_selfpay_high", year))
        critical = pl.col("critical_reimbursed").fill_null(0)
        # a serious illness already paid by 大病保险 the year before is not new
        known = medical.filter((pl.col("year") == year - 1) & (critical > 0)).select("id_number").unique()
        rows = (
            medical.filter(pl.col("year") == year)
            .group_by("id_number")
            .agg(pl.col("self_paid").sum(), pl.col("total_cost").sum(), critical.sum().alias("critical"))
            .join(known.with_columns(pl.lit(True).alias("known")), on="id_number", how="left")
            .filter((pl.col("self_paid") >= high) | ((pl.col("critical") > 0) & pl.col("known").is_null()))
            .join(members, on="id_number")
        )
        out.append(
            _finish(
                _per_household(
                    rows,
                    pl.when(pl.col("self_paid") >= 2 * high).then(pl.lit("一级")).otherwise(pl.lit("二级")),
                    pl.concat_str(
                        [
                            relation,
                            pl.lit("医疗总费用"),
                            yuan_text(pl.col("total_cost")),
                            pl.lit("元，个人自付"),
                            yuan_text(pl.col("self_paid")),
                            pl.lit("元"),
                            pl.when(pl.col("critical") > 0)
                            .then(
                                pl.concat_str(
                                    [pl.lit("，大病保险报销"), yuan_text(pl.col("critical")), pl.lit("元")]
                                )
                            )
                            .otherwise(pl.lit("")),
                        ]
                    ),
                    f"医保数据（{year}年）：",
                ),
                "M03d",
                year,
            )
        )

    disability = _feed(pop, "disability")
    if disability is not None:
        rows = disability.filter(pl.col("issued_on").is_between(start, end)).join(members, on="id_number")
        out.append(
            _finish(
                _per_household(
                    rows,
                    pl.when(pl.col("grade").is_in(["一级", "二级"]))
                    .then(pl.lit("一级"))
                    .otherwise(pl.lit("二级")),
                    pl.concat_str(
                        [
                            relation,
                            pl.lit("于"),
                            pl.col("issued_on").dt.strftime("%Y-%m-%d"),
                            pl.lit("新办残疾证（"),
                            pl.coalesce(pl.col("category"), pl.lit("")),
                            pl.col("grade"),
                            pl.lit("）"),
                        ]
                    ),
                    "残联数据：",
                ),
                "M03e",
                year,
            )
        )

    civil = _feed(pop, "civil")
    if civil is not None:
        dibao = civil.filter(pl.col("assistance_type") == "低保")
        still = (
            dibao.filter(pl.col("end_date").is_null() | (pl.col("end_date") > end))
            .filter(pl.col("start_date").is_null() | (pl.col("start_date") <= end))
            .select("id_number")
            .unique()
        )
        rows = (
            dibao.filter(pl.col("end_date").is_between(start, end))
            .join(still, on="id_number", how="anti")
            .join(members, on="id_number")
        )
        out.append(
            _finish(
                _per_household(
                    rows,
                    pl.lit("二级"),
                    pl.concat_str(
                        [
                            relation,
                            pl.lit("低保于"),
                            pl.col("end_date").dt.strftime("%Y-%m-%d"),
                            pl.lit("终止"),
                        ]
                    ),
                    "民政数据：",
                ),
                "M03f",
                year,
            )
        )

    low, high_age = params.for_year("compulsory_school_age", year)

    def aged(lf: pl.LazyFrame) -> pl.LazyFrame:
        age = pl.lit(year) - pl.col("id_number").str.slice(6, 4).cast(pl.Int64, strict=False)
        return lf.with_columns(age.alias("age")).filter(pl.col("age").is_between(low, high_age))

    drop_rows = aged(members.filter(pl.col("schooling") == "辍学")).with_columns(
        pl.lit("家庭成员表").alias("source")
    )
    education = _feed(pop, "education")
    if education is not None:
        feed_rows = aged(
            education.filter(pl.col("status") == "辍学").select("id_number").join(members, on="id_number")
        ).with_columns(pl.lit("教育数据").alias("source"))
        drop_rows = pl.concat([drop_rows, feed_rows.select(drop_rows.collect_schema().names())])
    out.append(
        _finish(
            _per_household(
                drop_rows.unique(subset=["id_number"], keep="first"),
                pl.lit("一级"),
                pl.concat_str(
                    [
                        relation,
                        pl.lit("（"),
                        pl.col("age").cast(pl.Utf8),
                        pl.lit("岁）辍学，来源："),
                        pl.col("source"),
                    ]
                ),
                "义务教育阶段辍学：",
            ),
            "M03g",
            year,
        )
    )

    from zengshou.tiers.rules import housing_grades

    houses = (
        pop.households.lazy()
        .select("household_id", "village_code", "housing_safe", "water_safe")
        .join(housing_grades(pop), on="household_id", how="left")
    )
    unsafe = houses.filter(pl.col("grade").is_in(["C", "D"]) | pl.col("housing_safe").not_()).with_columns(
        pl.col("village_code").alias("area_code"),
        pl.lit("一级").alias("level"),
        pl.when(pl.col("grade").is_in(["C", "D"]))
        .then(pl.concat_str([pl.lit("住建鉴定房屋安全等级为"), pl.col("grade"), pl.lit("级，住房不安全")]))
        .otherwise(pl.lit("家庭信息登记住房不安全"))
        .alias("explanation"),
    )
    out.append(_finish(unsafe, "M03h", year))
    water = houses.filter(pl.col("water_safe").not_()).with_columns(
        pl.col("village_code").alias("area_code"),
        pl.lit("一级").alias("level"),
        pl.lit("家庭信息登记饮水不安全").alias("explanation"),
    )
    out.append(_finish(water, "M03i", year))

    employment = _feed(pop, "employment")
    if employment is not None:
        working = employment.filter(holds_job(end)).select("id_number").unique()
        rows = (
            employment.filter(job_lost_between(start, end))
            .join(working, on="id_number", how="anti")
            .join(members, on="id_number")
        )
        registered = is_unemployment_registration()
        out.append(
            _finish(
                _per_household(
                    rows,
                    pl.lit("三级"),
                    pl.when(registered)
                    .then(
                        pl.concat_str(
                            [
                                relation,
                                pl.lit("于"),
                                pl.col("start_date").dt.strftime("%Y-%m-%d"),
                                pl.lit("登记失业，暂无新的就业记录"),
                            ]
                        )
                    )
                    .otherwise(
                        pl.concat_str(
                            [
                                relation,
                                pl.lit("在"),
                                pl.coalesce(pl.col("employer"), pl.lit("原单位")),
                                pl.lit("的就业于"),
                                pl.col("end_date").dt.strftime("%Y-%m-%d"),
                                pl.lit("终止，暂无新的就业记录"),
                            ]
                        )
                    ),
                    "人社数据：",
                ),
                "M03j",
                year,
            )
        )
    return pl.concat(out) if out else _empty()


def scale_risks(
    pop: Population, accounts: pl.DataFrame, params: ParameterSet, year: int, quarter: int | None
) -> pl.DataFrame:
    """M03k, M03l: scale risks by area (household_id null).

    M03k: a disaster reported by 应急 in the period for a village, township or county; 一级 when it
    affected ``disaster_level1_households`` or more households or caused ``disaster_level1_loss_10k``
    万元 or more, otherwise 二级; one alert per area, disaster type and date. M03l: in a village (二级)
    or county (一级), at least ``scale_operating_fall_share`` of the households with operating income a
    year earlier saw it fall by ``scale_operating_fall_ratio`` or more, and at least
    ``scale_operating_min_households`` of them.
    """
    start, end = period_window(year, quarter)
    out: list[pl.DataFrame] = []
    disaster = _feed(pop, "disaster")
    if disaster is not None:
        n1 = int(params.for_year("disaster_level1_households", year))
        loss1 = float(params.for_year("disaster_level1_loss_10k", year))
        rows = disaster.filter(pl.col("occurred_on").is_between(start, end)).with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("household_id"),
            pl.when(
                (pl.col("households_affected").fill_null(0) >= n1)
                | (pl.col("direct_loss_10k").fill_null(0) >= loss1)
            )
            .then(pl.lit("一级"))
            .otherwise(pl.lit("二级"))
            .alias("level"),
            pl.concat_str(
                [
                    pl.col("occurred_on").dt.strftime("%Y-%m-%d"),
                    pl.lit("发生"),
                    pl.col("disaster_type"),
                    pl.lit("，受灾"),
                    pl.coalesce(
                        pl.concat_str([pl.col("households_affected").cast(pl.Utf8), pl.lit("户")]),
                        pl.lit("户数未报"),
                    ),
                    pl.lit("，直接经济损失"),
                    pl.coalesce(
                        pl.concat_str([pl.col("direct_loss_10k").round(1).cast(pl.Utf8), pl.lit("万元")]),
                        pl.lit("未报"),
                    ),
                    pl.lit("；请排查受灾农户返贫致贫风险"),
                ]
            ).alias("explanation"),
            pl.concat_str(
                [
                    pl.lit("M03k|"),
                    pl.col("area_code"),
                    pl.lit(f"|{year}|"),
                    pl.col("disaster_type"),
                    pl.lit("|"),
                    pl.col("occurred_on").dt.strftime("%Y%m%d"),
                ]
            ).alias("fingerprint"),
        )
        out.append(_finish(rows.unique(subset=["fingerprint"], keep="first"), "M03k", year))

    ratio = float(params.for_year("scale_operating_fall_ratio", year))
    share = float(params.for_year("scale_operating_fall_share", year))
    minimum = int(params.for_year("scale_operating_min_households", year))
    base = (
        accounts.lazy()
        .filter(pl.col("prev_operating_net_pc") > 0)
        .with_columns(
            (pl.col("operating_net_pc") <= pl.col("prev_operating_net_pc") * (1 - ratio))
            .fill_null(False)
            .alias("op_fell"),
        )
    )
    for level, length, name in (("二级", 12, "本村"), ("一级", 6, "本县（区）")):
        by_area = (
            base.group_by(pl.col("village_code").str.slice(0, length).alias("area_code"))
            .agg(pl.len().alias("with_op"), pl.col("op_fell").sum().alias("fell_n"))
            .filter((pl.col("fell_n") >= minimum) & (pl.col("fell_n") >= pl.col("with_op") * share))
            .with_columns(
                pl.lit(None, dtype=pl.Utf8).alias("household_id"),
                pl.lit(level).alias("level"),
                pl.concat_str(
                    [
                        pl.lit(f"{name}上年同期有经营收入的"),
                        pl.col("with_op").cast(pl.Utf8),
                        pl.lit("户中"),
                        pl.col("fell_n").cast(pl.Utf8),
                        pl.lit(f"户人均经营净收入下降{ratio:.0%}以上（占"),
                        percent_text(pl.col("fell_n") / pl.col("with_op")),
                        pl.lit("），疑似农产品价格下行或产业效益不佳"),
                    ]
                ).alias("explanation"),
            )
        )
        out.append(_finish(by_area, "M03l", year))
    return pl.concat(out)


def missing_income(pop: Population, accounts: pl.DataFrame, year: int, quarter: int | None) -> pl.DataFrame:
    """M07a: a household with members but no income row for the period, when the period has data.

    Such a household cannot be accounted or classified; 三级, so the village completes the data
    (or the department feed that should supply it). Nothing is raised for a period with no data at all.
    """
    if accounts.height == 0:
        return _empty()
    period = "全年" if quarter is None else f"第{quarter}季度累计"
    lf = (
        pop.households.lazy()
        .select("household_id", "village_code")
        .join(accounts.lazy().select("household_id"), on="household_id", how="anti")
        .join(pop.members.lazy().select("household_id"), on="household_id", how="semi")
        .with_columns(
            pl.col("village_code").alias("area_code"),
            pl.lit("三级").alias("level"),
            pl.lit(f"{year}年{period}无收入数据，未能核算人均纯收入和分层，请补充").alias("explanation"),
        )
    )
    return _finish(lf, "M07a", year)


def alerts(
    pop: Population,
    accounts: pl.DataFrame,
    params: ParameterSet,
    year: int,
    quarter: int | None = None,
) -> pl.DataFrame:
    """M03–M05, M07: every alert for the period (unsorted; ``write_files`` sorts what it writes)."""
    frames = [
        income_fell(accounts, params, year),
        under_line(accounts, params, year, quarter),
        component_fall(accounts, params, year),
        rigid_spending(accounts, params, year),
        feed_alerts(pop, accounts, params, year, quarter),
        scale_risks(pop, accounts, params, year, quarter),
        missing_income(pop, accounts, year, quarter),
    ]
    return pl.concat(frames)
