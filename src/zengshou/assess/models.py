"""Quarterly progress that departments report against the plans' targets (targets.yaml)."""

from __future__ import annotations

from django.db import models
from django.db.models import UniqueConstraint


class TargetProgress(models.Model):
    """The cumulative figure of one target at the end of a quarter, as a department reported it."""

    target_id = models.CharField("目标", max_length=80, db_index=True)  # code:name of targets.yaml
    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度")
    value = models.DecimalField("累计完成值", max_digits=18, decimal_places=2)
    unit_name = models.CharField("填报单位", max_length=100, blank=True, default="")
    note = models.TextField("说明", blank=True, default="")
    entered_by = models.CharField("填报人", max_length=150)
    entered_at = models.DateTimeField("填报时间", auto_now=True)

    class Meta:
        verbose_name = "目标任务进度"
        verbose_name_plural = "目标任务进度"
        constraints = [
            UniqueConstraint(fields=["target_id", "year", "quarter"], name="one_progress_per_quarter")
        ]
