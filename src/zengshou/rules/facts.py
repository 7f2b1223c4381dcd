"""The facts: every working definition of the catalogue, defined once, read by every part.

A fact has its Chinese label, unit, entity (person or household) and definition. Person facts are
computed per member, household counts aggregate them, household facts combine both with the 家庭
sheet; feed facts come from department records (住建, 教育, 医保, 残联, 民政, 人社). Definitions follow
``../shared/policy/catalogue.md`` (目录 working definitions) and the interchange spec's healthy
labourer; every threshold is a parameter keyed by its catalogue code. The facts of a population
are computed once per run by :func:`zengshou.rules.compute.compute`; tiers (C03), alerts (M03),
measures (L, T), pairing (S02), statistics and the risk model read those columns.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.rules.dsl import Agg, Condition, Expr, Fact, Substr, Year, col, param, when

PERSON, HOUSEHOLD = "person", "household"

#: The 务工状况 values of a transferred worker (转移就业: outside the household's own farm).
TRANSFER_WORK = ("乡镇内务工", "县内乡镇外务工", "省内县外务工", "省外务工", "帮扶车间")
#: 务工状况 of 就近就地 work (T09's social-insurance subsidy): within the township or the county, 帮扶车间.
LOCAL_WORK = ("乡镇内务工", "县内乡镇外务工", "帮扶车间")
#: 就业渠道 of a placement by a labour broker or an organised channel (the broker subsidy T03).
ORGANISED_CHANNELS = ("有组织劳务输出", "劳务中介或经纪人介绍")
#: The 务工状况 values of work away from home (外出务工: T16's left-behind children).
AWAY_WORK = ("省外务工", "省内县外务工")
#: 在校生状况 of a 大中专 graduate (L08): the stage last attended, or 非在校生 (毕业年份 is for 大中专 graduates).
GRADUATE_SCHOOLING = ("非在校生", "中职", "高职", "大专", "本科", "研究生")
#: 与户主关系 of the parents of the head's children, and of the head's grandchildren (T16).
HEAD_COUPLE = ("户主", "配偶")
CHILDREN_OF_HEAD = ("之子", "之女")
PARENTS_OF_GRANDCHILDREN = ("之子", "之女", "之儿媳", "之女婿")
GRANDCHILDREN = ("之孙子", "之孙女")
#: 户类型 of a household hit by a sudden hardship (accident, disaster): T16's distressed children.
SUDDEN_HARDSHIP_TYPE = "监测对象-突发严重困难户"
#: 住建 safety grades of an unsafe house (C 局部危房, D 整栋危房).
UNSAFE_GRADES = ("C", "D")
NO_ASSESSMENT = "无鉴定记录"

_age = col("age")
_in_work = col("in_work")
_compulsory = param("C03.compulsory_school_age")
_relation = col("relation")
_left_behind_age = _age < param("T16.left_behind_under_age")
_parent_generation = _relation.isin(PARENTS_OF_GRANDCHILDREN) & (_age > param("T16.child_max_age"))


def _p(name: str, label: str, unit: str, kind: str, expr: Expr | None = None, source: str = "") -> Fact:
    return Fact(name, label, unit, kind, PERSON, expr, source)


def _h(name: str, label: str, unit: str, kind: str, expr: Expr | None = None, source: str = "") -> Fact:
    return Fact(name, label, unit, kind, HOUSEHOLD, expr, source)


#: The two conditions of the low-income plan's scope (低收入组方案 一): "低收入组脱贫人口（含监测对象）".
#: The phrase is read both ways, so whether a monitoring object is in scope whatever its group is the
#: dated parameter ``L00.monitoring_objects_always`` (off: only those in the 低收入组).
SCOPE_CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "户类型为 {L00.household_types}",
        col("household_type").isin(param("L00.household_types")),
        ("household_type",),
    ),
    Condition(
        "五等份组为 {L00.quintiles}，或为监测对象且参数“监测对象不论分组均适用”开启",
        col("quintile").isin(param("L00.quintiles"))
        | (
            (param("L00.monitoring_objects_always") == True)  # noqa: E712
            & col("household_type").isin(ix.MONITORING_TYPES)
        ),
        ("quintile",),
    ),
)

#: Person facts, in definition order (a later one may read an earlier one).
PERSON_FACTS: tuple[Fact, ...] = (
    _p("age", "年龄", "岁", "num", Year() - Substr(col("id_number"), 6, 4).to_int(), "目录 工作定义 age"),
    _p("male", "男性", "", "bool", (Substr(col("id_number"), 16, 1).to_int() % 2) == 1),
    _p(
        "labourer",
        "劳动力",
        "",
        "bool",
        col("labour").not_null() & ~col("labour").isin(ix.NON_LABOUR),
        "目录 工作定义 labourer",
    ),
    _p(
        "healthy_labourer",
        "健康劳动力",
        "",
        "bool",
        col("labour").isin(("技能劳动力", "普通劳动力"))
        & (col("health") == "健康")
        & col("disability_grade").is_null()
        & _age.between(param("L00.healthy_labourer_min_age"), param("L00.healthy_labourer_max_age")),
        "目录 工作定义 healthy labourer",
    ),
    _p(
        "working_age",
        "法定劳动年龄",
        "",
        "bool",
        (_age >= param("L00.working_age_min"))
        & (
            (col("male") & (_age <= param("L00.working_age_max_male")))
            | (~col("male") & (_age <= param("L00.working_age_max_female")))
        ),
        "目录 工作定义 working age",
    ),
    _p("in_work", "务工", "", "bool", col("work").not_null() & (col("work") != "未务工")),
    _p("serious_ill", "本人患大病", "", "bool", col("health") == "患有大病", "目录 工作定义 serious illness"),
    _p("disabled", "本人残疾", "", "bool", col("disability_grade").not_null()),
    _p(
        "severe_disabled",
        "本人重度残疾",
        "",
        "bool",
        col("disability_grade").isin(ix.SEVERE_DISABILITY_GRADES),
        "目录 工作定义 severe disability",
    ),
    _p(
        "serious_or_severe",
        "本人重病或重残",
        "",
        "bool",
        col("serious_ill") | col("severe_disabled"),
        "目录 工作定义 serious illness / severe disability",
    ),
    _p("ill_or_disabled", "本人患大病或残疾", "", "bool", col("serious_ill") | col("disabled")),
    _p("on_dibao", "本人享受低保", "", "bool", col("dibao").fill_null(False)),
    _p("works_away", "外出务工（省外或省内县外）", "", "bool", col("work").isin(AWAY_WORK).fill_null(False)),
    _p(
        "cannot_care",
        "无监护能力（无劳动能力、患大病或重度残疾）",
        "",
        "bool",
        (~col("labourer") | col("serious_ill") | col("severe_disabled")).fill_null(False),
        "目录 T16 农村留守儿童",
    ),
    _p(
        "employable",
        "法定劳动年龄内有劳动能力（劳动力且未患大病）",
        "",
        "bool",
        (col("labourer") & col("working_age") & ~col("serious_ill")).fill_null(False),
        "目录 工作定义 zero-employment household",
    ),
    _p(
        "business_years",
        "创业年数",
        "年",
        "num",
        Year() - col("business_since"),
        "目录 工作定义 years of a business",
    ),
    _p("running_business", "自主创业（经营中）", "", "bool", (col("work") == "自主创业").fill_null(False)),
    _p(
        "fresh_graduate",
        "应届大中专毕业生",
        "",
        "bool",
        (
            (col("graduation_year") > Year() - param("L08.graduate_years"))
            & (col("graduation_year") <= Year())
            & (col("schooling").is_null() | col("schooling").isin(GRADUATE_SCHOOLING))
        ).fill_null(False),
        "目录 工作定义 fresh graduate",
    ),
    _p(
        "graduate_business_years",
        "毕业后创业并经营中的年数",
        "年",
        "num",
        when(
            (
                col("running_business") & (col("business_since") >= col("graduation_year")).fill_null(False),
                col("business_years"),
            ),
            otherwise=None,
        ),
        "L08 首次创业：毕业后登记、仍在经营",
    ),
    _p("work_months", "务工月数", "个月", "num", col("work_months").fill_null(0)),
    _p("local_work", "就近就地就业", "", "bool", col("work").isin(LOCAL_WORK).fill_null(False)),
    _p(
        "broker_placement",
        "劳务中介或有组织输出就业",
        "",
        "text",
        when(
            (col("job_channel").isin(ORGANISED_CHANNELS), "是"),
            (col("job_channel").is_null(), "待核实就业渠道"),
            otherwise="否",
        ),
        "就业渠道（全国系统）",
    ),
    _p(
        "public_post_ended",
        "公益性岗位补贴期满仍未在其他渠道就业",
        "",
        "bool",
        (col("public_post_until") <= Year()).fill_null(False)
        & (col("work").is_null() | col("work").isin(("未务工", "公益性岗位"))),
        "L06 公益性岗位补贴期满",
    ),
    _p(
        "dropout",
        "义务教育阶段辍学",
        "",
        "bool",
        _age.between(_compulsory[0], _compulsory[1])
        & ((col("schooling") == "辍学") | col("education_dropout").fill_null(False)),
        "C03 义务教育；家庭成员表或教育数据",
    ),
    _p(
        "dropout_source",
        "辍学信息来源",
        "",
        "text",
        when(
            (col("schooling") == "辍学", "家庭成员表"), (col("education_dropout"), "教育数据"), otherwise=None
        ),
    ),
    _p(
        "uninsured_person",
        "本人未参加基本医疗保险",
        "",
        "bool",
        (~col("medical_insured")).fill_null(False),
    ),
    _p("health", "健康状况", "", "text"),
    _p("disability_grade", "残疾等级", "", "text"),
    _p("labour", "劳动技能", "", "text"),
    _p("work", "务工状况", "", "text"),
    _p("graduation_year", "毕业年份", "", "num"),
    _p("schooling", "在校生状况", "", "text"),
    _p("business_since", "创业年份", "", "num"),
    _p("job_channel", "就业渠道", "", "text"),
    _p("public_post_until", "公益性岗位补贴期满年份", "", "num"),
    _p("education_dropout", "教育数据登记辍学", "", "bool", source="教育 feed"),
)

#: Household counts of person facts (one row per household; a household without members counts 0).
HOUSEHOLD_COUNTS: tuple[Fact, ...] = (
    _h("size", "家庭人口", "人", "num", Agg("count", col("household_id").not_null())),
    _h("labourers", "劳动力", "人", "num", Agg("count", col("labourer"))),
    _h("healthy_labourers", "健康劳动力", "人", "num", Agg("count", col("healthy_labourer"))),
    _h(
        "spare_healthy_labourers",
        "未务工的健康劳动力",
        "人",
        "num",
        Agg("count", col("healthy_labourer") & ~_in_work),
    ),
    _h(
        "working_age_labourers",
        "法定劳动年龄内劳动力",
        "人",
        "num",
        Agg("count", col("labourer") & col("working_age")),
    ),
    _h(
        "idle_working_age_labourers",
        "法定劳动年龄内未务工劳动力",
        "人",
        "num",
        Agg("count", col("labourer") & col("working_age") & ~_in_work),
    ),
    _h("members_in_work", "务工人数", "人", "num", Agg("count", _in_work)),
    _h("ill_or_disabled_members", "患大病或残疾成员", "人", "num", Agg("count", col("ill_or_disabled"))),
    _h("serious_or_severe_members", "重病或重残成员", "人", "num", Agg("count", col("serious_or_severe"))),
    _h("disabled_members", "残疾成员", "人", "num", Agg("count", col("disabled"))),
    _h("serious_ill_members", "患大病成员", "人", "num", Agg("count", col("serious_ill"))),
    _h(
        "employable_members",
        "法定劳动年龄内有劳动能力的成员",
        "人",
        "num",
        Agg("count", col("employable")),
    ),
    _h(
        "employable_in_work",
        "法定劳动年龄内有劳动能力且务工的成员",
        "人",
        "num",
        Agg("count", col("employable") & _in_work),
    ),
    _h("dibao_members", "已享受低保的成员", "人", "num", Agg("count", col("on_dibao"))),
    _h(
        "public_posts_ended",
        "公益性岗位补贴期满仍未就业的成员",
        "人",
        "num",
        Agg("count", col("public_post_ended")),
    ),
    _h(
        "weak_labourers_idle",
        "未务工的弱劳动力或半劳动力",
        "人",
        "num",
        Agg("count", (col("labour") == "弱劳动力或半劳动力") & col("working_age") & ~_in_work),
    ),
    _h(
        "elderly_in_difficulty",
        "特殊困难老年人",
        "人",
        "num",
        Agg(
            "count",
            (_age >= param("T16.elderly_age")) & (col("serious_ill") | col("disabled") | ~col("labourer")),
        ),
    ),
    _h("children", "未成年人", "人", "num", Agg("count", _age <= param("T16.child_max_age"))),
    _h("carers", "可照料的劳动力", "人", "num", Agg("count", col("labourer") & col("working_age"))),
    _h(
        "head_couple_away",
        "外出务工的户主、配偶",
        "人",
        "num",
        Agg("count", _relation.isin(HEAD_COUPLE) & col("works_away")),
    ),
    _h(
        "head_couple_caring",
        "在家能照料的户主、配偶",
        "人",
        "num",
        Agg("count", _relation.isin(HEAD_COUPLE) & ~col("works_away") & ~col("cannot_care")),
    ),
    _h(
        "young_children_of_head",
        "不满 16 周岁的户主子女",
        "人",
        "num",
        Agg("count", _relation.isin(CHILDREN_OF_HEAD) & _left_behind_age),
    ),
    _h(
        "parent_generation_away",
        "外出务工的子女辈成年人",
        "人",
        "num",
        Agg("count", _parent_generation & col("works_away")),
    ),
    _h(
        "parent_generation_caring",
        "在家能照料的子女辈成年人",
        "人",
        "num",
        Agg("count", _parent_generation & ~col("works_away") & ~col("cannot_care")),
    ),
    _h(
        "young_grandchildren",
        "不满 16 周岁的孙子女",
        "人",
        "num",
        Agg("count", _relation.isin(GRANDCHILDREN) & _left_behind_age),
    ),
    _h(
        "over_age_workers",
        "超龄务工人员",
        "人",
        "num",
        Agg("count", _in_work & (_age > param("L00.working_age_max_male"))),
    ),
    _h("dropouts", "义务教育阶段辍学成员", "人", "num", Agg("count", col("dropout")), "C03 义务教育"),
    _h(
        "uninsured",
        "未参加基本医疗保险成员",
        "人",
        "num",
        Agg("count", col("uninsured_person")),
        "C03 基本医疗保险",
    ),
)

#: Household facts after the counts (家庭 sheet, counts, feed facts), in definition order.
HOUSEHOLD_FACTS: tuple[Fact, ...] = (
    _h(
        "zero_employment",
        "零就业家庭",
        "",
        "bool",
        (col("employable_members") >= 1) & (col("employable_in_work") == 0),
        "目录 工作定义 zero-employment household",
    ),
    _h(
        "whole_ill_or_disabled",
        "整户患大病或残疾",
        "",
        "bool",
        col("ill_or_disabled_members") == col("size"),
        "目录 工作定义 whole household ill or disabled",
    ),
    _h(
        "whole_no_labour",
        "整户无劳动能力",
        "",
        "bool",
        col("labourers") == 0,
        "目录 工作定义 whole household without labour",
    ),
    _h(
        "whole_on_dibao",
        "全户已享受低保",
        "",
        "bool",
        col("dibao_household").fill_null(False)
        | ((col("size") >= 1) & (col("dibao_members") == col("size"))),
        "低保户，或每个成员都享受低保（单人保）",
    ),
    _h("members_to_dibao", "整户保纳入其余成员", "人", "num", col("size") - col("dibao_members")),
    _h(
        "dibao_income_pc",
        "扣除刚性支出后的人均收入（低保认定）",
        "元",
        "num",
        when(
            (
                col("size") >= 1,
                (
                    col("year_net_income")
                    - col("year_dibao_benefit").fill_null(0.0)
                    - col("year_rigid_spending").fill_null(0.0)
                )
                / col("size"),
            ),
            otherwise=None,
        ),
        "L09c 家庭刚性支出扣减：纯收入减低保金、合规自付医疗费用和教育支出",
    ),
    _h(
        "dibao_phase_out",
        "低保渐退（年内低保终止且收入超过低保标准）",
        "",
        "bool",
        col("dibao_ended_in_year").fill_null(False)
        & ~col("whole_on_dibao")
        & (col("dibao_income_pc") > param("L09c.dibao_standard")).fill_null(False),
        "L09c 低保渐退期",
    ),
    _h(
        "medical_burden",
        "三重保障后个人自付医疗费用",
        "元",
        "num",
        col("year_medical_self_paid").fill_null(col("year_medical_selfpay")).fill_null(0.0),
        "医保数据个人自付，无医保数据时读收入表合规自付医疗费用",
    ),
    _h(
        "livestock",
        "牛羊猪存栏",
        "头（只）",
        "num",
        col("cattle").fill_null(0) + col("sheep").fill_null(0) + col("pigs").fill_null(0),
    ),
    _h("cattle_sheep", "牛羊存栏", "头（只）", "num", col("cattle").fill_null(0) + col("sheep").fill_null(0)),
    _h(
        "planted_mu",
        "已种植耕地",
        "亩",
        "num",
        col("arable_mu").fill_null(0.0) - col("arable_idle_mu").fill_null(0.0),
    ),
    _h(
        "children_without_carer",
        "缺少劳动力照料的未成年人",
        "人",
        "num",
        when((col("carers") == 0, col("children")), otherwise=0),
    ),
    _h(
        "left_behind_children",
        "留守儿童",
        "人",
        "num",
        when(
            (
                (col("head_couple_away") >= 1) & (col("head_couple_caring") == 0),
                col("young_children_of_head"),
            ),
            otherwise=0,
        )
        + when(
            (
                (col("parent_generation_away") >= 1) & (col("parent_generation_caring") == 0),
                col("young_grandchildren"),
            ),
            otherwise=0,
        ),
        "目录 T16 农村留守儿童：父母均外出务工，或一方外出另一方无监护能力，不满 16 周岁",
    ),
    _h(
        "children_in_distress",
        "因大病、意外致困家庭的未成年人",
        "人",
        "num",
        when(
            (
                (col("serious_ill_members") >= 1)
                | (col("household_type") == SUDDEN_HARDSHIP_TYPE).fill_null(False),
                col("children"),
            ),
            otherwise=0,
        ),
        "目录 T16 困境儿童：重大疾病、意外事故等导致困难的家庭",
    ),
    _h(
        "hardship_household",
        "困难家庭（低保户、特困供养户）",
        "",
        "bool",
        col("dibao_household").fill_null(False)
        | col("tekun").fill_null(False)
        | col("household_type").isin(param("T17a.hardship_household_types")).fill_null(False),
        "T17a 困难残疾人：低保、特困，或本地另定的户类型",
    ),
    _h(
        "accessibility_need",
        "无障碍改造需求",
        "",
        "text",
        when((col("disabled_members") >= 1, "待入户核实"), otherwise=None),
        "T17c 有需求的残疾人家庭：需入户核实",
    ),
    _h("is_monitoring_object", "监测对象", "", "bool", col("household_type").isin(ix.MONITORING_TYPES)),
    _h(
        "has_production",
        "有生产经营（耕地、养殖或经营收入）",
        "",
        "bool",
        (col("arable_mu").fill_null(0.0) > 0)
        | (col("livestock") > 0)
        | (col("operating_income").fill_null(0.0) > 0),
    ),
    _h(
        "housing_grade",
        "住建房屋安全鉴定等级",
        "",
        "text",
        col("assessed_grade").fill_null(NO_ASSESSMENT),
        "住建 feed: the latest assessment",
    ),
    _h(
        "housing_unsafe",
        "住房不安全（家庭信息或住建鉴定 C/D 级）",
        "",
        "bool",
        col("assessed_grade").isin(UNSAFE_GRADES).fill_null(False) | (~col("housing_safe")).fill_null(False),
        "C03 住房安全",
    ),
    _h("water_unsafe", "饮水不安全", "", "bool", (~col("water_safe")).fill_null(False), "C03 饮水安全"),
    _h(
        "monitoring_open",
        "监测对象风险未消除",
        "",
        "bool",
        col("household_type").isin(ix.MONITORING_TYPES).fill_null(False),
        "C03 返贫致贫风险",
    ),
    _h("household_type", "户类型", "", "text"),
    _h("arable_mu", "耕地面积", "亩", "num"),
    _h("arable_idle_mu", "耕地未种植", "亩", "num"),
    _h("idle_courtyard", "有闲置庭院房屋棚圈", "", "bool"),
    _h("courtyard_willing", "有庭院经济意愿", "", "bool"),
    _h("livestock_willing", "有养殖意愿", "", "bool"),
    _h("collective_yard", "出户入场养殖", "", "bool"),
    _h("rents_greenhouse", "租赁集体大棚", "", "bool"),
    _h("operating_income", "生产经营性收入", "元", "num", source="income rows of the year (latest quarter)"),
    _h("dibao_household", "低保户", "", "bool"),
    _h("tekun", "特困供养", "", "bool"),
    _h("assets_within_dibao_rules", "家庭财产符合低保条件", "", "bool"),
    _h("housing_safe", "住房安全（家庭信息）", "", "bool"),
    _h("water_safe", "饮水安全", "", "bool"),
    _h("collective_income_10k", "村集体经济年收入", "万元", "num"),
    _h("assessed_grade", "住建鉴定等级", "", "text", source="住建 feed"),
    _h("dibao_ended_in_year", "年内有成员低保终止（民政数据）", "", "bool", source="民政 feed"),
)

#: Facts of the classification (C01/C02 and the scope L00), added once the tiers are known.
CLASSIFICATION_FACTS: tuple[Fact, ...] = (
    _h("quintile", "五等份组", "", "text"),
    _h("tier", "层级", "", "text"),
    _h(
        "in_scope",
        "低收入组脱贫人口（含监测对象）",
        "",
        "bool",
        SCOPE_CONDITIONS[0].expr.fill_null(False) & SCOPE_CONDITIONS[1].expr.fill_null(False),
        "低收入组方案 一；目录 工作定义 scope of the low-income plan (L00)",
    ),
)

ALL_FACTS: tuple[Fact, ...] = PERSON_FACTS + HOUSEHOLD_COUNTS + HOUSEHOLD_FACTS + CLASSIFICATION_FACTS
FACTS: dict[str, Fact] = {}
for _f in ALL_FACTS:
    FACTS.setdefault(_f.name, _f)
del _f

#: The values of the C03 guarantee facts where a household has no member or no record.
GUARANTEE_DEFAULTS: dict[str, object] = {"dropouts": 0, "uninsured": 0}


def fact(name: str) -> Fact:
    """The fact of that name (a column without a definition reads under its own name)."""
    return FACTS.get(name) or Fact(name, name)


# --- feed facts: department records summarised per person or household --------------------------


def _feed(pop: Population, key: str) -> pl.LazyFrame | None:
    frame = pop.feeds.get(key)
    if frame is None or frame.height == 0:
        return None
    return frame.lazy()


def assessed_grades(pop: Population) -> pl.LazyFrame:
    """``household_id, assessed_grade``: the latest 住建 grade (matched by 户编号, else by a member's 证件号码)."""
    housing = _feed(pop, "housing")
    if housing is None:
        return pl.LazyFrame(schema={"household_id": pl.Utf8, "assessed_grade": pl.Utf8})
    by_member = pop.members.lazy().select(
        pl.col("id_number"), pl.col("household_id").alias("member_household")
    )
    if "household_id" not in housing.collect_schema().names():
        housing = housing.with_columns(pl.lit(None, dtype=pl.Utf8).alias("household_id"))
    return (
        housing.join(by_member, on="id_number", how="left")
        .with_columns(pl.coalesce("household_id", "member_household").alias("household_id"))
        .filter(pl.col("household_id").is_not_null())
        .sort("assessed_on", nulls_last=False)
        .group_by("household_id")
        .agg(pl.col("safety_grade").last().alias("assessed_grade"))
    )


def education_dropouts(pop: Population) -> pl.LazyFrame:
    """``id_number, education_dropout``: persons the 教育 feed records as 辍学."""
    education = _feed(pop, "education")
    if education is None:
        return pl.LazyFrame(schema={"id_number": pl.Utf8, "education_dropout": pl.Boolean})
    return (
        education.filter(pl.col("status") == "辍学")
        .select("id_number")
        .unique()
        .with_columns(pl.lit(True).alias("education_dropout"))
    )


def year_figures(pop: Population, year: int) -> pl.LazyFrame:
    """Per household of ``year`` (the whole-year row, else the latest cumulative quarter): net income,
    低保金 and rigid spending; the members' 医保 个人自付; whether a member's 低保 ended in the year
    with nothing still in force (民政). The 低保 and medical-aid rules (L09c, L12b) read them."""
    added = [
        c for c in ("wage", "operating_gross", "property", "transfer", "claims") if c in pop.income.columns
    ]

    def last(name: str) -> pl.Expr:
        return pl.col(name).fill_null(0.0).cast(pl.Float64).last()

    net = pl.sum_horizontal([last(c) for c in added]) - last("operating_cost")
    out = (
        pop.income.lazy()
        .filter(pl.col("year") == year)
        .with_columns(pl.col("quarter").fill_null(5).alias("_q"))
        .sort("_q")
        .group_by("household_id")
        .agg(
            net.alias("year_net_income"),
            last("transfer_dibao").alias("year_dibao_benefit"),
            (last("medical_selfpay") + last("education_spending")).alias("year_rigid_spending"),
            last("medical_selfpay").alias("year_medical_selfpay"),
        )
    )
    owners = pop.members.lazy().select("id_number", "household_id")
    medical = _feed(pop, "medical")
    if medical is None:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("year_medical_self_paid"))
    else:
        paid = (
            medical.filter(pl.col("year") == year)
            .join(owners, on="id_number", how="inner")
            .group_by("household_id")
            .agg(pl.col("self_paid").fill_null(0.0).cast(pl.Float64).sum().alias("year_medical_self_paid"))
        )
        out = out.join(paid, on="household_id", how="full", coalesce=True)
    ended = dibao_ended(pop, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if ended is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias("dibao_ended_in_year"))
    households = (
        ended.join(owners, on="id_number", how="inner")
        .select("household_id")
        .unique()
        .with_columns(pl.lit(True).alias("dibao_ended_in_year"))
    )
    return out.join(households, on="household_id", how="full", coalesce=True)


def medical_year(pop: Population, year: int) -> pl.LazyFrame | None:
    """M03d: per person of the year, 医保 总费用, 个人自付 and 大病保险 reimbursed, and whether 大病保险
    already paid the year before (``known``: then the illness is not new)."""
    medical = _feed(pop, "medical")
    if medical is None:
        return None
    critical = pl.col("critical_reimbursed").fill_null(0)
    known = medical.filter((pl.col("year") == year - 1) & (critical > 0)).select("id_number").unique()
    return (
        medical.filter(pl.col("year") == year)
        .group_by("id_number")
        .agg(pl.col("self_paid").sum(), pl.col("total_cost").sum(), critical.sum().alias("critical"))
        .join(known.with_columns(pl.lit(True).alias("known")), on="id_number", how="left")
    )


def new_disability_certificates(pop: Population, start: dt.date, end: dt.date) -> pl.LazyFrame | None:
    """M03e: 残联 certificates issued in the period."""
    disability = _feed(pop, "disability")
    if disability is None:
        return None
    return disability.filter(pl.col("issued_on").is_between(start, end))


def dibao_ended(pop: Population, start: dt.date, end: dt.date) -> pl.LazyFrame | None:
    """M03f: 低保 that ended in the period for a person with no 低保 still in force at its end."""
    civil = _feed(pop, "civil")
    if civil is None:
        return None
    dibao = civil.filter(pl.col("assistance_type") == "低保")
    still = (
        dibao.filter(pl.col("end_date").is_null() | (pl.col("end_date") > end))
        .filter(pl.col("start_date").is_null() | (pl.col("start_date") <= end))
        .select("id_number")
        .unique()
    )
    return dibao.filter(pl.col("end_date").is_between(start, end)).join(still, on="id_number", how="anti")


def jobs_lost(pop: Population, start: dt.date, end: dt.date) -> pl.LazyFrame | None:
    """M03j: an employment that ended in the period, or a 失业 registration made in it, for a person
    holding no job at the period's end (an open 失业 registration is unemployment, not a job)."""
    from zengshou.rules.employment import holds_job, is_unemployment_registration, job_lost_between

    employment = _feed(pop, "employment")
    if employment is None:
        return None
    working = employment.filter(holds_job(end)).select("id_number").unique()
    return (
        employment.filter(job_lost_between(start, end))
        .join(working, on="id_number", how="anti")
        .with_columns(is_unemployment_registration().alias("registered"))
    )
