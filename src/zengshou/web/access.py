"""The decorator every page uses: signed in, has a role and area, role allowed; passes the Scope."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from zengshou.web import roles
from zengshou.web.scope import NoProfile, Scope, require, scope_of

View = Callable[..., HttpResponseBase]


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def page(allowed: frozenset[str] = roles.ALL) -> Callable[[View], View]:
    def wrap(view: View) -> View:
        @functools.wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                s = scope_of(request.user)
            except NoProfile:
                return render(request, "web/no_profile.html", status=403)
            require(s, allowed)
            request.scope = s  # type: ignore[attr-defined]
            return view(request, s, *args, **kwargs)

        return inner

    return wrap


def nav(s: Scope) -> list[tuple[str, str, str]]:
    """Menu entries (url name, label, icon letter) the role can use."""
    items: list[tuple[str, str, str]] = []
    if s.can(roles.HOUSEHOLD_ROLES):
        items += [
            ("web:dashboard", "首页", "⌂"),
            ("web:households", "农户", "户"),
            ("web:alerts", "预警", "警"),
            ("web:monitoring", "监测对象", "监"),
            ("procedure:queue", "监测程序", "程"),
            ("toolbox:counties", "政策工具箱", "策"),
        ]
    if s.can(roles.WHATIF_ROLES):
        items.append(("toolbox:whatif", "政策测算", "算"))
    if s.can(roles.PAIRING_ROLES):
        items.append(("pairing:proposal", "结对帮扶", "结"))
    if s.can(roles.MINE_ROLES):
        items.append(("pairing:mine", "我的结对户", "结"))
    if s.can(roles.ASSESS_ROLES):
        items.append(("assess:quarter", "季度分析", "析"))
    if s.can(roles.TARGET_ROLES):
        items.append(("assess:targets", "目标任务", "标"))
    if s.can(roles.ALL - {roles.Role.CADRE, roles.Role.DEPARTMENT}):
        items.append(("quality:report", "数据质量", "质"))
    if s.can(roles.IMPORT_ROLES | roles.FEED_ROLES | roles.EXPORT_ROLES):
        items.append(("web:imports", "导入导出", "⇅"))
    if s.can(roles.AUDIT_ROLES):
        items.append(("web:audit", "审计", "审"))
    return items
