"""The measures of the toolbox, as data: each measure one rule over the facts, citing its catalogue code.

The facts a condition reads (劳动力, 健康劳动力, 在范围内 …) are defined once in
:mod:`zengshou.rules.facts`. Every threshold is a parameter keyed by the measure's code; nothing
here knows a number the texts could change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zengshou.rules.dsl import Condition, Expr, col, param, when
from zengshou.rules.facts import ORGANISED_CHANNELS, SCOPE_CONDITIONS, TRANSFER_WORK

# --- measures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    code: str
    title: str
    level: str  # household | member
    units: tuple[str, ...]
    conditions: tuple[Condition, ...]
    amount: Expr | None = None
    #: True where the amount is money paid to the household: counted in its yearly income effect
    #: unless the parameter ``<code>.one_off`` says it is paid once (T10, L08).
    to_household: bool = True
    amount_note: str = ""
    clause: str = ""
    county: str | None = None  # a county's own local measure (W01)
    extra: dict[str, str] = field(default_factory=dict)


def enabled(code: str) -> Condition:
    return Condition(f"本县工具箱启用 {code}", param(f"{code}.enabled") == True)  # noqa: E712


def in_scope() -> Condition:
    return Condition("属于低收入组脱贫人口（含监测对象）", col("in_scope"), ("household_type", "quintile"))


def tier_in(code: str) -> Condition:
    return Condition(f"层级属于 {{{code}.tiers}}", col("tier").isin(param(f"{code}.tiers")), ("tier",))


AGRI = ("农业农村厅", "财政厅", "市县")

#: The scope rule of the low-income plan: which households the L-measures are for.
SCOPE = Measure(
    code="L00",
    title="低收入组脱贫人口范围",
    level="household",
    units=(),
    conditions=SCOPE_CONDITIONS,
    clause="低收入组方案 一；目录 working definitions: scope of the low-income plan",
)

_H, _M = "household", "member"


def _m(code: str, title: str, level: str, units: tuple[str, ...], *conds: Condition, **kw: object) -> Measure:
    head = (enabled(code), in_scope()) if code.startswith("L") else (enabled(code), tier_in(code))
    return Measure(code, title, level, units, (*head, *conds), **kw)  # type: ignore[arg-type]


def _business_amount(n: Expr) -> Expr:
    """T17: 8,000 / 5,000 / 3,000 yuan in business years 1 / 2 / 3, otherwise none."""
    return when(
        (n == 1, param("T17.business_year1_amount")),
        (n == 2, param("T17.business_year2_amount")),
        (n == 3, param("T17.business_year3_amount")),
        otherwise=0,
    )


_T17_FLEX = (col("work") == "灵活就业") & (col("work_months") >= param("T17.flexible_min_months"))
_T17_BUSINESS = col("running_business") & col("business_years").between(1, 3).fill_null(False)
_T17_BUSINESS_AMOUNT = _business_amount(col("business_years").fill_null(0))
_DISABILITY_UNITS = (
    "残联",
    "财政厅",
    "农业农村厅",
    "民政厅",
    "教育厅",
    "住房城乡建设厅",
    "水利厅",
    "卫生健康委",
    "医保局",
)
_DISABLED = Condition("本人残疾", col("disabled"), ("disability_grade",))
_IN_HARDSHIP = Condition(
    "困难家庭的残疾人（低保户、特困供养户或本人享受低保，及本地另定的户类型）",
    col("hardship_household").fill_null(False) | col("on_dibao"),
    ("hardship_household", "on_dibao"),
)
_SEVERE = Condition(
    "本人一级或二级残疾（重度残疾）", col("severe_disabled").fill_null(False), ("disability_grade",)
)
_DIBAO_FREE = ~col("dibao_household").fill_null(False)
_NOT_PHASING_OUT = Condition(
    "不属于低保渐退情形（见 L09c）", ~col("dibao_phase_out").fill_null(False), ("dibao_phase_out",)
)
_ORGANISED = col("job_channel").isin(ORGANISED_CHANNELS).fill_null(False)
_ASSETS_OK = col("assets_within_dibao_rules").fill_null(False)
_WHOLE_CASE = col("whole_ill_or_disabled") | col("whole_no_labour")
_MINZHENG = ("民政厅", "农业农村厅", "财政厅", "市县")

MEASURES: tuple[Measure, ...] = (
    _m(
        "L01a",
        "特色种植倾斜支持",
        _H,
        AGRI,
        Condition("家中有耕地", col("arable_mu").fill_null(0.0) > 0, ("arable_mu",)),
        Condition(
            "至少有 {L01a.min_healthy_labourers} 个健康劳动力",
            col("healthy_labourers") >= param("L01a.min_healthy_labourers"),
            ("healthy_labourers",),
        ),
        clause="低收入组方案 二（一）",
    ),
    _m(
        "L01b",
        "养殖、饲草料奖补",
        _H,
        AGRI,
        Condition("发展养殖业（有牛羊猪存栏）", col("livestock") > 0, ("livestock",)),
        clause="低收入组方案 二（一）",
    ),
    _m(
        "L01c",
        "出户入场养殖或承包集体大棚租金补助",
        _H,
        AGRI,
        Condition(
            "出户入场（园）养殖或承包村集体大棚自己种植",
            col("collective_yard").fill_null(False) | col("rents_greenhouse").fill_null(False),
            ("collective_yard", "rents_greenhouse"),
        ),
        clause="低收入组方案 二（一）",
    ),
    _m(
        "L02",
        "庭院经济补贴",
        _H,
        AGRI,
        Condition("有闲置场地、房屋、棚圈", col("idle_courtyard").fill_null(False), ("idle_courtyard",)),
        Condition("有发展庭院经济意愿", col("courtyard_willing").fill_null(False), ("courtyard_willing",)),
        amount=param("L02.amount"),
        clause="低收入组方案 二（二）",
    ),
    _m(
        "L03",
        "消费帮扶",
        _H,
        ("农业农村厅", "财政厅", "总工会", "供销社", "市县"),
        Condition("家中有生产经营性收入", col("operating_income").fill_null(0.0) > 0, ("operating_income",)),
        clause="低收入组方案 二（三）",
    ),
    _m(
        "L04a",
        "代耕代种",
        _H,
        AGRI,
        Condition("有耕地未种植", col("arable_idle_mu").fill_null(0.0) > 0, ("arable_idle_mu",)),
        Condition(
            "缺乏劳力（未务工的健康劳动力不超过 {L04a.max_spare_labourers} 人）",
            col("spare_healthy_labourers") <= param("L04a.max_spare_labourers"),
            ("spare_healthy_labourers",),
        ),
        clause="低收入组方案 二（四）",
    ),
    _m(
        "L04b",
        "托养代管入股分红",
        _H,
        AGRI,
        Condition("有发展养殖业意愿", col("livestock_willing").fill_null(False), ("livestock_willing",)),
        Condition(
            "无闲余劳力（未务工的健康劳动力不超过 {L04a.max_spare_labourers} 人）",
            col("spare_healthy_labourers") <= param("L04a.max_spare_labourers"),
            ("spare_healthy_labourers",),
        ),
        clause="低收入组方案 二（四）",
    ),
    _m(
        "L05",
        "“1311”就业服务",
        _H,
        ("人社厅", "发展改革委", "农业农村厅", "财政厅", "市县"),
        Condition(
            "至少有 {L05.min_healthy_labourers} 个健康劳动力，或为零就业家庭",
            (col("healthy_labourers") >= param("L05.min_healthy_labourers")) | col("zero_employment"),
            ("healthy_labourers", "zero_employment"),
        ),
        amount_note="劳务中介组织就业 {L05.min_months} 个月及以上的，按 {L05.broker_subsidy} 元/人补贴中介（见 T03），不计入家庭收入；"
        "须经劳务中介（经纪人）或有组织劳务输出，就业渠道未填的待核实",
        clause="低收入组方案 二（五）",
    ),
    _m(
        "L06",
        "乡村公益性岗位（户均 1 个）",
        _H,
        ("人社厅", "农业农村厅", "财政厅", "金融监管宁夏局", "市县"),
        Condition(
            "家中有患大病或残疾的成员", col("ill_or_disabled_members") >= 1, ("ill_or_disabled_members",)
        ),
        Condition(
            "仅有 {L06.labourers} 个劳动力", col("labourers") == param("L06.labourers"), ("labourers",)
        ),
        amount_note="公益性岗位人员参加意外伤害保险，保障额度不高于 {L06.accident_cover} 元",
        clause="低收入组方案 二（六）",
    ),
    _m(
        "L06b",
        "公益性岗位期满再次安置",
        _H,
        ("人社厅", "农业农村厅", "财政厅", "市县"),
        Condition(
            "有成员公益性岗位补贴期满，仍未通过其他渠道就业",
            col("public_posts_ended") >= 1,
            ("public_posts_ended",),
        ),
        Condition("存在返贫致贫风险（监测对象风险未消除）", col("monitoring_open"), ("monitoring_open",)),
        amount_note="按程序通过公益性岗位再次安置，同地同岗同待遇，按月足额发放",
        clause="低收入组方案 二（六）",
    ),
    _m(
        "L07",
        "就业帮扶车间岗位",
        _H,
        ("农业农村厅", "人社厅", "财政厅", "市县"),
        Condition("有法定劳动年龄内的劳动力", col("working_age_labourers") >= 1, ("working_age_labourers",)),
        clause="低收入组方案 二（七）",
    ),
    _m(
        "L08",
        "低收入家庭应届毕业生就业服务",
        _M,
        ("人社厅", "教育厅", "农业农村厅", "团委", "市县"),
        Condition(
            "本人为应届大中专毕业生（毕业 {L08.graduate_years} 年内）",
            col("fresh_graduate"),
            ("graduation_year", "schooling"),
        ),
        amount=when(
            (
                col("graduate_business_years") >= param("L08.min_business_years"),
                param("L08.startup_subsidy"),
            ),
            otherwise=None,
        ),
        amount_note="毕业后首次创业、自登记注册起连续正常经营满 {L08.min_business_years} 年的给予创业补贴"
        " {L08.startup_subsidy} 元（首次创业、带动就业需核实）",
        clause="低收入组方案 二（八）",
    ),
    _m(
        "L09a",
        "整户纳入低保（整户保）",
        _H,
        _MINZHENG,
        Condition(
            "整户患大病或残疾，或整户无劳动能力",
            _WHOLE_CASE,
            ("whole_ill_or_disabled", "whole_no_labour"),
        ),
        Condition(
            "尚未全户享受低保（已享受单人保的成员之外，纳入其余成员）",
            ~col("whole_on_dibao"),
            ("dibao_household", "dibao_members", "members_to_dibao"),
        ),
        Condition("家庭财产符合低保条件", _ASSETS_OK, ("assets_within_dibao_rules",)),
        _NOT_PHASING_OUT,
        clause="低收入组方案 二（九）",
    ),
    _m(
        "L09b",
        "重病重残对象纳入低保（单人保）",
        _M,
        _MINZHENG,
        Condition("本人重病或重残", col("serious_or_severe"), ("health", "disability_grade")),
        Condition(
            "仅有 {L09b.labourers} 个劳动力", col("labourers") == param("L09b.labourers"), ("labourers",)
        ),
        Condition("尚未享受低保", _DIBAO_FREE & ~col("on_dibao"), ("dibao_household", "on_dibao")),
        Condition("家庭财产符合低保条件", _ASSETS_OK, ("assets_within_dibao_rules",)),
        Condition("不属于整户保情形（见 L09a）", ~_WHOLE_CASE, ("whole_ill_or_disabled", "whole_no_labour")),
        _NOT_PHASING_OUT,
        clause="低收入组方案 二（九）",
    ),
    _m(
        "L09c",
        "低保渐退期",
        _H,
        _MINZHENG,
        Condition(
            "年内低保终止（民政数据）", col("dibao_ended_in_year").fill_null(False), ("dibao_ended_in_year",)
        ),
        Condition("户内已无人享受低保", ~col("whole_on_dibao"), ("dibao_members",)),
        Condition(
            "扣除刚性支出后人均收入超过低保标准 {L09c.dibao_standard} 元",
            (col("dibao_income_pc") > param("L09c.dibao_standard")).fill_null(False),
            ("dibao_income_pc",),
        ),
        amount_note="收入超过低保标准退出低保的，给予 {L09c.phase_out_months} 个月渐退期，期内继续发放低保金，不再重新纳入低保；"
        "认定收入时扣除低保金、合规自付医疗费用和教育支出（家庭刚性支出扣减）",
        clause="低收入组方案 二（九）",
    ),
    _m(
        "L10",
        "残疾人帮扶（伤残等级鉴定、应保尽保、一家一年一事）",
        _M,
        _DISABILITY_UNITS,
        _DISABLED,
        clause="低收入组方案 二（十）",
    ),
    _m(
        "L10a",
        "困难残疾人生活补贴",
        _M,
        _DISABILITY_UNITS,
        _DISABLED,
        _IN_HARDSHIP,
        amount_note="金额见 T17a（每人每月 {T17a.monthly_amount} 元），此处不重复计",
        clause="低收入组方案 二（十）",
    ),
    _m(
        "L10b",
        "重度残疾人护理补贴",
        _M,
        _DISABILITY_UNITS,
        _SEVERE,
        amount_note="金额见 T17b（每人每月 {T17b.monthly_amount} 元），此处不重复计",
        clause="低收入组方案 二（十）",
    ),
    _m(
        "L11",
        "乡村振兴健康保、铁杆庄稼保",
        _M,
        ("农业农村厅", "金融监管宁夏局", "人社厅", "财政厅"),
        Condition(
            "年龄在 {L11.min_age}—{L11.max_age} 岁",
            col("age").between(param("L11.min_age"), param("L11.max_age")),
            ("age",),
        ),
        amount_note="保障额度 {L11.cover} 元，住院医疗责任限额 {L11.inpatient_limit} 元，个人自付+政策奖励",
        clause="低收入组方案 二（十一）",
    ),
    _m(
        "L12",
        "三重医疗保障",
        _M,
        ("卫生健康委", "医保局", "农业农村厅", "市县"),
        Condition("本人患有大病", col("serious_ill"), ("health",)),
        clause="低收入组方案 二（十二）",
    ),
    _m(
        "L12b",
        "村集体经济救助、社会力量救助",
        _H,
        ("卫生健康委", "医保局", "农业农村厅", "市县"),
        Condition(
            "三重保障后个人自付医疗费用达到 {L12b.min_self_paid} 元",
            col("medical_burden") >= param("L12b.min_self_paid"),
            ("medical_burden",),
        ),
        amount_note="经三重医疗保障后个人负担仍然较重的，采取村集体经济救助、引导社会力量救助等方式，确保不发生因病返贫致贫",
        clause="低收入组方案 二（十二）",
    ),
    _m("L13a", "联农带农利益联结优先", _H, AGRI, clause="低收入组方案 二（十三）"),
    _m(
        "L13b",
        "村集体经济收益分红",
        _H,
        AGRI,
        Condition(
            "村集体经济年收入超过 {L13b.min_collective_income_10k} 万元",
            col("collective_income_10k").fill_null(0.0) > param("L13b.min_collective_income_10k"),
            ("collective_income_10k",),
        ),
        amount_note="村集体经济收入的 {L13b.dividend_share} 给予村民分红，向低收入人口倾斜",
        clause="低收入组方案 二（十三）",
    ),
    _m(
        "T03",
        "劳务经纪人就业创业服务补贴",
        _M,
        ("人社厅", "农业农村厅"),
        Condition("本人转移就业", col("work").isin(TRANSFER_WORK), ("work",)),
        Condition(
            "稳定就业 {L05.min_months} 个月以上",
            col("work_months") >= param("L05.min_months"),
            ("work_months",),
        ),
        Condition(
            "经劳务中介（经纪人）或有组织劳务输出就业（就业渠道未填的待核实）",
            col("job_channel").is_null() | _ORGANISED,
            ("job_channel", "broker_placement"),
        ),
        amount=when((_ORGANISED, param("L05.broker_subsidy")), otherwise=None),
        to_household=False,
        amount_note="补贴付给组织就业的劳务中介或经纪人，不计入家庭收入（金额、月数与 L05 同一参数）；"
        "就业渠道未填的列为待核实，不测算金额",
        clause="分层方案 二（三）1（3）；金额、月数见低收入组方案 二（五）",
    ),
    _m(
        "T06",
        "帮扶产业、小额信贷应贷尽贷",
        _H,
        ("农业农村厅", "财政厅", "金融监管宁夏局", "人民银行宁夏区分行"),
        Condition("有生产经营", col("has_production"), ("arable_mu", "livestock", "operating_income")),
        Condition("有劳动力", col("labourers") >= 1, ("labourers",)),
        clause="分层方案 二（三）2（6）",
    ),
    _m(
        "T09",
        "吸纳就业社会保险补贴",
        _M,
        ("人社厅", "农业农村厅", "工业和信息化厅", "财政厅"),
        Condition("本人转移就业", col("work").isin(TRANSFER_WORK), ("work",)),
        Condition("本人就近就地就业（乡镇内务工、县内乡镇外务工、帮扶车间）", col("local_work"), ("work",)),
        Condition(
            "就业 {T09.min_months} 个月以上",
            col("work_months") >= param("T09.min_months"),
            ("work_months",),
        ),
        to_household=False,
        amount_note="补贴给用工企业，不超过 {T09.max_years} 年",
        clause="分层方案 二（三）2 稳内拓外促进转移就业",
    ),
    _m(
        "T10",
        "就业服务与技能培训补贴",
        _H,
        ("人社厅", "农业农村厅"),
        Condition(
            "零就业家庭，或有法定劳动年龄内未务工的劳动力",
            col("zero_employment") | (col("idle_working_age_labourers") >= 1),
            ("zero_employment", "idle_working_age_labourers"),
        ),
        amount=param("T10.training_subsidy_min") * col("idle_working_age_labourers"),
        amount_note="按培训补贴下限 {T10.training_subsidy_min} 元/人估算（范围 {T10.training_subsidy_min}—{T10.training_subsidy_max} 元；新型学徒制 {T10.apprentice_subsidy_min}—{T10.apprentice_subsidy_max} 元）",
        clause="分层方案 二（三）2 提升就业服务水平",
    ),
    _m(
        "T10a",
        "零就业家庭动态清零（就业援助）",
        _H,
        ("人社厅", "农业农村厅"),
        Condition(
            "零就业家庭（法定劳动年龄内有劳动能力的成员均未务工）",
            col("zero_employment"),
            ("zero_employment", "employable_members"),
        ),
        amount_note="“1311”就业服务，至少 1 人实现就业；培训补贴见 T10",
        clause="分层方案 二（三）2 提升就业服务水平",
    ),
    _m(
        "T14",
        "三保障和饮水安全",
        _H,
        ("教育厅", "住房城乡建设厅", "卫生健康委", "医保局", "水利厅"),
        Condition(
            "有义务教育阶段（{C03.compulsory_school_age|range} 岁）辍学、住房不安全（家庭信息为否或住建鉴定 C/D 级）、"
            "饮水不安全或未参加基本医保的情况（与 C03 同一认定）",
            (col("dropouts") >= 1) | col("housing_unsafe") | col("water_unsafe") | (col("uninsured") >= 1),
            ("dropouts", "housing_safe", "housing_grade", "water_safe", "uninsured"),
        ),
        clause="分层方案 二（三）3（14）；认定同 C03（分层方案 二（一））",
    ),
    _m(
        "T15",
        "兜底保障、光伏收益倾斜、公益性岗位优先",
        _H,
        ("民政厅", "农业农村厅", "发展改革委", "残联"),
        Condition(
            "有未务工的弱劳动力或半劳动力、为监测对象，或符合低保纳入条件",
            (col("weak_labourers_idle") >= 1)
            | col("is_monitoring_object")
            | (_WHOLE_CASE & _DIBAO_FREE & _ASSETS_OK)
            | (
                (col("serious_or_severe_members") >= 1)
                & (col("labourers") == param("L09b.labourers"))
                & _DIBAO_FREE
                & _ASSETS_OK
            ),
            (
                "weak_labourers_idle",
                "is_monitoring_object",
                "whole_ill_or_disabled",
                "whole_no_labour",
                "dibao_household",
            ),
        ),
        clause="分层方案 二（三）3（15）",
    ),
    _m(
        "T16",
        "“一老一小”关爱（适老化改造、困境儿童保障）",
        _H,
        ("民政厅", "人社厅", "团委"),
        Condition(
            "有特殊困难老年人、缺少劳动力照料的未成年人、留守儿童（不满 {T16.left_behind_under_age} 周岁），"
            "或因大病、意外致困家庭的未成年人",
            (col("elderly_in_difficulty") >= 1)
            | (col("children_without_carer") >= 1)
            | (col("left_behind_children") >= 1)
            | (col("children_in_distress") >= 1),
            (
                "elderly_in_difficulty",
                "children_without_carer",
                "left_behind_children",
                "children_in_distress",
            ),
        ),
        clause="分层方案 二（三）3（16）",
    ),
    _m(
        "T17",
        "残疾人创业、灵活就业补贴",
        _M,
        ("残联", "民政厅", "农业农村厅", "人社厅"),
        _DISABLED,
        Condition(
            "自主创业（经营中）第 1—3 年，或灵活就业 {T17.flexible_min_months} 个月以上",
            _T17_BUSINESS | _T17_FLEX,
            ("work", "business_years", "work_months"),
        ),
        amount=when(
            (_T17_BUSINESS, _T17_BUSINESS_AMOUNT), (_T17_FLEX, param("T17.flexible_amount")), otherwise=0
        ),
        amount_note="创业第 1/2/3 年 {T17.business_year1_amount}/{T17.business_year2_amount}/{T17.business_year3_amount} 元；灵活就业每年 {T17.flexible_amount} 元；公益性岗位按不低于岗位总数的 {T17.public_post_share|%} 安排残疾人",
        clause="分层方案 二（三）3（17）",
    ),
    _m(
        "T17a",
        "困难残疾人生活补贴",
        _M,
        ("残联", "民政厅", "财政厅"),
        _DISABLED,
        _IN_HARDSHIP,
        amount=param("T17a.monthly_amount") * 12,
        amount_note="按每人每月 {T17a.monthly_amount} 元测算全年；两项补贴标准动态调整",
        clause="分层方案 二（三）3（17）；低收入组方案 二（十）",
    ),
    _m(
        "T17b",
        "重度残疾人护理补贴",
        _M,
        ("残联", "民政厅", "财政厅"),
        _SEVERE,
        amount=param("T17b.monthly_amount") * 12,
        amount_note="按每人每月 {T17b.monthly_amount} 元测算全年；两项补贴标准动态调整",
        clause="分层方案 二（三）3（17）；低收入组方案 二（十）",
    ),
    _m(
        "T17c",
        "残疾人家庭无障碍改造",
        _H,
        ("残联", "住房城乡建设厅", "民政厅"),
        Condition("家中有残疾人", col("disabled_members") >= 1, ("disabled_members", "accessibility_need")),
        amount_note="厨房、卫生间、水电等精细化无障碍改造及辅助器具配备，改造内容和费用待入户核实需求后确定",
        clause="分层方案 二（三）3（17）；低收入组方案 二（十）",
    ),
    _m(
        "T18",
        "风险应对（农业保险、牛羊产业政策、超龄务工工伤帮扶）",
        _H,
        ("农业农村厅", "财政厅", "应急管理厅", "气象局", "民政厅", "人社厅", "司法厅", "金融监管宁夏局"),
        Condition(
            "种植耕地、养牛羊，或有超龄务工人员",
            (col("planted_mu") > 0) | (col("cattle_sheep") > 0) | (col("over_age_workers") >= 1),
            ("planted_mu", "cattle_sheep", "over_age_workers"),
        ),
        clause="分层方案 二（三）3（18）",
    ),
)

MEASURES_BY_CODE: dict[str, Measure] = {m.code: m for m in MEASURES}
