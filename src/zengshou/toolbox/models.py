"""Plans (W02) and county toolbox versions (W01).

A plan is one household's measures for a year (一户一策、一户多策); each measure is a
:class:`PlanItem` whose status moves proposed → agreed (with the household) → delivered, every
step kept as a :class:`PlanItemEvent` and in the audit trail. County toolboxes edited in the web
app are stored as numbered versions of the YAML text, so what a county offered on a date can be
shown later.
"""

from __future__ import annotations

from django.db import models
from django.db.models import CheckConstraint, Q, UniqueConstraint


class Plan(models.Model):
    """One household's plan for a year; items are regenerated from the rules, statuses are kept."""

    household_id = models.CharField("户编号", max_length=40, db_index=True)
    year = models.IntegerField("年度")
    county_code = models.CharField("县区代码", max_length=6, db_index=True)
    village_code = models.CharField("行政区划代码", max_length=12, db_index=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "一户一策帮扶计划"
        verbose_name_plural = "一户一策帮扶计划"
        constraints = [UniqueConstraint(fields=["household_id", "year"], name="plan_one_per_household_year")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"


class PlanItem(models.Model):
    """A measure of a plan, with amount, units, the rule's reason, and where it stands."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "拟定"
        AGREED = "agreed", "已与农户商定"
        DELIVERED = "delivered", "已落实"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    code = models.CharField("措施代码", max_length=20)
    id_number = models.CharField("证件号码", max_length=18, blank=True, default="")
    amount = models.DecimalField("金额(元)", max_digits=12, decimal_places=2, null=True, blank=True)
    income_effect = models.DecimalField(
        "预计年增收(元)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    units = models.CharField("责任单位", max_length=300, blank=True, default="")
    reason = models.TextField("依据", blank=True, default="")
    #: False when a later run of the rules no longer finds the measure (kept once agreed or delivered).
    applies = models.BooleanField("规则仍适用", default=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PROPOSED)
    status_date = models.DateField("状态日期", null=True, blank=True)
    evidence = models.TextField("佐证", blank=True, default="")
    updated_by = models.CharField("更新人", max_length=150, blank=True, default="")

    class Meta:
        verbose_name = "帮扶措施"
        verbose_name_plural = "帮扶措施"
        constraints = [
            UniqueConstraint(fields=["plan", "code", "id_number"], name="plan_item_once"),
            CheckConstraint(
                condition=Q(status__in=["proposed", "agreed", "delivered"]), name="plan_item_status"
            ),
            CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="plan_item_amount_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["code", "status"])]


class PlanItemEvent(models.Model):
    """One status change of a plan item: who, when, on which date, with what evidence."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=10)
    to_status = models.CharField("新状态", max_length=10)
    on = models.DateField("日期")
    evidence = models.TextField("佐证", blank=True, default="")
    by = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "帮扶措施状态记录"
        verbose_name_plural = "帮扶措施状态记录"
        ordering = ["at", "id"]


class CountyToolboxVersion(models.Model):
    """A county toolbox as saved from the web app (YAML text, validated before it is stored)."""

    county_code = models.CharField("县区代码", max_length=6, db_index=True)
    version = models.IntegerField("版本")
    content = models.TextField("内容（YAML）")
    note = models.CharField("说明", max_length=300, blank=True, default="")
    created_by = models.CharField("保存人", max_length=150)
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        verbose_name = "县级工具箱版本"
        verbose_name_plural = "县级工具箱版本"
        constraints = [UniqueConstraint(fields=["county_code", "version"], name="toolbox_version_once")]
        ordering = ["county_code", "-version"]

    @classmethod
    def latest(cls) -> list[CountyToolboxVersion]:
        """The newest version of each county that has one."""
        newest: dict[str, CountyToolboxVersion] = {}
        for v in cls.objects.order_by("county_code", "-version"):
            newest.setdefault(v.county_code, v)
        return list(newest.values())
