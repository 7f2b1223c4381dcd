"""JSON API under /api/ (django-ninja; schema at /api/openapi.json), scoped exactly like the pages.

Authentication: the browser session (with CSRF on unsafe methods) or ``Authorization: Bearer <token>``
from ``zengshou user token``. Lists are masked; one household in full needs a role that may see it
and is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from zengshou.monitor import workflow
from zengshou.monitor.models import OPEN_STATUSES
from zengshou.registry.audit import record
from zengshou.registry.idnumber import mask, mask_name, mask_phone
from zengshou.registry.models import Member
from zengshou.rules.clauses import citation, quote
from zengshou.tiers.models import TierResult
from zengshou.web import periods, roles, stats
from zengshou.web import scope as sc
from zengshou.web.access import client_ip
from zengshou.web.errors import user_message
from zengshou.web.forms import YEARS
from zengshou.web.models import ApiToken


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; CSRF is checked on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            return request.user
        return None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        t = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.digest(token), user__is_active=True)
            .first()
        )
        if t is None:
            return None
        ApiToken.objects.filter(pk=t.pk).update(last_used_at=timezone.now())
        request.user = t.user
        return t.user


api = NinjaAPI(
    title="增收 zengshou API",
    version="1",
    description="农户、预警与区域统计接口；按用户管辖范围过滤。",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def _scope(request: HttpRequest, allowed: frozenset[str] = roles.HOUSEHOLD_ROLES) -> sc.Scope:
    try:
        s = sc.scope_of(request.user)
    except sc.NoProfile as e:
        raise HttpError(403, "该账号尚未分配角色和区域") from e
    sc.require(s, allowed)
    return s


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> Any:
    return api.create_response(request, {"detail": str(exc) or "无权操作"}, status=403)


@api.exception_handler(workflow.WorkflowError)
def _workflow(request: HttpRequest, exc: workflow.WorkflowError) -> Any:
    return api.create_response(request, {"detail": str(exc)}, status=400)


#: django-ninja's own English messages, as a user of the API reads them.
NINJA_MESSAGES = {
    "Unauthorized": "未登录或令牌无效：请先登录，或在请求头中提供 Authorization: Bearer <令牌>（令牌由管理员生成）",
    "Forbidden": "无权操作",
    "CSRF check Failed": "安全校验未通过（缺少或过期的 CSRF 令牌）：请刷新页面后重试，脚本调用请改用令牌（Bearer）",
    "Too many requests.": "请求过于频繁，请稍后再试",
    "Cannot parse request body": "请求体无法解析：应为有效的 JSON",
}
#: What pydantic's error types mean, for the API's 422 bodies.
INPUT_ERRORS = {
    "missing": "缺少必填项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体应为 JSON 对象",
    "dict_type": "请求体应为 JSON 对象",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_long": "文本过长",
}
_WHERE = {
    "query": "查询参数",
    "path": "路径参数",
    "body": "请求体字段",
    "form": "表单字段",
    "header": "请求头",
}


def _input_error(e: dict[str, Any]) -> dict[str, Any]:
    loc = [str(x) for x in e.get("loc", ())]
    where = _WHERE.get(loc[0], "参数") if loc else "参数"
    field = ".".join(x for x in loc[1:] if x not in ("body", "filters")) or (loc[-1] if loc else "")
    what = INPUT_ERRORS.get(str(e.get("type", "")), "取值无效")
    allowed = (e.get("ctx") or {}).get("expected")
    if allowed:
        what += f"（可用：{allowed}）"
    return {"loc": loc, "type": e.get("type", ""), "msg": f"{where} {field}：{what}".replace("  ", " ")}


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> Any:
    errors = [_input_error(e) for e in exc.errors]
    detail = "输入有误：" + "；".join(e["msg"] for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> Any:
    text = str(exc)
    text = NINJA_MESSAGES.get(text.split(" (", 1)[0], text)
    return api.create_response(request, {"detail": text}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> Any:
    return api.create_response(
        request, {"detail": user_message(exc, "未找到该记录，或不在您的管辖范围内")}, status=404
    )


class ErrorOut(Schema):
    """Every refusal: a Chinese sentence saying what is wrong and what to do."""

    detail: str


class InputError(Schema):
    loc: list[str]
    type: str
    msg: str


class InputErrorOut(Schema):
    """422: the input does not fit the operation's parameters or body, one entry per field."""

    detail: str
    errors: list[InputError]


class ServerErrorOut(Schema):
    """500: the request id under which the log holds the traceback (web/requestid.py)."""

    detail: str
    request_id: str


#: The refusals every operation can give; each operation adds 404 where it looks up one record.
ERRORS: dict[int, Any] = {
    400: ErrorOut,  # a year outside the range, a workflow step that does not apply, NUL in the request
    401: ErrorOut,
    403: ErrorOut,
    422: InputErrorOut,
    500: ServerErrorOut,
}
WITH_404: dict[int, Any] = {**ERRORS, 404: ErrorOut}


def responses(ok: Any, *, lookup: bool = False) -> dict[int, Any]:
    """The operation's documented answers: 200 with ``ok`` and the error bodies it can give."""
    return {200: ok, **(WITH_404 if lookup else ERRORS)}


class Me(Schema):
    username: str
    role: str
    role_label: str
    area_code: str
    area_name: str


class HouseholdRow(Schema):
    household_id: str
    village_code: str
    village_name: str
    household_type: str
    head_name: str
    head_id_number: str
    size: int
    per_capita_income: float | None
    tier: str
    open_alerts: int


class Page(Schema):
    count: int
    page: int
    pages: int


class HouseholdList(Page):
    items: list[HouseholdRow]


class MemberOut(Schema):
    name: str
    id_number: str
    relation: str
    health: str
    disability_grade: str
    labour: str
    work: str


class TierOut(Schema):
    year: int
    quarter: int | None
    size: int
    per_capita_income: float | None
    wage_pc: float | None
    operating_net_pc: float | None
    property_pc: float | None
    transfer_pc: float | None
    quintile: str
    tier: str
    reasons: str
    #: The clauses C01–C03 apply (分层方案 二（一）), with the sentence quoted.
    clause: str
    quote: str
    fell: bool | None


class HouseholdDetail(Schema):
    household_id: str
    village_code: str
    village_name: str
    household_type: str
    phone: str
    full: bool
    members: list[MemberOut]
    results: list[TierOut]


class AlertOut(Schema):
    id: int
    household_id: str | None
    area_code: str
    year: int
    quarter: int | None
    code: str
    title: str
    level: str
    explanation: str
    #: The clause the alert applies (分层方案 二（二）3), with the sentence quoted.
    clause: str
    quote: str
    status: str
    status_label: str


class AlertList(Page):
    items: list[AlertOut]


class Transition(Schema):
    action: Literal["verify", "include", "dismiss"]
    note: str = ""
    monitoring_type: str = ""
    reason: str = ""


class HouseholdFilter(Schema):
    q: str = ""
    village: str = ""
    tier: str = ""
    household_type: str = ""
    alert: str = ""
    year: int | None = None
    page: int = 1
    page_size: int = 50


class AlertFilter(Schema):
    status: str = "open"
    code: str = ""
    level: str = ""
    page: int = 1
    page_size: int = 50


def _f(v: Any) -> float | None:
    return float(v) if v is not None else None


@api.get("/me", response=responses(Me), summary="当前用户及管辖范围")
def me(request: HttpRequest) -> dict[str, Any]:
    s = _scope(request, roles.ALL)
    return {
        "username": s.username,
        "role": s.role,
        "role_label": s.role_label,
        "area_code": s.area_code,
        "area_name": s.area_name,
    }


@api.get("/households", response=responses(HouseholdList), summary="农户列表（脱敏）")
def household_list(request: HttpRequest, filters: Query[HouseholdFilter]) -> dict[str, Any]:
    from zengshou.web.forms import HouseholdSearchForm
    from zengshou.web.views import _search

    s = _scope(request)
    if filters.year is not None and filters.year not in YEARS:
        raise HttpError(400, f"year 应为 {YEARS.start}–{YEARS.stop - 1} 之间的年份")
    year = filters.year or periods.default_year(s)
    form = HouseholdSearchForm(filters.dict(exclude={"page", "page_size", "year"}))
    qs = _search(s, form, year).select_related("village").order_by("village_id", "household_id")
    size = max(1, min(filters.page_size, 200))
    pg = Paginator(qs, size).get_page(filters.page)
    ids = [h.household_id for h in pg.object_list]
    heads = {m.household_id: m for m in Member.objects.filter(household_id__in=ids, relation="户主")}
    sizes = dict(
        Member.objects.filter(household_id__in=ids)
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    tiers = (
        {
            t.household_id: t
            for t in TierResult.objects.filter(household_id__in=ids, year=year, quarter__isnull=True)
        }
        if year
        else {}
    )
    alerts = dict(
        sc.alerts(s)
        .filter(household_id__in=ids, status__in=OPEN_STATUSES)
        .values("household_id")
        .annotate(n=Count("pk"))
        .values_list("household_id", "n")
    )
    items = []
    for h in pg.object_list:
        head = heads.get(h.household_id)
        t = tiers.get(h.household_id)
        items.append(
            {
                "household_id": h.household_id,
                "village_code": h.village_id,
                "village_name": h.village.name,
                "household_type": h.household_type,
                "head_name": mask_name(head.name) if head else "",
                "head_id_number": mask(head.id_number) if head else "",
                "size": sizes.get(h.household_id, 0),
                "per_capita_income": _f(t.per_capita_income) if t else None,
                "tier": t.tier if t else "",
                "open_alerts": alerts.get(h.household_id, 0),
            }
        )
    return {"count": pg.paginator.count, "page": pg.number, "pages": pg.paginator.num_pages, "items": items}


@api.get(
    "/households/{household_id}",
    response=responses(HouseholdDetail, lookup=True),
    summary="农户详情（full=true 显示完整个人信息，记入审计）",
)
def household_detail(request: HttpRequest, household_id: str, full: bool = False) -> dict[str, Any]:
    s = _scope(request)
    h = sc.household_or_404(s, household_id)
    if full:
        sc.require(s, roles.FULL_VIEW_ROLES)
    record(
        s.username,
        "api.household_full" if full else "api.household",
        "household",
        h.household_id,
        {"role": s.role},
        ip=client_ip(request),
    )
    members = [
        {
            "name": m.name if full else mask_name(m.name),
            "id_number": m.id_number if full else mask(m.id_number),
            "relation": m.relation,
            "health": m.health,
            "disability_grade": m.disability_grade,
            "labour": m.labour,
            "work": m.work,
        }
        for m in h.members.all().order_by("id")
    ]
    results = [
        {
            "year": r.year,
            "quarter": r.quarter,
            "size": r.size,
            "per_capita_income": _f(r.per_capita_income),
            "wage_pc": _f(r.wage_pc),
            "operating_net_pc": _f(r.operating_net_pc),
            "property_pc": _f(r.property_pc),
            "transfer_pc": _f(r.transfer_pc),
            "quintile": r.quintile,
            "tier": r.tier,
            "reasons": r.reasons,
            "clause": citation("C01"),
            "quote": "\n".join(quote(c) for c in ("C01", "C02", "C03")),
            "fell": r.fell,
        }
        for r in TierResult.objects.filter(household=h).order_by("year", "quarter")
    ]
    return {
        "household_id": h.household_id,
        "village_code": h.village_id,
        "village_name": h.village.name,
        "household_type": h.household_type,
        "phone": h.phone if full else mask_phone(h.phone),
        "full": full,
        "members": members,
        "results": results,
    }


def _alert_out(a: Any) -> dict[str, Any]:
    from zengshou.monitor.rules import CODES

    return {
        "id": a.pk,
        "household_id": a.household_id,
        "area_code": a.area_code,
        "year": a.year,
        "quarter": a.quarter,
        "code": a.code,
        "title": CODES.get(a.code, a.code),
        "level": a.level,
        "explanation": a.explanation,
        "clause": citation(a.code),
        "quote": quote(a.code),
        "status": a.status,
        "status_label": a.get_status_display(),
    }


@api.get("/alerts", response=responses(AlertList), summary="预警列表")
def alert_list(request: HttpRequest, filters: Query[AlertFilter]) -> dict[str, Any]:
    s = _scope(request)
    qs = sc.alerts(s)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.code:
        qs = qs.filter(code=filters.code)
    if filters.level:
        qs = qs.filter(level=filters.level)
    pg = Paginator(qs.order_by("level", "-year", "code", "id"), max(1, min(filters.page_size, 200))).get_page(
        filters.page
    )
    return {
        "count": pg.paginator.count,
        "page": pg.number,
        "pages": pg.paginator.num_pages,
        "items": [_alert_out(a) for a in pg.object_list],
    }


@api.get("/alerts/{alert_id}", response=responses(AlertOut, lookup=True), summary="预警详情")
def alert_detail(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    s = _scope(request)
    return _alert_out(sc.alert_or_404(s, alert_id))


@api.post(
    "/alerts/{alert_id}/transition",
    response=responses(AlertOut, lookup=True),
    summary="预警处理：核实 / 纳入监测 / 排除",
)
def alert_transition(request: HttpRequest, alert_id: int, body: Transition) -> dict[str, Any]:
    s = _scope(request)
    a = sc.alert_or_404(s, alert_id)
    if body.action == "verify":
        sc.require(s, roles.VERIFY_ROLES)
        if not body.note.strip():
            raise HttpError(400, "请填写核实情况（note）")
        workflow.verify(a, s.username, body.note)
    elif body.action == "include":
        sc.require(s, roles.INCLUDE_ROLES)
        if not body.note.strip():
            raise HttpError(400, "请填写纳入依据（note）")
        workflow.include(a, s.username, body.monitoring_type, body.note)
    else:
        sc.require(s, roles.DISMISS_ROLES)
        workflow.dismiss(a, s.username, body.reason)
    record(s.username, f"api.alert.{body.action}", "alert", str(a.pk), {"via": "api"}, ip=client_ip(request))
    a.refresh_from_db()
    return _alert_out(a)


@api.get(
    "/areas/{area_code}/stats",
    response=responses(dict[str, Any], lookup=True),
    summary="区域统计（分层、五等份、收入构成趋势、预警、监测对象、下级区域）",
)
def area_stats(request: HttpRequest, area_code: str, year: int | None = None) -> dict[str, Any]:
    s = _scope(request)
    area = sc.area_or_404(s, area_code)
    if year is not None and year not in YEARS:
        raise HttpError(400, f"year 应为 {YEARS.start}–{YEARS.stop - 1} 之间的年份")
    return stats.area_stats(s, area.code, year)


def _today() -> dt.date:
    return timezone.localdate()
