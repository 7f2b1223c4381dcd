"""Small hand-made interchange files: three households in two villages of 海原县, with cadres."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import pytest

from zengshou import interchange as ix
from zengshou.registry import idnumber

Rows = dict[str, list[dict[str, str]]]


def pid(seq: int, born: dt.date = dt.date(1980, 5, 17), male: bool = True) -> str:
    return idnumber.make("640522", born, seq, male)


def _member(hid: str, seq: int, relation: str, born: dt.date, male: bool, **extra: str) -> dict[str, str]:
    row = {
        "户编号": hid,
        "姓名": f"马{relation}{seq}",
        "证件号码": pid(seq, born, male),
        "与户主关系": relation,
        "健康状况": "健康",
        "残疾等级": "",
        "劳动技能": "普通劳动力",
        "务工状况": "省外务工",
        "务工月数": "10",
        "在校生状况": "非在校生",
        "毕业年份": "",
        "参加基本医疗保险": "是",
        "享受低保": "否",
        "创业年份": "",
    }
    row.update(extra)
    return row


def _household(hid: str, village: str, **extra: str) -> dict[str, str]:
    row = {
        "户编号": hid,
        "行政区划代码": village,
        "户类型": "脱贫户",
        "耕地面积(亩)": "12.50",
        "耕地未种植(亩)": "0.00",
        "闲置庭院房屋棚圈": "否",
        "庭院经济意愿": "是",
        "养殖意愿": "是",
        "牛存栏(头)": "3",
        "羊存栏(只)": "20",
        "猪存栏(头)": "0",
        "出户入场养殖": "否",
        "租赁集体大棚": "否",
        "住房安全": "是",
        "饮水安全": "是",
        "低保户": "否",
        "特困供养": "否",
        "家庭财产符合低保条件": "是",
        "联系电话": "13912345678",
    }
    row.update(extra)
    return row


def _income(hid: str, year: int, quarter: str, wage: str) -> dict[str, str]:
    row = {h: "0.00" for h in ix.INCOME.headers}
    row.update(
        {"户编号": hid, "年度": str(year), "季度": quarter, "工资性收入": wage, "转移性收入": "1200.00"}
    )
    return row


def valid_rows() -> Rows:
    """A valid region in text, as a clerk's file holds it (headers in spec order)."""
    v1, v2 = "640522100201", "640522101202"
    return {
        "村": [
            {"行政区划代码": v1, "村名": "山门村", "乡镇名": "海城镇", "村集体经济年收入(万元)": "12.50"},
            {"行政区划代码": v2, "村名": "新庄村", "乡镇名": "李旺镇", "村集体经济年收入(万元)": ""},
        ],
        "家庭": [
            _household("H001", v1),
            _household("H002", v1, 户类型="一般农户"),
            _household("H003", v2, 联系电话=""),
        ],
        "家庭成员": [
            _member("H001", 1, "户主", dt.date(1975, 3, 2), True),
            _member("H001", 2, "配偶", dt.date(1977, 8, 9), False),
            _member(
                "H001",
                3,
                "之子",
                dt.date(2008, 1, 1),
                True,
                在校生状况="高中",
                劳动技能="无劳动力",
                务工状况="",
                务工月数="",
            ),
            _member(
                "H002",
                4,
                "户主",
                dt.date(1950, 12, 31),
                True,
                健康状况="长期慢性病",
                残疾等级="三级",
                劳动技能="弱劳动力或半劳动力",
            ),
            _member("H003", 5, "户主", dt.date(1988, 2, 29), False, 享受低保="是"),
            _member(
                "H003",
                6,
                "之女",
                dt.date(2015, 6, 1),
                False,
                在校生状况="小学",
                劳动技能="无劳动力",
                务工状况="",
                务工月数="",
            ),
        ],
        "收入": [
            _income("H001", 2024, "", "36000.00"),
            _income("H001", 2025, "1", "9000.50"),
            _income("H002", 2024, "", "0.00"),
            _income("H003", 2024, "", "18000.00"),
        ],
        "帮扶干部": [
            {
                "干部编号": "C01",
                "姓名": "李干部",
                "工作单位": "县农业农村局",
                "职级": "乡科级",
                "所在县区代码": "640522",
                "现帮扶户编号": "H001;H003",
            },
            {
                "干部编号": "C02",
                "姓名": "王干部",
                "工作单位": "",
                "职级": "一般干部",
                "所在县区代码": "640522",
                "现帮扶户编号": "",
            },
        ],
    }


def _csv_text(rows: list[dict[str, str]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    # every column any row names (a test may set a column the first row leaves out)
    fieldnames = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buf, fieldnames=fieldnames, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_folder(folder: Path, rows: Rows, encoding: str = "utf-8-sig") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in rows.items():
        (folder / f"{name}.csv").write_bytes(_csv_text(table).encode(encoding))
    return folder


def write_workbook(path: Path, rows: Rows, extra_sheets: dict[str, list[list[str]]] | None = None) -> Path:
    import xlsxwriter

    with xlsxwriter.Workbook(str(path), {"strings_to_numbers": False}) as wb:
        for name, table in rows.items():
            sheet = wb.add_worksheet(name)
            sheet.write_row(0, 0, list(table[0]))
            for r, row in enumerate(table, start=1):
                for c, value in enumerate(row.values()):
                    if value != "":
                        sheet.write_string(r, c, value)
        for name, cells in (extra_sheets or {}).items():
            sheet = wb.add_worksheet(name)
            for r, row_cells in enumerate(cells):
                sheet.write_row(r, 0, row_cells)
    return path


_NUMBER_TYPES = ("decimal", "yuan", "int", "year", "quarter", "code12", "code6")


def write_typed_workbook(path: Path, rows: Rows, ids_as_numbers: Collection[int] = ()) -> Path:
    """A workbook as Excel users make them: numbers, codes and phones in number cells, a feed sheet
    (残联) with a real date cell; ID numbers as text except the member rows in ``ids_as_numbers``."""
    import xlsxwriter

    types = {c.header: c.type for t in ix.TABLES for c in t.columns}
    with xlsxwriter.Workbook(str(path)) as wb:
        date_format = wb.add_format({"num_format": "yyyy/m/d"})
        for name, table in rows.items():
            sheet = wb.add_worksheet(name)
            sheet.write_row(0, 0, list(table[0]))
            for r, row in enumerate(table, start=1):
                for c, (header, value) in enumerate(row.items()):
                    numeric = types.get(header) in _NUMBER_TYPES or header == "联系电话"
                    if header == "证件号码" and name == "家庭成员" and r - 1 in ids_as_numbers:
                        sheet.write_number(r, c, int(value))
                    elif value == "":
                        continue
                    elif numeric:
                        sheet.write_number(r, c, float(value))
                    else:
                        sheet.write_string(r, c, value)
        feed = wb.add_worksheet("残联")
        feed.write_row(0, 0, ["证件号码", "残疾类别", "残疾等级", "发证日期"])
        feed.write_row(1, 0, [rows["家庭成员"][0]["证件号码"], "肢体", "二级"])
        feed.write_datetime(1, 3, dt.datetime(2024, 3, 1), date_format)
    return path


@pytest.fixture
def rows() -> Rows:
    return valid_rows()


@pytest.fixture
def folder(tmp_path: Path, rows: Rows) -> Path:
    return write_folder(tmp_path / "in", rows)
