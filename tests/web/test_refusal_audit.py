"""Refused access leaves a trace: who tried which object from where, and the region administrator
sees who keeps trying."""

from __future__ import annotations

from django.test import Client

from tests.web.conftest import PASSWORD

PROBE_ADDRESS = "10.20.30.40"


def _client(username: str) -> Client:
    c = Client(REMOTE_ADDR=PROBE_ADDRESS)
    assert c.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return c


def _refusals(username: str):
    from zengshou.registry.models import AuditEvent

    return AuditEvent.objects.filter(username=username, action="access.refused").order_by("at", "id")


def test_a_county_user_opening_another_countys_household_is_refused_and_audited(world):
    c = _client("countyb")
    hid = world.households["A1"].household_id
    r = c.get(f"/households/{hid}/")
    assert r.status_code == 404
    assert "马福贵" not in r.content.decode()
    [event] = _refusals("countyb")
    assert (event.object_type, event.object_id, event.ip) == ("household", hid, PROBE_ADDRESS)
    assert event.detail["path"] == f"/households/{hid}/"
    assert event.detail["reason"] == "out_of_scope"
    assert event.detail["user_area"] == "640402"


def test_refusals_through_the_api_and_of_records_that_do_not_exist_are_audited_too(world):
    c = _client("countyb")
    alert_a = world.alerts["A1"].pk
    assert c.get(f"/api/alerts/{alert_a}").status_code == 404
    assert c.get("/households/6405221002019999/").status_code == 404
    events = list(_refusals("countyb"))
    assert [(e.object_type, e.detail["reason"]) for e in events] == [
        ("alert", "out_of_scope"),
        ("household", "not_found"),
    ]
    assert events[0].detail["path"] == f"/api/alerts/{alert_a}"
    assert all(e.ip == PROBE_ADDRESS for e in events)


def test_the_region_administrator_sees_who_is_refused_again_and_again(world):
    probe = _client("countyb")
    a = world.households
    urls = [
        f"/households/{a['A1'].household_id}/",
        f"/households/{a['A2'].household_id}/",
        f"/alerts/{world.alerts['A3'].pk}/",
        f"/households/{a['A3'].household_id}/",
    ]
    for url in urls:
        assert probe.get(url).status_code == 404
    # One refusal of another user stays below the section's threshold.
    assert _client("cadreb").get(urls[0]).status_code == 404

    page = _client("region").get("/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    section = text[
        text.index('id="repeated-refusals"') : text.index("</section>", text.index('id="repeated-refusals"'))
    ]
    assert "反复被拒绝的访问" in section
    assert "countyb" in section and "原州区" in section and PROBE_ADDRESS in section
    assert '<td class="num">4</td>' in section
    assert urls[-1] in section and urls[-2] in section
    assert "cadreb" not in section
    # The trail below names the refusals in Chinese.
    assert "访问被拒绝（不在管辖范围或记录不存在）" in text and "不在管辖范围内" in text


def test_a_county_administrator_sees_no_other_countys_refusals(world):
    probe = _client("countyb")
    assert probe.get(f"/households/{world.households['A1'].household_id}/").status_code == 404
    county = _client("county")
    r = county.get("/audit/")
    assert r.status_code == 403
    assert "countyb" not in r.content.decode() and "反复被拒绝" not in r.content.decode()
    # The refused page is itself on the trail, as a role refusal.
    from zengshou.registry.models import AuditEvent

    [denied] = AuditEvent.objects.filter(username="county", action="access.denied")
    assert denied.detail["path"] == "/audit/" and denied.ip == PROBE_ADDRESS


def test_another_countys_toolbox_page_is_refused_and_audited(world):
    c = _client("countyb")
    assert c.get("/toolbox/county/640522/").status_code == 404
    [event] = _refusals("countyb")
    assert (event.object_type, event.object_id, event.detail["reason"]) == (
        "county_toolbox",
        "640522",
        "out_of_scope",
    )
