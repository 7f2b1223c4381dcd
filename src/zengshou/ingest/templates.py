"""Blank import templates: the interchange headers of every household table, ready to fill in.

A workbook holds one sheet per table (村, 家庭, 家庭成员, 收入, 帮扶干部) with the spec's headers
(required ones shaded), text format on code and ID columns so Excel keeps every digit, drop-down
lists for enumerations and 是/否, range checks on numbers, and a sheet 填写说明 that lists every
column with its type, allowed values and an example. A CSV template is a folder of header-only
``<table>.csv`` files and ``_填写说明.csv`` (the reader skips files starting with ``_``). Both import
as they are once rows are added; the 填写说明 sheet is ignored by the reader.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import write_frame_csv
from zengshou.workbooks import NUMBER_FORMATS, cell_format

NOTES_SHEET = "填写说明"
#: Rows of a template sheet that carry the drop-down lists and range checks.
VALIDATED_ROWS = 50_000

TYPE_LABELS: dict[str, str] = {
    "text": "文本",
    "code12": "12位村级行政区划代码（文本）",
    "code6": "6位县级行政区划代码（文本）",
    "id_number": "18位公民身份号码（文本，末位可为X）",
    "enum": "从下拉列表中选择",
    "bool": "是 或 否",
    "decimal": "数字，不小于0，最多两位小数",
    "int": "整数，不小于0",
    "year": "四位年份，如 2025",
    "quarter": "季度 1–4；全年数据留空",
    "yuan": "金额（元），不小于0，最多两位小数",
    "date": "日期，如 2025-03-31",
    "list": "多个值用英文分号;分隔",
}

EXAMPLES: dict[str, dict[str, str]] = {
    "villages": {
        "village_code": "640522100201",
        "village_name": "山门村",
        "township_name": "海城镇",
        "collective_income_10k": "12.50",
    },
    "households": {
        "household_id": "6405221002019001",
        "village_code": "640522100201",
        "household_type": "脱贫户",
        "arable_mu": "12.50",
        "arable_idle_mu": "0",
        "idle_courtyard": "否",
        "courtyard_willing": "是",
        "livestock_willing": "是",
        "cattle": "3",
        "sheep": "20",
        "pigs": "0",
        "collective_yard": "否",
        "rents_greenhouse": "否",
        "housing_safe": "是",
        "water_safe": "是",
        "dibao_household": "否",
        "tekun": "否",
        "assets_within_dibao_rules": "是",
        "phone": "13912345678",
    },
    "members": {
        "household_id": "6405221002019001",
        "name": "马某某",
        "id_number": "640522198005170035",
        "relation": "户主",
        "health": "健康",
        "disability_grade": "",
        "labour": "普通劳动力",
        "work": "省外务工",
        "work_months": "10",
        "schooling": "非在校生",
        "graduation_year": "",
        "medical_insured": "是",
        "dibao": "否",
        "business_since": "",
    },
    "income": {
        "household_id": "6405221002019001",
        "year": "2025",
        "quarter": "",
        "wage": "36000.00",
        "operating_gross": "8000.00",
        "operating_cost": "3000.00",
        "property": "0",
        "transfer": "1200.00",
        "transfer_dibao": "0",
        "transfer_pension": "1200.00",
        "consumption": "15000.00",
        "medical_selfpay": "800.00",
        "education_spending": "0",
    },
    "cadres": {
        "cadre_id": "GB0001",
        "name": "李某",
        "unit": "县农业农村局",
        "rank": "乡科级",
        "county_code": "640522",
        "current_households": "6405221002019001;6405221002019002",
    },
}


def _allowed(c: ix.Column) -> str:
    if c.choices:
        return "、".join(c.choices)
    if c.type == "bool":
        return "是、否"
    if c.min_value is not None and c.max_value is not None:
        return f"{c.min_value:g}–{c.max_value:g}"
    return ""


def notes() -> pl.DataFrame:
    """One row per column of every household table: what to write there, with an example."""
    rows = [
        {
            "表": t.name,
            "列名": c.header,
            "英文键": c.key,
            "必填": "是" if c.required else "",
            "填写要求": TYPE_LABELS[c.type],
            "可填的值": _allowed(c),
            "个人信息": "是" if c.personal else "",
            "示例": EXAMPLES[t.key].get(c.key, ""),
        }
        for t in ix.TABLES
        for c in t.columns
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.Utf8))


def _validation(c: ix.Column) -> dict[str, object] | None:
    """The Excel data validation of a column: a drop-down list or a number range."""
    prompt = {"input_title": c.header[:32], "input_message": (TYPE_LABELS[c.type] + "。")[:255]}
    if c.choices or c.type == "bool":
        values = list(c.choices) if c.choices else [ix.YES, ix.NO]
        return {
            "validate": "list",
            "source": values,
            "error_title": "请从列表中选择",
            "error_message": ("可填：" + "、".join(values))[:255],
            **prompt,
        }
    if c.type in ("int", "year", "quarter"):
        low = {"year": 1900, "quarter": 1}.get(c.type, int(c.min_value or 0))
        high = {"year": 2100, "quarter": 4}.get(
            c.type, int(c.max_value) if c.max_value is not None else 10**9
        )
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": low,
            "maximum": high,
            "error_title": "请填写整数",
            "error_message": f"{c.header}应为{low}到{high}之间的整数",
            **prompt,
        }
    if c.type in ("decimal", "yuan"):
        return {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "error_title": "请填写数字",
            "error_message": f"{c.header}应为不小于0的数字",
            **prompt,
        }
    if c.type in ("code12", "code6", "id_number"):
        length = {"code12": 12, "code6": 6, "id_number": 18}[c.type]
        return {
            "validate": "length",
            "criteria": "==",
            "value": length,
            "error_title": "位数不对",
            "error_message": f"{c.header}应为{length}位",
            **prompt,
        }
    return {"validate": "any", **prompt}


def write_workbook(path: Path) -> Path:
    """The blank template as one ``.xlsx`` workbook (see the module docstring)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False}) as wb:
        wb.set_properties({"title": "农户数据交换格式 空白模板", "comments": "填写后在“导入导出”页上传"})
        for t in ix.TABLES:
            sheet = wb.add_worksheet(t.name)
            sheet.freeze_panes(1, 0)
            for i, c in enumerate(t.columns):
                number = NUMBER_FORMATS.get(c.type)
                width = max(10.0, 2.2 * len(c.header) + 2, 20.0 if c.type == "id_number" else 0.0)
                sheet.set_column(i, i, width, cell_format(wb, number or "text"))
                sheet.write_string(0, i, c.header, cell_format(wb, "required" if c.required else "header"))
                sheet.write_comment(
                    0,
                    i,
                    f"{'必填。' if c.required else ''}{TYPE_LABELS[c.type]}"
                    + (f"。可填：{_allowed(c)}" if _allowed(c) else ""),
                )
                rule = _validation(c)
                if rule is not None:
                    sheet.data_validation(1, i, VALIDATED_ROWS, i, rule)
        sheet = wb.add_worksheet(NOTES_SHEET)
        guide = notes()
        sheet.write_row(0, 0, guide.columns, cell_format(wb, "header"))
        for r, row in enumerate(guide.iter_rows(), start=1):
            sheet.write_row(r, 0, row)
        for i, width in enumerate((10, 24, 26, 6, 36, 60, 8, 36)):
            sheet.set_column(i, i, width)
        sheet.freeze_panes(1, 0)
    return path


def write_csv_folder(folder: Path) -> list[Path]:
    """The blank template as a folder of header-only ``<table>.csv`` files (UTF-8 with BOM)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for t in ix.TABLES:
        path = folder / f"{t.name}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + (",".join(t.headers) + "\n").encode("utf-8"))
        written.append(path)
    guide = folder / f"_{NOTES_SHEET}.csv"
    write_frame_csv(notes(), guide)
    return [*written, guide]


def write_template(out: Path, fmt: str | None = None) -> list[Path]:
    """The blank template at ``out``: a workbook for a ``.xlsx`` name, else a CSV folder.

    The path rules are the export's (:func:`zengshou.ingest.export.output_format`).
    """
    from zengshou.ingest.export import output_format

    out = Path(out)
    if output_format(out, fmt) == "xlsx":
        return [write_workbook(out)]
    return write_csv_folder(out)
