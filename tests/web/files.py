"""Small interchange workbooks for the upload tests."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from tests.conftest import make_id
from zengshou import interchange as ix


def workbook(tmp_path: Path, id_number: str, name: str = "upload.xlsx") -> Path:
    """A 家庭 + 家庭成员 workbook with one household of one member in 山门村 (640522100201)."""
    path = tmp_path / name
    rows = {
        ix.HOUSEHOLDS: {
            "户编号": "6405221002019901",
            "行政区划代码": "640522100201",
            "户类型": "脱贫户",
            "住房安全": "是",
            "饮水安全": "是",
        },
        ix.MEMBERS: {
            "户编号": "6405221002019901",
            "姓名": "马成",
            "证件号码": id_number,
            "与户主关系": "户主",
            "健康状况": "健康",
            "劳动技能": "普通劳动力",
            "参加基本医疗保险": "是",
        },
    }
    with xlsxwriter.Workbook(str(path)) as wb:
        for table, values in rows.items():
            ws = wb.add_worksheet(table.name)
            for col, header in enumerate(table.headers):
                ws.write_string(0, col, header)
                ws.write_string(1, col, values.get(header, ""))
    return path


def workbook_with_one_error(tmp_path: Path) -> Path:
    """As :func:`workbook` with the member's ID number's check digit wrong."""
    good = make_id(901, area="640522")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    return workbook(tmp_path, bad, "with-error.xlsx")
