"""The assessment pages: the quarter's figures in the user's area, report download, targets progress."""

from __future__ import annotations

from zengshou.assess.models import TargetProgress


def test_quarter_page_and_report_download(world, login) -> None:
    c = login("county")
    r = c.get("/assess/?year=2025&quarter=4")
    assert r.status_code == 200
    page = r.content.decode()
    assert "2025年第4季度收入监测分析" in page and "下载报告（Word）" in page
    r = c.get("/assess/report/?year=2025&quarter=4&format=docx")
    assert r.status_code == 200
    assert "attachment" in r["Content-Disposition"]
    from zengshou.registry.models import AuditEvent

    assert AuditEvent.objects.filter(action="report.download", username="county", object_id="640522").exists()


def test_targets_progress_entry_by_department_only(world, login) -> None:
    c = login("department")
    r = c.post(
        "/assess/targets/?year=2025&quarter=2",
        {"target_id": "L05:以工代赈岗位", "year": "2025", "quarter": "2", "value": "3000"},
    )
    assert r.status_code == 302
    assert TargetProgress.objects.get(target_id="L05:以工代赈岗位").value == 3000
    page = c.get("/assess/targets/?year=2025&quarter=2").content.decode()
    assert "滞后" in page and "填报进度" in page
    c = login("county")
    c.post(
        "/assess/targets/",
        {"target_id": "L07:就业帮扶车间新增岗位", "year": "2025", "quarter": "2", "value": "9"},
    )
    assert not TargetProgress.objects.filter(target_id__startswith="L07").exists()
    assert "填报进度" not in c.get("/assess/targets/").content.decode()
