"""列映射 in the web: a county whose list differs from the national one maps it once on the page
(header row, each column's field beside its first values, a name), and the import then reads the
list with it, on the web and on the command line alike; bad mappings are refused in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from tests.ingest.county_list import COUNTY_FIELDS, HEADER_ROW, county_list, people
from zengshou.layouts.models import MappingProfile
from zengshou.registry.models import AuditEvent, Member
from zengshou.web.models import ImportJob

NAME = "海原县人员表"


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    return people(households=12)


@pytest.fixture
def county_file(rows: pl.DataFrame, tmp_path: Path) -> Path:
    return county_list(rows, tmp_path / "海原县名单.xlsx")


def _file(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def _open_mapping(c: Any, path: Path) -> Any:
    """Upload the list on the 列映射 page; the answer is the page with its first rows."""
    r = c.post("/imports/mapping/", {"file": _file(path)})
    assert r.status_code == 302 and "?f=" in r.url, r.content.decode()[:500]
    return c.get(r.url), r.url.split("?f=", 1)[1]


def _form(page: Any, token: str, **changes: Any) -> dict[str, str]:
    """The mapping form as the page fills it, with the two renamed columns set to their fields."""
    data = {"f": token, "rows": page.context["rows"], "start": page.context["start"], "county": "640522"}
    for c in page.context["columns"]:
        data[f"col_{c['col'].index}"] = COUNTY_FIELDS.get(c["col"].header, c["selected"])
    data["name"] = NAME
    data.update(changes)
    return data


def _column(page: Any, header: str) -> str:
    return next(f"col_{c['col'].index}" for c in page.context["columns"] if c["col"].header == header)


def _upload(c: Any, path: Path, profile: str = "") -> ImportJob:
    r = c.post("/imports/", {"kind": "interchange", "profile": profile, "file": _file(path)})
    assert r.status_code == 302, r.content.decode()[:2000]
    return ImportJob.objects.filter(created_by="county").latest("pk")


def test_the_county_list_is_refused_with_the_national_mapping_and_names_the_page(world, login, county_file):
    c = login("county")
    job = _upload(c, county_file)
    assert job.status == "invalid"
    missing = [e for e in job.errors if e["column"] == "户编号、证件号码"]
    assert missing and "列映射" in missing[0]["message_zh"]
    assert job.summary["列映射"]["表头"] == f"第 {HEADER_ROW} 行（自动识别）"
    assert "公民身份号码" in job.summary["列映射"]["未导入的列"]
    assert 'href="/imports/mapping/"' in c.get("/imports/").content.decode()


def test_the_page_shows_the_first_rows_and_offers_the_detected_header_row(world, login, county_file, rows):
    c = login("county")
    page, _ = _open_mapping(c, county_file)
    assert page.status_code == 200
    assert page.context["rows"] == str(HEADER_ROW)
    grid = page.context["grid"]
    assert [r["number"] for r in grid if r["header"]] == [HEADER_ROW]
    assert "公民身份号码" in grid[HEADER_ROW - 1]["cells"]
    columns = {c["col"].header: c for c in page.context["columns"]}
    assert columns["姓名"]["selected"] == "members.name"
    assert columns["户码"]["selected"] == "" and columns["公民身份号码"]["selected"] == ""
    assert columns["户码"]["col"].samples == rows["household_id"].head(5).to_list()
    html = page.content.decode()
    assert "家庭成员·证件号码" in html and "不导入" in html
    two = c.get(
        page.request["PATH_INFO"], {"f": page.context["token"], "rows": f"{HEADER_ROW - 1}-{HEADER_ROW}"}
    )
    assert [r["number"] for r in two.context["grid"] if r["header"]] == [HEADER_ROW - 1, HEADER_ROW]


def test_the_page_refuses_a_mapping_without_the_required_fields_a_field_twice_or_no_name(
    world, login, county_file
):
    c = login("county")
    page, token = _open_mapping(c, county_file)
    id_column = _column(page, "公民身份号码")
    r = c.post("/imports/mapping/", _form(page, token, **{id_column: ""}))
    assert r.status_code == 400
    assert "没有列对应到“家庭成员·证件号码”" in r.content.decode()
    r = c.post("/imports/mapping/", _form(page, token, **{_column(page, "联系电话"): "members.name"}))
    assert r.status_code == 400 and "“家庭成员·姓名”选了 2 列" in r.content.decode()
    r = c.post("/imports/mapping/", _form(page, token, name="  "))
    assert r.status_code == 400 and "请填写映射名称" in r.content.decode()
    assert r.context["columns"][0]["selected"] == page.context["columns"][0]["selected"]  # choices kept
    assert not MappingProfile.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="mapping.").exists()


def test_a_mapped_list_imports_on_the_web_and_on_the_command_line_with_the_same_result(
    world, login, county_file, rows
):
    from zengshou.cli import app

    c = login("county")
    page, token = _open_mapping(c, county_file)
    r = c.post("/imports/mapping/", _form(page, token))
    assert r.status_code == 302, r.content.decode()[:3000]
    assert f"已保存列映射“{NAME}”" in c.get(r.url).content.decode()
    saved = MappingProfile.objects.get(name=NAME)
    assert (saved.county_id, saved.saved_by, saved.content["header"]) == ("640522", "county", [HEADER_ROW])
    event = AuditEvent.objects.get(action="mapping.save")
    assert (event.username, event.object_id) == ("county", NAME)
    assert event.detail["columns"]["members.id_number"] == "公民身份号码"

    assert f'value="{NAME}"' in c.get("/imports/").content.decode()
    job = _upload(c, county_file, NAME)
    assert job.status == "ready", (job.message, job.errors[:3])
    used = job.summary["列映射"]
    assert used["使用的映射"].startswith(NAME) and used["表头"] == f"第 {HEADER_ROW} 行（映射指定）"
    assert ["公民身份号码", "家庭成员·证件号码"] in used["mapping"] and ["户码", "家庭·户编号"] in used[
        "mapping"
    ]
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert "公民身份号码" in html and "家庭成员·证件号码" in html and "未导入的列" in html
    before = Member.objects.count()
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert Member.objects.count() == before + rows.height
    assert job.summary["导入结果"]["列映射"].startswith(f"使用映射“{NAME}”")

    out = CliRunner().invoke(app, ["import", str(county_file), "--profile", NAME, "--no-progress"])
    assert out.exit_code == 0, out.output
    assert "公民身份号码 → 家庭成员·证件号码" in out.output
    counts = AuditEvent.objects.filter(action="import").latest("pk").detail["counts"]
    assert counts["members"] == {"read": rows.height, "inserted": 0, "updated": 0, "unchanged": rows.height}
    assert Member.objects.count() == before + rows.height


def test_a_mapping_changed_after_the_check_is_not_written_with_the_old_check(world, login, county_file):
    c = login("county")
    page, token = _open_mapping(c, county_file)
    c.post("/imports/mapping/", _form(page, token))
    job = _upload(c, county_file, NAME)
    assert job.status == "ready"
    page, token = _open_mapping(c, county_file)
    r = c.post("/imports/mapping/", _form(page, token, replace="1", **{_column(page, "联系电话"): ""}))
    assert r.status_code == 302
    assert AuditEvent.objects.get(action="mapping.change").detail["changed"] == ["households.phone"]
    before = Member.objects.count()
    c.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == "invalid" and "列映射在校验之后被修改过" in job.message
    assert Member.objects.count() == before


def test_a_saved_name_is_changed_only_when_asked_and_only_within_the_scope(world, login, county_file):
    c = login("county")
    page, token = _open_mapping(c, county_file)
    c.post("/imports/mapping/", _form(page, token))
    page, token = _open_mapping(c, county_file)
    r = c.post("/imports/mapping/", _form(page, token))
    assert r.status_code == 400 and "请勾选“修改同名映射”" in r.content.decode()
    other = login("countyb")
    assert f'value="{NAME}"' not in other.get("/imports/").content.decode()
    page, token = _open_mapping(other, county_file)
    r = other.post("/imports/mapping/", _form(page, token, county="640402", replace="1"))
    assert r.status_code == 400 and "已被其他县区或全区的列映射使用" in r.content.decode()
    r = other.post("/imports/mapping/", _form(page, token, name="原州区人员表"))  # county A's code
    assert r.status_code == 400 and "所选县区不在您的管辖范围内" in r.content.decode()
    assert MappingProfile.objects.get(name=NAME).saved_by == "county"


def test_a_village_user_cannot_open_the_mapping_page(world, login):
    c = login("village")
    assert c.get("/imports/mapping/").status_code == 403
    assert c.post("/imports/mapping/", {"name": NAME}).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", username="village").exists()
    assert not MappingProfile.objects.exists()
