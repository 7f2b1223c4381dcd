"""A folder or workbook import stores the department feed files in it, as ``feed import`` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import Rows, pid, valid_rows, write_folder, write_workbook
from zengshou.ingest import ImportRejected, load
from zengshou.ingest.feeds import import_feed

pytestmark = pytest.mark.django_db


def _with_feeds(rows: Rows) -> Rows:
    first, second = rows["家庭成员"][0]["证件号码"], rows["家庭成员"][1]["证件号码"]
    return {
        **rows,
        "残联": [{"证件号码": second, "残疾类别": "肢体", "残疾等级": "二级", "发证日期": "2025-03-01"}],
        "人社": [
            {
                "证件号码": first,
                "就业状态": "失业",
                "单位": "甲公司",
                "起始日期": "2022-01-01",
                "终止日期": "2024-11-30",
            }
        ],
        "应急": [
            {
                "行政区划代码": "640522100201",
                "灾种": "冰雹",
                "发生日期": "2025-07-02",
                "受灾户数": "12",
                "直接经济损失(万元)": "30.5",
            },
            {
                "行政区划代码": "640522999999",
                "灾种": "干旱",
                "发生日期": "2025-06-01",
                "受灾户数": "3",
                "直接经济损失(万元)": "1",
            },
        ],
    }


def test_a_folder_import_stores_every_feed_file_and_reports_each(tmp_path: Path) -> None:
    from zengshou.registry.models import DisabilityRecord, DisasterRecord, EmploymentRecord, FeedBatch, Member

    rows = _with_feeds(valid_rows())
    summary = load(write_folder(tmp_path / "县", rows))
    assert sorted(f.kind for f in summary.feeds) == ["人社", "应急", "残联"]
    assert DisabilityRecord.objects.count() == 1 and EmploymentRecord.objects.count() == 1
    assert DisasterRecord.objects.count() == 2
    assert sorted(FeedBatch.objects.values_list("source_name", flat=True)) == [
        "人社.csv",
        "应急.csv",
        "残联.csv",
    ]
    assert Member.objects.get(id_number=rows["家庭成员"][1]["证件号码"]).disability_grade == "二级"
    text = str(summary)
    assert "部门数据 残联（残联.csv）：读取 1 行，匹配 1，未匹配 0" in text
    assert "部门数据 应急（应急.csv）：读取 2 行，匹配 1，未匹配 1" in text


def test_a_feed_file_imported_with_the_folder_is_not_stored_again_by_feed_import(tmp_path: Path) -> None:
    from zengshou.registry.models import DisabilityRecord

    folder = write_folder(tmp_path / "县", _with_feeds(valid_rows()))
    load(folder)
    again = import_feed("残联", folder / "残联.csv")
    assert again.duplicate and DisabilityRecord.objects.count() == 1
    assert all(f.duplicate for f in load(folder).feeds)


def test_a_bad_feed_file_refuses_the_whole_folder_naming_the_file(tmp_path: Path) -> None:
    from zengshou.registry.models import FeedBatch, Household

    rows = _with_feeds(valid_rows())
    rows["残联"][0]["残疾等级"] = "五级"
    with pytest.raises(ImportRejected) as e:
        load(write_folder(tmp_path / "县", rows))
    assert [(p.table, p.row, p.column) for p in e.value.errors] == [("残联", 2, "残疾等级")]
    assert Household.objects.count() == 0 and FeedBatch.objects.count() == 0


def test_the_member_sheet_of_the_same_import_wins_over_a_renshe_job_end(tmp_path: Path) -> None:
    from zengshou.registry.models import Member

    rows = _with_feeds(valid_rows())
    summary = load(write_folder(tmp_path / "县", rows))
    assert Member.objects.get(id_number=rows["家庭成员"][0]["证件号码"]).work == "省外务工"
    employment = next(f for f in summary.feeds if f.kind == "人社")
    assert employment.work_kept == 1 and employment.status_changes == []
    assert "1 人的务工状况以同时导入的家庭成员表为准" in str(summary)


def test_a_workbooks_feed_sheets_are_stored_with_it(tmp_path: Path) -> None:
    from zengshou.registry.models import DisabilityRecord, FeedBatch

    rows = _with_feeds(valid_rows())
    summary = load(write_workbook(tmp_path / "县.xlsx", rows))
    assert {f.kind for f in summary.feeds} == {"残联", "人社", "应急"}
    assert DisabilityRecord.objects.filter(member__isnull=False).count() == 1
    assert FeedBatch.objects.get(kind="残联").source_name == "县.xlsx（残联）"
    assert import_feed("残联", tmp_path / "县.xlsx").duplicate


def test_unmatched_feed_rows_in_a_folder_are_listed(tmp_path: Path) -> None:
    rows = valid_rows()
    rows["残联"] = [{"证件号码": pid(99), "残疾类别": "视力", "残疾等级": "一级", "发证日期": "2025-01-01"}]
    (feed,) = load(write_folder(tmp_path / "县", rows)).feeds
    assert (feed.matched, feed.unmatched) == (0, 1) and feed.unmatched_rows[0].row == 2


def test_the_tables_win_over_a_feed_of_the_same_folder_so_a_second_import_changes_nothing(
    tmp_path: Path,
) -> None:
    from zengshou.registry.models import Member

    rows = _with_feeds(valid_rows())
    rows["家庭成员"][1]["残疾等级"] = "三级"  # the 残联 file says 二级
    folder = write_folder(tmp_path / "县", rows)
    first = load(folder)
    disability = next(f for f in first.feeds if f.kind == "残联")
    assert disability.facts_kept == {"member.disability_grade": 1} and disability.facts == {}
    assert Member.objects.get(id_number=rows["家庭成员"][1]["证件号码"]).disability_grade == "三级"
    assert load(folder).changed == 0
