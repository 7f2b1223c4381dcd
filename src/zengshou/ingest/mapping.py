"""Column mappings made once for a county's person list and reused (列映射).

A county whose list differs from the national one (other header names, the header further down)
looks at its first rows, picks the header row, says for each column which field it is and saves
that under a name; :func:`zengshou.ingest.national.profile` then finds it by that name, for the web
import and ``zengshou import --profile``. A saved profile is the content of a ``data/layouts`` YAML
(:meth:`~zengshou.ingest.national.Profile.content`): the columns are the ones mapped here, the code
tables those of the profile it was started from. Saving and changing are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zengshou.ingest.national import (
    HEADER_SEARCH_ROWS,
    REQUIRED_FIELDS,
    Profile,
    detect_header_rows,
    header_at,
    norm,
    parse_profile,
    profile,
    shipped_profiles,
)

#: Rows shown to pick the header from: every row the header may be on (a two-row header included).
PREVIEW_ROWS = HEADER_SEARCH_ROWS + 2
#: Data values shown beside each column.
SAMPLES = 5
MAX_NAME = 60


def column_letter(index: int) -> str:
    """The spreadsheet's name of a 0-based column: A … Z, AA …"""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


@dataclass
class Sheet:
    """The first rows of a workbook's first sheet, every cell as text ("" when empty)."""

    name: str
    rows: list[list[str]]

    @property
    def grid(self) -> list[list[str | None]]:
        """The rows the header may be on, as :func:`~zengshou.ingest.national.find_header` reads them."""
        return [[c or None for c in r] for r in self.rows[:PREVIEW_ROWS]]

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def read_sheet(path: Path) -> Sheet:
    """The first rows of the first sheet; a Chinese ValueError when the file is no workbook."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        name = reader.sheet_names[0]
        frame = reader.load_sheet(
            name, header_row=None, n_rows=PREVIEW_ROWS + SAMPLES, dtypes="string"
        ).to_polars()
    except Exception as e:
        raise ValueError("无法读取该文件：请上传全国防返贫监测系统导出的 .xlsx 工作簿") from e
    rows = [[str(c).strip() if c is not None else "" for c in r] for r in frame.rows()]
    if not rows:
        raise ValueError(f"工作表“{name}”是空的：请上传有表头和数据的人员表")
    return Sheet(name, rows)


@dataclass
class Column:
    """One column of the chosen header: where, its header, the field offered first, its first values."""

    index: int
    header: str
    target: str | None
    samples: list[str]

    @property
    def letter(self) -> str:
        return column_letter(self.index)


def header_rows(sheet: Sheet, start: Profile) -> tuple[int, ...]:
    """The rows offered as the header: the start profile's own, else those detected, else row 1."""
    if start.header_rows and start.header_rows[-1] < len(sheet.grid):
        return start.header_rows
    return (
        detect_header_rows(sheet.grid, start) or detect_header_rows(sheet.grid, profile("national")) or (0,)
    )


def columns(sheet: Sheet, rows: tuple[int, ...], start: Profile) -> list[Column]:
    """Every named column of the header on ``rows``, with the field ``start`` maps it to."""
    header = header_at(sheet.grid, rows, start)
    data = sheet.rows[rows[-1] + 1 :]
    out = []
    for i, name in enumerate(header.names):
        if not name.strip("/"):
            continue
        samples = [r[i] for r in data if i < len(r) and r[i]][:SAMPLES]
        out.append(Column(i, name, header.targets.get(i), samples))
    return out


def check(name: str, chosen: dict[int, str | None], cols: list[Column], labels: dict[str, str]) -> list[str]:
    """What is wrong with a mapping, in Chinese: the name, the fields that must be there, a field
    given two columns, two columns of the same header (told apart by name only), unknown fields."""
    errors: list[str] = []
    if not name:
        errors.append("请填写映射名称（导入时按名称选择）")
    elif len(name) > MAX_NAME:
        errors.append(f"映射名称最多 {MAX_NAME} 个字（现为 {len(name)} 个）")
    elif name in shipped_profiles() or name in {profile(n).name for n in shipped_profiles()}:
        errors.append(f"“{name}”是系统内置映射的名称，请换一个名称")
    by_index = {c.index: c for c in cols}
    chosen = {i: t for i, t in chosen.items() if i in by_index}
    for i, target in chosen.items():
        if target and target not in labels:
            errors.append(f"第 {by_index[i].letter} 列选择的字段不存在，请重新选择")
    given = {i: t for i, t in chosen.items() if t and t in labels}
    missing = [labels[t] for t in REQUIRED_FIELDS if t in labels and t not in given.values()]
    if missing:
        errors.append(
            f"没有列对应到{'、'.join(f'“{m}”' for m in missing)}："
            "证件号码、户编号、姓名是必填字段，请为每个字段选择文件中的一列"
        )
    for target in dict.fromkeys(given.values()):
        twice = [by_index[i] for i, t in given.items() if t == target]
        if len(twice) > 1:
            where = "、".join(f"第 {c.letter} 列“{c.header}”" for c in twice)
            errors.append(f"“{labels[target]}”选了 {len(twice)} 列（{where}）：一个字段只能对应一列")
    seen: dict[str, Column] = {}
    for i in sorted(given):
        c = by_index[i]
        first = seen.setdefault(norm(c.header), c)
        if first is not c:
            errors.append(
                f"第 {first.letter} 列和第 {c.letter} 列的表头都是“{c.header}”，导入时按表头名称无法区分："
                "请只映射其中一列"
            )
    return errors


def content(
    name: str, rows: tuple[int, ...], chosen: dict[int, str | None], cols: list[Column], start: Profile
) -> dict[str, Any]:
    """The profile to save: ``start``'s code tables, the header rows and the columns mapped here
    (in ``start``'s field order)."""
    headers = {t: c.header for c in cols if (t := chosen.get(c.index))}
    data = start.content()
    data["name"] = name
    data["header"] = [r + 1 for r in rows]
    data["columns"] = {t: [headers[t]] for t in start.columns if t in headers}
    return data


def save(
    name: str,
    county_code: str | None,
    data: dict[str, Any],
    based_on: str,
    username: str,
    ip: str = "",
) -> tuple[Any, bool]:
    """Store the profile (a new one, or the one of that name changed) and audit it; (row, created).

    The content is read back as a profile first, so nothing is stored that the import could not read.
    """
    from django.db import transaction

    from zengshou.layouts.models import MappingProfile
    from zengshou.registry.audit import record

    parse_profile(data, name, name)
    with transaction.atomic():
        row = MappingProfile.objects.select_for_update().filter(name=name).first()
        created = row is None
        before = {} if row is None else dict(row.content.get("columns") or {})
        if row is None:
            row = MappingProfile(name=name)
        row.county_id = county_code or None
        row.content = data
        row.based_on = based_on
        row.saved_by = username
        row.save()
        mapped = {t: v[0] for t, v in data["columns"].items()}
        detail: dict[str, Any] = {
            "county": county_code or "全区",
            "header": data["header"],
            "based_on": based_on,
            "columns": mapped,
        }
        if not created:
            old = {t: v[0] for t, v in before.items() if v}
            detail["changed"] = sorted(t for t in {*old, *mapped} if old.get(t) != mapped.get(t))
        record(
            username,
            "mapping.save" if created else "mapping.change",
            "mapping_profile",
            name,
            detail,
            ip=ip,
        )
    return row, created


def saved_profile(name: str) -> Profile | None:
    """The profile saved in the web under ``name`` (None when there is none)."""
    from zengshou.layouts.models import MappingProfile

    row = MappingProfile.objects.select_related("county").filter(name=name).first()
    return None if row is None else parse_profile(row.content, where(row), name)


def saved_names() -> list[str]:
    from zengshou.layouts.models import MappingProfile

    return list(MappingProfile.objects.order_by("name").values_list("name", flat=True))


def where(row: Any) -> str:
    """Where a saved profile comes from, as the import's note names it."""
    from django.utils import timezone

    owner = row.county.name if row.county_id else "全区"
    when = timezone.localtime(row.saved_at).strftime("%Y-%m-%d %H:%M")
    return f"网页保存的映射，{owner}，{row.saved_by} {when}"
