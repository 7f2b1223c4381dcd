"""Problems found in an input file, and the exception that carries them when an import is refused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One problem at one place: table, row as a spreadsheet shows it (header = 1), column header."""

    table: str
    row: int | None
    column: str
    value: str | None
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        where = f"{self.table}"
        if self.row:
            where += f" 第{self.row}行"
        if self.column:
            where += f" [{self.column}]"
        value = "" if self.value is None else f" 值“{self.value}”"
        return f"{where}{value}：{self.message_zh} / {self.message_en}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class ImportRejected(Exception):
    """The input has errors; nothing was written. ``errors`` lists every one of them."""

    def __init__(self, errors: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings)
        first = "; ".join(str(e) for e in self.errors[:3])
        super().__init__(
            f"{len(self.errors)} 处错误，未写入任何数据 / {len(self.errors)} errors, nothing written: {first}"
        )


def sort_key(p: Problem) -> tuple[str, int, str]:
    return (p.table, p.row or 0, p.column)


def write_error_report(
    path: Path,
    errors: Iterable[Problem],
    warnings: Iterable[Problem] = (),
    *,
    unmatched: Iterable[Problem] | None = None,
) -> Path:
    """An Excel workbook listing errors and warnings, one row each, so a clerk can fix the file.

    ``unmatched`` (department feeds) adds a sheet 未匹配 with every row that matched nothing.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = ["表", "行号", "列", "值", "说明", "Message"]
    sheets: list[tuple[str, Iterable[Problem]]] = [("错误", errors), ("警告", warnings)]
    if unmatched is not None:
        sheets.append(("未匹配", unmatched))
    with xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False}) as wb:
        bold = wb.add_format({"bold": True})
        for name, problems in sheets:
            sheet = wb.add_worksheet(name)
            sheet.write_row(0, 0, headers, bold)
            sheet.set_column(0, 0, 12)
            sheet.set_column(3, 3, 22)
            sheet.set_column(4, 5, 50)
            for r, p in enumerate(problems, start=1):
                sheet.write_string(r, 0, p.table)
                if p.row is not None:
                    sheet.write_number(r, 1, p.row)
                sheet.write_string(r, 2, p.column)
                sheet.write_string(r, 3, "" if p.value is None else str(p.value))
                sheet.write_string(r, 4, p.message_zh)
                sheet.write_string(r, 5, p.message_en)
    return path
