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

LEVELS = ("一级", "二级", "三级")  # 一级 most severe


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

    Households imported with 户类型 监测对象-* are monitoring objects from that import on
    (``source`` = import, ``source_file`` = the file); see :mod:`zengshou.monitor.imported`.
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
