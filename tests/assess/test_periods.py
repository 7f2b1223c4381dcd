"""Periods on the quarterly pages (M06): the analysis, the targets and the report open on the latest
cumulative quarter with data for the user's area, never on the calendar's; an empty quarter says so,
and a report for it is refused on the web and in the CLI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from zengshou.cli import app

EMPTY = "该期间暂无数据"


def _quarter_rows(households: list[Any], year: int, quarter: int) -> None:
    from zengshou.registry.models import Income

    for h in households:
        Income.objects.create(household=h, year=year, quarter=quarter, wage=Decimal(2500))


def test_the_quarterly_analysis_opens_on_the_latest_quarter_with_data_not_the_calendars(world, login) -> None:
    # the world has yearly income rows for 2024 and 2025: the 4th cumulative quarter of 2025
    _quarter_rows([world.households["A1"]], 2026, 2)  # one household's stray 2026 quarter
    r = login("county").get("/assess/")
    page = r.content.decode()
    assert (r.context["period"].year, r.context["period"].quarter) == (2025, 4)
    assert "2025年第4季度收入监测分析" in page and EMPTY not in page
    assert '<option value="2025" selected>2025年</option>' in page
    assert '<option value="4" selected>第4季度（累计）</option>' in page


def test_a_quarter_every_household_reported_becomes_the_default(world, login) -> None:
    county_a = [world.households[k] for k in ("A1", "A2", "A3")]
    _quarter_rows(county_a, 2026, 1)
    assert login("county").get("/assess/").context["period"].quarter == 1
    assert login("county").get("/assess/").context["period"].year == 2026
    # county B has no 2026 rows: its users still open on 2025's 4th quarter
    assert (login("countyb").get("/assess/").context["period"].year) == 2025


def test_an_empty_quarter_says_so_and_never_reports_no_county_below_average(world, login) -> None:
    page = login("county").get("/assess/?year=2026&quarter=3").content.decode()
    assert "2026年第3季度收入监测分析" in page
    assert EMPTY in page and "本区域3户在2026年第3季度都还没有累计季度收入数据" in page
    assert '<a href="?year=2025&amp;quarter=4">查看最近有数据的期间：2025年第4季度</a>' in page
    assert "无低于全区平均水平的县区" not in page and "<h2>约谈提醒（S01）</h2>" not in page
    assert "下载报告（Word）" not in page


def test_a_report_for_an_empty_quarter_is_refused_with_the_reason(world, login) -> None:
    from zengshou.registry.models import AuditEvent

    c = login("county")
    r = c.get("/assess/report/?year=2026&quarter=3&format=docx", follow=True)
    page = r.content.decode()
    assert r.redirect_chain and "attachment" not in r.get("Content-Disposition", "")
    assert (
        f"{EMPTY}：本区域3户在2026年第3季度都还没有累计季度收入数据。最近有数据的期间：2025年第4季度。"
        in page
    )
    assert "评估结果中没有区划" not in page
    assert not AuditEvent.objects.filter(action="report.download").exists()
    r = c.get("/assess/report/?year=2025&quarter=4&format=docx")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]


def test_the_cli_refuses_a_report_for_an_empty_quarter_in_chinese(world, tmp_path) -> None:
    out = tmp_path / "r.docx"
    r = CliRunner().invoke(
        app, ["report", "--area", "640522", "--year", "2026", "--quarter", "3", "--out", str(out)]
    )
    assert r.exit_code == 2
    assert EMPTY in r.output and "最近有数据的期间：2025年第4季度" in r.output
    assert "Traceback" not in r.output and not out.exists()
    r = CliRunner().invoke(
        app, ["report", "--area", "649999", "--year", "2025", "--quarter", "4", "--out", str(out)]
    )
    assert r.exit_code == 2 and "区划代码 649999 不存在" in r.output and not out.exists()


def test_the_targets_open_on_the_latest_reported_quarter_and_honour_the_query(world, login) -> None:
    from zengshou.assess.models import TargetProgress

    TargetProgress.objects.create(
        target_id="L05:以工代赈岗位", year=2025, quarter=2, value=10, entered_by="t"
    )
    c = login("county")
    r = c.get("/assess/targets/")
    page = r.content.decode()
    assert "目标任务进度（2025年第2季度）" in page and EMPTY not in page
    assert '<option value="2" selected>第2季度（累计）</option>' in page
    r = c.get("/assess/targets/?year=2025&quarter=1")
    assert "目标任务进度（2025年第1季度）" in r.content.decode()
    assert EMPTY in r.content.decode() and "截至2025年第1季度尚无目标进度填报" in r.content.decode()


def test_without_progress_the_targets_open_on_the_areas_latest_income_quarter(world, login) -> None:
    page = login("county").get("/assess/targets/").content.decode()
    assert "目标任务进度（2025年第4季度）" in page
