"""Downloads leave nothing behind: exports, templates and reports are gone from the temporary folder
once the answer is made, even when the export fails, and the file the user gets is complete."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from zengshou import interchange as ix


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)  # the test client closes the file at the end


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the app writes into, empty at the start, for the test to look into."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _left(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_an_unmasked_export_leaves_no_file_in_the_temporary_folder(world, login, private_tmp: Path) -> None:
    c = login("county")
    r = c.post("/exports/", {"area": "640522", "fmt": "xlsx", "with_personal_data": "on"})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert _left(private_tmp) == []  # gone before the first byte is sent
    members = openpyxl.load_workbook(io.BytesIO(_body(r)))["家庭成员"]
    ids = [row[ix.MEMBERS.headers.index("证件号码")].value for row in members.iter_rows(min_row=2)]
    assert ids and all(len(v) == 18 and "*" not in v for v in ids)  # the whole file, unmasked
    r = c.post("/exports/", {"area": "640522", "fmt": "csv", "with_personal_data": "on"})
    assert _left(private_tmp) == []
    names = zipfile.ZipFile(io.BytesIO(_body(r))).namelist()
    assert {f"{t.name}.csv" for t in ix.TABLES} <= set(names)
    assert _left(private_tmp) == []


def test_templates_and_reports_leave_no_file_in_the_temporary_folder(world, login, private_tmp: Path) -> None:
    c = login("county")
    for url in (
        "/imports/template/",
        "/imports/template/?fmt=csv",
        "/assess/report/?year=2025&quarter=4&format=docx",
    ):
        r = c.get(url)
        assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment"), url
        assert len(_body(r)) > 1000, url
        assert _left(private_tmp) == [], url


def test_an_export_that_fails_half_way_leaves_no_file_and_says_why_in_chinese(
    world, login, private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zengshou import ingest
    from zengshou.ingest.export import ExportError

    def half_written(out: Path, *args: object, **kwargs: object) -> None:
        out.write_bytes(b"part of a workbook with personal data")
        raise ExportError("工作表“家庭成员”超过 Excel 行数上限，请导出为 CSV 文件夹")

    monkeypatch.setattr(ingest, "export", half_written)
    r = login("county").post("/exports/", {"area": "640522", "fmt": "xlsx", "with_personal_data": "on"})
    assert r.status_code == 400 and "请导出为 CSV 文件夹" in r.content.decode()
    assert _left(private_tmp) == []
