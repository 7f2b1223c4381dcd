"""Personal data: masked by default, full view only for roles that need it and always audited."""

from __future__ import annotations

from zengshou.registry.models import AuditEvent


def test_household_page_is_masked_and_audited(world, login):
    h = world.households["A1"]
    head = h.members.get(relation="户主")
    c = login("county")
    html = c.get(f"/households/{h.household_id}/").content.decode()
    assert head.id_number not in html and "马福贵" not in html and "13912345678" not in html
    assert "马*贵" in html and "139****5678" in html
    ev = AuditEvent.objects.get(action="household.view", object_id=h.household_id)
    assert ev.username == "county" and ev.ip == "127.0.0.1"


def test_full_view_shows_and_records_who_when_what_where(world, login):
    h = world.households["A1"]
    head = h.members.get(relation="户主")
    c = login("township")
    html = c.get(f"/households/{h.household_id}/?full=1").content.decode()
    assert head.id_number in html and "马福贵" in html and "13912345678" in html
    ev = AuditEvent.objects.get(action="household.view_full")
    assert (ev.username, ev.object_type, ev.object_id, ev.ip) == (
        "township",
        "household",
        h.household_id,
        "127.0.0.1",
    )
    assert ev.at is not None and ev.detail["role"] == "township"


def test_roles_without_need_never_see_full_data(world, login):
    h = world.households["A1"]
    head = h.members.get(relation="户主")
    for username in ("region", "city"):
        c = login(username)
        html = c.get(f"/households/{h.household_id}/?full=1").content.decode()
        assert head.id_number not in html and "马福贵" not in html
        assert "显示完整个人信息" not in html
        assert c.get(f"/api/households/{h.household_id}", {"full": "true"}).status_code == 403
    assert not AuditEvent.objects.filter(action__in=["household.view_full", "api.household_full"]).exists()


def test_api_full_view_is_audited(world, login):
    h = world.households["A1"]
    c = login("village")
    masked = c.get(f"/api/households/{h.household_id}").json()
    assert masked["members"][0]["name"] == "马*贵" and "*" in masked["members"][0]["id_number"]
    full = c.get(f"/api/households/{h.household_id}", {"full": "true"}).json()
    assert full["members"][0]["name"] == "马福贵" and full["phone"] == "13912345678"
    assert (
        AuditEvent.objects.filter(
            action="api.household_full", username="village", object_id=h.household_id
        ).count()
        == 1
    )
    assert AuditEvent.objects.filter(action="api.household", username="village").count() == 1


def test_visit_photo_view_is_audited(world, login):
    v = world.visits["B1"]
    c = login("cadreb")
    r = c.get(f"/visits/{v.pk}/photo/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:4] == b"\x89PNG"
    assert AuditEvent.objects.filter(
        action="visit.photo", username="cadreb", object_id=v.household_id
    ).exists()


def test_audit_page_searches_for_the_region_admin_only(world, login):
    h = world.households["A1"]
    login("township").get(f"/households/{h.household_id}/?full=1")
    assert login("county").get("/audit/").status_code == 403
    c = login("region")
    html = c.get("/audit/", {"action": "household.view_full", "username": "township"}).content.decode()
    assert h.household_id in html and "查看农户完整信息" in html
    html = c.get("/audit/", {"username": "nobody"}).content.decode()
    assert "没有符合条件的审计记录" in html
