"""Creating users with a role and area (the CLI and the demo use this; no web sign-up exists)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from zengshou.registry.models import Area, Cadre
from zengshou.web import roles
from zengshou.web.models import ApiToken, UserProfile
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
        need = "、".join(roles.AREA_LEVELS[r])
        raise AccountError(
            f"{r.label}的区域应为 {need} 级，{area.name}（{area_code}）是 {area.level} 级 / wrong area level"
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
