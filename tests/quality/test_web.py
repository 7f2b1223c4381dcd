"""The quality pages: a county runs the checks and reads its report, trend and workbook; exemptions
entered in the web are audited; a village sees only its own findings; cadres and departments are refused."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl


def test_county_runs_the_checks_and_reads_the_report(world, login):
    c = login("county")
    r = c.post("/quality/")
    assert r.status_code == 302
    page = c.get("/quality/").content.decode()
    assert "数据质量核查" in page and "按规则" in page and 'data-chart="quality-trend"' in page
    assert "6404021002010001" not in page
    r = c.get("/quality/report.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    assert "问题清单" in wb.sheetnames


def test_exemption_entered_in_the_web_is_audited_and_scoped(world, login):
    from zengshou.quality.models import QualityExemption
    from zengshou.registry.models import AuditEvent

    c = login("county")
    until = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    form = {
        "code": "Q030",
        "household_id": "6405221002010001",
        "reason": "无电话，已核实",
        "valid_until": until,
    }
    c.post("/quality/exemptions/", form)
    assert QualityExemption.objects.filter(household_id="6405221002010001", code="Q030").exists()
    assert AuditEvent.objects.filter(action="quality.exempt", username="county").exists()
    c.post("/quality/exemptions/", {**form, "household_id": "6404021002010001"})
    assert not QualityExemption.objects.filter(household_id="6404021002010001").exists()
    assert "无电话，已核实" in c.get("/quality/exemptions/").content.decode()


def test_village_sees_its_area_and_may_not_run(world, login):
    from zengshou.quality.store import run_checks

    run_checks()
    c = login("village")
    page = c.get("/quality/").content.decode()
    assert "6405221002020001" not in page
    assert c.post("/quality/").status_code == 403
    assert c.get("/quality/?area=640402").status_code == 404


def test_cadre_and_department_are_refused(world, login):
    for user in ("cadre", "department"):
        assert login(user).get("/quality/").status_code == 403
