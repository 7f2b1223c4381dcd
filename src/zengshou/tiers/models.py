"""Stored classification results (C01–C03): one row per household and period of a pipeline run, and
the region's C01 cut points of each period.

Written in bulk by :func:`zengshou.pipeline.store`; a re-run of the same period replaces the rows of
the households it covers, so the table always holds the latest computation for each period.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint

from zengshou import interchange as ix


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def _yuan(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, null=True, blank=True)


class TierResult(models.Model):
    """A household's income, quintile and tier for a year (quarter empty) or a cumulative quarter."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="tier_results")
    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度", null=True, blank=True)
    size = models.IntegerField("家庭人口")
    net_income = _yuan("家庭纯收入")
    per_capita_income = _yuan("人均纯收入")
    wage_pc = _yuan("人均工资性收入")
    operating_net_pc = _yuan("人均经营净收入")
    property_pc = _yuan("人均财产净收入")
    transfer_pc = _yuan("人均转移净收入")
    consumption_pc = _yuan("人均生活消费支出")
    prev_per_capita_income = _yuan("上年同期人均纯收入")
    change_ratio = models.FloatField("同比变化率", null=True, blank=True)
    fell = models.BooleanField("收入不增反降", null=True)
    quintile = models.CharField(
        "五等份组", max_length=10, choices=_choices(ix.QUINTILES), blank=True, default=""
    )
    tier = models.CharField("层级", max_length=10, choices=_choices(ix.TIERS), blank=True, default="")
    in_scope = models.BooleanField("低收入组脱贫人口（含监测对象）", null=True)
    reasons = models.TextField("依据", blank=True, default="")
    computed_at = models.DateTimeField("计算时间")
    computed_by = models.CharField("计算人", max_length=150, blank=True, default="")

    class Meta:
        verbose_name = "分层结果"
        verbose_name_plural = "分层结果"
        constraints = [
            UniqueConstraint(
                fields=["household", "year"], condition=Q(quarter__isnull=True), name="tier_one_year_row"
            ),
            UniqueConstraint(
                fields=["household", "year", "quarter"],
                condition=Q(quarter__isnull=False),
                name="tier_one_quarter_row",
            ),
            CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="tier_quarter_1_4",
            ),
            CheckConstraint(condition=Q(size__gte=0), name="tier_size_non_negative"),
        ]
        indexes = [
            models.Index(fields=["year", "quarter", "tier"]),
            models.Index(fields=["year", "quintile"]),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A result saved one by one (the admin, a fixture) gets its scope from the L00 definition,
        as the pipeline's bulk store does."""
        if self.in_scope is None:
            from zengshou.tiers.rules import scope_of

            self.in_scope = scope_of(self.household.household_type, self.quintile, self.year)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        period = f"{self.year}" + (f"Q{self.quarter}" if self.quarter else "")
        return f"{self.household_id} {period} {self.tier}"


class CutPointSet(models.Model):
    """C01: the region's four cut points of a year (quarter empty) or cumulative quarter and how they
    were obtained, so a county, village or file of that period is placed with the region's groups."""

    SOURCES = (("计算", "全区计算"), ("官方", "官方"))

    year = models.IntegerField("年度")
    quarter = models.IntegerField("季度", null=True, blank=True)
    cut_1 = _yuan("低收入组上限")
    cut_2 = _yuan("中间偏下收入组上限")
    cut_3 = _yuan("中间收入组上限")
    cut_4 = _yuan("中间偏上收入组上限")
    source = models.CharField("来源", max_length=4, choices=SOURCES)
    households = models.IntegerField("参与排序户数", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "五等份分界点"
        verbose_name_plural = "五等份分界点"
        constraints = [
            UniqueConstraint(fields=["year"], condition=Q(quarter__isnull=True), name="cuts_one_year_row"),
            UniqueConstraint(
                fields=["year", "quarter"], condition=Q(quarter__isnull=False), name="cuts_one_quarter_row"
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.year}" + (f"Q{self.quarter}" if self.quarter else "")
        return f"{period} {self.cut_1}/{self.cut_2}/{self.cut_3}/{self.cut_4}（{self.source}）"
