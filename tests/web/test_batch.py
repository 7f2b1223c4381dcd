"""运行批处理: a county or region user starts the batch for his area from the web, it runs in the
background worker with its steps shown, every page with results says when they were computed, and
every import ends with "run now" (a button on the web, the exact command on the command line).

Tasks are queued in the database and run here by running the worker once, so each test knows
exactly when the batch ran.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from typer.testing import CliRunner

from tests.conftest import make_id
from zengshou.batch.models import BatchRun, BatchStatus
from zengshou.tiers.models import TierResult

STAMP = re.compile(r"结果计算于 (\d{4}-\d{2}-\d{2} \d{2}:\d{2})")


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch):
    """The worker drops connections left in a transaction between tasks; a test runs inside one."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def _work_once() -> None:
    """What ``zengshou worker --once`` does: run every queued task, then return."""
    from zengshou.batch.worker import work

    work(once=True, interval=0)


def _start(c: Any, **data: str) -> Any:
    return c.post("/batch/", data)


def _local(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------- starting and watching a run


def test_a_county_user_starts_the_batch_and_watches_it_finish(world, login):
    c = login("county")
    page = c.get("/batch/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "海原县" in html and "2025年度（3 户有收入数据）" in html
    before = TierResult.objects.get(household_id="6405221002010001", year=2025).computed_at

    r = _start(c, period="2025")
    run = BatchRun.objects.get()
    assert r.status_code == 302 and r.url == f"/batch/{run.pk}/"
    assert (run.area_code, run.year, run.quarter, run.status) == ("640522", 2025, None, BatchStatus.QUEUED)
    queued = c.get(r.url).content.decode()
    assert "排队中" in queued and 'value="0"' in queued and "收入核算" in queued
    assert c.get(f"/batch/{run.pk}/status/").json()["finished"] is False

    _work_once()

    run.refresh_from_db()
    assert run.status == BatchStatus.DONE, run.message
    keys = [s["key"] for s in run.steps]
    assert keys[:5] == ["read", "facts", "accounts", "alerts", "tiers"] and keys[-3:] == [
        "store",
        "plans",
        "model",
    ]
    assert all(s["state"] in ("done", "skipped") for s in run.steps)
    model = next(s for s in run.steps if s["key"] == "model")
    assert model["state"] == "skipped" and "尚未训练风险模型" in model["note"]
    assert run.figures["households"] == 3 and run.figures["tier_results"] == 3
    status = c.get(f"/batch/{run.pk}/status/").json()
    assert status["finished"] is True and status["percent"] == 100 and status["label"] == "已完成"
    done = c.get(f"/batch/{run.pk}/").content.decode()
    assert "已完成" in done and "批处理已完成：核算 3 户" in done and "查看新结果" in done
    # only county A's households were computed again; county B's results are as they were
    after = TierResult.objects.get(household_id="6405221002010001", year=2025)
    assert after.computed_at > before and after.computed_by == "county"
    assert TierResult.objects.get(household_id="6404021002010001", year=2025).computed_by == ""


def test_a_second_start_of_the_same_area_says_it_is_running_and_links_to_it(world, login):
    c = login("county")
    _start(c, period="2025")
    first = BatchRun.objects.get()
    r = _start(c, period="2024")
    assert r.status_code == 409
    html = r.content.decode()
    assert "正在排队" in html and f'href="/batch/{first.pk}/"' in html and "查看进度" in html
    assert BatchRun.objects.count() == 1
    # the region's run covers county A: it waits for the county's run as well
    r = _start(login("region"), period="2025")
    assert r.status_code == 409 and "海原县的批处理" in r.content.decode()


def test_only_county_city_and_region_users_may_start_a_batch(world, login):
    for username in ("township", "village", "cadre", "department"):
        c = login(username)
        c.raise_request_exception = False
        for method in ("get", "post"):
            r = getattr(c, method)("/batch/", {"period": "2025"})
            assert r.status_code == 403, (username, method)
            assert "不能进行此操作" in r.content.decode() and "县级用户" in r.content.decode()
    assert not BatchRun.objects.exists()
    assert "运行批处理" not in login("village").get("/households/").content.decode()
    assert "运行批处理" in login("county").get("/households/").content.decode()


def test_a_region_user_runs_a_county_of_his_area_and_no_one_runs_outside_his_own(world, login):
    region = login("region")
    assert "原州区" in region.get("/batch/").content.decode()  # his counties are offered
    r = _start(region, area="640402", period="2025")
    assert r.status_code == 302
    assert BatchRun.objects.get().area_code == "640402"
    county = login("county")
    county.raise_request_exception = False
    assert _start(county, area="640402", period="2025").status_code == 404
    assert county.get(f"/batch/{BatchRun.objects.get().pk}/").status_code == 404
    # a township is ranked with its county, never on its own
    r = _start(county, area="640522100", period="2025")
    assert r.status_code == 400 and "请选择所在的县（区）" in r.content.decode()


def test_a_period_without_income_is_refused_with_the_periods_there_are(world, login):
    c = login("county")
    r = _start(c, period="2019")
    assert r.status_code == 400
    assert "请选择海原县有收入数据的期间（可选：2025年度、2024年度）" in r.content.decode()
    assert not BatchRun.objects.exists()


def test_the_default_period_is_the_latest_year_the_area_has_filled(world, login):
    """One household with a 2026 row does not make 2026 the default."""
    from zengshou.registry.models import Income

    Income.objects.create(household=world.households["A1"], year=2026, wage=Decimal(1000))
    html = login("county").get("/batch/").content.decode()
    assert '<option value="2025" selected>' in html and '<option value="2026">' in html


def test_a_failing_step_ends_the_run_with_a_chinese_message(world):
    from zengshou.batch.run import create_run, execute

    run = create_run("640425", "彭阳县", 2025, None, "region")  # no household there
    outcome = execute(run.pk)
    run.refresh_from_db()
    assert not outcome.ok and run.status == BatchStatus.FAILED
    assert "“读取农户和部门数据”一步未完成：数据库中没有农户数据（请先导入）" in run.message
    assert "/" not in run.message and "households" not in run.message
    assert [s["state"] for s in run.steps[:2]] == ["failed", "skipped"]
    assert BatchRun.objects.filter(area_code="640425", status=BatchStatus.QUEUED).count() == 0


def test_a_run_left_running_by_a_stopped_worker_ends_as_unfinished_and_frees_its_area(world, login):
    from zengshou.batch.run import create_run

    run = create_run("640522", "海原县", 2025, None, "county")
    BatchRun.objects.filter(pk=run.pk).update(status=BatchStatus.RUNNING)
    _work_once()  # a worker starting finds it running with no one running it
    run.refresh_from_db()
    assert run.status == BatchStatus.FAILED and "请重新运行" in run.message
    assert _start(login("county"), period="2025").status_code == 302


def test_a_county_run_keeps_the_plans_of_other_counties(world, login):
    from zengshou.toolbox.models import Plan, PlanItem

    plan = Plan.objects.create(
        household_id="6404021002010001", year=2025, county_code="640402", village_code="640402100201"
    )
    item = PlanItem.objects.create(plan=plan, code="L02", amount=Decimal(3000), units="原州区农业农村局")
    _start(login("county"), period="2025")
    _work_once()
    run = BatchRun.objects.get()
    assert run.status == BatchStatus.DONE, run.message
    assert PlanItem.objects.filter(pk=item.pk).exists()
    plans = next(s for s in run.steps if s["key"] == "plans")
    if plans["state"] == "done":
        assert Plan.objects.filter(county_code="640522", year=2025).exists()


# ---------------------------------------------------------------- when the results were computed


def test_every_page_with_results_says_when_they_were_computed(world, login):
    at = timezone.make_aware(dt.datetime(2026, 12, 3, 14, 20))
    TierResult.objects.filter(household__village__code__startswith="640522").update(computed_at=at)
    c = login("county")
    for url in ("/dashboard/", "/households/", f"/households/{world.households['A1'].household_id}/"):
        html = c.get(url).content.decode()
        assert "结果计算于 2026-12-03 14:20" in html, url
    for url in ("/alerts/", "/monitoring/"):
        assert STAMP.search(c.get(url).content.decode()), url


def test_the_stamp_follows_a_run_at_once(world, login):
    c = login("county")
    old = STAMP.search(c.get("/dashboard/").content.decode())
    assert old is not None
    TierResult.objects.update(computed_at=timezone.now() - dt.timedelta(days=3))
    c.get("/dashboard/")  # the old time is cached now
    _start(c, period="2025")
    _work_once()
    run = BatchRun.objects.get()
    c.get(f"/batch/{run.pk}/status/")
    latest = TierResult.objects.filter(household__village__code__startswith="640522").latest("computed_at")
    stamp = STAMP.search(c.get("/dashboard/").content.decode())
    assert stamp is not None and stamp.group(1) == _local(latest.computed_at)


def test_the_stamp_says_when_nothing_was_computed_and_offers_the_run(world, login):
    TierResult.objects.all().delete()
    html = login("county").get("/households/").content.decode()
    assert "尚无计算结果" in html and 'id="run-batch-link"' in html
    assert "尚无计算结果" in login("village").get("/households/").content.decode()


# ---------------------------------------------------------------- imports end with "run now"


def test_an_import_on_the_web_ends_with_a_button_that_runs_the_batch(world, login, tmp_path):
    pytest.importorskip("zengshou.ingest")
    from tests.web.files import workbook
    from zengshou.web.models import ImportJob

    c = login("county")
    with open(workbook(tmp_path, make_id(905, area="640522")), "rb") as f:
        c.post("/imports/", {"kind": "interchange", "file": SimpleUploadedFile("upload.xlsx", f.read())})
    job = ImportJob.objects.get(created_by="county")
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert "zengshou pipeline" not in html and "请运行批处理" not in html
    assert 'action="/batch/"' in html and "立即运行批处理（海原县）" in html
    r = c.post("/batch/", {"area": "640522"})  # what the button sends
    run = BatchRun.objects.get()
    assert r.status_code == 302 and (run.area_code, run.year) == ("640522", 2025)


def _folder(tmp_path: Any) -> Any:
    """A CSV folder with one new household of county A and its 2025 income."""
    from zengshou import interchange as ix

    folder = tmp_path / "in"
    folder.mkdir()
    rows = {
        ix.HOUSEHOLDS: {
            "户编号": "6405221002019902",
            "行政区划代码": "640522100201",
            "户类型": "一般农户",
            "住房安全": "是",
            "饮水安全": "是",
        },
        ix.MEMBERS: {
            "户编号": "6405221002019902",
            "姓名": "马成",
            "证件号码": make_id(906, area="640522"),
            "与户主关系": "户主",
            "健康状况": "健康",
            "劳动技能": "普通劳动力",
            "参加基本医疗保险": "是",
        },
        ix.INCOME: {"户编号": "6405221002019902", "年度": "2025", "工资性收入": "12000"},
    }
    for table, values in rows.items():
        header = ",".join(table.headers)
        line = ",".join(values.get(h, "") for h in table.headers)
        (folder / f"{table.name}.csv").write_text(f"{header}\n{line}\n", encoding="utf-8-sig")
    return folder


def test_an_import_on_the_command_line_names_the_exact_batch_command(world, tmp_path):
    pytest.importorskip("zengshou.ingest")
    from zengshou.cli import app

    out = CliRunner().invoke(app, ["import", str(_folder(tmp_path)), "--no-progress"])
    assert out.exit_code == 0, out.output
    assert "请运行批处理" not in out.output
    assert (
        "下一步：运行批处理，分层、预警和帮扶计划才会用上新数据：zengshou pipeline --year 2025" in out.output
    )


# ---------------------------------------------------------------- the same work on the command line


def test_zengshou_pipeline_runs_the_same_batch_at_once(world):
    from zengshou.cli import app

    out = CliRunner().invoke(app, ["pipeline", "--year", "2025", "--area", "640522", "--user", "clerk"])
    assert out.exit_code == 0, out.output
    run = BatchRun.objects.get()
    assert (run.source, run.status, run.created_by, run.area_name) == (
        "cli",
        BatchStatus.DONE,
        "clerk",
        "海原县",
    )
    assert "▶ 收入核算" in out.output and "风险模型评分：尚未训练风险模型" in out.output
    assert f"已记为批处理第 {run.pk} 号" in out.output
    assert TierResult.objects.filter(computed_by="clerk").count() == 3


def test_zengshou_pipeline_waits_for_a_run_of_the_same_area(world, login):
    from zengshou.cli import app

    _start(login("county"), period="2025")
    out = CliRunner().invoke(app, ["pipeline", "--year", "2025", "--area", "640522100201"])
    assert out.exit_code == 1
    assert "海原县的批处理" in out.output and "请等它完成后再运行" in out.output
    assert BatchRun.objects.count() == 1


def test_zengshou_worker_once_runs_the_queue_and_a_second_worker_is_refused(world, login):
    from zengshou.batch.worker import lock
    from zengshou.cli import app

    _start(login("county"), period="2025")
    held = lock()
    try:
        out = CliRunner().invoke(app, ["worker", "--once"])
        assert out.exit_code == 1 and "后台任务进程已在运行" in out.output
    finally:
        held.close()
    assert BatchRun.objects.get().status == BatchStatus.QUEUED
    out = CliRunner().invoke(app, ["worker", "--once"])
    assert out.exit_code == 0, out.output
    assert BatchRun.objects.get().status == BatchStatus.DONE


def test_the_worker_process_is_the_worker_command(monkeypatch):
    """``zengshou serve`` starts the worker with :func:`start_worker`: ``zengshou worker`` as a child."""
    import subprocess

    from zengshou.batch import worker

    seen: dict[str, Any] = {}

    class Fake:
        def __init__(self, args: list[str], env: dict[str, str]) -> None:
            seen["args"], seen["env"] = args, env

    monkeypatch.setattr(subprocess, "Popen", Fake)
    monkeypatch.setenv("ZENGSHOU_HOME", "/tmp/zs-somewhere")
    worker.start_worker()
    assert seen["args"][-1] == "worker" and "zengshou.cli" in seen["args"][-2]
    assert seen["env"]["ZENGSHOU_HOME"] == "/tmp/zs-somewhere"
