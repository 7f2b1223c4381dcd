"""导入导出 page: the blank template to download, the masked export refused in one message, typed exports."""

from __future__ import annotations

import io
import zipfile

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from zengshou import interchange as ix
from zengshou.web.models import ImportJob


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_the_import_page_offers_the_blank_template_as_workbook_and_csv(world, login):
    c = login("county")
    page = c.get("/imports/").content.decode()
    assert "/imports/template/" in page and "下载空白模板" in page
    r = c.get("/imports/template/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = openpyxl.load_workbook(io.BytesIO(_body(r)))
    assert [wb[t.name].cell(1, 1).value for t in ix.TABLES] == [t.headers[0] for t in ix.TABLES]
    assert wb["家庭"].max_row == 1
    r = c.get("/imports/template/?fmt=csv")
    names = zipfile.ZipFile(io.BytesIO(_body(r))).namelist()
    assert {f"{t.name}.csv" for t in ix.TABLES} <= set(names)


def test_a_masked_export_uploaded_again_is_refused_with_one_message(world, login):
    c = login("county")
    r = c.post("/exports/", {"area": "640522", "fmt": "xlsx"})
    assert r.status_code == 200
    upload = SimpleUploadedFile("导出.xlsx", _body(r))
    c.post("/imports/", {"kind": "interchange", "file": upload})
    job = ImportJob.objects.get(created_by="county")
    assert job.status == "invalid" and job.error_count == 1, job.message
    html = c.get(f"/imports/{job.pk}/").content.decode()
    assert "该文件是脱敏导出" in html and "空白模板" in html


def test_the_web_export_writes_amounts_as_numbers_and_ids_as_text(world, login):
    c = login("county")
    r = c.post("/exports/", {"area": "640522", "fmt": "xlsx", "with_personal_data": "on"})
    wb = openpyxl.load_workbook(io.BytesIO(_body(r)))
    income = wb["收入"]
    headers = [cell.value for cell in income[1]]
    wage = [row[headers.index("工资性收入")] for row in income.iter_rows(min_row=2)]
    assert wage and all(cell.data_type == "n" for cell in wage if cell.value is not None)
    members = wb["家庭成员"]
    ids = [row[ix.MEMBERS.headers.index("证件号码")] for row in members.iter_rows(min_row=2)]
    assert ids and all(cell.data_type == "s" and len(cell.value) == 18 for cell in ids)
