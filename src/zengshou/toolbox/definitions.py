"""The facts and the measures of the toolbox, as data: each measure one rule citing its catalogue code.

Facts follow the catalogue's working definitions (``../shared/policy/catalogue.md``) and the
interchange spec's definition of a healthy labourer. Every threshold is a parameter of
``data/params/toolbox.yaml``; nothing here knows a number the texts could change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zengshou import interchange as ix
from zengshou.toolbox.dsl import Agg, Expr, Substr, Year, col, param, when

# --- facts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A named fact with the label and unit an official reads (劳动力 2 人)."""

    name: str
    label: str
    unit: str = ""
    kind: str = "num"  # num | bool | text


def _facts(*rows: tuple[str, str, str, str]) -> dict[str, Fact]:
    return {r[0]: Fact(*r) for r in rows}


FACTS: dict[str, Fact] = _facts(
    # household
    ("household_type", "户类型", "", "text"),
    ("quintile", "五等份组", "", "text"),
    ("tier", "层级", "", "text"),
    ("in_scope", "低收入组脱贫人口（含监测对象）", "", "bool"),
    ("size", "家庭人口", "人", "num"),
    ("labourers", "劳动力", "人", "num"),
    ("healthy_labourers", "健康劳动力", "人", "num"),
    ("spare_healthy_labourers", "未务工的健康劳动力", "人", "num"),
    ("working_age_labourers", "法定劳动年龄内劳动力", "人", "num"),
    ("idle_working_age_labourers", "法定劳动年龄内未务工劳动力", "人", "num"),
    ("members_in_work", "务工人数", "人", "num"),
    ("zero_employment", "零就业家庭", "", "bool"),
    ("ill_or_disabled_members", "患大病或残疾成员", "人", "num"),
    ("serious_or_severe_members", "重病或重残成员", "人", "num"),
    ("whole_ill_or_disabled", "整户患大病或残疾", "", "bool"),
    ("whole_no_labour", "整户无劳动能力", "", "bool"),
    ("disabled_members", "残疾成员", "人", "num"),
    ("weak_labourers_idle", "未务工的弱劳动力或半劳动力", "人", "num"),
    ("elderly_in_difficulty", "特殊困难老年人", "人", "num"),
    ("children_without_carer", "缺少劳动力照料的未成年人", "人", "num"),
    ("over_age_workers", "超龄务工人员", "人", "num"),
    ("dropouts", "义务教育阶段辍学成员", "人", "num"),
    ("uninsured", "未参加基本医疗保险成员", "人", "num"),
    ("arable_mu", "耕地面积", "亩", "num"),
    ("arable_idle_mu", "耕地未种植", "亩", "num"),
    ("planted_mu", "已种植耕地", "亩", "num"),
    ("livestock", "牛羊猪存栏", "头（只）", "num"),
    ("cattle_sheep", "牛羊存栏", "头（只）", "num"),
    ("idle_courtyard", "有闲置庭院房屋棚圈", "", "bool"),
    ("courtyard_willing", "有庭院经济意愿", "", "bool"),
    ("livestock_willing", "有养殖意愿", "", "bool"),
    ("collective_yard", "出户入场养殖", "", "bool"),
    ("rents_greenhouse", "租赁集体大棚", "", "bool"),
    ("operating_income", "生产经营性收入", "元", "num"),
    ("has_production", "有生产经营（耕地、养殖或经营收入）", "", "bool"),
    ("dibao_household", "低保户", "", "bool"),
    ("assets_within_dibao_rules", "家庭财产符合低保条件", "", "bool"),
    ("housing_safe", "住房安全（家庭信息）", "", "bool"),
    ("housing_grade", "住建房屋安全鉴定等级", "", "text"),
    ("housing_unsafe", "住房不安全（家庭信息或住建鉴定 C/D 级）", "", "bool"),
    ("water_safe", "饮水安全", "", "bool"),
    ("water_unsafe", "饮水不安全", "", "bool"),
    ("collective_income_10k", "村集体经济年收入", "万元", "num"),
    ("is_monitoring_object", "监测对象", "", "bool"),
    # member
    ("age", "年龄", "岁", "num"),
    ("health", "健康状况", "", "text"),
    ("disability_grade", "残疾等级", "", "text"),
    ("labour", "劳动技能", "", "text"),
    ("work", "务工状况", "", "text"),
    ("work_months", "务工月数", "个月", "num"),
    ("graduation_year", "毕业年份", "", "num"),
    ("business_years", "创业年数", "年", "num"),
    ("on_dibao", "本人享受低保", "", "bool"),
    ("serious_or_severe", "本人重病或重残", "", "bool"),
    ("disabled", "本人残疾", "", "bool"),
)

TRANSFER_WORK = ("乡镇内务工", "县内乡镇外务工", "省内县外务工", "省外务工", "帮扶车间")

#: Member facts derived from the 家庭成员 columns (evaluated per member, year from the Env).
MEMBER_FACTS: dict[str, Expr] = {}
MEMBER_FACTS["age"] = Year() - Substr(col("id_number"), 6, 4).to_int()
MEMBER_FACTS["male"] = (Substr(col("id_number"), 16, 1).to_int() % 2) == 1
_age = col("age")
MEMBER_FACTS["labourer"] = col("labour").not_null() & ~col("labour").isin(ix.NON_LABOUR)
MEMBER_FACTS["healthy_labourer"] = (
    col("labour").isin(("技能劳动力", "普通劳动力"))
    & (col("health") == "健康")
    & col("disability_grade").is_null()
    & _age.between(param("def.healthy_labourer.min_age"), param("def.healthy_labourer.max_age"))
)
MEMBER_FACTS["working_age"] = (_age >= param("def.working_age.min")) & (
    (col("male") & (_age <= param("def.working_age.max_male")))
    | (~col("male") & (_age <= param("def.working_age.max_female")))
)
MEMBER_FACTS["in_work"] = col("work").not_null() & (col("work") != "未务工")
MEMBER_FACTS["serious_ill"] = col("health") == "患有大病"
MEMBER_FACTS["disabled"] = col("disability_grade").not_null()
MEMBER_FACTS["serious_or_severe"] = col("serious_ill") | col("disability_grade").isin(
    ix.SEVERE_DISABILITY_GRADES
)
MEMBER_FACTS["ill_or_disabled"] = col("serious_ill") | col("disabled")
MEMBER_FACTS["on_dibao"] = col("dibao").fill_null(False)
MEMBER_FACTS["business_years"] = Year() - col("business_since")
MEMBER_FACTS["work_months"] = col("work_months").fill_null(0)

_in_work = col("in_work")
#: Household aggregates of member facts (one row per household).
HOUSEHOLD_AGGREGATES: dict[str, Expr] = {
    "size": Agg("count", col("household_id").not_null()),
    "labourers": Agg("count", col("labourer")),
    "healthy_labourers": Agg("count", col("healthy_labourer")),
    "spare_healthy_labourers": Agg("count", col("healthy_labourer") & ~_in_work),
    "working_age_labourers": Agg("count", col("labourer") & col("working_age")),
    "idle_working_age_labourers": Agg("count", col("labourer") & col("working_age") & ~_in_work),
    "members_in_work": Agg("count", _in_work),
    "ill_or_disabled_members": Agg("count", col("ill_or_disabled")),
    "serious_or_severe_members": Agg("count", col("serious_or_severe")),
    "disabled_members": Agg("count", col("disabled")),
    "weak_labourers_idle": Agg(
        "count", (col("labour") == "弱劳动力或半劳动力") & col("working_age") & ~_in_work
    ),
    "elderly_in_difficulty": Agg(
        "count",
        (_age >= param("T16.elderly_age")) & (col("serious_ill") | col("disabled") | ~col("labourer")),
    ),
    "children": Agg("count", _age <= param("T16.child_max_age")),
    "carers": Agg("count", col("labourer") & col("working_age")),
    "over_age_workers": Agg("count", _in_work & (_age > param("def.working_age.max_male"))),
}

#: T14's 三保障/饮水 facts per household, taken from C03 (``zengshou.tiers.rules.guarantee_facts``)
#: so T14, C03 and the M03g/M03h alerts share one definition: dropouts of compulsory-school age
#: (``compulsory_school_age``) from the member sheet or the 教育 feed; housing unsafe by the 家庭
#: sheet or a 住建 grade C/D; water unsafe by the 家庭 sheet; members with 参加基本医疗保险 否.
#: Both runners join them (``engine.guarantee_frame``); the value when a household has none is given.
GUARANTEE_FACTS: dict[str, object] = {
    "dropouts": 0,
    "uninsured": 0,
    "housing_unsafe": False,
    "water_unsafe": False,
    "housing_grade": "无鉴定记录",
}

#: Household facts derived after aggregation (household columns + aggregates).
HOUSEHOLD_FACTS: dict[str, Expr] = {
    "zero_employment": (col("working_age_labourers") >= 1) & (col("members_in_work") == 0),
    "whole_ill_or_disabled": col("ill_or_disabled_members") == col("size"),
    "whole_no_labour": col("labourers") == 0,
    "livestock": col("cattle").fill_null(0) + col("sheep").fill_null(0) + col("pigs").fill_null(0),
    "cattle_sheep": col("cattle").fill_null(0) + col("sheep").fill_null(0),
    "planted_mu": col("arable_mu").fill_null(0.0) - col("arable_idle_mu").fill_null(0.0),
    "children_without_carer": when((col("carers") == 0, col("children")), otherwise=0),
    "is_monitoring_object": col("household_type").isin(ix.MONITORING_TYPES),
}
HOUSEHOLD_FACTS["has_production"] = (
    (col("arable_mu").fill_null(0.0) > 0)
    | (col("livestock") > 0)
    | (col("operating_income").fill_null(0.0) > 0)
)


# --- measures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One condition of a measure: what the text requires and the facts that decide it.

    ``requirement`` is Chinese text with ``{parameter.key}`` placeholders filled from the parameter
    values in force (``仅有 {L06.labourers} 个劳动力`` → ``仅有 1 个劳动力``).
    """

    requirement: str
    expr: Expr
    shows: tuple[str, ...] = ()


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
    conditions=(
        Condition(
            "户类型为 {scope.household_types}",
            col("household_type").isin(param("scope.household_types")),
            ("household_type",),
        ),
        Condition(
            "五等份组为 {scope.quintiles}", col("quintile").isin(param("scope.quintiles")), ("quintile",)
        ),
    ),
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
_T17_BUSINESS = col("business_years").between(1, 3)
_T17_BUSINESS_AMOUNT = _business_amount(col("business_years").fill_null(0))
_T17_FLEX_AMOUNT = when((_T17_FLEX, param("T17.flexible_amount")), otherwise=0)
_DIBAO_FREE = ~col("dibao_household").fill_null(False)
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
            "缺乏劳力（未务工的健康劳动力不超过 {L04.max_spare_labourers} 人）",
            col("spare_healthy_labourers") <= param("L04.max_spare_labourers"),
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
            "无闲余劳力（未务工的健康劳动力不超过 {L04.max_spare_labourers} 人）",
            col("spare_healthy_labourers") <= param("L04.max_spare_labourers"),
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
        amount_note="劳务中介组织就业 {L05.min_months} 个月及以上的，按 {L05.broker_subsidy} 元/人补贴中介（见 T03），不计入家庭收入",
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
        Condition("本人为当年应届大中专毕业生", col("graduation_year") == Year(), ("graduation_year",)),
        amount=when(
            (col("business_years") >= param("L08.min_business_years"), param("L08.startup_subsidy")),
            otherwise=None,
        ),
        amount_note="首次创业连续正常经营满 {L08.min_business_years} 年的给予创业补贴 {L08.startup_subsidy} 元（带动就业需核实）",
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
        Condition("尚未享受低保", _DIBAO_FREE, ("dibao_household",)),
        Condition("家庭财产符合低保条件", _ASSETS_OK, ("assets_within_dibao_rules",)),
        clause="低收入组方案 二（九）",
    ),
    _m(
        "L09b",
        "重病重残对象纳入低保（单人保）",
        _M,
        _MINZHENG,
        Condition("本人重病或重残", col("serious_or_severe"), ("health", "disability_grade")),
        Condition(
            "仅有 {L09.labourers} 个劳动力", col("labourers") == param("L09.labourers"), ("labourers",)
        ),
        Condition("尚未享受低保", _DIBAO_FREE & ~col("on_dibao"), ("dibao_household", "on_dibao")),
        Condition("家庭财产符合低保条件", _ASSETS_OK, ("assets_within_dibao_rules",)),
        Condition("不属于整户保情形（见 L09a）", ~_WHOLE_CASE, ("whole_ill_or_disabled", "whole_no_labour")),
        clause="低收入组方案 二（九）",
    ),
    _m(
        "L10",
        "残疾人两项补贴、一家一年一事",
        _M,
        (
            "残联",
            "财政厅",
            "农业农村厅",
            "民政厅",
            "教育厅",
            "住房城乡建设厅",
            "水利厅",
            "卫生健康委",
            "医保局",
        ),
        Condition("本人残疾", col("disabled"), ("disability_grade",)),
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
        amount=param("L05.broker_subsidy"),
        to_household=False,
        amount_note="补贴付给组织就业的劳务中介或经纪人，不计入家庭收入（金额、月数与 L05 同一参数）",
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
        "T14",
        "三保障和饮水安全",
        _H,
        ("教育厅", "住房城乡建设厅", "卫生健康委", "医保局", "水利厅"),
        Condition(
            "有义务教育阶段（{compulsory_school_age|range} 岁）辍学、住房不安全（家庭信息为否或住建鉴定 C/D 级）、"
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
                & (col("labourers") == param("L09.labourers"))
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
            "有特殊困难老年人，或有缺少劳动力照料的未成年人",
            (col("elderly_in_difficulty") >= 1) | (col("children_without_carer") >= 1),
            ("elderly_in_difficulty", "children_without_carer"),
        ),
        clause="分层方案 二（三）3（16）",
    ),
    _m(
        "T17",
        "残疾人创业、灵活就业补贴",
        _M,
        ("残联", "民政厅", "农业农村厅", "人社厅"),
        Condition("本人残疾", col("disabled"), ("disability_grade",)),
        Condition(
            "创业第 1—3 年，或灵活就业 {T17.flexible_min_months} 个月以上",
            _T17_BUSINESS.fill_null(False) | _T17_FLEX,
            ("business_years", "work", "work_months"),
        ),
        amount=when(
            (_T17_BUSINESS_AMOUNT >= _T17_FLEX_AMOUNT, _T17_BUSINESS_AMOUNT), otherwise=_T17_FLEX_AMOUNT
        ),
        amount_note="创业第 1/2/3 年 {T17.business_year1_amount}/{T17.business_year2_amount}/{T17.business_year3_amount} 元；灵活就业每年 {T17.flexible_amount} 元（两者取高）；公益性岗位按不低于岗位总数的 {T17.public_post_share|%} 安排残疾人",
        clause="分层方案 二（三）3（17）",
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
