"""Pairing pages: a county proposes, reviews the changes and confirms; a cadre sees his households."""

from __future__ import annotations

from zengshou.registry.models import AuditEvent, Cadre, Pairing


def test_county_proposes_reviews_and_confirms(world, login) -> None:
    # A1 (640522) fell in 2025 and is paired with a 乡科级 cadre: S02 wants a 县处级以上 cadre.
    Cadre.objects.create(
        cadre_id="S640522001", name="马县长", unit="海原县人民政府", rank="县处级以上", county_id="640522"
    )
    c = login("county")
    page = c.post("/pairing/", {"action": "propose", "year": "2025"}).content.decode()
    assert "变更清单（1 户）" in page and "S640522001" in page and "调整" in page
    assert (
        Pairing.objects.get(household_id="6405221002010001", ended_on__isnull=True).cadre_id == "C640522001"
    )
    r = c.post("/pairing/", {"action": "confirm"})
    assert r.status_code == 302
    assert (
        Pairing.objects.get(household_id="6405221002010001", ended_on__isnull=True).cadre_id == "S640522001"
    )
    assert AuditEvent.objects.filter(action="pairing.confirm", username="county").count() == 1
    # the other county's pairs are untouched
    assert (
        Pairing.objects.get(household_id="6404021002010001", ended_on__isnull=True).cadre_id == "C640402001"
    )


def test_cadre_sees_own_households_only(world, login) -> None:
    page = login("cadre").get("/pairing/mine/").content.decode()
    assert "6405221002010001" in page and "6404021002010001" not in page
    assert login("cadre").get("/pairing/").status_code == 403
