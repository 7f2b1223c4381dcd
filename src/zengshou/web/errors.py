"""Error pages in Chinese (400, 403 and its CSRF case, 404, 500): what happened and what to do next.

Django's own texts ("Bad Request (400)", "CSRF verification failed", "No Household matches the
given query.") never reach a user: an exception's message is shown only when the code that raised
it wrote it in Chinese for the user; otherwise the page gives its own sentence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from zengshou.web import requestid

log = logging.getLogger(__name__)
_CJK = re.compile(r"[\u4e00-\u9fff]")

NOT_FOUND = "未找到您要的页面或记录。请检查网址，或从左侧菜单重新进入。"
FORBIDDEN = "您没有权限进行此操作。如需办理，请联系上级单位或系统管理员。"
BAD_REQUEST = "请求无法处理：提交的内容不完整或格式不对。请返回上一页，刷新后重新操作。"
CSRF = (
    "页面已过期或无法核实来源（安全校验未通过），操作没有执行。"
    "请返回上一页、刷新页面后重新提交；如仍出现，请退出后重新登录。"
)
SERVER_ERROR = (
    "系统内部出错，本次操作没有完成，数据未被改动。请稍后重试；如反复出现，请将编号 {request_id} 告知系统管理员"
    "（管理员凭此编号在系统日志中查找原因）。"
)
NUL = (
    "提交的内容含有不可见的控制字符（空字符），系统无法处理，操作没有执行。"
    "请检查网址或所填内容（常见于从其他软件复制粘贴的文字），删除后重新提交。"
)
#: A page that itself fails to render falls back on this, which needs no template or database.
_PLAIN = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{title}</title>'
    '<body style="font-family:sans-serif;padding:2em"><h2>{title}</h2><p>{message}</p>'
    '<p><a href="/">返回首页</a></p></body></html>'
)


def user_message(exception: BaseException | None, default: str) -> str:
    """The exception's own message when it is written for users (Chinese), else ``default``."""
    text = str(exception) if exception is not None else ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        text = exception.args[0]
    return text if _CJK.search(text) else default


def _page(request: HttpRequest, title: str, message: str, code: int) -> HttpResponse:
    try:
        return render(
            request, "web/error.html", {"title": title, "message": message, "code": code}, status=code
        )
    except Exception:  # the error page must not fail in turn (database down, broken template)
        log.exception("error page %s could not be rendered", code)
        return HttpResponse(_PLAIN.format(title=title, message=message), status=code)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """400: a request Django refuses, among them an address (Host) the server does not answer to."""
    if isinstance(exception, DisallowedHost):
        host = request.META.get("HTTP_HOST", "")
        message = (
            f"本系统不接受通过该地址（{host}）访问。请使用单位告知的系统地址；"
            "如需从这个地址访问，请系统管理员把它加入允许访问的主机名后重新启动系统。"
        )
        return _page(request, "地址不被接受", message, 400)
    if isinstance(exception, RequestDataTooBig):
        return _page(request, "提交的内容过大", "上传的文件或提交的内容超过了系统上限，请分批上传。", 400)
    if isinstance(exception, TooManyFieldsSent):
        return _page(request, "提交的内容过多", "一次提交的字段过多，请分批提交。", 400)
    return _page(request, "请求有误", user_message(exception, BAD_REQUEST), 400)


def forbidden(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, "无权操作", user_message(exception, FORBIDDEN), 403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 when a form's security token is missing or stale (CSRF_FAILURE_VIEW)."""
    log.warning("CSRF failure: %s", reason)
    return _page(request, "页面已过期", CSRF, 403)


def not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _page(request, "未找到", user_message(exception, NOT_FOUND), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 with the request id that the log line of the traceback carries (web/requestid.py)."""
    message = SERVER_ERROR.format(request_id=getattr(request, "id", None) or requestid.current())
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "request_id": getattr(request, "id", "")}, status=500)
    return _page(request, "系统出错", message, 500)


def nul_refused(request: HttpRequest) -> HttpResponse:
    """400 for a path, query, form field, cookie or JSON body holding a NUL character (0x00), which
    PostgreSQL cannot store or compare, before any view reads it."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": NUL}, status=400)
    return _page(request, "请求有误", NUL, 400)


METHOD_NOT_ALLOWED = "该地址不支持这种访问方式（例如直接打开了只接受表单提交的地址）。请从页面上的按钮进入。"


class MethodNotAllowedMiddleware:
    """405 in Chinese: Django's ``require_POST`` answers with an empty page, the API with English."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or getattr(response, "streaming", False):
            return response
        allow = response.headers.get("Allow", "")
        if request.path.startswith("/api/"):
            out: HttpResponse = JsonResponse({"detail": f"{METHOD_NOT_ALLOWED}（可用：{allow}）"}, status=405)
        else:
            out = _page(request, "访问方式不对", METHOD_NOT_ALLOWED, 405)
        if allow:
            out.headers["Allow"] = allow
        return out
