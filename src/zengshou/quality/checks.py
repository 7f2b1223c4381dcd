"""The data-quality checks (数据质量核查规则), declared: code, severity, title, condition, message, fields.

Each :class:`Check` is a condition in the rule language (:mod:`zengshou.rules.dsl`) over one row of
a household or a person: registry columns, the facts of :mod:`zengshou.rules.facts`, the quality
facts below and the prepared columns listed in :data:`HOUSEHOLD_INPUTS` / :data:`PERSON_INPUTS`
(accounts of the year, monitoring record, phone length, 残联 and 民政 records). The message is a
template over the same columns (:func:`zengshou.rules.text.template_expr`) that names the values
which tripped the check; a person is named by relation (户主, 之子 …), never by name or ID number.
A :class:`DuplicateCheck` is the one kind that looks across households: persons who share a key
(the ID number anywhere in the region, name + birth date within a village) in different households.
Severity 错误 must be corrected before the freeze; 疑点 must be verified (corrected or exempted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zengshou import interchange as ix
from zengshou.rules.dsl import Agg, Expr, Fact, Substr, Year, any_of, col, lit, param, when
from zengshou.rules.facts import TRANSFER_WORK
from zengshou.rules.text import Text

ERROR, DOUBT = "错误", "疑点"
SEVERITIES = (ERROR, DOUBT)
HOUSEHOLD, PERSON = "household", "person"

#: Arable land above this is an error of unit (平方米 or 分 written as 亩) more often than a farm.
MAX_ARABLE_MU = 100
#: Herd sizes beyond a household farm (a cooperative's herd registered on one household).
MAX_CATTLE, MAX_SHEEP, MAX_PIGS = 200, 2000, 1000
#: Ages of a public-welfare post holder (公益性岗位): 16 to under 70.
POST_MIN_AGE, POST_MAX_AGE = 16, 70
MAX_AGE = 120
#: Per-capita net income above this is checked as a likely typing error (an extra zero).
MAX_PER_CAPITA = 100_000
#: A risk may be eliminated no sooner than this many months after identification.
MIN_MONITORED_MONTHS = 6
#: 缺劳动力 is doubtful where more than this share of the members are labourers.
MAX_LABOUR_SHARE_SHORT = 0.25
#: Wage income outside [expected / k, expected × k] of 务工月收入 × 务工月数 is doubtful.
WAGE_RATIO = 2
#: Below this expected wage (元) the comparison says nothing.
MIN_EXPECTED_WAGE = 1000
#: Age from which a member draws the residents' pension (城乡居民基本养老保险).
PENSION_AGE = 60

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"


def _id_digit(i: int) -> Expr:
    return Substr(col("id_number"), i, 1).to_int()


def _digit_sum() -> Expr:
    total: Expr = _id_digit(0) * _WEIGHTS[0]
    for i in range(1, 17):
        total = total + _id_digit(i) * _WEIGHTS[i]
    return total


def _p(name: str, label: str, kind: str, expr: Expr) -> Fact:
    return Fact(name, label, "", kind, PERSON, expr, "数据质量核查")


def _h(name: str, label: str, unit: str, kind: str, expr: Expr) -> Fact:
    return Fact(name, label, unit, kind, HOUSEHOLD, expr, "数据质量核查")


_head = col("relation") == "户主"
_age = col("age")

#: Person facts the checks read besides those of :mod:`zengshou.rules.facts`.
PERSON_FACTS: tuple[Fact, ...] = (
    _p("who", "成员", "text", col("relation").fill_null("成员")),
    _p(
        "id_well_formed",
        "证件号码为18位（前17位数字）",
        "bool",
        (Substr(col("id_number"), 17, 1) != "")
        & (Substr(col("id_number"), 18, 1) == "")
        & Substr(col("id_number"), 0, 17).to_int().not_null(),
    ),
    _p("id_check_sum", "证件号码加权和", "num", _digit_sum() % 11),
    _p(
        "id_check_expected",
        "应有校验位",
        "text",
        when(*((col("id_check_sum") == i, c) for i, c in enumerate(_CHECK_CHARS)), otherwise=None),
    ),
    _p("id_check_given", "校验位", "text", Substr(col("id_number"), 17, 1)),
    _p("birth_month", "出生月份", "num", Substr(col("id_number"), 10, 2).to_int()),
    _p("birth_day", "出生日", "num", Substr(col("id_number"), 12, 2).to_int()),
    _p("birth_date_text", "出生日期", "text", Substr(col("id_number"), 6, 8)),
    _p(
        "in_school",
        "在校",
        "bool",
        col("schooling").not_null() & ~col("schooling").isin(("非在校生", "辍学")),
    ),
    _p("wage_worker", "工资性务工", "bool", col("work").isin((*TRANSFER_WORK, "公益性岗位"))),
    _p(
        "self_employed",
        "自主创业或灵活就业",
        "bool",
        col("work").isin(("自主创业", "灵活就业")) | col("business_since").not_null(),
    ),
)

#: Household counts of the quality person facts.
HOUSEHOLD_COUNTS: tuple[Fact, ...] = (
    _h("heads", "户主", "人", "num", Agg("count", _head)),
    _h("head_age", "户主年龄", "岁", "num", Agg("sum", when((_head, _age), otherwise=0))),
    _h("head_male", "户主为男性", "", "bool", Agg("any", _head & col("male"))),
    _h("wage_workers", "工资性务工人数", "人", "num", Agg("count", col("wage_worker"))),
    _h("self_employed_members", "自主创业或灵活就业人数", "人", "num", Agg("count", col("self_employed"))),
    _h("dibao_members", "享受低保成员", "人", "num", Agg("count", col("on_dibao"))),
    _h("students", "在校生", "人", "num", Agg("count", col("in_school"))),
    _h(
        "ill_members",
        "患长期慢性病或大病成员",
        "人",
        "num",
        Agg("count", col("health").isin(("长期慢性病", "患有大病"))),
    ),
    _h("pension_age_members", "60周岁以上成员", "人", "num", Agg("count", _age >= PENSION_AGE)),
    _h("tekun_members", "享受特困供养成员", "人", "num", Agg("count", col("tekun").fill_null(False))),
    _h(
        "expected_wage",
        "务工月收入×务工月数之和",
        "元",
        "num",
        Agg(
            "sum",
            when(
                (col("wage_worker"), col("monthly_wage").fill_null(0.0) * col("work_months")), otherwise=0.0
            ),
        ),
    ),
    _h(
        "unpriced_workers",
        "务工但务工月收入未填的成员",
        "人",
        "num",
        Agg("count", col("wage_worker") & col("monthly_wage").is_null()),
    ),
)


def _has_risk(*risks: str) -> Expr:
    return any_of(*(col(slot).isin(risks).fill_null(False) for slot in ix.RISK_SLOTS))


#: Household facts over the monitoring record's risks (致贫/返贫风险1–5) and the counts above.
HOUSEHOLD_FACTS: tuple[Fact, ...] = (
    _h("risk_illness", "风险含因病", "", "bool", _has_risk("因病")),
    _h("risk_schooling", "风险含因学", "", "bool", _has_risk("因学")),
    _h("risk_disability", "风险含因残", "", "bool", _has_risk("因残")),
    _h("risk_labour_short", "风险含缺劳动力", "", "bool", _has_risk("缺劳动力")),
    _h("risk_housing", "风险含因安全住房", "", "bool", _has_risk("因安全住房")),
    _h("risk_water", "风险含因安全饮水", "", "bool", _has_risk("因安全饮水")),
    _h("risk_given", "填有致贫/返贫风险", "", "bool", any_of(*(col(s).not_null() for s in ix.RISK_SLOTS))),
    _h(
        "transfer_items",
        "转移性收入各分项之和",
        "元",
        "num",
        col("transfer_dibao")
        + col("transfer_pension")
        + col("transfer_tekun")
        + col("transfer_eco")
        + col("transfer_family_planning")
        + col("transfer_other"),
    ),
)

#: Prepared household columns (besides the registry's and the facts): what the evaluator joins on.
HOUSEHOLD_INPUTS: dict[str, str] = {
    "has_income": "有本年度收入记录",
    "per_capita_income": "人均纯收入（元）",
    "net_income": "家庭纯收入（元）",
    "wage": "工资性收入（元）",
    "operating_gross": "生产经营性收入（元）",
    "operating_cost": "生产经营性支出（元）",
    "transfer": "转移性收入（元）",
    "transfer_dibao": "其中:低保金（元）",
    "transfer_pension": "其中:养老金（元）",
    "transfer_tekun": "其中:特困供养金（元）",
    "transfer_eco": "其中:生态补偿金（元）",
    "transfer_family_planning": "其中:计划生育金（元）",
    "transfer_other": "其中:其他转移性收入（元）",
    "phone_length": "联系电话位数",
    "phone_masked": "联系电话（遮蔽）",
    "mo_open": "有未消除风险的监测记录",
    "mo_type": "监测记录的监测对象类型",
    "mo_eliminated": "最近一次监测已消除风险",
    "mo_included_on": "识别监测时间",
    "mo_eliminated_on": "消除监测时间",
    "monitored_months": "识别至消除的月数",
    "income_after_elimination": "消除后有收入记录",
    "paired": "有帮扶责任人（在结对）",
    **{slot: f"监测记录致贫/返贫风险{i}" for i, slot in enumerate(ix.RISK_SLOTS, 1)},
    "mo_risks": "监测记录的致贫/返贫风险",
    "mo_open_method": "未消除监测记录的风险消除方式",
    "mo_elimination_method": "最近一次消除的风险消除方式",
}
PERSON_INPUTS: dict[str, str] = {
    "certificate_grade": "残联证书残疾等级",
    "civil_dibao": "民政数据低保在保",
    "household_type": "户类型",
    "dibao_household": "低保户",
    "head_age": "户主年龄",
    "head_male": "户主为男性",
    "household_tekun": "所在户特困供养",
}


@dataclass(frozen=True)
class Check:
    """One rule over one row (a household or a person): flagged where ``condition`` holds.

    ``reads`` are the registry fields (by the interchange headers) the rule reads, as shown to
    officials; ``message`` names the values; ``derived`` are helper columns the texts read.
    """

    code: str
    title: str
    severity: str
    entity: str
    condition: Expr
    message: Text
    reads: tuple[str, ...]
    derived: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class DuplicateCheck:
    """Persons sharing ``key`` (within ``within``, when given) registered in more than one household."""

    code: str
    title: str
    severity: str
    key: tuple[str, ...]
    within: tuple[str, ...]
    message: str
    reads: tuple[str, ...]
    entity: str = field(default=PERSON)


def _c(
    code: str,
    title: str,
    severity: str,
    entity: str,
    condition: Expr,
    message: Text,
    reads: tuple[str, ...],
    derived: tuple[tuple[str, Expr], ...] = (),
) -> Check:
    return Check(code, title, severity, entity, condition, message, reads, derived)


_H, _P = HOUSEHOLD, PERSON
_type = col("household_type")
_tuopin = _type == "脱贫户"
_monitored = col("is_monitoring_object").fill_null(False) | col("mo_open").fill_null(False)
_compulsory = param("C03.compulsory_school_age")
_relation_age_gap = col("head_age") - _age
_open = col("mo_open").fill_null(False)

CHECKS: tuple[Check | DuplicateCheck, ...] = (
    DuplicateCheck(
        "Q001",
        "证件号码重复（全区，含跨县）",
        ERROR,
        ("id_key",),
        (),
        "{who}的证件号码与{other}重复登记",
        ("证件号码",),
    ),
    DuplicateCheck(
        "Q002",
        "同村同名同出生日期登记在两户",
        DOUBT,
        ("name", "birth_date_text"),
        ("village_code",),
        "{who}与{other}同名且出生日期同为{birth_date_text}，疑为同一人重复登记",
        ("姓名", "证件号码", "行政区划代码"),
    ),
    _c(
        "Q003",
        "证件号码格式错误",
        ERROR,
        _P,
        ~col("id_well_formed").fill_null(False),
        "{who}的证件号码不是18位（前17位应为数字，末位为数字或X）",
        ("证件号码",),
    ),
    _c(
        "Q004",
        "证件号码校验位错误",
        ERROR,
        _P,
        col("id_well_formed").fill_null(False) & (col("id_check_given") != col("id_check_expected")),
        "{who}的证件号码校验位为{id_check_given}，按前17位应为{id_check_expected}",
        ("证件号码",),
    ),
    _c(
        "Q005",
        "证件号码中的出生日期无效",
        ERROR,
        _P,
        col("id_well_formed").fill_null(False)
        & (~col("birth_month").between(1, 12) | ~col("birth_day").between(1, 31)),
        "{who}的证件号码中出生日期{birth_date_text}不是有效日期",
        ("证件号码",),
    ),
    _c(
        "Q006",
        "年龄不合理（出生晚于本年度或超过120岁）",
        ERROR,
        _P,
        (_age < 0) | (_age > MAX_AGE),
        "{who}按证件号码计年龄为{age}岁",
        ("证件号码",),
    ),
    _c(
        "Q007",
        "户主缺失",
        ERROR,
        _H,
        (col("size") > 0) & (col("heads") == 0),
        "家庭成员{size}人，其中没有与户主关系为“户主”的成员",
        ("与户主关系",),
    ),
    _c(
        "Q008",
        "农户无家庭成员",
        ERROR,
        _H,
        col("size") == 0,
        "户类型{household_type}，家庭成员表中没有该户的成员",
        ("户编号",),
    ),
    _c(
        "Q009",
        "户主未满16周岁",
        DOUBT,
        _P,
        _head & (_age < 16),
        "户主年龄{age}岁，未满16周岁",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q010",
        "配偶未满18周岁",
        DOUBT,
        _P,
        (col("relation") == "配偶") & (_age < 18),
        "配偶年龄{age}岁，未满18周岁",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q011",
        "配偶与户主性别相同",
        DOUBT,
        _P,
        (col("relation") == "配偶") & (col("heads") >= 1) & (col("male") == col("head_male")),
        "配偶与户主的证件号码性别位相同",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q012",
        "子女与户主年龄差小于15岁",
        DOUBT,
        _P,
        col("relation").isin(("之子", "之女", "之儿媳", "之女婿"))
        & (col("heads") >= 1)
        & (_relation_age_gap < 15),
        "{who}年龄{age}岁，户主年龄{head_age}岁，相差不足15岁",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q013",
        "父母与户主年龄差小于15岁",
        DOUBT,
        _P,
        col("relation").isin(("之父", "之母")) & (col("heads") >= 1) & ((_age - col("head_age")) < 15),
        "{who}年龄{age}岁，户主年龄{head_age}岁，相差不足15岁",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q014",
        "孙子女与户主年龄差小于30岁",
        DOUBT,
        _P,
        col("relation").isin(("之孙子", "之孙女")) & (col("heads") >= 1) & (_relation_age_gap < 30),
        "{who}年龄{age}岁，户主年龄{head_age}岁，相差不足30岁",
        ("与户主关系", "证件号码"),
    ),
    _c(
        "Q015",
        "义务教育阶段适龄儿童少年未在校",
        DOUBT,
        _P,
        _age.between(_compulsory[0], _compulsory[1])
        & (col("schooling").is_null() | col("schooling").isin(("非在校生", "学前"))),
        "{who}年龄{age}岁，在校生状况为{schooling_text}",
        ("在校生状况", "证件号码"),
        derived=(("schooling_text", col("schooling").fill_null("未填")),),
    ),
    _c(
        "Q016",
        "在校生状况与年龄不符",
        DOUBT,
        _P,
        ((col("schooling") == "小学") & ~_age.between(5, 15))
        | ((col("schooling") == "初中") & ~_age.between(10, 19))
        | ((col("schooling") == "学前") & (_age > 7))
        | (col("schooling").isin(("本科", "研究生", "大专", "高职")) & (_age < 15)),
        "{who}年龄{age}岁，在校生状况为{schooling}",
        ("在校生状况", "证件号码"),
    ),
    _c(
        "Q017",
        "未满16周岁登记为劳动力",
        DOUBT,
        _P,
        (_age < 16) & col("labour").isin(("技能劳动力", "普通劳动力")),
        "{who}年龄{age}岁，劳动技能为{labour}",
        ("劳动技能", "证件号码"),
    ),
    _c(
        "Q018",
        "75岁以上登记为技能或普通劳动力",
        DOUBT,
        _P,
        (_age >= 75) & col("labour").isin(("技能劳动力", "普通劳动力")),
        "{who}年龄{age}岁，劳动技能为{labour}",
        ("劳动技能", "证件号码"),
    ),
    _c(
        "Q019",
        "无劳动能力人员登记为务工",
        ERROR,
        _P,
        col("labour").isin(ix.NON_LABOUR) & col("in_work"),
        "{who}劳动技能为{labour}，务工状况为{work}",
        ("劳动技能", "务工状况"),
    ),
    _c(
        "Q020",
        "未务工但务工月数大于0",
        ERROR,
        _P,
        ~col("in_work") & (col("work_months").fill_null(0) > 0),
        "{who}务工状况为{work_text}，务工月数为{work_months}个月",
        ("务工状况", "务工月数"),
        derived=(("work_text", col("work").fill_null("未填")),),
    ),
    _c(
        "Q021",
        "务工但务工月数为空或为0",
        DOUBT,
        _P,
        col("in_work") & (col("work_months").fill_null(0) == 0),
        "{who}务工状况为{work}，务工月数未填或为0",
        ("务工状况", "务工月数"),
    ),
    _c(
        "Q022",
        "公益性岗位人员未满16周岁或70周岁以上",
        ERROR,
        _P,
        ((col("work") == "公益性岗位") | col("public_welfare_post").fill_null(False))
        & ((_age < POST_MIN_AGE) | (_age >= POST_MAX_AGE)),
        "{who}年龄{age}岁，从事公益性岗位（应为16周岁以上、70周岁以下）",
        ("务工状况", "公益性岗位", "证件号码"),
    ),
    _c(
        "Q023",
        "在校生登记为务工",
        DOUBT,
        _P,
        col("in_school") & col("in_work") & (_age < 18),
        "{who}年龄{age}岁，在校生状况为{schooling}，务工状况为{work}",
        ("在校生状况", "务工状况"),
    ),
    _c(
        "Q024",
        "残联有残疾证但残疾等级为空",
        DOUBT,
        _P,
        col("certificate_grade").not_null() & col("disability_grade").is_null(),
        "{who}残联数据登记残疾等级{certificate_grade}，家庭成员表残疾等级为空",
        ("残疾等级",),
    ),
    _c(
        "Q025",
        "残疾等级与残联证书不一致",
        DOUBT,
        _P,
        col("certificate_grade").not_null()
        & col("disability_grade").not_null()
        & (col("certificate_grade") != col("disability_grade")),
        "{who}残疾等级为{disability_grade}，残联证书为{certificate_grade}",
        ("残疾等级",),
    ),
    _c(
        "Q026",
        "享受低保成员所在户不是低保户",
        DOUBT,
        _P,
        col("on_dibao") & ~col("dibao_household").fill_null(False),
        "{who}享受低保，所在户低保户为否或未填",
        ("享受低保", "低保户"),
    ),
    _c(
        "Q027",
        "民政数据低保在保但成员未登记享受低保",
        DOUBT,
        _P,
        col("civil_dibao").fill_null(False) & ~col("on_dibao"),
        "{who}民政数据低保在保，家庭成员表享受低保为否或未填",
        ("享受低保",),
    ),
    _c(
        "Q028",
        "未参加基本医疗保险",
        DOUBT,
        _P,
        col("uninsured_person"),
        "{who}参加基本医疗保险为否",
        ("参加基本医疗保险",),
    ),
    _c(
        "Q029",
        "联系电话不是11位数字",
        ERROR,
        _H,
        col("phone").not_null()
        & (
            (col("phone_length") != 11)
            | col("phone").to_int().is_null()
            | (Substr(col("phone"), 0, 1) != "1")
        ),
        "联系电话{phone_masked}共{phone_length}位，应为以1开头的11位数字",
        ("联系电话",),
    ),
    _c("Q030", "联系电话为空", DOUBT, _H, col("phone").is_null(), "联系电话未填", ("联系电话",)),
    _c(
        "Q031",
        "耕地面积超过100亩",
        ERROR,
        _H,
        col("arable_mu") > MAX_ARABLE_MU,
        f"耕地面积{{arable_mu}}亩，超过{MAX_ARABLE_MU}亩",
        ("耕地面积(亩)",),
    ),
    _c(
        "Q032",
        "耕地未种植面积大于耕地面积",
        ERROR,
        _H,
        col("arable_idle_mu").fill_null(0.0) > col("arable_mu").fill_null(0.0),
        "耕地未种植{arable_idle_mu}亩，耕地面积{arable_mu_text}亩",
        ("耕地面积(亩)", "耕地未种植(亩)"),
        derived=(("arable_mu_text", col("arable_mu").fill_null(0.0)),),
    ),
    _c(
        "Q033",
        "养殖规模异常",
        DOUBT,
        _H,
        (col("cattle").fill_null(0) > MAX_CATTLE)
        | (col("sheep").fill_null(0) > MAX_SHEEP)
        | (col("pigs").fill_null(0) > MAX_PIGS),
        f"牛{{cattle_n}}头、羊{{sheep_n}}只、猪{{pigs_n}}头，超过农户养殖规模（牛{MAX_CATTLE}、羊{MAX_SHEEP}、猪{MAX_PIGS}）",
        ("牛存栏(头)", "羊存栏(只)", "猪存栏(头)"),
        derived=(
            ("cattle_n", col("cattle").fill_null(0)),
            ("sheep_n", col("sheep").fill_null(0)),
            ("pigs_n", col("pigs").fill_null(0)),
        ),
    ),
    _c(
        "Q034",
        "脱贫户人均纯收入低于监测范围但未纳入监测",
        ERROR,
        _H,
        _tuopin
        & ~_monitored
        & col("per_capita_income").not_null()
        & (col("per_capita_income") < param("M05.monitoring_line")),
        "脱贫户人均纯收入{per_capita_income|元}元，低于防止返贫监测范围{M05.monitoring_line|千分位}元，未纳入监测",
        ("户类型", "收入"),
    ),
    _c(
        "Q035",
        "脱贫户住房不安全但未纳入监测",
        ERROR,
        _H,
        _tuopin & ~_monitored & col("housing_unsafe"),
        "脱贫户住房不安全（住房安全为否或住建鉴定C/D级），未纳入监测",
        ("户类型", "住房安全"),
    ),
    _c(
        "Q036",
        "脱贫户饮水不安全但未纳入监测",
        ERROR,
        _H,
        _tuopin & ~_monitored & col("water_unsafe"),
        "脱贫户饮水安全为否，未纳入监测",
        ("户类型", "饮水安全"),
    ),
    _c(
        "Q037",
        "户类型为监测对象但无在监测记录",
        ERROR,
        _H,
        col("is_monitoring_object") & ~col("mo_open").fill_null(False),
        "户类型为{household_type}，监测对象记录中没有未消除风险的记录",
        ("户类型",),
    ),
    _c(
        "Q038",
        "在监测记录的户类型不是监测对象",
        ERROR,
        _H,
        col("mo_open").fill_null(False) & ~col("is_monitoring_object"),
        "监测记录为{mo_type}（风险未消除），户类型为{household_type}",
        ("户类型",),
    ),
    _c(
        "Q039",
        "监测对象类型与户类型不一致",
        DOUBT,
        _H,
        col("mo_open").fill_null(False)
        & col("is_monitoring_object")
        & (_type != lit("监测对象-") + col("mo_type")),
        "户类型为{household_type}，监测记录为{mo_type}",
        ("户类型",),
    ),
    _c(
        "Q040",
        "风险消除距识别监测不足6个月",
        ERROR,
        _H,
        col("mo_eliminated").fill_null(False) & (col("monitored_months") < MIN_MONITORED_MONTHS),
        "识别监测时间{mo_included_on|日期}，消除监测时间{mo_eliminated_on|日期}，间隔{monitored_months}个月（应不少于6个月）",
        ("识别监测时间", "消除监测时间"),
    ),
    _c(
        "Q041",
        "风险已消除但消除后收入信息为空",
        ERROR,
        _H,
        col("mo_eliminated").fill_null(False) & ~col("income_after_elimination").fill_null(False),
        "{mo_eliminated_on|日期}风险消除，当年及以后没有收入记录",
        ("消除监测时间", "收入"),
    ),
    _c(
        "Q042",
        "监测对象未落实帮扶责任人",
        DOUBT,
        _H,
        _monitored & ~col("paired").fill_null(False),
        "户类型为{household_type}，没有在结对的帮扶责任人",
        ("户类型", "帮扶干部"),
    ),
    _c(
        "Q043",
        "整户无劳动力但有成员务工",
        DOUBT,
        _H,
        (col("labourers") == 0) & (col("members_in_work") > 0),
        "劳动力0人，务工{members_in_work}人",
        ("劳动技能", "务工状况"),
    ),
    _c(
        "Q044",
        "低保户家庭财产不符合低保条件",
        DOUBT,
        _H,
        col("dibao_household").fill_null(False) & (col("assets_within_dibao_rules") == False),  # noqa: E712
        "低保户为是，家庭财产符合低保条件为否",
        ("低保户", "家庭财产符合低保条件"),
    ),
    _c(
        "Q045",
        "特困供养户有健康劳动力",
        DOUBT,
        _H,
        col("tekun").fill_null(False) & (col("healthy_labourers") >= 1),
        "特困供养为是，家中有健康劳动力{healthy_labourers}人",
        ("特困供养", "劳动技能"),
    ),
    _c(
        "Q046",
        "低保户无成员享受低保",
        DOUBT,
        _H,
        col("dibao_household").fill_null(False) & (col("dibao_members") == 0) & (col("size") > 0),
        "低保户为是，家庭成员中享受低保为0人",
        ("低保户", "享受低保"),
    ),
    _c(
        "Q047",
        "本年度无收入记录",
        DOUBT,
        _H,
        ~col("has_income").fill_null(False) & (col("size") > 0),
        "{period.year}年没有全年收入记录",
        ("收入",),
    ),
    _c(
        "Q048",
        "转移性收入小于其中低保金与养老金之和",
        ERROR,
        _H,
        col("has_income").fill_null(False)
        & (col("transfer") + 0.005 < col("transfer_dibao") + col("transfer_pension")),
        "转移性收入{transfer|元}元，其中低保金{transfer_dibao|元}元、养老金{transfer_pension|元}元",
        ("转移性收入", "其中:低保金", "其中:养老金"),
    ),
    _c(
        "Q049",
        "低保户无低保金收入",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & col("dibao_household").fill_null(False)
        & (col("transfer_dibao") == 0),
        "低保户为是，{period.year}年低保金为0元",
        ("低保户", "其中:低保金"),
    ),
    _c(
        "Q050",
        "非低保户有低保金收入",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & ~col("dibao_household").fill_null(False)
        & (col("dibao_members") == 0)
        & (col("transfer_dibao") > 0),
        "低保户为否且无成员享受低保，{period.year}年低保金{transfer_dibao|元}元",
        ("低保户", "享受低保", "其中:低保金"),
    ),
    _c(
        "Q051",
        "人均纯收入为负",
        DOUBT,
        _H,
        col("per_capita_income") < 0,
        "人均纯收入{per_capita_income|元}元（生产经营性支出{operating_cost|元}元）",
        ("收入",),
    ),
    _c(
        "Q052",
        "人均纯收入异常偏高",
        DOUBT,
        _H,
        col("per_capita_income") > MAX_PER_CAPITA,
        f"人均纯收入{{per_capita_income|元}}元，超过{MAX_PER_CAPITA:,}元，请核实是否多录位数",
        ("收入",),
    ),
    _c(
        "Q053",
        "有务工成员但工资性收入为0",
        DOUBT,
        _H,
        col("has_income").fill_null(False) & (col("wage_workers") > 0) & (col("wage") == 0),
        "务工（含公益性岗位）{wage_workers}人，{period.year}年工资性收入为0元",
        ("务工状况", "工资性收入"),
    ),
    _c(
        "Q054",
        "有工资性收入但无务工成员",
        DOUBT,
        _H,
        col("has_income").fill_null(False) & (col("wage") > 0) & (col("members_in_work") == 0),
        "工资性收入{wage|元}元，家庭成员中务工0人",
        ("务工状况", "工资性收入"),
    ),
    _c(
        "Q055",
        "有生产经营性收入但无耕地、养殖和经营",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & (col("operating_gross") > 0)
        & (col("arable_mu").fill_null(0.0) == 0)
        & (col("livestock") == 0)
        & (col("self_employed_members") == 0),
        "生产经营性收入{operating_gross|元}元，耕地0亩、牛羊猪存栏0，无自主创业或灵活就业成员",
        ("生产经营性收入", "耕地面积(亩)", "牛存栏(头)", "务工状况"),
    ),
    _c(
        "Q056",
        "生产经营性支出远高于收入",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & (col("operating_cost") >= 5000)
        & (col("operating_cost") > col("operating_gross") * 2),
        "生产经营性支出{operating_cost|元}元，生产经营性收入{operating_gross|元}元",
        ("生产经营性收入", "生产经营性支出"),
    ),
    _c(
        "Q057",
        "同时参加城乡居民基本医疗保险和城镇职工基本医疗保险",
        DOUBT,
        _P,
        col("medical_insured").fill_null(False) & col("employee_medical_insured").fill_null(False),
        "{who}参加基本医疗保险（城乡居民）为是，参加城镇职工基本医疗保险也为是",
        ("参加基本医疗保险", "参加城镇职工基本医疗保险"),
    ),
    _c(
        "Q058",
        "就业渠道为公益岗位但务工状况不是公益性岗位",
        DOUBT,
        _P,
        (col("job_channel") == "公益岗位") & (col("work").fill_null("未填") != "公益性岗位"),
        "{who}就业渠道为公益岗位，务工状况为{work_text}",
        ("就业渠道", "务工状况"),
        derived=(("work_text", col("work").fill_null("未填")),),
    ),
    _c(
        "Q059",
        "公益性岗位补贴期满后仍在岗",
        DOUBT,
        _P,
        (col("work") == "公益性岗位") & (col("public_post_until") < Year()),
        "{who}务工状况为公益性岗位，公益性岗位补贴期满年份为{public_post_until}年，早于{period.year}年",
        ("务工状况", "公益性岗位补贴期满年份"),
    ),
    _c(
        "Q060",
        "未务工但有务工月收入",
        ERROR,
        _P,
        ~col("in_work") & (col("monthly_wage").fill_null(0.0) > 0),
        "{who}务工状况为{work_text}，务工月收入{monthly_wage|元}元",
        ("务工状况", "务工月收入"),
        derived=(("work_text", col("work").fill_null("未填")),),
    ),
    _c(
        "Q061",
        "风险含因病但无患病成员",
        DOUBT,
        _H,
        _open & col("risk_illness") & (col("ill_members") == 0),
        "监测记录致贫/返贫风险为{mo_risks}，家庭成员健康状况均为健康",
        ("致贫/返贫风险", "健康状况"),
    ),
    _c(
        "Q062",
        "风险含因学但无在校生",
        DOUBT,
        _H,
        _open & col("risk_schooling") & (col("students") == 0),
        "监测记录致贫/返贫风险为{mo_risks}，家庭成员中没有在校生",
        ("致贫/返贫风险", "在校生状况"),
    ),
    _c(
        "Q063",
        "风险含因残但无残疾成员",
        DOUBT,
        _H,
        _open & col("risk_disability") & (col("disabled_members") == 0),
        "监测记录致贫/返贫风险为{mo_risks}，家庭成员残疾等级均为空",
        ("致贫/返贫风险", "残疾等级"),
    ),
    _c(
        "Q064",
        "风险含缺劳动力但劳动力超过四分之一",
        DOUBT,
        _H,
        _open & col("risk_labour_short") & (col("labourers") > col("size") * MAX_LABOUR_SHARE_SHORT),
        "监测记录致贫/返贫风险为{mo_risks}，家庭成员{size}人中劳动力{labourers}人",
        ("致贫/返贫风险", "劳动技能"),
    ),
    _c(
        "Q065",
        "风险含因安全住房但住房安全",
        DOUBT,
        _H,
        _open & col("risk_housing") & ~col("housing_unsafe"),
        "监测记录致贫/返贫风险为{mo_risks}，住房安全为是且无住建C/D级鉴定，风险未消除",
        ("致贫/返贫风险", "住房安全"),
    ),
    _c(
        "Q066",
        "风险含因安全饮水但饮水安全",
        DOUBT,
        _H,
        _open & col("risk_water") & ~col("water_unsafe"),
        "监测记录致贫/返贫风险为{mo_risks}，饮水安全为是，风险未消除",
        ("致贫/返贫风险", "饮水安全"),
    ),
    _c(
        "Q067",
        "监测对象未填致贫/返贫风险",
        DOUBT,
        _H,
        _open & ~col("risk_given"),
        "监测记录为{mo_type}（风险未消除），致贫/返贫风险1–5均为空",
        ("致贫/返贫风险",),
    ),
    _c(
        "Q068",
        "风险已消除但风险消除方式为空",
        ERROR,
        _H,
        col("mo_eliminated").fill_null(False) & col("mo_elimination_method").is_null(),
        "消除监测时间{mo_eliminated_on|日期}，风险消除方式未填（应为帮扶消除或自然消除）",
        ("消除监测时间", "风险消除方式"),
    ),
    _c(
        "Q069",
        "风险未消除但填有风险消除方式",
        ERROR,
        _H,
        _open & col("mo_open_method").not_null(),
        "监测记录风险未消除（消除监测时间为空），风险消除方式为{mo_open_method}",
        ("消除监测时间", "风险消除方式"),
    ),
    _c(
        "Q070",
        "公益性岗位月数超过12个月",
        ERROR,
        _P,
        col("public_welfare_months") > 12,
        "{who}公益性岗位月数为{public_welfare_months}个月，超过12个月",
        ("公益性岗位(月数)",),
    ),
    _c(
        "Q071",
        "公益性岗位人员岗位月数为空或为0",
        DOUBT,
        _P,
        ((col("work") == "公益性岗位") | col("public_welfare_post").fill_null(False))
        & (col("public_welfare_months").fill_null(0) == 0),
        "{who}从事公益性岗位，公益性岗位月数未填或为0",
        ("公益性岗位", "务工状况", "公益性岗位(月数)"),
    ),
    _c(
        "Q072",
        "有公益性岗位月数但未从事公益性岗位",
        DOUBT,
        _P,
        (col("public_welfare_months").fill_null(0) > 0)
        & ~col("public_welfare_post").fill_null(False)
        & (col("work").fill_null("未填") != "公益性岗位"),
        "{who}公益性岗位月数为{public_welfare_months}个月，公益性岗位为否或未填，务工状况为{work_text}",
        ("公益性岗位", "务工状况", "公益性岗位(月数)"),
        derived=(("work_text", col("work").fill_null("未填")),),
    ),
    _c(
        "Q073",
        "工资性收入与务工月收入×务工月数不符",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & (col("unpriced_workers") == 0)
        & (col("expected_wage") >= MIN_EXPECTED_WAGE)
        & (
            (col("wage") * WAGE_RATIO < col("expected_wage"))
            | (col("wage") > col("expected_wage") * WAGE_RATIO)
        ),
        f"务工成员务工月收入×务工月数合计{{expected_wage|元}}元，{{period.year}}年工资性收入{{wage|元}}元，相差{WAGE_RATIO}倍以上",
        ("务工月收入", "务工月数", "工资性收入"),
    ),
    _c(
        "Q074",
        "未务工但填有务工所在地",
        DOUBT,
        _P,
        ~col("in_work") & col("work_place").not_null(),
        "{who}务工状况为{work_text}，务工所在地为{work_place}",
        ("务工状况", "务工所在地"),
        derived=(("work_text", col("work").fill_null("未填")),),
    ),
    _c(
        "Q075",
        "转移性收入小于各分项之和",
        ERROR,
        _H,
        col("has_income").fill_null(False)
        & (col("transfer") + 0.005 >= col("transfer_dibao") + col("transfer_pension"))
        & (col("transfer") + 0.005 < col("transfer_items")),
        "转移性收入{transfer|元}元，其中低保金、养老金、特困供养金、生态补偿金、计划生育金、其他转移性收入合计{transfer_items|元}元",
        ("转移性收入", "其中:特困供养金", "其中:生态补偿金", "其中:计划生育金", "其中:其他转移性收入"),
    ),
    _c(
        "Q076",
        "非特困供养户有特困供养金收入",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & ~col("tekun").fill_null(False)
        & (col("tekun_members") == 0)
        & (col("transfer_tekun") > 0),
        "特困供养为否且无成员享受特困供养，{period.year}年特困供养金{transfer_tekun|元}元",
        ("特困供养", "享受特困供养", "其中:特困供养金"),
    ),
    _c(
        "Q077",
        "特困供养户无特困供养金收入",
        DOUBT,
        _H,
        col("has_income").fill_null(False) & col("tekun").fill_null(False) & (col("transfer_tekun") == 0),
        "特困供养为是，{period.year}年特困供养金为0元",
        ("特困供养", "其中:特困供养金"),
    ),
    _c(
        "Q078",
        "享受特困供养成员所在户不是特困供养户",
        DOUBT,
        _P,
        col("tekun").fill_null(False) & ~col("household_tekun").fill_null(False),
        "{who}享受特困供养，所在户特困供养为否或未填",
        ("享受特困供养", "特困供养"),
    ),
    _c(
        "Q079",
        "同时享受低保和特困供养",
        ERROR,
        _P,
        col("on_dibao") & col("tekun").fill_null(False),
        "{who}享受低保为是，享受特困供养也为是（特困供养人员不再享受低保）",
        ("享受低保", "享受特困供养"),
    ),
    _c(
        "Q080",
        "参加大病保险但未参加基本医疗保险",
        DOUBT,
        _P,
        col("critical_illness_insured").fill_null(False)
        & ~col("medical_insured").fill_null(False)
        & ~col("employee_medical_insured").fill_null(False),
        "{who}参加大病保险为是，参加基本医疗保险（城乡居民、城镇职工）均为否",
        ("参加大病保险", "参加基本医疗保险", "参加城镇职工基本医疗保险"),
    ),
    _c(
        "Q081",
        "有养老金收入但无60周岁以上成员",
        DOUBT,
        _H,
        col("has_income").fill_null(False)
        & (col("transfer_pension") > 0)
        & (col("pension_age_members") == 0),
        f"{{period.year}}年养老金{{transfer_pension|元}}元，家庭成员中没有{PENSION_AGE}周岁以上的成员",
        ("其中:养老金", "证件号码"),
    ),
)

CODES: dict[str, Check | DuplicateCheck] = {c.code: c for c in CHECKS}


def check(code: str) -> Check | DuplicateCheck:
    return CODES[code]
