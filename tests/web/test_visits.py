"""记录走访 from a phone: date, findings, optional photo; scoped to the cadre's households."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from zengshou.web.models import VisitLog


def test_cadre_records_a_visit_with_photo(world, login, png_bytes):
    h = world.households["A1"]
    c = login("cadre")
    r = c.post(
        f"/households/{h.household_id}/visits/new/",
        {
            "visited_on": "2025-03-01",
            "findings": "户主外出务工，家中收入稳定",
            "photo": SimpleUploadedFile("visit.png", png_bytes, content_type="image/png"),
        },
    )
    assert r.status_code == 302
    v = VisitLog.objects.filter(household=h).order_by("-id").first()
    assert v.visited_on == dt.date(2025, 3, 1) and v.cadre_id == "C640522001" and v.photo
    page = c.get(f"/households/{h.household_id}/").content.decode()
    assert "2025年3月1日" in page and "户主外出务工" in page and "查看照片" in page


def test_visit_form_says_what_to_fix(world, login):
    h = world.households["A1"]
    c = login("cadre")
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = c.post(
        f"/households/{h.household_id}/visits/new/",
        {
            "visited_on": future,
            "findings": "x",
            "photo": SimpleUploadedFile("not-a-photo.png", b"hello", content_type="image/png"),
        },
    )
    html = r.content.decode()
    assert r.status_code == 200 and "走访日期不能晚于今天" in html and "不是可识别的照片" in html
    assert not VisitLog.objects.filter(household=h, findings="x").exists()


def test_region_user_cannot_record_visits(world, login):
    c = login("region")
    assert c.get(f"/households/{world.households['A1'].household_id}/visits/new/").status_code == 403
