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


def test_the_assessment_is_computed_once_until_the_data_changes(world, login, monkeypatch) -> None:
    from zengshou.assess import database

    calls: list[int] = []
    real = database.assess_database

    def counted(year: int, quarter: int, *args: object, **kwargs: object) -> object:
        calls.append(year)
        return real(year, quarter)

    monkeypatch.setattr(database, "assess_database", counted)
    c = login("county")
    assert c.get("/assess/?year=2025&quarter=4").status_code == 200
    assert c.get("/assess/report/?year=2025&quarter=4&format=docx").status_code == 200
    assert len(calls) == 1  # the page and the report share one computation
    TargetProgress.objects.create(
        target_id="L05:以工代赈岗位", year=2025, quarter=4, value=10, entered_by="t"
    )
    assert c.get("/assess/?year=2025&quarter=4").status_code == 200
    assert len(calls) == 2  # new progress: computed again


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


def _menu(page: str) -> dict[str, str]:
    """The side menu of a rendered page: label → link."""
    import re

    side = page.split('<nav class="side">', 1)[1].split("</nav>", 1)[0]
    return {
        label.strip(): href
        for href, label in re.findall(
            r'<a href="([^"]+)"[^>]*><span class="ico">[^<]*</span>([^<]+)</a>', side
        )
    }


PART_ENTRIES = {
    "结对帮扶": "/pairing/",
    "我的结对户": "/pairing/mine/",
    "季度分析": "/assess/",
    "目标任务": "/assess/targets/",
}
EXPECTED_ENTRIES = {
    "region": {"结对帮扶", "季度分析", "目标任务"},
    "city": {"结对帮扶", "季度分析", "目标任务"},
    "county": {"结对帮扶", "季度分析", "目标任务"},
    "township": {"季度分析", "目标任务"},
    "village": {"季度分析", "目标任务"},
    "cadre": {"我的结对户"},
    "department": {"目标任务"},
}


def test_menu_shows_pairing_and_assessment_to_the_roles_that_use_them(world, login) -> None:
    for username, expected in EXPECTED_ENTRIES.items():
        c = login(username)
        start = "/pairing/mine/" if username == "cadre" else "/assess/targets/"
        r = c.get(start)
        assert r.status_code == 200, username
        menu = _menu(r.content.decode())
        shown = {label for label in PART_ENTRIES if label in menu}
        assert shown == expected, username
        for label in shown:
            assert menu[label] == PART_ENTRIES[label]
            # every entry a user is shown opens for him; the ones he is not shown are refused
            assert c.get(PART_ENTRIES[label] + "?year=2025&quarter=4").status_code == 200, (username, label)
        for label in set(PART_ENTRIES) - shown - {"目标任务"}:
            assert c.get(PART_ENTRIES[label]).status_code == 403, (username, label)


def test_township_and_village_users_see_their_countys_assessment(world, login) -> None:
    from zengshou.registry.models import AuditEvent
    from zengshou.web.assess_views import COUNTY_NOTE

    for username in ("township", "village"):
        c = login(username)
        page = c.get("/assess/?year=2025&quarter=4").content.decode()
        assert COUNTY_NOTE in page
        rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert "<td>海原县</td>" in rows and "原州区" not in rows
        r = c.get("/assess/report/?year=2025&quarter=4&format=docx")
        assert r.status_code == 200 and "attachment" in r["Content-Disposition"], username
        assert (
            "海原县" in r["Content-Disposition"] or "%E6%B5%B7%E5%8E%9F%E5%8E%BF" in r["Content-Disposition"]
        )
        event = AuditEvent.objects.filter(action="report.download", username=username).get()
        assert event.object_id == "640522"
    # a county user's page has no such note
    assert COUNTY_NOTE not in login("county").get("/assess/?year=2025&quarter=4").content.decode()
