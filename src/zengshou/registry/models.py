"""The registry's tables. Field names are the interchange keys, so files, frames and tables line up.

Constraints that protect the data live in the database (unique ID numbers, one 户主 per household,
non-negative amounts, quarters 1–4), so no bulk path can bypass them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import BaseConstraint, CheckConstraint, Q, UniqueConstraint

from zengshou import interchange as ix


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def _non_negative(model: str, *fields: str) -> list[BaseConstraint]:
    return [
        CheckConstraint(condition=Q(**{f"{f}__gte": 0}), name=f"{model}_{f}_non_negative") for f in fields
    ]


class Area(models.Model):
    """A node of region → city → county → township → village, keyed by its statistics division code.

    Region, city and county use the 6-digit GB/T 2260 code; a township 9 digits (county + 3);
    a village 12 digits (township + 3), as the interchange format's 行政区划代码.
    """

    class Level(models.TextChoices):
        REGION = "region", "自治区"
        CITY = "city", "市"
        COUNTY = "county", "县（区）"
        TOWNSHIP = "township", "乡镇"
        VILLAGE = "village", "村"

    code = models.CharField("行政区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    #: Only villages: 村集体经济年收入(万元) from the 村 sheet.
    collective_income_10k = models.DecimalField(
        "村集体经济年收入(万元)", max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        indexes = [models.Index(fields=["level"])]
        constraints = [
            CheckConstraint(
                condition=Q(collective_income_10k__isnull=True) | Q(collective_income_10k__gte=0),
                name="area_collective_income_non_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def county_code(self) -> str:
        return self.code[:6]


class Household(models.Model):
    """A household (家庭) with every column of the 家庭 sheet; 户编号 is stable across years."""

    household_id = models.CharField("户编号", max_length=40, primary_key=True)
    village = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="households", db_column="village_code"
    )
    household_type = models.CharField("户类型", max_length=20, choices=_choices(ix.HOUSEHOLD_TYPES))
    arable_mu = models.DecimalField("耕地面积(亩)", max_digits=10, decimal_places=2, null=True, blank=True)
    arable_idle_mu = models.DecimalField(
        "耕地未种植(亩)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    idle_courtyard = models.BooleanField("闲置庭院房屋棚圈", null=True)
    courtyard_willing = models.BooleanField("庭院经济意愿", null=True)
    livestock_willing = models.BooleanField("养殖意愿", null=True)
    cattle = models.IntegerField("牛存栏(头)", null=True, blank=True)
    sheep = models.IntegerField("羊存栏(只)", null=True, blank=True)
    pigs = models.IntegerField("猪存栏(头)", null=True, blank=True)
    collective_yard = models.BooleanField("出户入场养殖", null=True)
    rents_greenhouse = models.BooleanField("租赁集体大棚", null=True)
    housing_safe = models.BooleanField("住房安全")
    water_safe = models.BooleanField("饮水安全")
    dibao_household = models.BooleanField("低保户", null=True)
    tekun = models.BooleanField("特困供养", null=True)
    assets_within_dibao_rules = models.BooleanField("家庭财产符合低保条件", null=True)
    phone = models.CharField("联系电话", max_length=30, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "农户"
        verbose_name_plural = "农户"
        indexes = [
            models.Index(fields=["household_type"]),
            # an area's list in its order (village, then 户编号): a range scan, never a walk of the key
            models.Index(fields=["village", "household_id"], name="household_area_order"),
        ]
        constraints = [
            *_non_negative("household", "arable_mu", "arable_idle_mu", "cattle", "sheep", "pigs"),
            CheckConstraint(condition=Q(household_type__in=ix.HOUSEHOLD_TYPES), name="household_type_valid"),
        ]

    def __str__(self) -> str:
        return self.household_id


class Member(models.Model):
    """A person (家庭成员). Birth date and sex are read from the ID number, not stored twice."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("证件号码", max_length=18, unique=True)
    relation = models.CharField("与户主关系", max_length=10, choices=_choices(ix.RELATIONS))
    health = models.CharField("健康状况", max_length=10, choices=_choices(ix.HEALTH))
    disability_grade = models.CharField(
        "残疾等级", max_length=4, choices=_choices(ix.DISABILITY_GRADES), blank=True, default=""
    )
    labour = models.CharField("劳动技能", max_length=12, choices=_choices(ix.LABOUR))
    work = models.CharField("务工状况", max_length=12, choices=_choices(ix.WORK), blank=True, default="")
    work_months = models.IntegerField("务工月数", null=True, blank=True)
    schooling = models.CharField(
        "在校生状况", max_length=6, choices=_choices(ix.SCHOOLING), blank=True, default=""
    )
    graduation_year = models.IntegerField("毕业年份", null=True, blank=True)
    medical_insured = models.BooleanField("参加基本医疗保险")
    dibao = models.BooleanField("享受低保", null=True)
    business_since = models.IntegerField("创业年份", null=True, blank=True)
    job_channel = models.CharField(
        "就业渠道", max_length=12, choices=_choices(ix.JOB_CHANNELS), blank=True, default=""
    )
    public_post_until = models.IntegerField("公益性岗位补贴期满年份", null=True, blank=True)
    tekun = models.BooleanField("享受特困供养", null=True)
    work_place = models.CharField("务工所在地", max_length=100, blank=True, default="")
    monthly_wage = models.DecimalField("务工月收入", max_digits=12, decimal_places=2, null=True, blank=True)
    public_welfare_post = models.BooleanField("公益性岗位", null=True)
    public_welfare_months = models.IntegerField("公益性岗位(月数)", null=True, blank=True)
    employee_medical_insured = models.BooleanField("参加城镇职工基本医疗保险", null=True)
    critical_illness_insured = models.BooleanField("参加大病保险", null=True)
    pension_insured = models.BooleanField("参加城乡居民基本养老保险", null=True)
    medical_assistance = models.BooleanField("接受医疗救助", null=True)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        constraints = [
            UniqueConstraint(
                fields=["household"], condition=Q(relation="户主"), name="one_head_per_household"
            ),
            CheckConstraint(
                condition=Q(work_months__isnull=True) | Q(work_months__gte=0, work_months__lte=12),
                name="member_work_months_0_12",
            ),
            CheckConstraint(
                condition=Q(public_welfare_months__isnull=True)
                | Q(public_welfare_months__gte=0, public_welfare_months__lte=12),
                name="member_public_welfare_months_0_12",
            ),
            CheckConstraint(
                condition=Q(monthly_wage__isnull=True) | Q(monthly_wage__gte=0),
                name="member_monthly_wage_non_negative",
            ),
            CheckConstraint(condition=Q(relation__in=ix.RELATIONS), name="member_relation_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.relation}"


class Income(models.Model):
    """Income of a household for a year (quarter empty) or a cumulative quarter (1–4, from January)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes")
    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度", null=True, blank=True)
    wage = models.DecimalField("工资性收入", max_digits=14, decimal_places=2, default=0)
    operating_gross = models.DecimalField("生产经营性收入", max_digits=14, decimal_places=2, default=0)
    operating_cost = models.DecimalField("生产经营性支出", max_digits=14, decimal_places=2, default=0)
    property = models.DecimalField("财产性收入", max_digits=14, decimal_places=2, default=0)
    transfer = models.DecimalField("转移性收入", max_digits=14, decimal_places=2, default=0)
    transfer_dibao = models.DecimalField("其中:低保金", max_digits=14, decimal_places=2, default=0)
    transfer_pension = models.DecimalField("其中:养老金", max_digits=14, decimal_places=2, default=0)
    transfer_tekun = models.DecimalField("其中:特困供养金", max_digits=14, decimal_places=2, default=0)
    transfer_eco = models.DecimalField("其中:生态补偿金", max_digits=14, decimal_places=2, default=0)
    transfer_family_planning = models.DecimalField(
        "其中:计划生育金", max_digits=14, decimal_places=2, default=0
    )
    transfer_other = models.DecimalField("其中:其他转移性收入", max_digits=14, decimal_places=2, default=0)
    #: Insurance claims paid out: income beside 转移性收入 (net income adds it), not part of it.
    claims = models.DecimalField("理赔收入", max_digits=14, decimal_places=2, default=0)
    consumption = models.DecimalField("生活消费支出", max_digits=14, decimal_places=2, default=0)
    medical_selfpay = models.DecimalField("合规自付医疗费用", max_digits=14, decimal_places=2, default=0)
    education_spending = models.DecimalField("教育支出", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "收入"
        verbose_name_plural = "收入"
        constraints = [
            *_non_negative("income", *ix.INCOME_AMOUNTS),
            UniqueConstraint(
                fields=["household", "year"], condition=Q(quarter__isnull=True), name="income_one_year_row"
            ),
            UniqueConstraint(
                fields=["household", "year", "quarter"],
                condition=Q(quarter__isnull=False),
                name="income_one_quarter_row",
            ),
            CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="income_quarter_1_4",
            ),
        ]
        indexes = [models.Index(fields=["year", "quarter"])]


class Cadre(models.Model):
    """A 帮扶干部; pairs with households are kept in :class:`Pairing`."""

    cadre_id = models.CharField("干部编号", max_length=40, primary_key=True)
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=200, blank=True, default="")
    rank = models.CharField("职级", max_length=10, choices=_choices(ix.CADRE_RANKS))
    county = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="cadres", db_column="county_code")

    class Meta:
        verbose_name = "帮扶干部"
        verbose_name_plural = "帮扶干部"

    def __str__(self) -> str:
        return f"{self.cadre_id} {self.rank}"


class Pairing(models.Model):
    """A cadre–household pair (S02). An open pair has no end date; a household has one open pair."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="pairings")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="pairings")
    started_on = models.DateField("开始日期", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    source = models.CharField("来源", max_length=40, default="import")

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        constraints = [
            UniqueConstraint(
                fields=["household"], condition=Q(ended_on__isnull=True), name="one_open_pair_per_household"
            )
        ]


class FeedBatch(models.Model):
    """One department file as received: which feed, from where, when, and how it matched."""

    kind = models.CharField("数据类型", max_length=10)  # 医保, 残联, 民政, 人社, 教育, 住建, 应急
    source_name = models.CharField("文件名", max_length=255)
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    imported_by = models.CharField("导入人", max_length=150, blank=True, default="")
    rows = models.IntegerField("行数", default=0)
    matched = models.IntegerField("匹配行数", default=0)
    unmatched = models.IntegerField("未匹配行数", default=0)
    #: SHA-256 of the file as received, so the same file imported twice is recognised.
    checksum = models.CharField("文件校验和", max_length=64, blank=True, default="", db_index=True)

    class Meta:
        verbose_name = "部门数据批次"
        verbose_name_plural = "部门数据批次"


class _FeedRecord(models.Model):
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE)
    id_number = models.CharField("证件号码", max_length=18, db_index=True)
    #: The member the row matched by 证件号码; null when it matched nobody (reported, still kept).
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        abstract = True


class MedicalRecord(_FeedRecord):
    """医保: yearly medical costs and what was reimbursed; 个人自付 is rigid spending."""

    year = models.IntegerField("年度")
    total_cost = models.DecimalField("医疗总费用", max_digits=14, decimal_places=2, default=0)
    basic_reimbursed = models.DecimalField("基本医保报销", max_digits=14, decimal_places=2, default=0)
    critical_reimbursed = models.DecimalField("大病保险报销", max_digits=14, decimal_places=2, default=0)
    assistance = models.DecimalField("医疗救助", max_digits=14, decimal_places=2, default=0)
    self_paid = models.DecimalField("个人自付", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = "医保数据"
        constraints = _non_negative(
            "medical", "total_cost", "basic_reimbursed", "critical_reimbursed", "assistance", "self_paid"
        )


class DisabilityRecord(_FeedRecord):
    """残联: a disability certificate."""

    category = models.CharField("残疾类别", max_length=20, blank=True, default="")
    grade = models.CharField("残疾等级", max_length=4, choices=_choices(ix.DISABILITY_GRADES))
    issued_on = models.DateField("发证日期", null=True, blank=True)

    class Meta:
        verbose_name = "残联数据"


class CivilAssistanceRecord(_FeedRecord):
    """民政: 低保, 特困 or 临时救助 with its period; an end date means the assistance ended."""

    assistance_type = models.CharField("救助类型", max_length=6)
    start_date = models.DateField("起始日期", null=True, blank=True)
    end_date = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        verbose_name = "民政数据"


class EmploymentRecord(_FeedRecord):
    """人社: employment status with its period."""

    status = models.CharField("就业状态", max_length=20)
    employer = models.CharField("单位", max_length=200, blank=True, default="")
    start_date = models.DateField("起始日期", null=True, blank=True)
    end_date = models.DateField("终止日期", null=True, blank=True)

    class Meta:
        verbose_name = "人社数据"


class EducationRecord(_FeedRecord):
    """教育: school stage and status (在读/毕业/辍学)."""

    stage = models.CharField("学段", max_length=10, blank=True, default="")
    status = models.CharField("在校状态", max_length=4)
    graduation_year = models.IntegerField("毕业年份", null=True, blank=True)

    class Meta:
        verbose_name = "教育数据"


class MigrantWorkRecord(_FeedRecord):
    """A row of the national system's monthly 已外出务工 or 计划外出务工 list (which: the batch's kind)."""

    month = models.DateField("月份")  # the month the list reports, first day
    went_out_on = models.DateField("外出务工时间", null=True, blank=True)
    planned_on = models.DateField("计划外出时间", null=True, blank=True)
    work = models.CharField("务工区域", max_length=12, blank=True, default="")
    work_place = models.CharField("务工所在地", max_length=100, blank=True, default="")
    job_channel = models.CharField("就业渠道", max_length=12, blank=True, default="")
    employer = models.CharField("务工企业名称", max_length=200, blank=True, default="")
    monthly_wage = models.DecimalField("务工月收入", max_digits=12, decimal_places=2, null=True, blank=True)
    work_months = models.IntegerField("务工时间(月)", null=True, blank=True)
    wish = models.CharField("意向工种", max_length=100, blank=True, default="")
    needs = models.CharField("服务需求", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "外出务工名单"
        indexes = [models.Index(fields=["month"])]
        constraints = [
            CheckConstraint(
                condition=Q(monthly_wage__isnull=True) | Q(monthly_wage__gte=0),
                name="migrant_monthly_wage_non_negative",
            ),
            CheckConstraint(
                condition=Q(work_months__isnull=True) | Q(work_months__gte=0, work_months__lte=12),
                name="migrant_work_months_0_12",
            ),
        ]


class HousingRecord(models.Model):
    """住建: a house safety assessment (A/B safe, C/D unsafe), matched by 户编号 or 证件号码."""

    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE)
    household_ref = models.CharField("户编号", max_length=40, blank=True, default="")
    id_number = models.CharField("证件号码", max_length=18, blank=True, default="")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL)
    safety_grade = models.CharField("房屋安全等级", max_length=1)
    assessed_on = models.DateField("鉴定日期", null=True, blank=True)

    class Meta:
        verbose_name = "住建数据"


class DisasterRecord(models.Model):
    """应急: a disaster reported for an area (village, township or county code)."""

    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE)
    area_code = models.CharField("行政区划代码", max_length=12, db_index=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL)
    disaster_type = models.CharField("灾种", max_length=20)
    occurred_on = models.DateField("发生日期")
    households_affected = models.IntegerField("受灾户数", null=True, blank=True)
    direct_loss_10k = models.DecimalField(
        "直接经济损失(万元)", max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "应急数据"
        constraints = _non_negative("disaster", "households_affected", "direct_loss_10k")


class AuditEvent(models.Model):
    """Who did what to which record, when and from where: personal-data views, exports, changes."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    username = models.CharField("用户", max_length=150, db_index=True)
    action = models.CharField("操作", max_length=40, db_index=True)
    object_type = models.CharField("对象类型", max_length=40, blank=True, default="")
    object_id = models.CharField("对象编号", max_length=60, blank=True, default="", db_index=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    ip = models.CharField("来源地址", max_length=45, blank=True, default="")

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at"]
