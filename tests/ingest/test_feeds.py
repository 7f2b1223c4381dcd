"""Department feeds: matched by ID number, unmatched rows reported, registry facts updated, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import Rows, pid
from zengshou.ingest import ImportRejected, load
from zengshou.ingest.feeds import FEED_KINDS, import_feed, read_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(folder: Path, rows: Rows) -> Rows:
    load(folder)
    return rows


def _feed(tmp_path: Path, name: str, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _id(rows: Rows, i: int) -> str:
    return rows["家庭成员"][i]["证件号码"]


def test_disability_certificate_sets_the_grade_and_is_audited(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import AuditEvent, DisabilityRecord, Member

    path = _feed(
        tmp_path,
        "残联",
        f"证件号码,残疾类别,残疾等级,发证日期\n{_id(loaded, 0)},肢体,二级,2025-03-01\n{pid(99)},视力,一级,2025-01-01\n",
    )
    summary = import_feed("残联", path, username="clerk")
    assert (summary.rows, summary.matched, summary.unmatched) == (2, 1, 1)
    assert summary.unmatched_rows[0].row == 3 and "*" in (summary.unmatched_rows[0].value or "")
    assert Member.objects.get(id_number=_id(loaded, 0)).disability_grade == "二级"
    assert DisabilityRecord.objects.filter(member__isnull=True).count() == 1
    event = AuditEvent.objects.get(action="feed.update")
    assert event.detail["source"] == "残联" and event.detail["new"] == "二级" and event.username == "clerk"
    assert summary.facts == {"member.disability_grade": 1}


def test_the_same_feed_file_twice_is_not_stored_twice(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import FeedBatch, MedicalRecord

    path = _feed(
        tmp_path,
        "医保",
        f"证件号码,年度,医疗总费用,基本医保报销,大病保险报销,医疗救助,个人自付\n{_id(loaded, 3)},2024,50000,30000,8000,2000,10000\n",
    )
    import_feed("医保", path)
    again = import_feed("医保", path)
    assert again.duplicate
    assert MedicalRecord.objects.count() == 1 and FeedBatch.objects.get().checksum


def test_civil_affairs_dibao_start_and_end_and_tekun(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import Household, Member

    h3_head, h3_child, h2_head = _id(loaded, 4), _id(loaded, 5), _id(loaded, 3)
    text = (
        "证件号码,救助类型,起始日期,终止日期\n"
        f"{h3_child},低保,2025-01-01,\n"
        f"{h3_head},低保,2023-01-01,\n"
        f"{_id(loaded, 0)},低保,2022-01-01,2024-06-30\n"
        f"{h2_head},特困,2024-01-01,\n"
    )
    summary = import_feed("民政", _feed(tmp_path, "民政", text, "gb18030"))
    assert summary.matched == 4
    assert Member.objects.get(id_number=h3_child).dibao is True
    assert Member.objects.get(id_number=_id(loaded, 0)).dibao is False
    assert Household.objects.get(household_id="H003").dibao_household is True
    assert Household.objects.get(household_id="H002").tekun is True


def test_education_dropout_and_housing_grades(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import Household, HousingRecord, Member

    import_feed(
        "教育", _feed(tmp_path, "教育", f"证件号码,学段,在校状态,毕业年份\n{_id(loaded, 2)},高中,辍学,\n")
    )
    assert Member.objects.get(id_number=_id(loaded, 2)).schooling == "辍学"
    text = f"户编号,证件号码,房屋安全等级,鉴定日期\nH001,,D,2025-04-01\n,{_id(loaded, 4)},c,2025-05-01\nH404,,A,2025-05-01\n"
    summary = import_feed("住建", _feed(tmp_path, "住建", text))
    assert (summary.matched, summary.unmatched) == (2, 1)
    assert not Household.objects.get(household_id="H001").housing_safe
    assert not Household.objects.get(household_id="H003").housing_safe
    assert HousingRecord.objects.get(household_ref="H404").household_id is None


def test_disaster_feed_matches_areas_and_the_monitor_sees_feeds(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.read import load_feeds

    text = "行政区划代码,灾种,发生日期,受灾户数,直接经济损失(万元)\n640522100201,冰雹,2025-07-02,40,120.5\n640599000000,洪涝,2025-07-03,1,1\n"
    summary = import_feed("应急", _feed(tmp_path, "应急", text))
    assert (summary.matched, summary.unmatched) == (1, 1)
    feeds = load_feeds()
    assert feeds["disaster"]["area_code"].to_list() == ["640522100201", "640599000000"]


def test_an_invalid_feed_writes_nothing(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import FeedBatch

    path = _feed(
        tmp_path,
        "残联",
        f"证件号码,残疾类别,残疾等级,发证日期\n{_id(loaded, 0)},肢体,五级,2025-03-01\n12345,,一级,\n",
    )
    assert {(e.row, e.column) for e in read_feed("残联", path).errors} == {(2, "残疾等级"), (3, "证件号码")}
    with pytest.raises(ImportRejected):
        import_feed("残联", path)
    assert FeedBatch.objects.count() == 0


def test_kinds_are_the_seven_of_the_spec() -> None:
    assert FEED_KINDS == ("医保", "残联", "民政", "人社", "教育", "住建", "应急")
    with pytest.raises(ValueError):
        read_feed("税务", Path("x.csv"))


def test_every_unmatched_row_goes_to_the_report_and_twenty_are_printed(tmp_path: Path, loaded: Rows) -> None:
    import fastexcel

    header = "证件号码,年度,医疗总费用,基本医保报销,大病保险报销,医疗救助,个人自付\n"
    lines = [f"{_id(loaded, 0)},2024,100,50,0,0,50"] + [
        f"{pid(100 + i)},2024,100,50,0,0,50" for i in range(25)
    ]
    report = tmp_path / "未匹配.xlsx"
    summary = import_feed("医保", _feed(tmp_path, "医保", header + "\n".join(lines) + "\n"), report=report)
    assert (summary.matched, summary.unmatched, len(summary.unmatched_rows)) == (1, 25, 25)
    listed = fastexcel.read_excel(report).load_sheet("未匹配", dtypes="string").to_polars()
    assert listed["行号"].cast(int).to_list() == list(range(3, 28))
    assert set(listed["列"]) == {"证件号码"} and all("*" in v for v in listed["值"])
    text = str(summary)
    assert text.count("未匹配 / unmatched:") == 20
    assert "另有 5 行未匹配" in text and str(report) in text


def test_an_ended_job_with_no_newer_one_sets_the_member_not_working(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import AuditEvent, Member

    ended, changed_jobs, still = _id(loaded, 0), _id(loaded, 1), _id(loaded, 4)
    text = (
        "证件号码,就业状态,单位,起始日期,终止日期\n"
        f"{ended},就业,银川某厂,2023-03-01,2024-11-30\n"
        f"{changed_jobs},就业,甲公司,2022-01-01,2024-06-30\n"
        f"{changed_jobs},就业,乙公司,2024-07-01,\n"
        f"{still},就业,丙公司,2024-01-01,2099-12-31\n"
    )
    summary = import_feed("人社", _feed(tmp_path, "人社", text), username="hr")
    assert Member.objects.get(id_number=ended).work == "未务工"
    assert Member.objects.get(id_number=changed_jobs).work == "省外务工"
    assert Member.objects.get(id_number=still).work == "省外务工"
    assert summary.facts == {"member.work": 1}
    event = AuditEvent.objects.get(action="feed.update", detail__field="work")
    assert event.detail["source"] == "人社" and event.detail["date"] == "2024-11-30"
    assert (event.detail["old"], event.detail["new"], event.username) == ("省外务工", "未务工", "hr")


def test_a_graduation_sets_the_members_graduation_year(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import AuditEvent, Member

    text = f"证件号码,学段,在校状态,毕业年份\n{_id(loaded, 2)},大专,毕业,2025\n{_id(loaded, 5)},小学,在读,\n"
    summary = import_feed("教育", _feed(tmp_path, "教育", text))
    assert Member.objects.get(id_number=_id(loaded, 2)).graduation_year == 2025
    assert Member.objects.get(id_number=_id(loaded, 5)).graduation_year is None
    assert summary.facts == {"member.graduation_year": 1}
    event = AuditEvent.objects.get(action="feed.update", detail__field="graduation_year")
    assert event.detail["source"] == "教育" and event.detail["new"] == 2025


def test_an_unreadable_feed_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = read_feed("残联", tmp_path / "残联.xlsx")
    assert [(e.table, e.value) for e in missing.errors] == [("残联.xlsx", str(tmp_path / "残联.xlsx"))]
    garbled = _feed(tmp_path, "残联", "证件号码,残疾等级\n")
    garbled.write_bytes(b"\x80\x81\x82\xff")
    assert "GB18030" in read_feed("残联", garbled).errors[0].message_zh
