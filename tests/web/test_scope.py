"""Scope over every URL pattern: a user of another area gets 404 for each object URL, pages and API.

The patterns are read from Django's resolver, not listed by hand, so a new page with an object in
its URL is checked automatically; a URL parameter this test does not know fails the test, so that
whoever adds one also says which object of county B it takes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

SKIP_PREFIXES = ("admin/", "api/docs", "api/openapi.json", "static", "^static")


def _patterns() -> list[str]:
    out: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                out.append(route)

    walk(get_resolver().url_patterns, "")
    return [r for r in out if not r.startswith(SKIP_PREFIXES)]


FORM = {
    "note": "已核实",
    "reason": "测试",
    "evidence": "测试",
    "monitoring_type": "边缘易致贫户",
    "visited_on": "2025-01-01",
    "findings": "测试",
}
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


MISSING = {
    "household_id": "6404029999999999",
    "alert_id": "999999",
    "visit_id": "999999",
    "object_id": "999999",
    "job_id": "999999",
    "area_code": "640499",
    "code": "640499",
}


def _values(world: Any) -> dict[str, str]:
    """URL parameter → the object of county B it takes in these tests."""
    return {
        "household_id": world.households["B1"].household_id,
        "alert_id": str(world.alerts["B1"].pk),
        "visit_id": str(world.visits["B1"].pk),
        "object_id": str(world.objects["B1"].pk),
        "job_id": str(world.jobs["B"].pk),
        "area_code": "640402",
        "code": "640402",
    }


def _object_urls(world: Any, values: dict[str, str] | None = None) -> list[str]:
    values = values or _values(world)
    urls = []
    for route in _patterns():
        names = [m.group("name") for m in PARAM.finditer(route)]
        if not names:
            continue
        unknown = [n for n in names if n not in values]
        assert not unknown, (
            f"URL {route} has parameter(s) {unknown} this test does not know: add them to _values"
        )
        urls.append("/" + PARAM.sub(lambda m: values[m.group("name")], route))
    return urls


def test_pattern_walk_finds_pages_and_api(world):
    urls = _object_urls(world)
    assert any(u.startswith("/api/households/") for u in urls)
    assert any(u.startswith("/households/") for u in urls)
    assert any(u.startswith("/alerts/") and u.endswith("/dismiss/") for u in urls)
    assert len(urls) >= 14


@pytest.mark.parametrize("username", ["county", "township", "village", "cadre", "city"])
def test_other_area_gets_404_on_every_object_url(world, login, username):
    c = login(username)

    def answer(url: str) -> dict[str, int]:
        statuses = {"get": c.get(url).status_code}
        # A POST with valid fields, so that only the scope can stop it.
        if url.startswith("/api/"):
            r = c.post(url, {"action": "dismiss", "reason": "测试"}, content_type="application/json")
        else:
            r = c.post(url, FORM)
        statuses["post"] = r.status_code
        return statuses

    failures = []
    urls = _object_urls(world)
    missing = _object_urls(world, MISSING)
    for url, nowhere in zip(urls, missing, strict=True):
        foreign = answer(url)
        # 404 for the object, 405 for a wrong method, 403 where the role may not use the page at all;
        # never success, and the same answer as for an ID that does not exist (nothing leaks).
        if any(code not in (403, 404, 405) for code in foreign.values()) or foreign != answer(nowhere):
            failures.append((url, foreign))
        if not {403, 404} & set(foreign.values()):
            failures.append((url, foreign))
    assert not failures, f"{username} reached objects of another county: {failures}"
    # Household pages and API objects are 404 for every role that may open households at all.
    b = _values(world)
    for url in (
        f"/households/{b['household_id']}/",
        f"/api/households/{b['household_id']}",
        f"/alerts/{b['alert_id']}/",
        f"/api/alerts/{b['alert_id']}",
        f"/api/areas/{b['area_code']}/stats",
    ):
        assert c.get(url).status_code == 404, url


def test_own_user_reaches_every_object_url(world, login):
    """The same URLs answer county B's own user (so the 404s above are scope, not broken links)."""
    c = login("countyb")
    failures = []
    for url in _object_urls(world):
        r = c.get(url)
        if r.status_code in (404, 403):
            failures.append((url, r.status_code))
    assert not failures, failures


def test_dashboard_and_lists_ignore_foreign_area_parameters(world, login):
    c = login("county")
    assert c.get("/?area=640402").status_code == 404
    assert c.get("/dashboard/?area=640402100").status_code == 404
    html = c.get("/households/?village=640402").content.decode()
    assert "6404021002010001" not in html
    assert c.get("/api/households", {"village": "640402"}).json()["count"] == 0
    assert "6404021002010001" not in c.get("/alerts/?status=&village=640402").content.decode()


def test_paired_cadre_sees_only_his_households(world, login):
    c = login("cadre")
    assert c.get(f"/households/{world.households['A1'].household_id}/").status_code == 200
    assert c.get(f"/households/{world.households['A2'].household_id}/").status_code == 404
    assert c.get(f"/api/households/{world.households['A3'].household_id}").status_code == 404
    listed = c.get("/api/households").json()
    assert [h["household_id"] for h in listed["items"]] == [world.households["A1"].household_id]
    assert c.get(f"/alerts/{world.alerts['A3'].pk}/").status_code == 404


def test_department_user_sees_no_household_lists(world, login):
    c = login("department")
    assert c.get("/").status_code == 302  # sent to 导入导出
    assert c.get("/households/").status_code == 403
    assert c.get(f"/households/{world.households['A1'].household_id}/").status_code == 403
    assert c.get("/api/households").status_code == 403
    assert c.get("/imports/").status_code == 200


def test_api_token_is_scoped_like_the_session(world, client):
    from zengshou.web.accounts import new_token

    key = new_token("county")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/households/{world.households['A1'].household_id}", **auth).status_code == 200
    assert client.get(f"/api/households/{world.households['B1'].household_id}", **auth).status_code == 404
    assert client.get("/api/households", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_anonymous_is_sent_to_login_or_refused(world, client):
    assert client.get("/households/").status_code == 302
    assert client.get("/households/").url.startswith("/login/")
    assert client.get("/api/households").status_code == 401
