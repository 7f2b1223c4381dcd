"""Forms with Chinese labels and messages that say what to fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from zengshou import interchange as ix
from zengshou.monitor.models import MONITORING_TYPES
from zengshou.monitor.rules import CODES

MAX_PHOTO_BYTES = 8 * 1024 * 1024
#: Years a query or form may ask for; anything else (a typo, a number too large for the database)
#: falls back to the page's default year.
YEARS = range(2000, 2101)


def parse_year(value: object) -> int:
    """The year in a query or form value; ValueError with a message saying what to enter otherwise."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdecimal() and int(text) in YEARS):
        raise ValueError(f"年度“{text[:20]}”无效，请填写{YEARS.start}至{YEARS.stop - 1}之间的四位年份")
    return int(text)


def year_or(value: object, default: int) -> int:
    """The year in a query or form value, or ``default`` when it is missing or no plausible year."""
    try:
        return parse_year(value)
    except ValueError:
        return default


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label="户编号/证件号码/姓名", required=False, max_length=60)
    village = forms.CharField(label="村", required=False, max_length=100)
    tier = forms.ChoiceField(
        label="层级", required=False, choices=[("", "全部层级"), *[(t, t) for t in ix.TIERS]]
    )
    household_type = forms.ChoiceField(
        label="户类型", required=False, choices=[("", "全部户类型"), *[(t, t) for t in ix.HOUSEHOLD_TYPES]]
    )
    alert = forms.ChoiceField(
        label="预警",
        required=False,
        choices=[("", "不限"), ("open", "有未处理预警"), *[(c, f"{c} {t}") for c, t in CODES.items()]],
    )


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label="走访日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    findings = forms.CharField(
        label="走访情况",
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "家庭收入、就业、健康、住房等变化，群众诉求，需要解决的问题"}
        ),
        max_length=4000,
    )
    photo = forms.FileField(
        label="照片（可选）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean_visited_on(self) -> dt.date:
        d: dt.date = self.cleaned_data["visited_on"]
        if d > timezone.localdate():
            raise ValidationError("走访日期不能晚于今天，请检查日期。")
        return d

    def clean_photo(self) -> Any:
        f = self.cleaned_data.get("photo")
        if not f:
            return f
        if f.size > MAX_PHOTO_BYTES:
            raise ValidationError(f"照片不能超过8MB（本照片{f.size / 1024 / 1024:.1f}MB），请压缩后再上传。")
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(f) as img:
                img.verify()
                fmt = (img.format or "").upper()
        except (UnidentifiedImageError, OSError, SyntaxError) as e:
            raise ValidationError("上传的文件不是可识别的照片（支持JPEG、PNG、WebP）。") from e
        if fmt not in ("JPEG", "PNG", "WEBP"):
            raise ValidationError(f"照片格式{fmt}不支持，请上传JPEG、PNG或WebP。")
        f.seek(0)
        return f


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[
            ("open", "未处理（新预警、已核实）"),
            ("", "全部状态"),
            ("new", "新预警"),
            ("verified", "已核实"),
            ("included", "已纳入监测"),
            ("dismissed", "已排除"),
            ("closed", "已关闭"),
        ],
    )
    code = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *[(c, f"{c} {t}") for c, t in CODES.items()]]
    )
    level = forms.ChoiceField(
        label="级别",
        required=False,
        choices=[("", "全部级别"), ("一级", "一级"), ("二级", "二级"), ("三级", "三级")],
    )
    village = forms.CharField(label="村/户编号", required=False, max_length=60)


class VerifyForm(forms.Form):
    note = forms.CharField(
        label="核实情况",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "请填写入户核实的情况。"},
    )


class IncludeForm(forms.Form):
    monitoring_type = forms.ChoiceField(
        label="监测对象类型",
        choices=[(t, t) for t in MONITORING_TYPES],
        error_messages={"required": "请选择监测对象类型。"},
    )
    note = forms.CharField(
        label="纳入依据",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "请填写纳入依据（如村级民主评议、乡镇审核意见）。"},
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="排除理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "排除预警必须填写理由。"},
    )


class EliminateForm(forms.Form):
    evidence = forms.CharField(
        label="风险消除依据",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        error_messages={"required": "请填写风险消除依据（入户核实、民主评议记录）。"},
    )


class AuditSearchForm(forms.Form):
    username = forms.CharField(label="用户", required=False, max_length=150)
    action = forms.CharField(label="操作", required=False, max_length=40)
    object_id = forms.CharField(label="对象编号", required=False, max_length=60)
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


FEED_KINDS = ("医保", "残联", "民政", "人社", "教育", "住建", "应急")
#: The national system's monthly migrant-work lists (``zengshou.ingest.feeds.MIGRANT_KINDS``).
MIGRANT_KINDS = ("已外出务工", "计划外出务工")


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="文件类型",
        choices=[
            ("interchange", "农户数据交换文件（家庭、成员、收入…）"),
            *[(k, f"部门数据：{k}") for k in FEED_KINDS],
            *[(k, f"全国系统月度名单：{k}信息") for k in MIGRANT_KINDS],
        ],
    )
    #: A household workbook in the national layout is read with this mapping; empty: detected.
    profile = forms.ChoiceField(label="列映射（全国人员表）", required=False, choices=[("", "自动识别")])
    file = forms.FileField(label="文件（.xlsx 或 .csv）", error_messages={"required": "请选择要上传的文件。"})

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not name.endswith((".xlsx", ".csv", ".zip")):
            raise ValidationError("只能上传 .xlsx 工作簿、.csv 文件或包含CSV的 .zip 压缩包。")
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        f = data.get("file")
        if data.get("profile") and f is not None and not f.name.lower().endswith(".xlsx"):
            self.add_error("profile", "列映射只用于 .xlsx 全国人员表；CSV 或交换格式文件请选“自动识别”。")
        return data


class ExportForm(forms.Form):
    area = forms.CharField(label="区划代码", max_length=12)
    fmt = forms.ChoiceField(label="格式", choices=[("xlsx", "Excel 工作簿 (.xlsx)"), ("csv", "CSV (.zip)")])
    with_personal_data = forms.BooleanField(label="包含完整个人信息（姓名、证件号码、电话）", required=False)
