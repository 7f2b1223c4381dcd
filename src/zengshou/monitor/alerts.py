"""The alerts (M03–M05, M07), declared: code, title, the rows they look at, condition, level, explanation.

Each alert reads one kind of row: a household's accounts (``accounts``), its facts (``households``,
:mod:`zengshou.rules.facts`), the persons a department feed or the member sheet names (``persons``
with ``feed``: one alert per household, the persons' phrases joined after ``prefix``), or a
household with members but no income for the period (``unaccounted``). Conditions and levels are
expressions over those columns and parameters keyed by the code; explanations are templates
(:func:`zengshou.rules.text.template_expr`) that name a member by relation and age (户主（52岁）,
之子（12岁） …), never by name or ID number, so alert lists carry no personal data. Levels are 一级
(act now: verify within the week), 二级 (verify this quarter), 三级 (watch). Scale risks by area (M03k, M03l) are listed here
and computed by :mod:`zengshou.monitor.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zengshou import interchange as ix
from zengshou.rules.dsl import Expr, Substr, Year, col, lit, param, when
from zengshou.rules.facts import UNSAFE_GRADES
from zengshou.rules.text import Text

#: Alert levels, most severe first: 一级 act now (verify within the week), 二级 this quarter, 三级 watch.
LEVELS: tuple[str, ...] = ("一级", "二级", "三级")


@dataclass(frozen=True)
class Alert:
    code: str
    title: str
    rows: str  # accounts | households | persons | unaccounted | area
    condition: Expr = field(default_factory=lambda: lit(True))
    level: Expr = field(default_factory=lambda: lit("二级"))
    explanation: Text = ""
    #: Helper columns the condition, level and texts read, in order.
    derived: tuple[tuple[str, Expr], ...] = ()
    #: For ``persons``: the feed fact whose rows are the persons (``medical``, ``disability`` …) or
    #: ``members`` (the facts of every member).
    feed: str = ""
    prefix: str = ""
    clause: str = ""


_who = ("who", col("relation").fill_null("成员"))
#: A feed person's age on 31 December, read from the ID number as the facts read it: with the
#: relation it tells two members of one household apart (户主（52岁）).
_age = ("age", Year() - Substr(col("id_number"), 6, 4).to_int())
_fall = col("prev") - col("cur")


def _component(code: str, title: str, current: str, previous: str, label: str, cause: str) -> Alert:
    return Alert(
        code,
        title,
        "accounts",
        derived=(
            ("cur", col(current)),
            ("prev", col(previous)),
            ("fall", _fall),
            ("fall_share", _fall / col("prev")),
        ),
        condition=(col("prev") > 0)
        & (col("fall") >= col("prev") * param("M03a.component_fall_ratio"))
        & (col("fall") >= param("M03a.component_fall_min_pc"))
        & col("cur").not_null(),
        level=when((col("fell"), "一级"), otherwise="二级"),
        explanation=f"{label}由上年同期{{prev|元}}元降至{{cur|元}}元（下降{{fall_share|%}}），{cause}",
        clause="分层方案 二（二）3 风险监测",
    )


_rigid = col("medical_selfpay").fill_null(0) + col("education_spending").fill_null(0)
#: M05's quarter conversion, the area whose own line applies, and the assumed-value mark.
_M05_TAIL = (
    "[（第{period.quarter}季度累计按{period.quarter}/4折算为{period_line|元}元）]"
    "[（{monitoring_line_area}自定标准）][{monitoring_line_note}]"
)

ALERTS: tuple[Alert, ...] = (
    Alert(
        "M04",
        "收入不增反降",
        "accounts",
        derived=(("drop", -col("change_ratio")), ("decrease", -col("change"))),
        condition=col("fell"),
        level=when(
            (col("change_ratio").is_null() | (col("drop") >= param("M04.fall_ratio_level1")), "一级"),
            (col("drop") >= param("M04.fall_ratio_level2"), "二级"),
            otherwise="三级",
        ),
        explanation="人均纯收入{per_capita_income|元}元，比上年同期{prev_per_capita_income|元}元减少{decrease|元}元"
        "[（下降{drop|%}）]，收入不增反降",
        clause="分层方案 二（二）；低收入组方案 三（三）",
    ),
    Alert(
        "M05",
        "人均纯收入低于监测范围",
        "accounts",
        # the row's own line (monitor.lines: the region's, or its city's or county's higher one);
        # "以下" includes the line itself
        condition=col("per_capita_income").not_null() & (col("per_capita_income") <= col("period_line")),
        level=lit("一级"),
        explanation=(
            (
                col("per_capita_income") == col("period_line"),
                "人均纯收入{per_capita_income|元}元，在{period.year}年防止返贫监测范围{monitoring_line|元}元以下（含本数）"
                + _M05_TAIL,
            ),
            (
                None,
                "人均纯收入{per_capita_income|元}元，低于{period.year}年防止返贫监测范围{monitoring_line|元}元"
                + _M05_TAIL,
            ),
        ),
        clause="分层方案 二（二）",
    ),
    _component(
        "M03a",
        "工资性收入骤降（疑似失业）",
        "wage_pc",
        "prev_wage_pc",
        "人均工资性收入",
        "疑似务工中断或失业",
    ),
    _component(
        "M03b",
        "经营净收入骤降",
        "operating_net_pc",
        "prev_operating_net_pc",
        "人均经营净收入",
        "生产经营受损",
    ),
    Alert(
        "M03c",
        "刚性支出负担重",
        "accounts",
        derived=(
            ("rigid", _rigid),
            ("medical", col("medical_selfpay").fill_null(0)),
            ("education", col("education_spending").fill_null(0)),
        ),
        condition=(col("rigid") >= param("M03c.rigid_spending_min"))
        & (col("rigid") >= col("net_income") * param("M03c.rigid_spending_ratio")),
        level=when((col("rigid") >= col("net_income"), "一级"), otherwise="二级"),
        explanation="刚性支出{rigid|元}元（合规自付医疗费用{medical|元}元、教育支出{education|元}元），"
        "家庭纯收入{net_income|元}元",
        clause="分层方案 二（二）3 风险监测",
    ),
    Alert(
        "M03d",
        "高额医疗自付（新发大病）",
        "persons",
        feed="medical",
        derived=(_who, _age),
        condition=(col("self_paid") >= param("M03d.medical_selfpay_high"))
        | ((col("critical") > 0) & col("known").is_null()),
        level=when((col("self_paid") >= param("M03d.medical_selfpay_high") * 2, "一级"), otherwise="二级"),
        explanation=(
            (
                col("critical") > 0,
                "{who}[（{age}岁）]医疗总费用{total_cost|元}元，个人自付{self_paid|元}元，大病保险报销{critical|元}元",
            ),
            (None, "{who}[（{age}岁）]医疗总费用{total_cost|元}元，个人自付{self_paid|元}元"),
        ),
        prefix="医保数据（{period.year}年）：",
        clause="分层方案 二（二）3 个体风险（疾病）",
    ),
    Alert(
        "M03e",
        "新增残疾",
        "persons",
        feed="disability",
        derived=(_who, _age, ("category_text", col("category").fill_null(""))),
        level=when((col("grade").isin(ix.SEVERE_DISABILITY_GRADES), "一级"), otherwise="二级"),
        explanation="{who}[（{age}岁）]于{issued_on|日期}新办残疾证（{category_text}{grade}）",
        prefix="残联数据：",
        clause="分层方案 二（二）3 个体风险（残疾）",
    ),
    Alert(
        "M03f",
        "低保终止",
        "persons",
        feed="dibao",
        derived=(_who, _age),
        level=lit("二级"),
        explanation="{who}[（{age}岁）]低保于{end_date|日期}终止",
        prefix="民政数据：",
        clause="分层方案 二（二）2 群体监测",
    ),
    Alert(
        "M03g",
        "义务教育阶段辍学",
        "persons",
        feed="members",
        derived=(_who,),
        condition=col("dropout"),
        level=lit("一级"),
        explanation="{who}（{age}岁）辍学，来源：{dropout_source}",
        prefix="义务教育阶段辍学：",
        clause="分层方案 二（一）三保障；二（二）3 个体风险（就学）",
    ),
    Alert(
        "M03h",
        "住房不安全",
        "households",
        condition=col("housing_unsafe"),
        level=lit("一级"),
        explanation=(
            (
                col("assessed_grade").isin(UNSAFE_GRADES),
                "住建鉴定房屋安全等级为{assessed_grade}级，住房不安全",
            ),
            (None, "家庭信息登记住房不安全"),
        ),
        clause="分层方案 二（一）三保障",
    ),
    Alert(
        "M03i",
        "饮水不安全",
        "households",
        condition=col("water_unsafe"),
        level=lit("一级"),
        explanation="家庭信息登记饮水不安全",
        clause="分层方案 二（一）饮水安全",
    ),
    Alert(
        "M03j",
        "就业终止",
        "persons",
        feed="jobs",
        derived=(_who, _age, ("employer_text", col("employer").fill_null("原单位"))),
        level=lit("三级"),
        explanation=(
            (col("registered"), "{who}[（{age}岁）]于{start_date|日期}登记失业，暂无新的就业记录"),
            (None, "{who}[（{age}岁）]在{employer_text}的就业于{end_date|日期}终止，暂无新的就业记录"),
        ),
        prefix="人社数据：",
        clause="分层方案 二（二）3 规模性风险（务工不稳）",
    ),
    Alert("M03k", "区域灾害（规模性风险）", "area", clause="分层方案 二（二）3 规模性风险（自然灾害）"),
    Alert(
        "M03l", "经营收入普遍下降（规模性风险）", "area", clause="分层方案 二（二）3 规模性风险（农产品价格）"
    ),
    Alert(
        "M07a",
        "本期缺少收入数据",
        "unaccounted",
        level=lit("三级"),
        explanation="{period.year}年{period.name}无收入数据，未能核算人均纯收入和分层，请补充",
        clause="分层方案 二（二）部门信息互联互通",
    ),
)

#: code → short title, for docs, pages and the 预警 table (R01 is the risk model's, M02).
CODES: dict[str, str] = {a.code: a.title for a in ALERTS}
CODES["R01"] = "智能模型预警（预计收入下降或低于监测范围）"
