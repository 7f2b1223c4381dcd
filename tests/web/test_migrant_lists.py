"""The upload of a 已外出务工 list shows its changes before writing; the household page shows the lists."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def _upload(c: Any, path: Path, kind: str) -> Any:
    from zengshou.web.models import ImportJob

    with path.open("rb") as f:
        r = c.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(path.name, f.read())})
    job = ImportJob.objects.filter(kind=kind).latest("pk")
    assert job.status == "ready", job.message
    return r, job


def test_the_confirm_page_lists_a_lists_changes_before_writing(
    world: Any, login: Any, tmp_path: Path
) -> None:
    from zengshou.registry.models import Member

    member = world.households["A1"].members.get(relation="户主")
    Member.objects.filter(pk=member.pk).update(work="未务工")
    path = tmp_path / "2025年3月已外出务工.csv"
    path.write_text(f"身份证号码,务工地域,务工地点\n{member.id_number},省外,江苏省苏州市\n", encoding="utf-8")
    c = login("county")
    r, job = _upload(c, path, "已外出务工")
    html = unescape(c.get(r.url).content.decode())
    assert "<dt>名单月份</dt><dd>2025年03月（文件名）</dd>" in html
    assert "<dt>将更新务工信息（项）</dt><dd>2</dd>" in html
    assert "务工状况将由“未务工”改为“省外务工”" in html
    member.refresh_from_db()
    assert member.work == "未务工"
    c.post(f"/imports/{job.pk}/confirm/")
    member.refresh_from_db()
    assert (member.work, member.work_place) == ("省外务工", "江苏省苏州市")


def test_the_household_page_shows_a_planned_departure_as_an_employment_lead(
    world: Any, login: Any, tmp_path: Path
) -> None:
    from zengshou.ingest.feeds import import_feed

    h = world.households["A1"]
    member = h.members.get(relation="户主")
    path = tmp_path / "计划外出务工.csv"
    path.write_text(
        f"证件号码,月份,计划外出时间,意向就业渠道,意向工种,服务需求\n{member.id_number},202504,2025-05-10,"
        "有组织劳务输出,焊工,技能培训\n",
        encoding="utf-8",
    )
    import_feed("计划外出务工", path)
    html = unescape(login("county").get(f"/households/{h.household_id}/").content.decode())
    section = html[html.index('id="migrant-work"') :]
    section = section[: section.index("</section>")]
    assert "2025年4月" in section and "计划外出务工" in section and "就业服务线索 T03" in section
    assert "焊工（需求：技能培训）" in section and "计划 2025年5月10日" in section
    assert member.id_number not in section  # masked unless the full view is asked for


def test_a_household_on_no_list_says_so(world: Any, login: Any) -> None:
    h = world.households["A2"]
    html = login("county").get(f"/households/{h.household_id}/").content.decode()
    assert "该户成员不在已导入的已外出务工、计划外出务工名单中" in html
