"""Idle session expiry, the security headers Django 5.2 does not set itself (CSP, permissions), and the
refusal of NUL characters before they reach the database."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from zengshou.web import errors

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no third-party script can run: the app serves its own ECharts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(("/admin/", "/api/docs")):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class IdleTimeoutMiddleware:
    """Signs a user out after WEB_SESSION_IDLE_MINUTES without a request (shared office machines)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get("zs_seen")
            idle = settings.WEB_SESSION_IDLE_MINUTES * 60
            if last is not None and now - int(last) > idle:
                logout(request)
                request.session["zs_expired"] = True
            elif last is None or now - int(last) > 60:
                request.session["zs_seen"] = now
        return self.get_response(request)


NUL = "\x00"


def _has_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds NUL in any string, key or nested value."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def request_has_nul(request: HttpRequest) -> bool:
    """NUL (``%00``, ``\\u0000``) in the path, query, cookies, form fields, upload names or a JSON body.

    Uploaded files' contents are not looked at: an .xlsx is binary and holds NUL bytes by nature.
    """
    if NUL in request.path or NUL in request.path_info:
        return True
    if any(NUL in k or any(NUL in v for v in vs) for k, vs in request.GET.lists()):
        return True
    if any(NUL in k or NUL in v for k, v in request.COOKIES.items()):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        if any(NUL in k or any(NUL in v for v in vs) for k, vs in request.POST.lists()):
            return True
        return any(NUL in (f.name or "") for _, files in request.FILES.lists() for f in files)
    body = request.body
    if b"\x00" in body:
        return True
    if (request.content_type or "").endswith("json") and b"\\u0000" in body.lower():
        try:
            return _has_nul(json.loads(body))
        except ValueError:
            return False  # not JSON: the API answers that itself
    return False


class NulByteMiddleware:
    """400 for NUL anywhere a view or the database would read it: PostgreSQL refuses NUL in text
    ("A string literal cannot contain NUL"), which would otherwise end as a 500 deep in a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_nul(request):
            return errors.nul_refused(request)
        return self.get_response(request)
