"""列映射: a county's list whose headers differ from the national ones is mapped once, saved, and
read by that name as the national list is read by the national profile; bad mappings are refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.ingest.county_list import COUNTY_FIELDS, HEADER_ROW, county_list, national_list, people
from zengshou.ingest import mapping, national

NAME = "某县人员表"


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    return people()


def _mapped(path: Path) -> tuple[tuple[int, ...], dict[int, str | None], list[mapping.Column]]:
    """What the page offers for the county list (the national profile's guesses), with the two
    renamed columns set to their fields, as a clerk would set them."""
    sheet = mapping.read_sheet(path)
    start = national.profile()
    rows = mapping.header_rows(sheet, start)
    cols = mapping.columns(sheet, rows, start)
    chosen = {c.index: COUNTY_FIELDS.get(c.header, c.target) for c in cols}
    return rows, chosen, cols


def _save(path: Path, username: str = "clerk") -> None:
    rows, chosen, cols = _mapped(path)
    start = national.profile()
    data = mapping.content(NAME, rows, chosen, cols, start)
    mapping.save(NAME, "640522", data, "national", username)


def test_the_county_list_cannot_be_read_with_the_national_profile(areas_db, rows, tmp_path):
    result, nat = national.read(county_list(rows, tmp_path / "县表.xlsx"))
    assert nat is not None and nat.header.rows == (HEADER_ROW - 1,)
    missing = next(e for e in result.errors if e.column == "户编号、证件号码")
    assert missing.message_zh.startswith("缺少必填列") and "列映射" in missing.message_zh
    assert {"公民身份号码", "户码"} <= set(nat.header.ignored)


def test_the_page_offers_the_detected_header_row_and_the_national_fields(areas_db, rows, tmp_path):
    header, _, cols = _mapped(county_list(rows, tmp_path / "县表.xlsx"))
    assert header == (HEADER_ROW - 1,)
    by_header = {c.header: c for c in cols}
    assert by_header["姓名"].target == "members.name"
    assert by_header["公民身份号码"].target is None and by_header["户码"].target is None
    assert len(by_header["姓名"].samples) == mapping.SAMPLES
    assert by_header["户码"].samples == rows["household_id"].head(mapping.SAMPLES).to_list()


def test_a_saved_mapping_reads_the_county_list_as_the_national_profile_reads_the_national_one(
    areas_db, rows, tmp_path
):
    county = county_list(rows, tmp_path / "县表.xlsx")
    _save(county)
    prof = national.profile(NAME)
    assert prof.header_rows == (HEADER_ROW - 1,)
    assert prof.codes == national.profile().codes  # the code tables come with the start profile
    mine, nat = national.read(county, NAME)
    assert mine.errors == [] and nat is not None
    assert ("公民身份号码", "家庭成员·证件号码") in nat.mapping()
    assert ("户码", "家庭·户编号") in nat.mapping()
    assert f"使用映射“{NAME}”" in nat.note() and "映射指定" in nat.note()
    theirs, _ = national.read(national_list(rows, tmp_path / "全国表.xlsx"))
    assert set(mine.frames) == set(theirs.frames)
    for table, frame in theirs.frames.items():
        assert mine.frames[table].equals(frame), table


def test_the_header_row_of_a_saved_mapping_wins_over_detection(areas_db, rows, tmp_path):
    county = county_list(rows, tmp_path / "县表.xlsx")
    sheet = mapping.read_sheet(county)
    start = national.profile()
    cols = mapping.columns(sheet, (0,), start)  # the title row taken as the header
    data = mapping.content("标题当表头", (0,), {cols[0].index: "members.name"}, cols, start)
    mapping.save("标题当表头", None, data, "national", "clerk")
    assert national.find_header(sheet.grid, national.profile("标题当表头")).rows == (0,)  # type: ignore[union-attr]
    assert national.find_header(sheet.grid, start).rows == (HEADER_ROW - 1,)  # type: ignore[union-attr]


def test_a_mapping_without_the_required_fields_or_with_a_field_twice_is_refused(areas_db, rows, tmp_path):
    _, chosen, cols = _mapped(county_list(rows, tmp_path / "县表.xlsx"))
    labels = national.field_labels(national.profile())
    assert mapping.check(NAME, chosen, cols, labels) == []
    name_col = next(c.index for c in cols if c.header == "姓名")
    id_col = next(c.index for c in cols if c.header == "公民身份号码")
    without = {**chosen, name_col: None, id_col: None}
    (error,) = mapping.check(NAME, without, cols, labels)
    assert "“家庭成员·姓名”" in error and "“家庭成员·证件号码”" in error and "必填" in error
    phone_col = next(c.index for c in cols if c.header == "联系电话")
    (error,) = mapping.check(NAME, {**chosen, phone_col: "members.name"}, cols, labels)
    assert error.startswith("“家庭成员·姓名”选了 2 列") and "“联系电话”" in error
    assert mapping.check("", chosen, cols, labels) == ["请填写映射名称（导入时按名称选择）"]
    assert "内置" in mapping.check("national", chosen, cols, labels)[0]


def test_saving_and_changing_a_mapping_are_audited(areas_db, rows, tmp_path):
    from zengshou.registry.models import AuditEvent

    county = county_list(rows, tmp_path / "县表.xlsx")
    _save(county, "clerk")
    rows_, chosen, cols = _mapped(county)
    phone = next(c.index for c in cols if c.header == "联系电话")
    data = mapping.content(NAME, rows_, {**chosen, phone: None}, cols, national.profile())
    mapping.save(NAME, "640522", data, NAME, "clerk2")
    saved, changed = AuditEvent.objects.filter(object_type="mapping_profile").order_by("pk")
    assert (saved.action, saved.username, saved.object_id) == ("mapping.save", "clerk", NAME)
    assert saved.detail["columns"]["members.id_number"] == "公民身份号码"
    assert saved.detail["header"] == [HEADER_ROW] and saved.detail["county"] == "640522"
    assert (changed.action, changed.username) == ("mapping.change", "clerk2")
    assert changed.detail["changed"] == ["households.phone"]
    assert "households.phone" not in national.profile(NAME).columns


def test_the_command_imports_the_county_list_with_the_saved_mapping(areas_db, rows, tmp_path):
    from zengshou.cli import app
    from zengshou.registry.models import Member

    county = county_list(rows, tmp_path / "县表.xlsx")
    _save(county)
    out = CliRunner().invoke(app, ["import", str(county), "--profile", NAME, "--no-progress"])
    assert out.exit_code == 0, out.output
    assert f"使用映射“{NAME}”" in out.output and "公民身份号码 → 家庭成员·证件号码" in out.output
    assert Member.objects.count() == rows.height


def test_an_unknown_mapping_name_is_refused_naming_the_ones_there_are(areas_db, rows, tmp_path):
    from zengshou.cli import app

    out = CliRunner().invoke(
        app, ["import", str(county_list(rows, tmp_path / "县表.xlsx")), "--profile", "没有这个"]
    )
    assert out.exit_code == 2
    assert "没有名为“没有这个”的列映射" in out.output and "national" in out.output
