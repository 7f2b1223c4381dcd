"""Who a user is in the hierarchy (UserProfile), visits by cadres, login throttling, API tokens, import jobs."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from zengshou.web.roles import Role


class UserProfile(models.Model):
    """A user's role and area; a 帮扶干部 is also linked to his Cadre row, a 部门用户 to a feed kind."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="users")
    cadre = models.ForeignKey(
        "registry.Cadre", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    #: For a 部门用户: the feed it uploads (医保, 残联, 民政, 人社, 教育, 住建, 应急).
    department = models.CharField("部门数据类型", max_length=10, blank=True, default="")

    class Meta:
        verbose_name = "用户角色"
        verbose_name_plural = "用户角色"

    def __str__(self) -> str:
        return f"{self.user.username} {self.get_role_display()} {self.area_id}"


def visit_photo_path(instance: VisitLog, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"visits/{instance.household_id}/{instance.visited_on:%Y%m%d}-{hashlib.sha1(filename.encode()).hexdigest()[:8]}.{suffix}"


class VisitLog(models.Model):
    """One visit (走访) to a household: when, what was found, optionally a photo; by whom."""

    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="visits")
    cadre = models.ForeignKey("registry.Cadre", null=True, blank=True, on_delete=models.SET_NULL)
    visited_on = models.DateField("走访日期")
    findings = models.TextField("走访情况")
    photo = models.FileField("照片", upload_to=visit_photo_path, blank=True, default="")
    recorded_by = models.CharField("记录人", max_length=150)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "visited_on"])]


class LoginFailure(models.Model):
    """A failed login within the throttle's window, counted per user name and address together."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"], name="web_loginfail_user_ip_at")]


class ApiToken(models.Model):
    """A bearer token for scripts calling /api/; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField("用途", max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"

    @staticmethod
    def digest(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class ImportJob(models.Model):
    """An uploaded file: validated first (errors shown row by row), written only after confirmation."""

    class Status(models.TextChoices):
        VALIDATING = "validating", "校验中"
        INVALID = "invalid", "校验未通过"
        READY = "ready", "校验通过，待确认导入"
        LOADING = "loading", "导入中"
        DONE = "done", "导入完成"
        FAILED = "failed", "导入失败"

    #: ``interchange`` for a household workbook, else the feed kind (医保, 残联 …).
    kind = models.CharField("类型", max_length=20)
    #: The column mapping a household workbook is read with (a national person list); empty: detected.
    profile = models.CharField("列映射", max_length=60, blank=True, default="")
    original_name = models.CharField("文件名", max_length=255)
    path = models.CharField("保存位置", max_length=500)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.VALIDATING)
    errors = models.JSONField("错误", default=list, blank=True)
    error_count = models.IntegerField("错误数", default=0)
    warnings = models.JSONField("提示", default=list, blank=True)
    summary = models.JSONField("摘要", default=dict, blank=True)
    message = models.TextField("说明", blank=True, default="")
    created_by = models.CharField("上传人", max_length=150, db_index=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at"]
