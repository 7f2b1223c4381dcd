"""The upload's confirm step shows the 务工状况 changes a 人社 feed implies before anything is written."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from zengshou.registry.models import Member
from zengshou.web.models import ImportJob


def test_the_confirm_page_counts_and_lists_the_work_changes_before_writing(world, login, tmp_path):
    member = world.households["A1"].members.get(relation="户主")
    Member.objects.filter(pk=member.pk).update(work="省外务工")
    feed = tmp_path / "人社.csv"
    feed.write_text(
        f"证件号码,就业状态,单位,起始日期,终止日期\n{member.id_number},就业,甲公司,2022-01-01,2024-11-30\n",
        encoding="utf-8",
    )
    c = login("county")
    with feed.open("rb") as f:
        r = c.post("/imports/", {"kind": "人社", "file": SimpleUploadedFile(feed.name, f.read())})
    job = ImportJob.objects.get(created_by="county")
    assert job.status == "ready", job.message
    html = c.get(r.url).content.decode()
    assert "<dt>将更新务工状况（人）</dt><dd>1</dd>" in html
    assert "务工状况将由“省外务工”改为“未务工”" in html
    member.refresh_from_db()
    assert member.work == "省外务工"
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    member.refresh_from_db()
    assert job.status == "done" and member.work == "未务工"
