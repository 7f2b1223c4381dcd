"""Creating users with a role and area (the CLI and the demo use this; no web sign-up exists), and
the sign-in throttle: growing delays per user name and address together, so one person guessing
behind an office's shared address slows down only himself."""

from __future__ import annotations

import datetime as dt
import math
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from zengshou.registry.models import Area, Cadre
from zengshou.web import roles
from zengshou.web.models import ApiToken, LoginFailure, UserProfile
from zengshou.web.roles import Role


class AccountError(ValueError):
    """A user that cannot be created as asked; the message says what to change (Chinese / English)."""


def new_password() -> str:
    return secrets.token_urlsafe(9)


def add_user(
    username: str,
    role: str,
    area_code: str,
    password: str | None = None,
    cadre_id: str | None = None,
    department: str = "",
    replace: bool = False,
) -> tuple[str, str]:
    """Create (or with ``replace`` update) a user; returns (username, the password set)."""
    r = roles.parse(role) if role not in Role.values else Role(role)
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        raise AccountError(f"区划代码 {area_code} 不存在，请先导入该区域的农户数据 / unknown area code")
    if area.level not in roles.AREA_LEVELS[r]:
        label = dict(Area.Level.choices)
        need = "、".join(label[level] for level in roles.AREA_LEVELS[r])
        raise AccountError(
            f"{r.label}的区域应为{need}级，{area.name}（{area_code}）是{area.get_level_display()}级 / wrong area level"
        )
    cadre = None
    if r == Role.CADRE:
        if not cadre_id:
            raise AccountError("帮扶干部账号需要 --cadre 干部编号 / a cadre user needs --cadre")
        cadre = Cadre.objects.filter(cadre_id=cadre_id).first()
        if cadre is None:
            raise AccountError(f"干部编号 {cadre_id} 不存在 / unknown cadre")
    if r == Role.DEPARTMENT and not department:
        raise AccountError(
            "部门用户需要 --department（医保、残联、民政、人社、教育、住建、应急）/ needs --department"
        )
    pw = password or new_password()
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is not None and not replace:
            raise AccountError(f"用户名 {username} 已存在；如需重设请加 --replace / user exists")
        try:
            validate_password(pw, user)
        except Exception as e:
            raise AccountError("密码不符合要求：" + "；".join(getattr(e, "messages", [str(e)]))) from e
        if user is None:
            user = User.objects.create_user(username=username, password=pw)
        else:
            user.set_password(pw)
            user.is_active = True
            user.save()
        UserProfile.objects.update_or_create(
            user=user, defaults={"role": r.value, "area": area, "cadre": cadre, "department": department}
        )
    return username, pw


def new_token(username: str, label: str = "") -> str:
    """A new API token for ``username``; only its hash is kept, so show it once."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise AccountError(f"用户 {username} 不存在 / unknown user")
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=ApiToken.digest(key), label=label)
    return key


# ---------------------------------------------------------------- sign-in throttle


def failure_delay(failures: int, free: int) -> int:
    """Seconds to wait after the last of ``failures``: none below ``free``, then 1, 2, 4 … to the cap."""
    if failures < free:
        return 0
    return int(min(2 ** min(failures - free, 30), settings.WEB_LOGIN_DELAY_CAP_SECONDS))


def _wait(failures: QuerySet[LoginFailure], free: int, now: dt.datetime) -> float:
    agg = failures.aggregate(n=Count("id"), last=Max("at"))
    delay = failure_delay(agg["n"], free)
    if not delay:
        return 0.0
    return (agg["last"] + dt.timedelta(seconds=delay) - now).total_seconds()


def login_wait(username: str, ip: str) -> int:
    """Whole seconds before a password for ``username`` from ``ip`` is checked again (0: now).

    Counted over the window: failures of this user name from this address (the delay a guesser
    meets), of the address for any name and of the name from any address (only far higher counts,
    against one address trying many names or many addresses trying one name).
    """
    now = timezone.now()
    recent = LoginFailure.objects.filter(
        at__gte=now - dt.timedelta(minutes=settings.WEB_LOGIN_WINDOW_MINUTES)
    )
    username = username[:150]
    wait = max(
        _wait(recent.filter(username=username, ip=ip), settings.WEB_LOGIN_FREE_FAILURES, now),
        _wait(recent.filter(ip=ip), settings.WEB_LOGIN_FREE_FAILURES_PER_IP, now),
        _wait(recent.filter(username=username), settings.WEB_LOGIN_FREE_FAILURES_PER_USER, now),
    )
    return math.ceil(wait) if wait > 0 else 0


def note_login_failure(username: str, ip: str) -> None:
    """Count a failed sign-in; failures older than the window are dropped on the way."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - dt.timedelta(minutes=settings.WEB_LOGIN_WINDOW_MINUTES)).delete()
    LoginFailure.objects.create(username=username[:150], ip=ip)


def note_login_success(username: str, ip: str) -> None:
    """A right password from this address clears its failures for this name (not others' or elsewhere)."""
    LoginFailure.objects.filter(username=username[:150], ip=ip).delete()


def wait_text(seconds: int) -> str:
    """A wait in Chinese: 8秒, 2分8秒, 5分钟."""
    minutes, secs = divmod(max(1, seconds), 60)
    if not minutes:
        return f"{secs}秒"
    return f"{minutes}分钟" if not secs else f"{minutes}分{secs}秒"
