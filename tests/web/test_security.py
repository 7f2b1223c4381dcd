"""Sign-in: argon2 hashes, throttling, CSRF, idle expiry, security headers; the user CLI."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.test import Client
from typer.testing import CliRunner

from tests.web.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2(world):
    assert get_user_model().objects.get(username="county").password.startswith("argon2")


def test_login_is_throttled_after_five_failures(world, client, clock):
    for _ in range(5):
        r = client.post("/login/", {"username": "county", "password": "wrong-password"})
        assert r.status_code == 401 and "用户名或密码不正确" in r.content.decode()
    r = client.post("/login/", {"username": "county", "password": PASSWORD})
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode()
    # another user from another address is not locked out
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/login/", {"username": "township", "password": PASSWORD}).status_code == 302


def test_login_form_requires_csrf(world):
    c = Client(enforce_csrf_checks=True)
    assert c.post("/login/", {"username": "county", "password": PASSWORD}).status_code == 403


def test_logout_is_post_only(world, login):
    c = login("county")
    assert c.get("/logout/").status_code == 405
    assert c.post("/logout/").status_code == 302
    assert c.get("/households/").status_code == 302


def test_idle_session_expires(world, login, settings):
    c = login("county")
    assert c.get("/households/").status_code == 200
    session = c.session
    session["zs_seen"] = int(time.time()) - settings.WEB_SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    r = c.get("/households/")
    assert r.status_code == 302 and r.url.startswith("/login/")
    assert "长时间未操作" in c.get(r.url).content.decode()


def test_security_headers(world, login):
    r = login("county").get("/households/")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


def test_echarts_is_served_by_the_app(world, client):
    r = client.get("/static/web/vendor/echarts.min.js")
    assert r.status_code == 200
    assert b"echarts" in b"".join(r.streaming_content)[:5000]


def test_cli_user_add_creates_a_scoped_user(world):
    from zengshou.cli import app
    from zengshou.web.models import UserProfile

    runner = CliRunner()
    r = runner.invoke(app, ["user", "add", "--username", "clerk", "--role", "县级用户", "--area", "640522"])
    assert r.exit_code == 0, r.output
    assert "初始密码" in r.output and "角色 县级用户" in r.output and "county" not in r.output
    p = UserProfile.objects.get(user__username="clerk")
    assert (p.role, p.area_id) == ("county", "640522")
    r = runner.invoke(app, ["user", "add", "--username", "x", "--role", "乡镇用户", "--area", "640522"])
    assert r.exit_code == 2 and "乡镇用户的区域应为乡镇级" in r.output and "是县（区）级" in r.output
    r = runner.invoke(app, ["user", "add", "--username", "y", "--role", "boss", "--area", "640522"])
    assert r.exit_code == 2 and "未知角色" in r.output


def test_demo_users_one_per_role(world):
    from zengshou.web.demo import create_demo_users

    users = create_demo_users()
    roles = [u[2] for u in users]
    assert roles == ["自治区管理员", "市级用户", "县级用户", "乡镇用户", "村级用户", "帮扶干部", "部门用户"]
    c = Client()
    name, pw = users[2][0], users[2][1]
    assert c.post("/login/", {"username": name, "password": pw}).status_code == 302


def test_admin_signs_in_only_through_the_throttled_login(world, client, clock):
    """The admin's own sign-in form is never served: /admin/login/ sends to the web app's sign-in
    page, which counts failures, so guessing a superuser's password through the admin is throttled."""
    from urllib.parse import unquote

    from zengshou.registry.models import AuditEvent

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    r = client.get("/admin/auth/user/", follow=True)
    assert r.redirect_chain[-1][0].startswith("/login/")
    assert "next=/admin/auth/user/" in unquote(r.redirect_chain[-1][0])
    assert "用户名" in r.content.decode()
    # A POST to the admin's address checks no password and signs nobody in.
    r = client.post("/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert client.get("/admin/").status_code == 302
    for _ in range(5):
        r = client.post("/login/", {"username": "root", "password": "wrong-password", "next": "/admin/"})
        assert r.status_code == 401
    r = client.post("/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 429 and "登录失败次数过多" in r.content.decode()
    assert client.get("/admin/").status_code == 302
    events = AuditEvent.objects.filter(username="root")
    assert events.filter(action="login.failed").count() == 5
    assert events.filter(action="login.throttled").count() == 1
    # Once the window has passed, the right password leads into the admin.
    clock.advance(16 * 60)
    r = client.post("/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
