"""A NUL character (%00, \\u0000) anywhere in a request is refused with a Chinese 400, on SQLite and on
PostgreSQL (which cannot store or compare NUL in text and would otherwise answer 500)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.web.test_texts import assert_json_chinese, assert_page_chinese

PAGES = [
    "/households/6405221002010001%00/",
    "/households/%00/visits/new/",
    "/alerts/households/%00/",
    "/households/?q=%E9%A9%AC%00",
    "/households/?village=640522100201%00",
    "/alerts/?code=M04%00&year=2025",
    "/alerts/list/?status=%00",
    "/monitoring/?year=2025%00",
    "/audit/?user=%00",
    "/?area=640522%00",
    "/toolbox/%00/",
    "/pairing/?county=%00",
    "/exports/?area=%00",
    "/login/?next=/%00",
]
API = [
    "/api/households/6405221002010001%00",
    "/api/households?q=%00",
    "/api/households?village=%00&tier=%00",
    "/api/alerts?code=M04%00",
    "/api/alerts?status=%00",
    "/api/areas/640522%00/stats",
]


@pytest.mark.parametrize("url", PAGES)
def test_a_page_address_with_nul_gets_a_chinese_400(world, login, url) -> None:
    c = login("region")
    c.raise_request_exception = False
    r = c.get(url)
    assert r.status_code == 400, f"{url}: {r.status_code}"
    assert "空字符" in assert_page_chinese(r, url)


@pytest.mark.parametrize("url", API)
def test_an_api_address_with_nul_gets_a_chinese_json_400(world, login, url) -> None:
    c = login("county")
    c.raise_request_exception = False
    r = c.get(url)
    assert r.status_code == 400, f"{url}: {r.status_code}"
    assert "空字符" in r.json()["detail"]
    assert_json_chinese(r, url)


def test_a_form_field_with_nul_is_refused_before_it_reaches_the_database(world, login) -> None:
    from zengshou.monitor.models import AlertTransition

    anonymous = Client(raise_request_exception=False)
    r = anonymous.post("/login/", {"username": "county\x00", "password": "x"})
    assert r.status_code == 400
    assert "空字符" in assert_page_chinese(r, "login with NUL")
    c = login("county")
    c.raise_request_exception = False
    before = AlertTransition.objects.count()
    hid = world.households["A1"].household_id
    r = c.post(f"/alerts/households/{hid}/verify/", {"note": "已入户核实\x00"})
    assert r.status_code == 400
    assert AlertTransition.objects.count() == before  # nothing was written


def test_a_json_body_with_nul_is_refused_and_one_without_still_works(world, login) -> None:
    c = login("county")
    c.raise_request_exception = False
    url = f"/api/alerts/{world.alerts['A1'].pk}/transition"
    for body in (
        json.dumps({"action": "verify", "note": "核实\u0000"}),  # the JSON escape
        '{"action": "verify", "note": "核实\x00"}',  # the raw byte
        json.dumps({"action": "verify", "note": "核实", "n\u0000": 1}),  # in a key
    ):
        r = c.post(url, data=body, content_type="application/json")
        assert r.status_code == 400, body
        assert "空字符" in r.json()["detail"]
    r = c.post(
        url, data=json.dumps({"action": "verify", "note": "已入户核实"}), content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "verified"
    # A backslash followed by u0000 as text is no NUL.
    r = c.post(url, data=json.dumps({"action": "verify", "note": "\\u0000"}), content_type="application/json")
    assert r.status_code != 400 or "空字符" not in r.json()["detail"]


def test_a_cookie_with_nul_is_refused(world, client) -> None:
    client.raise_request_exception = False
    r = client.get("/", HTTP_COOKIE='sessionid="abcdefgh\\000ijkl"')
    assert r.status_code == 400
    assert "空字符" in assert_page_chinese(r, "cookie with NUL")


def test_an_upload_s_binary_content_is_not_mistaken_for_nul_in_a_field(world, login, tmp_path) -> None:
    from tests.conftest import make_id
    from tests.web.files import workbook

    c = login("county")
    path = workbook(tmp_path, make_id(950, area="640522"))
    assert b"\x00" in path.read_bytes()
    with path.open("rb") as f:
        r = c.post("/imports/", {"kind": "interchange", "file": f})
    assert r.status_code == 302 and "/imports/" in r["Location"], r.content.decode()[:500]
