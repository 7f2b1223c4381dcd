"""Quality runs, their findings and counts, and the exemption list (豁免清单).

A :class:`QualityRun` is one evaluation of every check over an area (on import or on demand). Its
:class:`QualityCount` rows (households flagged per village and rule) are kept for every run, so a
county sees the trend across imports; its :class:`QualityFinding` rows (each flagged household with
the message) are kept for the latest runs only (:data:`KEEP_FINDING_RUNS`).
"""

from __future__ import annotations

from django.db import models

#: Runs whose findings are kept; older runs keep their counts only.
KEEP_FINDING_RUNS = 5


class QualityRun(models.Model):
    class Trigger(models.TextChoices):
        IMPORT = "import", "导入后核查"
        MANUAL = "manual", "手动核查"

    started_at = models.DateTimeField("核查时间", auto_now_add=True, db_index=True)
    #: The area checked (行政区划代码); empty for the whole region.
    area_code = models.CharField("核查范围", max_length=12, blank=True, default="")
    trigger = models.CharField("触发方式", max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    source = models.CharField("来源文件", max_length=255, blank=True, default="")
    username = models.CharField("操作人", max_length=150, blank=True, default="")
    year = models.IntegerField("收入年度")
    households = models.IntegerField("核查户数", default=0)
    persons = models.IntegerField("核查人数", default=0)
    findings = models.IntegerField("问题条数", default=0)
    flagged_households = models.IntegerField("问题户数", default=0)
    exempted = models.IntegerField("豁免条数", default=0)
    seconds = models.FloatField("用时(秒)", default=0)

    class Meta:
        verbose_name = "数据质量核查"
        verbose_name_plural = "数据质量核查"
        ordering = ["-started_at", "-id"]


class QualityCount(models.Model):
    """Households a rule flagged in one village in one run (the trend's rows)."""

    run = models.ForeignKey(QualityRun, on_delete=models.CASCADE, related_name="counts")
    village_code = models.CharField("村代码", max_length=12)
    code = models.CharField("规则代码", max_length=6)
    severity = models.CharField("严重程度", max_length=4)
    households = models.IntegerField("问题户数")
    findings = models.IntegerField("问题条数")

    class Meta:
        verbose_name = "核查计数"
        indexes = [models.Index(fields=["run", "village_code"])]


class QualityFinding(models.Model):
    """One flagged household (or member, by relation) of a run, with the values that tripped the rule."""

    run = models.ForeignKey(QualityRun, on_delete=models.CASCADE, related_name="rows")
    code = models.CharField("规则代码", max_length=6)
    severity = models.CharField("严重程度", max_length=4)
    household_id = models.CharField("户编号", max_length=40)
    village_code = models.CharField("村代码", max_length=12)
    subject = models.CharField("成员", max_length=10, blank=True, default="")
    message = models.TextField("问题说明")

    class Meta:
        verbose_name = "核查问题"
        indexes = [models.Index(fields=["run", "village_code", "code"])]


class QualityExemption(models.Model):
    """A household excused from one rule until a date (豁免清单): why, who entered it, when."""

    code = models.CharField("规则代码", max_length=6)
    household_id = models.CharField("户编号", max_length=40)
    reason = models.TextField("豁免理由")
    created_by = models.CharField("登记人", max_length=150)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    valid_until = models.DateField("有效期至")
    source = models.CharField("来源", max_length=255, blank=True, default="")

    class Meta:
        verbose_name = "豁免清单"
        verbose_name_plural = "豁免清单"
        indexes = [models.Index(fields=["household_id", "code"])]
