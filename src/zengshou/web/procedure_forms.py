"""Forms of the monitoring procedure's pages, Chinese labels and messages that say what to fix."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from zengshou import interchange as ix
from zengshou.monitor.models import MEASURE_TYPES, MONITORING_TYPES
from zengshou.registry import idnumber
from zengshou.web.forms import MAX_PHOTO_BYTES

RISK_CHOICES = [("", "请选择")] + [(r, r) for r in ix.RISKS]
NAME = re.compile(r"^[\u4e00-\u9fff·]{2,20}$")
PHONE = re.compile(r"^1\d{10}$")


class SelfReportForm(forms.Form):
    """农户自主申报: what a household fills in on its phone, without signing in."""

    name = forms.CharField(label="申请人姓名", max_length=20)
    id_number = forms.CharField(label="身份证号码", max_length=18)
    phone = forms.CharField(label="联系电话", max_length=11)
    village = forms.ChoiceField(label="所在村", choices=())
    risk = forms.ChoiceField(label="困难类型", choices=RISK_CHOICES)
    description = forms.CharField(
        label="困难情况说明", max_length=500, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, villages: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        village = self.fields["village"]
        assert isinstance(village, forms.ChoiceField)
        village.choices = [("", "请选择"), *list(villages or [])]
        for f in self.fields.values():
            f.error_messages["required"] = f"请填写{f.label}"

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not NAME.match(name):
            raise ValidationError("姓名应为2至20个汉字")
        return name

    def clean_id_number(self) -> str:
        number = str(self.cleaned_data["id_number"]).strip().upper()
        problem = idnumber.problem(number)
        if problem:
            raise ValidationError(f"身份证号码有误：{problem}")
        return number

    def clean_phone(self) -> str:
        phone = str(self.cleaned_data["phone"]).strip()
        if not PHONE.match(phone):
            raise ValidationError("联系电话应为11位手机号码")
        return phone


class LookupForm(forms.Form):
    receipt = forms.CharField(label="回执编号", max_length=16)

    def clean_receipt(self) -> str:
        return str(self.cleaned_data["receipt"]).strip().upper()


class CadreClueForm(forms.Form):
    """干部排查: a clue recorded on the phone during a visit."""

    household_id = forms.CharField(label="户编号", max_length=40)
    risk = forms.ChoiceField(label="风险类型", choices=RISK_CHOICES)
    description = forms.CharField(
        label="走访发现的情况", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label="意见", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    note = forms.CharField(label="理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(forms.Form):
    note = forms.CharField(label="入户核实情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    authorisation_signed = forms.BooleanField(
        label="农户已签署承诺授权书（授权核查家庭资产和收入）", required=False
    )
    scan = forms.FileField(label="承诺授权书照片或扫描件（可选）", required=False)
    household_id = forms.CharField(
        label="对应农户户编号（申报人尚未对应农户时填写）", max_length=40, required=False
    )
    risks_resolved = forms.ChoiceField(
        label="记录的风险是否已消除",
        choices=[("", "请选择"), ("yes", "已消除"), ("no", "尚未消除")],
        required=False,
    )

    def clean_scan(self) -> Any:
        f = self.cleaned_data.get("scan")
        if f is not None and f.size > MAX_PHOTO_BYTES:
            raise ValidationError("扫描件不能超过8MB")
        return f


class ReviewForm(forms.Form):
    passed = forms.ChoiceField(label="评议结果", choices=[("yes", "同意"), ("no", "不同意")])
    attendees = forms.IntegerField(label="参会人数", min_value=1, max_value=999, required=False)
    note = forms.CharField(label="评议意见", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class AuditForm(forms.Form):
    passed = forms.ChoiceField(label="审核结果", choices=[("yes", "同意"), ("no", "退回重新核实")])
    note = forms.CharField(label="审核意见", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DecideForm(forms.Form):
    passed = forms.ChoiceField(label="审定结果", choices=[("yes", "同意"), ("no", "不同意")])
    category = forms.ChoiceField(
        label="监测对象类别", choices=[("", "按建议")] + [(t, t) for t in MONITORING_TYPES], required=False
    )
    method = forms.ChoiceField(
        label="风险消除方式",
        choices=[("", "请选择")] + [(m, m) for m in ix.ELIMINATION_METHODS],
        required=False,
    )
    early_reason = forms.CharField(label="不满6个月消除的理由", max_length=1000, required=False)
    note = forms.CharField(label="审定意见", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class MeasureForm(forms.Form):
    measure_type = forms.ChoiceField(label="措施类型", choices=[(t, t) for t in MEASURE_TYPES])
    content = forms.CharField(label="措施内容", max_length=200)
    implemented = forms.BooleanField(label="已实施", required=False, initial=True)


class ReflagForm(forms.Form):
    risk = forms.ChoiceField(label="新出现的风险", choices=RISK_CHOICES)
    note = forms.CharField(label="理由", max_length=1000)
