"""导入导出 over HTTP: validate first, show errors row by row, write only after confirmation; exports."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_id
from zengshou.registry.models import AuditEvent, Household
from zengshou.web.models import ImportJob

ingest = pytest.importorskip("zengshou.ingest")


def _upload(c, path, kind="interchange"):  # type: ignore[no-untyped-def]
    with open(path, "rb") as f:
        return c.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(path.name, f.read())})


def test_upload_with_an_error_shows_it_and_writes_nothing(world, login, tmp_path):
    from tests.web.files import workbook_with_one_error

    c = login("county")
    r = _upload(c, workbook_with_one_error(tmp_path))
    job = ImportJob.objects.get(created_by="county")
    assert r.status_code == 302 and r.url == f"/imports/{job.pk}/"
    assert job.status == "invalid" and job.error_count >= 1
    html = c.get(r.url).content.decode()
    assert "校验未通过" in html and "证件号码" in html and "确认导入" not in html
    assert not Household.objects.filter(household_id="6405221002019901").exists()
    assert AuditEvent.objects.filter(action="import.upload", username="county").exists()


def test_clean_upload_waits_for_confirmation_then_loads(world, login, tmp_path):
    if not hasattr(ingest, "load"):
        pytest.skip("zengshou.ingest.load not available yet")
    from tests.web.files import workbook

    c = login("county")
    assert _upload(c, workbook(tmp_path, make_id(902, area="640522"))).status_code == 302
    job = ImportJob.objects.get(created_by="county")
    assert job.status == "ready", job.message
    assert not Household.objects.filter(household_id="6405221002019901").exists()
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert Household.objects.filter(household_id="6405221002019901").exists()


def test_only_import_roles_upload_workbooks(world, login, tmp_path):
    from tests.web.files import workbook

    c = login("township")
    assert _upload(c, workbook(tmp_path, make_id(903, area="640522"))).status_code == 403


def test_export_with_personal_data_needs_the_role_and_is_audited(world, login):
    if not hasattr(ingest, "export"):
        pytest.skip("zengshou.ingest.export not available yet")
    c = login("township")
    r = c.post("/exports/", {"area": "640522100", "fmt": "xlsx", "with_personal_data": "on"})
    assert r.status_code == 403
    r = c.post("/exports/", {"area": "640402", "fmt": "xlsx"})
    assert r.status_code == 404
    c = login("county")
    r = c.post("/exports/", {"area": "640522", "fmt": "xlsx", "with_personal_data": "on"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.get(action="export.personal", username="county").object_id == "640522"
    ev = AuditEvent.objects.get(action="export.download", username="county")
    assert ev.object_id == "640522" and ev.ip == "127.0.0.1" and ev.detail["with_personal_data"] is True
    r = c.post("/exports/", {"area": "640522100", "fmt": "csv"})
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"


def test_department_uploads_its_feed_and_sees_the_match_report(world, login, tmp_path):
    feeds = pytest.importorskip("zengshou.ingest.feeds")
    if not hasattr(feeds, "read_feed"):
        pytest.skip("feed reader not available yet")
    member = world.households["A1"].members.get(relation="户主")
    bad = tmp_path / "医保-错误.csv"
    bad.write_text(
        "证件号码,年度,医疗总费用,基本医保报销,大病保险报销,医疗救助,个人自付\n"
        f"{member.id_number},2025,-5,0,0,0,0\n",
        encoding="utf-8",
    )
    c = login("department")
    form = c.get("/imports/").content.decode()
    assert "农户数据交换文件" not in form  # a department uploads only its own feed
    r = _upload(c, bad, kind="医保")
    job = ImportJob.objects.get(created_by="department")
    assert job.status == "invalid" and job.error_count >= 1, job.message
    assert "医疗总费用" in c.get(r.url).content.decode()
    good = tmp_path / "医保.csv"
    good.write_text(
        "证件号码,年度,医疗总费用,基本医保报销,大病保险报销,医疗救助,个人自付\n"
        f"{member.id_number},2025,50000,30000,5000,0,15000\n",
        encoding="utf-8",
    )
    r = _upload(c, good, kind="医保")
    job = ImportJob.objects.filter(created_by="department").order_by("-id").first()
    assert job.status == "ready", job.message
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    report = c.get("/imports/").content.decode()
    assert "部门数据匹配情况" in report and "医保" in report
