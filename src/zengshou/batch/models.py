"""One row per batch run: what it covers, who started it, its steps and figures, so the web shows
its progress while the worker writes it, and pages say when their results were computed."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, UniqueConstraint


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    DONE = "done", "已完成"
    FAILED = "failed", "未完成"


ACTIVE_STATUSES = (BatchStatus.QUEUED, BatchStatus.RUNNING)


class BatchRun(models.Model):
    """A batch for an area and period. At most one queued or running run per area (the database
    says so), so two clicks never run the same area twice at once."""

    #: The area run (county, city or region code); empty for the whole database (CLI without --area).
    area_code = models.CharField("区划代码", max_length=12, blank=True, default="")
    area_name = models.CharField("区划", max_length=100, blank=True, default="")
    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    #: [{"key", "label", "state": waiting|running|done|skipped|failed, "seconds", "note"}] in run order.
    steps = models.JSONField("步骤", default=list)
    message = models.TextField("说明", blank=True, default="")
    #: Counts of what the run stored (tier results, alerts, plans, model warnings).
    figures = models.JSONField("结果数字", default=dict)
    #: User parameter files layered over the shipped ones (``zengshou pipeline --params``).
    params_files = models.JSONField("参数文件", default=list)
    task_id = models.CharField("任务编号", max_length=64, blank=True, default="")
    created_by = models.CharField("启动人", max_length=150)
    source = models.CharField("启动方式", max_length=10, default="web")
    created_at = models.DateTimeField("启动时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "批处理"
        verbose_name_plural = "批处理"
        ordering = ["-created_at", "-id"]
        constraints = [
            UniqueConstraint(
                fields=["area_code"],
                condition=Q(status__in=["queued", "running"]),
                name="batch_one_active_run_per_area",
            ),
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="batch_quarter_1_4",
            ),
        ]
        indexes = [models.Index(fields=["status", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.area_name or '全部'} {self.period_label} {self.get_status_display()}"

    @property
    def period_label(self) -> str:
        return f"{self.year}年" + (f"第{self.quarter}季度（累计）" if self.quarter else "度")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self) -> int:
        """Share of steps finished (done, skipped or failed), for the progress bar."""
        if self.status == BatchStatus.DONE:
            return 100
        steps: list[dict[str, Any]] = list(self.steps or [])
        if not steps:
            return 0
        finished = sum(1 for s in steps if s.get("state") in ("done", "skipped"))
        return int(100 * finished / len(steps))
