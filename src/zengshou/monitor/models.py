"""Alerts, their workflow and monitoring objects (M02–M05).

An alert moves new → verified → included (a :class:`MonitoringObject` is created) or dismissed
(with a reason); an included alert is closed when its object's risk is eliminated. Every step is an
:class:`AlertTransition` and an audit event. Open alerts (new, verified) are unique by fingerprint,
enforced by a partial unique index, so a re-run of the pipeline cannot duplicate them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q, UniqueConstraint

from zengshou import interchange as ix
from zengshou.monitor.alerts import LEVELS


class AlertStatus(models.TextChoices):
    NEW = "new", "新预警"
    VERIFIED = "verified", "已核实"
    INCLUDED = "included", "已纳入监测"
    DISMISSED = "dismissed", "已排除"
    CLOSED = "closed", "已关闭"


OPEN_STATUSES = (AlertStatus.NEW.value, AlertStatus.VERIFIED.value)
#: The three monitoring-object types (short form, without the 监测对象- prefix of 户类型).
MONITORING_TYPES = tuple(t.removeprefix("监测对象-") for t in ix.MONITORING_TYPES)


class Alert(models.Model):
    """One warning about a household (or, for scale risks, an area) with its code, level and facts."""

    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    area = models.ForeignKey(
        "registry.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    #: The area code as raised (village of the household, or the reported area), kept even if unmatched.
    area_code = models.CharField("行政区划代码", max_length=12)
    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度", null=True, blank=True)
    code = models.CharField("预警代码", max_length=8)
    level = models.CharField("级别", max_length=4, choices=[(v, v) for v in LEVELS])
    explanation = models.TextField("说明")
    status = models.CharField(
        "状态", max_length=10, choices=AlertStatus.choices, default=AlertStatus.NEW, db_index=True
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    verified_by = models.CharField("核实人", max_length=150, blank=True, default="")
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    dismissed_reason = models.TextField("排除理由", blank=True, default="")
    #: code|household or area|year: the identity of the problem; unique among open alerts.
    fingerprint = models.CharField("指纹", max_length=80)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        constraints = [
            UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=OPEN_STATUSES),
                name="alert_open_fingerprint_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AlertStatus]), name="alert_status_valid"
            ),
        ]
        # Few indexes: the pipeline inserts hundreds of thousands of alerts at once.
        indexes = [
            models.Index(fields=["year", "code"]),
            models.Index(fields=["area_code", "status"]),
            # The clue queue (monitor.clues) groups the open alerts of a year and area by household; the
            # partial index holds only open alerts and every column the grouped query reads.
            models.Index(
                fields=["year", "area_code", "household", "level", "code", "status", "created_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="alert_open_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.household_id or self.area_code} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AlertTransition(models.Model):
    """One step of an alert's workflow: who moved it from which status to which, when and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField("原状态", max_length=10, choices=AlertStatus.choices)
    to_status = models.CharField("新状态", max_length=10, choices=AlertStatus.choices)
    username = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.TextField("备注", blank=True, default="")

    class Meta:
        verbose_name = "预警处理记录"
        verbose_name_plural = "预警处理记录"
        ordering = ["at", "id"]


class MonitoringSource(models.TextChoices):
    """How a household became a monitoring object: through the alert workflow or an imported 户类型."""

    WORKFLOW = "workflow", "预警纳入"
    IMPORT = "import", "导入"


class MonitoringObject(models.Model):
    """A household brought into monitoring (防止返贫致贫监测对象) and, later, its risk elimination.

    ``monitoring_type`` is 监测对象类别, ``included_on`` 识别监测时间 and ``risk_eliminated_on``
    消除监测时间 (风险是否已消除 is whether it is set) of the national lists.

    Households imported with 户类型 监测对象-* are monitoring objects from that import on
    (``source`` = import, ``source_file`` = the file); see :mod:`zengshou.ingest.monitoring`.
    """

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="monitoring_objects"
    )
    monitoring_type = models.CharField(
        "监测对象类型", max_length=10, choices=[(t, t) for t in MONITORING_TYPES]
    )
    included_on = models.DateField("纳入日期")
    included_by = models.CharField("纳入人", max_length=150)
    source_alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="monitoring_objects"
    )
    source = models.CharField(
        "来源", max_length=10, choices=MonitoringSource.choices, default=MonitoringSource.WORKFLOW
    )
    source_file = models.CharField("来源文件", max_length=255, blank=True, default="")
    #: 户类型 before inclusion, restored when the risk is eliminated.
    previous_household_type = models.CharField("纳入前户类型", max_length=20, blank=True, default="")
    risk_eliminated_on = models.DateField("风险消除日期", null=True, blank=True)
    eliminated_by = models.CharField("风险消除操作人", max_length=150, blank=True, default="")
    #: What showed the risk was gone: the incomes checked against the line, closed alerts, the user's note.
    evidence = models.JSONField("风险消除依据", default=dict, blank=True)
    #: 致贫/返贫风险1–5 as the national lists give them (因病, 因学 …, 因自然灾害 with its subtype).
    risk_1 = models.CharField("致贫/返贫风险1", max_length=40, blank=True, default="")
    risk_2 = models.CharField("致贫/返贫风险2", max_length=40, blank=True, default="")
    risk_3 = models.CharField("致贫/返贫风险3", max_length=40, blank=True, default="")
    risk_4 = models.CharField("致贫/返贫风险4", max_length=40, blank=True, default="")
    risk_5 = models.CharField("致贫/返贫风险5", max_length=40, blank=True, default="")
    elimination_method = models.CharField(
        "风险消除方式",
        max_length=10,
        blank=True,
        default="",
        choices=[(m, m) for m in ix.ELIMINATION_METHODS],
    )

    @property
    def risks(self) -> list[str]:
        return [r for r in (self.risk_1, self.risk_2, self.risk_3, self.risk_4, self.risk_5) if r]

    class Meta:
        verbose_name = "监测对象"
        verbose_name_plural = "监测对象"
        constraints = [
            UniqueConstraint(
                fields=["household"],
                condition=Q(risk_eliminated_on__isnull=True),
                name="one_open_monitoring_object_per_household",
            )
        ]

    def __str__(self) -> str:
        state = "风险已消除" if self.risk_eliminated_on else "监测中"
        return f"{self.household_id} {self.monitoring_type} {state}"


# ---------------------------------------------------------------- the monitoring procedure (M02, M05)

#: The 14 measure types (帮扶措施) of the national lists.
MEASURE_TYPES = (
    "产业帮扶",
    "就业帮扶",
    "金融帮扶",
    "公益岗位帮扶",
    "健康帮扶",
    "义务教育保障",
    "其他教育帮扶",
    "综合保障",
    "住房安全保障",
    "饮水安全保障",
    "社会帮扶",
    "搬迁",
    "生产生活条件改善",
    "基础设施建设",
)
#: Development measures (开发式帮扶): a monitoring object with labour capacity needs one of these.
DEVELOPMENT_MEASURES = ("产业帮扶", "就业帮扶")


class CaseKind(models.TextChoices):
    INCLUSION = "inclusion", "识别纳入"
    ELIMINATION = "elimination", "风险消除"


class Channel(models.TextChoices):
    SELF_REPORT = "self_report", "农户自主申报"
    CADRE = "cadre", "干部排查"
    SCREENING = "screening", "部门筛查预警"
    #: A monitoring object whose elimination the county starts (风险消除 has no outside clue).
    REVIEW = "review", "监测对象风险评估"


class Step(models.TextChoices):
    ACCEPT = "accept", "受理"
    VISIT = "visit", "入户核实"
    REVIEW = "review", "村级民主评议"
    NOTICE = "notice", "公示"
    TOWNSHIP = "township", "乡镇审核"
    COUNTY = "county", "县级审定"
    DONE = "done", "已办结"
    CLOSED = "closed", "未通过"


OPEN_STEPS = (Step.ACCEPT, Step.VISIT, Step.REVIEW, Step.NOTICE, Step.TOWNSHIP, Step.COUNTY)
OPEN_STEP_VALUES = tuple(s.value for s in OPEN_STEPS)


class Outcome(models.TextChoices):
    OPEN = "", "办理中"
    INCLUDED = "included", "纳入监测"
    ELIMINATED = "eliminated", "风险消除"
    KEPT = "kept", "继续监测（兜底保障）"
    REFUSED = "refused", "不予受理"
    REJECTED = "rejected", "不予纳入"
    NOT_ELIMINATED = "not_eliminated", "暂不消除"


class Case(models.Model):
    """One procedure (识别纳入 or 风险消除) of one household, from its first clue to the county's decision.

    Clues of the same household (or, for an applicant not yet registered, the same ID number) merge
    into its open case of the kind (``merge_key``, unique among open cases); each is a :class:`CaseClue`.
    ``due_on`` is the deadline of the current step. The applicant's name, ID number and phone are kept
    for the township's 受理 of a self-report and are never shown on a public page or notice.
    """

    receipt = models.CharField("回执编号", max_length=16, unique=True)
    kind = models.CharField("类型", max_length=12, choices=CaseKind.choices, default=CaseKind.INCLUSION)
    channel = models.CharField("首条线索渠道", max_length=12, choices=Channel.choices)
    step = models.CharField("当前环节", max_length=10, choices=Step.choices, db_index=True)
    outcome = models.CharField("结果", max_length=16, choices=Outcome.choices, blank=True, default="")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="cases"
    )
    village = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="cases")
    merge_key = models.CharField("合并键", max_length=40)
    applicant_name = models.CharField("申报人姓名", max_length=50, blank=True, default="")
    applicant_id_number = models.CharField("申报人证件号码", max_length=18, blank=True, default="")
    applicant_phone = models.CharField("申报人联系电话", max_length=20, blank=True, default="")
    risks = models.JSONField("致贫/返贫风险", default=list, blank=True)
    description = models.TextField("困难情况", blank=True, default="")
    first_clue_at = models.DateTimeField("首条线索时间")
    step_started_on = models.DateField("本环节开始日期")
    due_on = models.DateField("本环节时限", null=True, blank=True, db_index=True)
    authorisation_signed_on = models.DateField("承诺授权书签署日期", null=True, blank=True)
    authorisation_scan = models.FileField("承诺授权书扫描件", upload_to="authorisations/%Y/%m/", blank=True)
    notice_from = models.DateField("公示开始", null=True, blank=True)
    notice_to = models.DateField("公示结束", null=True, blank=True)
    proposed_category = models.CharField("建议监测对象类别", max_length=10, blank=True, default="")
    proposal_reasons = models.JSONField("建议依据", default=list, blank=True)
    category = models.CharField("审定监测对象类别", max_length=10, blank=True, default="")
    monitoring_object = models.ForeignKey(
        MonitoringObject, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    criteria = models.JSONField("风险消除条件核查", default=dict, blank=True)
    elimination_method = models.CharField("风险消除方式", max_length=10, blank=True, default="")
    early_reason = models.TextField("不满6个月消除的理由", blank=True, default="")
    closed_on = models.DateField("办结日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "监测程序"
        verbose_name_plural = "监测程序"
        constraints = [
            UniqueConstraint(
                fields=["kind", "merge_key"],
                condition=Q(step__in=OPEN_STEP_VALUES),
                name="case_open_merge_key_unique",
            ),
            models.CheckConstraint(condition=Q(step__in=[s.value for s in Step]), name="case_step_valid"),
        ]
        indexes = [
            models.Index(fields=["village", "step", "due_on"], name="case_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} {self.get_kind_display()} {self.get_step_display()}"

    @property
    def is_open(self) -> bool:
        return self.step in OPEN_STEP_VALUES


class CaseClue(models.Model):
    """One clue merged into a case: its channel, risk, description, who reported it and the alert if any."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clues")
    #: The receipt of a self-report, given to the applicant: each report has its own, so a report
    #: merged into a case someone else started never hands out that case's receipt.
    receipt = models.CharField("申报回执编号", max_length=16, null=True, blank=True, unique=True)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices)
    risk = models.CharField("风险类型", max_length=40, blank=True, default="")
    description = models.TextField("情况", blank=True, default="")
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_clues"
    )
    reported_by = models.CharField("报告人", max_length=150)
    reported_at = models.DateTimeField("报告时间")
    #: The same household and risk had been reported already: kept, but no new risk for the case.
    duplicate = models.BooleanField("重复线索", default=False)

    class Meta:
        verbose_name = "线索"
        verbose_name_plural = "线索"
        ordering = ["reported_at", "id"]


class CaseStep(models.Model):
    """One step taken on a case: which, by whom (name, role, area), when, the note and evidence."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("环节", max_length=10, choices=Step.choices)
    action = models.CharField("操作", max_length=20)
    username = models.CharField("操作人", max_length=150)
    role = models.CharField("角色", max_length=20, blank=True, default="")
    area_code = models.CharField("操作人区划", max_length=12, blank=True, default="")
    at = models.DateTimeField("时间")
    on_day = models.DateField("日期")
    due_on = models.DateField("时限", null=True, blank=True)
    late = models.BooleanField("逾期办理", default=False)
    note = models.TextField("意见", blank=True, default="")
    evidence = models.JSONField("依据", default=dict, blank=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "id"]


class Measure(models.Model):
    """One assistance measure (帮扶措施) of a monitoring object, by national measure type."""

    monitoring_object = models.ForeignKey(MonitoringObject, on_delete=models.CASCADE, related_name="measures")
    measure_type = models.CharField("措施类型", max_length=12, choices=[(t, t) for t in MEASURE_TYPES])
    content = models.CharField("措施内容", max_length=200)
    started_on = models.DateField("开始日期")
    implemented = models.BooleanField("已实施", default=True)
    recorded_by = models.CharField("记录人", max_length=150)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        ordering = ["started_on", "id"]


class PublicRequest(models.Model):
    """A request of the public self-report page (申报 or 查询), counted for its abuse limits.

    Only a digest of the ID number is kept here, never the number itself."""

    kind = models.CharField(max_length=16)
    ip = models.CharField(max_length=45)
    id_digest = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "ip", "at"], name="public_req_ip"),
            models.Index(fields=["kind", "id_digest", "at"], name="public_req_id"),
        ]
