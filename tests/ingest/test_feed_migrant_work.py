"""The national system's monthly migrant-work lists (已外出务工, 计划外出务工) imported as feeds.

A member on a month's 已外出务工 list holds a job with the place, channel, wage and months the row
gives; nothing else changes. The refused cells are the case table ``migrant_work.yaml``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ingest.conftest import Rows, pid, valid_rows, write_folder, write_workbook
from zengshou.ingest import ImportRejected, load
from zengshou.ingest.feeds import import_feed, preview_feed, read_feed

pytestmark = pytest.mark.django_db

CASES: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "migrant_work.yaml").read_text("utf-8"))
OUT, PLANNED = "已外出务工", "计划外出务工"
#: A month in the past, whatever today is.
MONTH = "202503"


@pytest.fixture
def loaded(folder: Path, rows: Rows) -> Rows:
    load(folder)
    return rows


def _id(rows: Rows, i: int) -> str:
    return rows["家庭成员"][i]["证件号码"]


def _list(path: Path, cells: list[list[Any]], title: str | None = None, sheet: str = OUT) -> Path:
    """A list as the national system exports it: a merged title row, the header, one row per person."""
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"strings_to_numbers": False}) as wb:
        ws = wb.add_worksheet(sheet)
        top = 0
        if title:
            ws.merge_range(0, 0, 0, max(len(cells[0]) - 1, 1), title)
            ws.write_row(1, 0, ["填报单位：海原县乡村振兴局"])
            top = 2
        for r, row in enumerate(cells, start=top):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    return path


OUT_HEADER = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "外出时间",
    "务工地域",
    "务工地点",
    "外出就业渠道",
    "务工单位",
    "月收入(元)",
    "务工月数",
]


def _member(i: int) -> Any:
    from zengshou.registry.models import Member

    return Member.objects.get(id_number=_id(valid_rows(), i))


def test_a_months_list_changes_the_listed_members_and_nothing_else(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import AuditEvent, FeedBatch, Member, MigrantWorkRecord

    Member.objects.filter(id_number=_id(loaded, 1)).update(work="未务工", work_months=None)
    before = {m.id_number: m for m in Member.objects.all()}
    path = _list(
        tmp_path / "已外出务工.xlsx",
        [
            OUT_HEADER,
            [
                1,
                "马户主1",
                "男",
                _id(loaded, 0),
                "2025-02",
                "省外",
                "江苏省苏州市",
                "有组织劳务输出",
                "甲电子厂",
                5200,
                10,
            ],
            [2, "马配偶2", "女", _id(loaded, 1), "2025-03", "县内", "海原县城", "", "", "", ""],
            [3, "外县人", "男", pid(77), "2025-01", "省外", "", "", "", 4000, ""],
        ],
        title="2025年3月已外出务工信息",
    )
    summary = import_feed(OUT, path, username="clerk")
    assert (summary.rows, summary.matched, summary.unmatched, summary.month) == (3, 2, 1, dt.date(2025, 3, 1))
    head, spouse = Member.objects.get(id_number=_id(loaded, 0)), Member.objects.get(id_number=_id(loaded, 1))
    assert (
        head.work,
        head.work_place,
        head.job_channel,
        float(head.monthly_wage or 0),
        head.work_months,
    ) == (
        "省外务工",
        "江苏省苏州市",
        "有组织劳务输出",
        5200.0,
        10,
    )
    # only what the row gives: the spouse's empty channel, wage and months blank nothing
    assert (spouse.work, spouse.work_place, spouse.job_channel, spouse.monthly_wage, spouse.work_months) == (
        "县内乡镇外务工",
        "海原县城",
        before[spouse.id_number].job_channel,
        before[spouse.id_number].monthly_wage,
        None,
    )
    for m in Member.objects.exclude(id_number__in=[head.id_number, spouse.id_number]):
        b = before[m.id_number]
        assert (m.work, m.work_place, m.job_channel, m.monthly_wage, m.work_months) == (
            b.work,
            b.work_place,
            b.job_channel,
            b.monthly_wage,
            b.work_months,
        )
    assert summary.facts == {
        "member.work_place": 2,
        "member.job_channel": 1,
        "member.monthly_wage": 1,
        "member.work": 1,
    }
    assert {(c.id_number[:6], c.column) for c in summary.fact_changes} >= {(head.id_number[:6], "务工所在地")}
    events = AuditEvent.objects.filter(action="feed.update")
    assert events.count() == 5 and {e.detail["source"] for e in events} == {OUT}
    assert {e.detail["date"] for e in events} == {"2025-03-01"}
    batch = FeedBatch.objects.get(kind=OUT)
    assert (batch.rows, batch.matched, batch.unmatched) == (3, 2, 1)
    assert MigrantWorkRecord.objects.filter(batch=batch).count() == 3
    assert MigrantWorkRecord.objects.get(member__isnull=True).month == dt.date(2025, 3, 1)


def test_a_title_row_workbook_with_aliased_headers_reads(tmp_path: Path, loaded: Rows) -> None:
    path = _list(
        tmp_path / "名单.xlsx",
        [
            [
                "序号",
                "姓名",
                "公民身份号码",
                "本次外出时间",
                "务工所在地",
                "务工渠道",
                "务工企业",
                "月均工资",
                "务工时长(月)",
            ],
            [1, "马户主1", _id(loaded, 0), "2025年2月", "省内县外", "劳务中介", "乙公司", "4,800", 6],
            [2, "马配偶2", _id(loaded, 1), "20250215", "乡镇外县内务工", "公益性岗位", "", 2000.5, ""],
        ],
        title="海原县2025年3月脱贫劳动力已外出务工信息表",
    )
    fr = read_feed(OUT, path)
    assert fr.errors == [] and fr.month == dt.date(2025, 3, 1) and fr.month_from == "标题行"
    rows = fr.frame.sort("_row").to_dicts()
    assert [r["_row"] for r in rows] == [4, 5]
    assert [r["work"] for r in rows] == ["省内县外务工", "县内乡镇外务工"]
    assert [r["work_place"] for r in rows] == [None, None]  # a 务工所在地 of region words is no place
    assert [r["job_channel"] for r in rows] == ["劳务中介或经纪人介绍", "公益岗位"]
    assert [r["monthly_wage"] for r in rows] == [4800.0, 2000.5]
    assert [r["went_out_on"] for r in rows] == [dt.date(2025, 2, 1), dt.date(2025, 2, 15)]
    assert [r["employer"] for r in rows] == ["乙公司", None]
    ignored = [w for w in fr.warnings if "未导入的列" in w.message_zh]
    assert ignored and "序号" in ignored[0].message_zh and "姓名" in ignored[0].message_zh


def test_an_unknown_id_number_is_listed_with_its_row(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import MigrantWorkRecord

    stranger = pid(88)
    path = tmp_path / "已外出务工-202503.csv"
    path.write_text(
        f"证件号码,务工区域,务工月收入\n{_id(loaded, 0)},省外,5000\n{stranger},省外,4200\n", encoding="utf-8"
    )
    summary = import_feed(OUT, path)
    assert summary.month == dt.date(2025, 3, 1)
    [unmatched] = summary.unmatched_rows
    assert (unmatched.row, unmatched.column) == (3, "证件号码")
    assert unmatched.value and "*" in unmatched.value and unmatched.value != stranger
    assert "第3行" in str(summary) and "未匹配" in str(summary)
    assert MigrantWorkRecord.objects.filter(id_number=stranger, member__isnull=True).count() == 1


@pytest.mark.parametrize("case", CASES["refused"], ids=[c["name"] for c in CASES["refused"]])
def test_a_bad_cell_is_refused_with_its_row_and_column_and_nothing_written(
    tmp_path: Path, loaded: Rows, case: dict[str, Any]
) -> None:
    from zengshou.registry.models import AuditEvent, FeedBatch, Member, MigrantWorkRecord

    header = case.get("header", ["证件号码", "月份", "务工区域", "务工月收入"])
    ids = {"ID": _id(loaded, 0), "ID#": int(_id(loaded, 0))}
    cells = [header, *[[ids.get(c, c) if isinstance(c, str) else c for c in row] for row in case["rows"]]]
    path = _list(
        tmp_path / f"{case['name']}.xlsx", cells, title=case.get("title"), sheet=case.get("kind", OUT)
    )
    before = list(Member.objects.order_by("id").values_list("work", "monthly_wage", "work_place"))
    with pytest.raises(ImportRejected) as refused:
        import_feed(case.get("kind", OUT), path)
    found = [(e.row, e.column) for e in refused.value.errors]
    assert (case["row"], case["column"]) in found, refused.value.errors
    message = next(
        e.message_zh for e in refused.value.errors if (e.row, e.column) == (case["row"], case["column"])
    )
    assert case["says"] in message
    assert FeedBatch.objects.count() == 0 and MigrantWorkRecord.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="feed.").exists()
    assert list(Member.objects.order_by("id").values_list("work", "monthly_wage", "work_place")) == before


def test_the_preview_shows_the_changes_before_writing(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import FeedBatch, Member

    path = _list(
        tmp_path / "已外出务工.xlsx",
        [
            ["证件号码", "月份", "务工区域", "务工所在地", "务工月收入"],
            [_id(loaded, 0), MONTH, "省内县外", "银川市", 3900],
        ],
    )
    preview = preview_feed(OUT, path)
    assert [(c.row, c.column, c.old, c.new) for c in preview.fact_changes] == [
        (2, "务工状况", "省外务工", "省内县外务工"),
        (2, "务工所在地", "", "银川市"),
        (2, "务工月收入", "", "3,900.00 元"),
    ]
    assert preview.changes == preview.fact_changes
    assert "务工状况将由“省外务工”改为“省内县外务工”" in preview.fact_changes[0].problem().message_zh
    assert FeedBatch.objects.count() == 0
    assert Member.objects.get(id_number=_id(loaded, 0)).work == "省外务工"
    summary = import_feed(OUT, path)
    assert [str(c) for c in summary.fact_changes] == [str(c) for c in preview.fact_changes]


def test_a_member_listed_as_away_without_a_region_but_registered_as_not_working_is_warned(
    tmp_path: Path, loaded: Rows
) -> None:
    from zengshou.registry.models import Member

    Member.objects.filter(id_number=_id(loaded, 0)).update(work="未务工")
    path = tmp_path / "已外出务工.csv"
    path.write_text(f"证件号码,月份,务工所在地\n{_id(loaded, 0)},2025-03,福建省厦门市\n", encoding="utf-8")
    summary = import_feed(OUT, path)
    [warning] = [w for w in summary.warnings if w.column == "务工区域"]
    assert warning.row == 2 and "务工状况未更改" in warning.message_zh
    member = Member.objects.get(id_number=_id(loaded, 0))
    assert (member.work, member.work_place) == ("未务工", "福建省厦门市")


def test_a_local_job_is_kept_when_the_list_says_only_within_the_county(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import Member

    Member.objects.filter(id_number=_id(loaded, 0)).update(work="帮扶车间")
    Member.objects.filter(id_number=_id(loaded, 1)).update(work="帮扶车间")
    path = tmp_path / "已外出务工.csv"
    path.write_text(
        f"证件号码,月份,务工区域\n{_id(loaded, 0)},202503,县内\n{_id(loaded, 1)},202503,省外\n",
        encoding="utf-8",
    )
    import_feed(OUT, path)
    assert Member.objects.get(id_number=_id(loaded, 0)).work == "帮扶车间"
    assert Member.objects.get(id_number=_id(loaded, 1)).work == "省外务工"


def test_an_older_months_list_leaves_the_facts_a_later_list_gave(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import FeedBatch, Member

    april, march = tmp_path / "2025年4月已外出务工.csv", tmp_path / "2025年3月已外出务工.csv"
    april.write_text(f"证件号码,务工区域,务工月收入\n{_id(loaded, 0)},省外,5100\n", encoding="utf-8")
    march.write_text(f"证件号码,务工区域,务工月收入\n{_id(loaded, 0)},县内,3000\n", encoding="utf-8")
    import_feed(OUT, april)
    summary = import_feed(OUT, march)
    assert summary.later_kept == 1 and summary.fact_changes == []
    member = Member.objects.get(id_number=_id(loaded, 0))
    assert (member.work, float(member.monthly_wage or 0)) == ("省外务工", 5100.0)
    assert FeedBatch.objects.filter(kind=OUT).count() == 2


def test_the_planned_list_is_stored_and_changes_no_fact(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.registry.models import Member, MigrantWorkRecord

    before = list(Member.objects.order_by("id").values())
    path = _list(
        tmp_path / "计划外出务工.xlsx",
        [
            [
                "姓名",
                "证件号码",
                "计划外出时间",
                "意向务工区域",
                "意向务工地点",
                "意向就业渠道",
                "意向工种",
                "服务需求",
            ],
            [
                "马之子3",
                _id(loaded, 2),
                "2025-05",
                "省外",
                "浙江省宁波市",
                "有组织劳务输出",
                "电工",
                "职业技能培训",
            ],
        ],
        title="2025年4月计划外出务工信息",
        sheet=PLANNED,
    )
    summary = import_feed(PLANNED, path)
    assert (summary.matched, summary.facts, summary.fact_changes) == (1, {}, [])
    record = MigrantWorkRecord.objects.get()
    assert (record.month, record.planned_on, record.work, record.wish, record.needs) == (
        dt.date(2025, 4, 1),
        dt.date(2025, 5, 1),
        "省外务工",
        "电工",
        "职业技能培训",
    )
    assert record.member is not None and record.member.id_number == _id(loaded, 2)
    assert list(Member.objects.order_by("id").values()) == before


def test_the_household_page_shows_the_lists_of_its_members(tmp_path: Path, loaded: Rows) -> None:
    from zengshou.ingest.feeds import migrant_lists

    out = tmp_path / "已外出务工.csv"
    out.write_text(
        f"证件号码,月份,务工区域,就业渠道\n{_id(loaded, 0)},202503,省外,有组织劳务输出\n", encoding="utf-8"
    )
    planned = tmp_path / "计划外出务工.csv"
    planned.write_text(
        f"证件号码,月份,计划外出时间,服务需求\n{_id(loaded, 2)},202504,202505,岗位推荐\n", encoding="utf-8"
    )
    import_feed(OUT, out)
    import_feed(PLANNED, planned)
    rows = migrant_lists("H001")
    assert [(r["list"], r["month"]) for r in rows] == [
        (PLANNED, dt.date(2025, 4, 1)),
        (OUT, dt.date(2025, 3, 1)),
    ]
    assert rows[0]["needs"] == "岗位推荐" and rows[1]["job_channel"] == "有组织劳务输出"


def test_a_folder_import_stores_the_lists_and_its_member_sheet_wins(tmp_path: Path) -> None:
    from zengshou.registry.models import FeedBatch, Member, MigrantWorkRecord

    rows = valid_rows()
    first, second = rows["家庭成员"][0]["证件号码"], rows["家庭成员"][1]["证件号码"]
    rows[OUT] = [
        {"证件号码": first, "月份": MONTH, "务工区域": "省内县外", "务工月收入": "4100"},
        {"证件号码": second, "月份": MONTH, "务工区域": "县内", "务工月收入": "2600"},
    ]
    summary = load(write_folder(tmp_path / "县", rows))
    [feed] = summary.feeds
    assert feed.kind == OUT and FeedBatch.objects.get().source_name == f"{OUT}.csv"
    assert MigrantWorkRecord.objects.count() == 2
    # the member sheet gives 务工状况 for both: the sheet wins; it gives no 务工月收入: the list sets it
    assert [m.work for m in Member.objects.filter(id_number__in=[first, second]).order_by("id")] == [
        "省外务工"
    ] * 2
    assert float(Member.objects.get(id_number=first).monthly_wage or 0) == 4100.0
    assert feed.facts_kept == {"member.work": 2}
    again = load(write_folder(tmp_path / "县", rows))
    assert again.feeds[0].duplicate and MigrantWorkRecord.objects.count() == 2


def test_a_workbook_import_reads_a_list_sheet_with_its_title_rows(tmp_path: Path) -> None:
    from zengshou.registry.models import Member

    rows = valid_rows()
    first = rows["家庭成员"][0]["证件号码"]
    book = write_workbook(
        tmp_path / "县.xlsx",
        rows,
        extra_sheets={
            OUT: [
                ["2025年3月已外出务工信息"],
                ["姓名", "身份证号", "务工地域", "务工地点", "就业渠道", "月收入"],
                ["马户主1", first, "省外", "新疆昌吉", "劳务中介或经纪人介绍", "6100"],
            ]
        },
    )
    summary = load(book)
    [feed] = summary.feeds
    assert feed.month == dt.date(2025, 3, 1) and feed.matched == 1
    member = Member.objects.get(id_number=first)
    assert (member.work_place, member.job_channel) == ("新疆昌吉", "劳务中介或经纪人介绍")


def test_a_bad_list_in_a_folder_rejects_the_whole_import(tmp_path: Path) -> None:
    from zengshou.registry.models import Household

    rows = valid_rows()
    rows[OUT] = [{"证件号码": rows["家庭成员"][0]["证件号码"], "月份": "2025-13", "务工区域": "省外"}]
    with pytest.raises(ImportRejected) as refused:
        load(write_folder(tmp_path / "县", rows))
    assert [(e.table, e.row, e.column) for e in refused.value.errors] == [(OUT, 2, "月份")]
    assert Household.objects.count() == 0


def test_feed_import_prints_the_changes_and_writes_them_only_with_apply(tmp_path: Path, loaded: Rows) -> None:
    import fastexcel
    from typer.testing import CliRunner

    from zengshou.cli import app
    from zengshou.registry.models import FeedBatch, Member

    path = tmp_path / "已外出务工.csv"
    path.write_text(
        f"证件号码,月份,务工区域,务工月收入\n{_id(loaded, 0)},202503,省内县外,3600\n", encoding="utf-8"
    )
    report = tmp_path / "报告.xlsx"
    runner = CliRunner()
    out = runner.invoke(app, ["feed", "import", OUT, str(path), "--error-report", str(report)])
    assert out.exit_code == 3, out.output
    assert "将更新 1 人的 2 项务工信息（已外出务工名单）" in out.output and "--apply" in out.output
    assert "务工状况：省外务工 → 省内县外务工" in out.output
    assert FeedBatch.objects.count() == 0 and Member.objects.get(id_number=_id(loaded, 0)).work == "省外务工"
    listed = fastexcel.read_excel(report).load_sheet("警告", dtypes="string").to_polars()
    assert listed["列"].to_list() == ["务工状况", "务工月收入"]
    out = runner.invoke(app, ["feed", "import", OUT, str(path), "--apply"])
    assert out.exit_code == 0, out.output
    assert "2025年03月名单" in out.output and "已按名单更新 1 人的 2 项务工信息" in out.output
    assert Member.objects.get(id_number=_id(loaded, 0)).work == "省内县外务工"


def test_a_folder_whose_list_changes_members_not_in_its_sheet_asks_for_apply(
    tmp_path: Path, loaded: Rows
) -> None:
    from typer.testing import CliRunner

    from zengshou.cli import app
    from zengshou.registry.models import Member

    folder = write_folder(
        tmp_path / "名单", {OUT: [{"证件号码": _id(loaded, 0), "月份": MONTH, "就业渠道": "有组织劳务输出"}]}
    )
    runner = CliRunner()
    out = runner.invoke(app, ["import", str(folder), "--no-progress"])
    assert out.exit_code == 3 and "将更新 1 人的 1 项务工信息" in out.output, out.output
    assert Member.objects.get(id_number=_id(loaded, 0)).job_channel == ""
    out = runner.invoke(app, ["import", str(folder), "--no-progress", "--apply"])
    assert out.exit_code == 0, out.output
    assert Member.objects.get(id_number=_id(loaded, 0)).job_channel == "有组织劳务输出"
