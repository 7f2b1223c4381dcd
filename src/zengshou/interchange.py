"""The interchange format v1 (农户数据交换格式) as data: tables, headers, keys, types and enumerations.

One definition serves the generator, the importer, the exporter and the batch run, so a change to
``../shared/spec/interchange.md`` is made here once. Keys are the English names in brackets in the
spec; they are also the column names of the columnar frames and of the database fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal[
    "text",  # free text
    "code12",  # 12-digit village division code
    "code6",  # 6-digit county division code
    "id_number",  # 18-character resident ID number (GB 11643)
    "enum",
    "bool",  # 是/否
    "decimal",  # non-negative decimal (land)
    "int",  # non-negative integer
    "year",
    "quarter",  # 1–4, empty for a whole year
    "yuan",  # money in yuan, two decimals, non-negative
    "date",
    "list",  # ';'-separated values
]

YES, NO = "是", "否"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType
    required: bool = False
    choices: tuple[str, ...] = ()
    #: The spec's range; what the database column can hold besides is read from the registry
    #: models when a file is checked (``zengshou.ingest.columns.stored_bounds``), not repeated here.
    min_value: float | None = None
    max_value: float | None = None
    personal: bool = False  # masked in lists and exports unless the role may see it


@dataclass(frozen=True)
class Table:
    name: str  # sheet / file name, Chinese
    key: str  # English name
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = field(default=())

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


HOUSEHOLD_TYPES = (
    "一般农户",
    "脱贫户",
    "监测对象-脱贫不稳定户",
    "监测对象-边缘易致贫户",
    "监测对象-突发严重困难户",
)
MONITORING_TYPES = HOUSEHOLD_TYPES[2:]
#: 监测对象类别 as the national lists write it: the 户类型 without its 监测对象- prefix.
MONITORING_TYPES_SHORT = tuple(t.removeprefix("监测对象-") for t in MONITORING_TYPES)
RELATIONS = (
    "户主",
    "配偶",
    "之子",
    "之女",
    "之儿媳",
    "之女婿",
    "之孙子",
    "之孙女",
    "之父",
    "之母",
    "之兄弟姐妹",
    "其他",
)
HEALTH = ("健康", "长期慢性病", "患有大病")
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
SEVERE_DISABILITY_GRADES = ("一级", "二级")
LABOUR = ("技能劳动力", "普通劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
NON_LABOUR = ("丧失劳动力", "无劳动力")
WORK = (
    "未务工",
    "乡镇内务工",
    "县内乡镇外务工",
    "省内县外务工",
    "省外务工",
    "公益性岗位",
    "帮扶车间",
    "自主创业",
    "灵活就业",
)
#: 就业渠道 of the national lists: how a worker found the job (the broker subsidy T03 reads it).
JOB_CHANNELS = (
    "有组织劳务输出",
    "劳务中介或经纪人介绍",
    "自主外出务工",
    "就近就地务工",
    "公益岗位",
    "帮扶车间",
    "自主创业",
    "灵活就业",
)
SCHOOLING = ("非在校生", "学前", "小学", "初中", "高中", "中职", "高职", "大专", "本科", "研究生", "辍学")
CADRE_RANKS = ("县处级以上", "乡科级", "一般干部")
QUINTILES = ("低收入组", "中间偏下收入组", "中间收入组", "中间偏上收入组", "高收入组")
TIERS = ("示范引领户", "巩固提升户", "风险防范户")

HOUSEHOLDS = Table(
    "家庭",
    "households",
    (
        Column("household_id", "户编号", "text", required=True),
        Column("village_code", "行政区划代码", "code12", required=True),
        Column("household_type", "户类型", "enum", required=True, choices=HOUSEHOLD_TYPES),
        Column("arable_mu", "耕地面积(亩)", "decimal", min_value=0),
        Column("arable_idle_mu", "耕地未种植(亩)", "decimal", min_value=0),
        Column("idle_courtyard", "闲置庭院房屋棚圈", "bool"),
        Column("courtyard_willing", "庭院经济意愿", "bool"),
        Column("livestock_willing", "养殖意愿", "bool"),
        Column("cattle", "牛存栏(头)", "int", min_value=0),
        Column("sheep", "羊存栏(只)", "int", min_value=0),
        Column("pigs", "猪存栏(头)", "int", min_value=0),
        Column("collective_yard", "出户入场养殖", "bool"),
        Column("rents_greenhouse", "租赁集体大棚", "bool"),
        Column("housing_safe", "住房安全", "bool", required=True),
        Column("water_safe", "饮水安全", "bool", required=True),
        Column("dibao_household", "低保户", "bool"),
        Column("tekun", "特困供养", "bool"),
        Column("assets_within_dibao_rules", "家庭财产符合低保条件", "bool"),
        Column("phone", "联系电话", "text", personal=True),
    ),
    natural_key=("household_id",),
)

MEMBERS = Table(
    "家庭成员",
    "members",
    (
        Column("household_id", "户编号", "text", required=True),
        Column("name", "姓名", "text", required=True, personal=True),
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("relation", "与户主关系", "enum", required=True, choices=RELATIONS),
        Column("health", "健康状况", "enum", required=True, choices=HEALTH),
        Column("disability_grade", "残疾等级", "enum", choices=DISABILITY_GRADES),
        Column("labour", "劳动技能", "enum", required=True, choices=LABOUR),
        Column("work", "务工状况", "enum", choices=WORK),
        Column("work_months", "务工月数", "int", min_value=0, max_value=12),
        Column("schooling", "在校生状况", "enum", choices=SCHOOLING),
        Column("graduation_year", "毕业年份", "year"),
        Column("medical_insured", "参加基本医疗保险", "bool", required=True),
        Column("dibao", "享受低保", "bool"),
        Column("business_since", "创业年份", "year"),
        Column("job_channel", "就业渠道", "enum", choices=JOB_CHANNELS),
        Column("public_post_until", "公益性岗位补贴期满年份", "year"),
        Column("tekun", "享受特困供养", "bool"),
        Column("work_place", "务工所在地", "text"),
        Column("monthly_wage", "务工月收入", "yuan", min_value=0),
        Column("public_welfare_post", "公益性岗位", "bool"),
        Column("public_welfare_months", "公益性岗位(月数)", "int", min_value=0, max_value=12),
        Column("employee_medical_insured", "参加城镇职工基本医疗保险", "bool"),
        Column("critical_illness_insured", "参加大病保险", "bool"),
        Column("pension_insured", "参加城乡居民基本养老保险", "bool"),
        Column("medical_assistance", "接受医疗救助", "bool"),
    ),
    natural_key=("id_number",),
)

INCOME_AMOUNTS = (
    "wage",
    "operating_gross",
    "operating_cost",
    "property",
    "transfer",
    "transfer_dibao",
    "transfer_pension",
    "transfer_tekun",
    "transfer_eco",
    "transfer_family_planning",
    "transfer_other",
    "claims",
    "consumption",
    "medical_selfpay",
    "education_spending",
)

INCOME = Table(
    "收入",
    "income",
    (
        Column("household_id", "户编号", "text", required=True),
        Column("year", "年度", "year", required=True),
        Column("quarter", "季度", "quarter", min_value=1, max_value=4),
        Column("wage", "工资性收入", "yuan", min_value=0),
        Column("operating_gross", "生产经营性收入", "yuan", min_value=0),
        Column("operating_cost", "生产经营性支出", "yuan", min_value=0),
        Column("property", "财产性收入", "yuan", min_value=0),
        Column("transfer", "转移性收入", "yuan", min_value=0),
        Column("transfer_dibao", "其中:低保金", "yuan", min_value=0),
        Column("transfer_pension", "其中:养老金", "yuan", min_value=0),
        Column("transfer_tekun", "其中:特困供养金", "yuan", min_value=0),
        Column("transfer_eco", "其中:生态补偿金", "yuan", min_value=0),
        Column("transfer_family_planning", "其中:计划生育金", "yuan", min_value=0),
        Column("transfer_other", "其中:其他转移性收入", "yuan", min_value=0),
        #: Insurance claims paid out (理赔收入): income beside 转移性收入, not part of it.
        Column("claims", "理赔收入", "yuan", min_value=0),
        Column("consumption", "生活消费支出", "yuan", min_value=0),
        Column("medical_selfpay", "合规自付医疗费用", "yuan", min_value=0),
        Column("education_spending", "教育支出", "yuan", min_value=0),
    ),
    natural_key=("household_id", "year", "quarter"),
)

VILLAGES = Table(
    "村",
    "villages",
    (
        Column("village_code", "行政区划代码", "code12", required=True),
        Column("village_name", "村名", "text", required=True),
        Column("township_name", "乡镇名", "text"),
        Column("collective_income_10k", "村集体经济年收入(万元)", "decimal", min_value=0),
    ),
    natural_key=("village_code",),
)

CADRES = Table(
    "帮扶干部",
    "cadres",
    (
        Column("cadre_id", "干部编号", "text", required=True),
        Column("name", "姓名", "text", required=True, personal=True),
        Column("unit", "工作单位", "text"),
        Column("rank", "职级", "enum", required=True, choices=CADRE_RANKS),
        Column("county_code", "所在县区代码", "code6", required=True),
        Column("current_households", "现帮扶户编号", "list"),
    ),
    natural_key=("cadre_id",),
)

RISKS = (
    "因病",
    "因学",
    "因残",
    "因意外事故",
    "因产业项目失败",
    "因务工就业不稳",
    "缺劳动力",
    "因安全住房",
    "因安全饮水",
    "因自然灾害",
    "其他",
)
ELIMINATION_METHODS = ("帮扶消除", "自然消除")
RISK_SLOTS = tuple(f"risk_{i}" for i in range(1, 6))

#: Monitoring objects with their risks and elimination, one row per household (the 监测对象 sheet).
#: Not one of :data:`TABLES`: the interchange workbook may carry it, the national lists always do.
#: The national YYYYMM months are stored as the first day of the month.
MONITORING = Table(
    "监测对象",
    "monitoring",
    (
        Column("household_id", "户编号", "text", required=True),
        Column("monitoring_type", "监测对象类别", "enum", required=True, choices=MONITORING_TYPES_SHORT),
        *(Column(k, f"致贫/返贫风险{i}", "text") for i, k in enumerate(RISK_SLOTS, 1)),
        Column("identified_month", "识别监测时间", "date", required=True),
        Column("risk_eliminated", "风险是否已消除", "bool"),
        Column("elimination_method", "风险消除方式", "enum", choices=ELIMINATION_METHODS),
        Column("eliminated_month", "消除监测时间", "date"),
    ),
    natural_key=("household_id",),
)

#: The household tables in the order they are written (a workbook's sheets, an import's writes).
TABLES: tuple[Table, ...] = (VILLAGES, HOUSEHOLDS, MEMBERS, INCOME, CADRES)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# --- Department feeds (部门数据), one file each ---------------------------------------------------

FEED_MEDICAL = Table(
    "医保",
    "medical",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("year", "年度", "year", required=True),
        Column("total_cost", "医疗总费用", "yuan", min_value=0),
        Column("basic_reimbursed", "基本医保报销", "yuan", min_value=0),
        Column("critical_reimbursed", "大病保险报销", "yuan", min_value=0),
        Column("assistance", "医疗救助", "yuan", min_value=0),
        Column("self_paid", "个人自付", "yuan", min_value=0),
    ),
)
FEED_DISABILITY = Table(
    "残联",
    "disability",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("category", "残疾类别", "text"),
        Column("grade", "残疾等级", "enum", required=True, choices=DISABILITY_GRADES),
        Column("issued_on", "发证日期", "date"),
    ),
)
FEED_CIVIL = Table(
    "民政",
    "civil",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("assistance_type", "救助类型", "enum", required=True, choices=("低保", "特困", "临时救助")),
        Column("start_date", "起始日期", "date"),
        Column("end_date", "终止日期", "date"),
    ),
)
FEED_EMPLOYMENT = Table(
    "人社",
    "employment",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("status", "就业状态", "text", required=True),
        Column("employer", "单位", "text"),
        Column("start_date", "起始日期", "date"),
        Column("end_date", "终止日期", "date"),
    ),
)
FEED_EDUCATION = Table(
    "教育",
    "education",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("stage", "学段", "text"),
        Column("status", "在校状态", "enum", required=True, choices=("在读", "毕业", "辍学")),
        Column("graduation_year", "毕业年份", "year"),
    ),
)
FEED_HOUSING = Table(
    "住建",
    "housing",
    (
        Column("household_id", "户编号", "text"),
        Column("id_number", "证件号码", "id_number", personal=True),
        Column("safety_grade", "房屋安全等级", "enum", required=True, choices=("A", "B", "C", "D")),
        Column("assessed_on", "鉴定日期", "date"),
    ),
)
FEED_DISASTER = Table(
    "应急",
    "disaster",
    (
        Column("area_code", "行政区划代码", "text", required=True),
        Column("disaster_type", "灾种", "text", required=True),
        Column("occurred_on", "发生日期", "date", required=True),
        Column("households_affected", "受灾户数", "int", min_value=0),
        Column("direct_loss_10k", "直接经济损失(万元)", "decimal", min_value=0),
    ),
)
FEEDS: tuple[Table, ...] = (
    FEED_MEDICAL,
    FEED_DISABILITY,
    FEED_CIVIL,
    FEED_EMPLOYMENT,
    FEED_EDUCATION,
    FEED_HOUSING,
    FEED_DISASTER,
)

# --- The national system's monthly migrant-work lists, one file per list and month ----------------

#: 务工区域 of a migrant-work list as 务工状况: where the work is, seen from home.
MIGRANT_WORK = ("乡镇内务工", "县内乡镇外务工", "省内县外务工", "省外务工")
FEED_MIGRANT_OUT = Table(
    "已外出务工",
    "migrant_out",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        #: The month the list reports, first day; from the 月份 column, the title rows or the file name.
        Column("month", "月份", "date"),
        Column("went_out_on", "外出务工时间", "date"),
        Column("work", "务工区域", "enum", choices=MIGRANT_WORK),
        Column("work_place", "务工所在地", "text"),
        Column("job_channel", "就业渠道", "enum", choices=JOB_CHANNELS),
        Column("employer", "务工企业名称", "text"),
        Column("monthly_wage", "务工月收入", "yuan", min_value=0),
        Column("work_months", "务工时间(月)", "int", min_value=0, max_value=12),
    ),
)
FEED_MIGRANT_PLANNED = Table(
    "计划外出务工",
    "migrant_planned",
    (
        Column("id_number", "证件号码", "id_number", required=True, personal=True),
        Column("month", "月份", "date"),
        Column("planned_on", "计划外出时间", "date"),
        Column("work", "意向务工区域", "enum", choices=MIGRANT_WORK),
        Column("work_place", "意向务工地点", "text"),
        Column("job_channel", "意向就业渠道", "enum", choices=JOB_CHANNELS),
        Column("wish", "意向工种", "text"),
        Column("needs", "服务需求", "text"),
    ),
)
MIGRANT_FEEDS: tuple[Table, ...] = (FEED_MIGRANT_OUT, FEED_MIGRANT_PLANNED)
_MIGRANT_ALIASES: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号", "身份证件号码"),
    "month": ("监测月份", "统计月份", "填报月份", "数据月份", "年月", "所属月份"),
    "went_out_on": ("外出时间", "外出务工时间(年月)", "务工开始时间", "外出日期", "本次外出时间"),
    "planned_on": ("计划外出务工时间", "预计外出时间", "计划外出日期", "拟外出时间"),
    "work": ("务工地域", "外出务工区域", "务工范围", "外出区域", "务工地区类型", "计划务工区域"),
    "work_place": ("务工地点", "务工所在县", "务工地址", "外出务工地点", "计划务工地点", "意向务工地"),
    "job_channel": ("外出就业渠道", "务工渠道", "外出方式", "就业方式"),
    "employer": ("务工单位", "务工单位名称", "就业单位", "企业名称", "用工单位", "务工企业"),
    "monthly_wage": ("月收入", "月工资", "月均收入", "务工月收入(元)", "月收入(元)", "月均工资"),
    "work_months": ("务工月数", "务工时长(月)", "外出务工月数", "务工时间"),
    "wish": ("就业意向", "意向岗位", "意向行业", "求职意向"),
    "needs": ("需求", "就业服务需求", "培训需求", "帮扶需求"),
}
#: Per list, the other header names of its columns (national exports and county versions differ);
#: on the 已外出务工 list a 务工状况 column says where the work is, on the planned list it would not.
MIGRANT_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    FEED_MIGRANT_OUT.key: {
        **{c.key: _MIGRANT_ALIASES.get(c.key, ()) for c in FEED_MIGRANT_OUT.columns},
        "work": (*_MIGRANT_ALIASES["work"], "务工状况"),
    },
    FEED_MIGRANT_PLANNED.key: {
        c.key: (
            *_MIGRANT_ALIASES.get(c.key, ()),
            *(o.header for o in FEED_MIGRANT_OUT.columns if o.key == c.key),
        )
        for c in FEED_MIGRANT_PLANNED.columns
    },
}
MIGRANT_BY_NAME: dict[str, Table] = {t.name: t for t in MIGRANT_FEEDS} | {t.key: t for t in MIGRANT_FEEDS}
FEEDS_BY_NAME: dict[str, Table] = (
    {t.name: t for t in FEEDS}
    | {t.key: t for t in FEEDS}
    | {t.name: t for t in MIGRANT_FEEDS}
    | {t.key: t for t in MIGRANT_FEEDS}
)

# --- Results of a batch run (``zengshou run``) -----------------------------------------------------

RESULT_TABLES: dict[str, tuple[str, ...]] = {
    "分层结果": ("户编号", "年度", "家庭人口", "人均纯收入", "五等份组", "层级", "依据"),
    "预警": ("户编号", "预警代码", "级别", "说明"),
    "帮扶措施": ("户编号", "措施代码", "证件号码", "金额(元)", "责任单位", "依据"),
    "结对": ("户编号", "干部编号", "干部职级"),
}
