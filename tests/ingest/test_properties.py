"""Property: any single corruption of a valid file is rejected, named at its row and column, and
nothing is written."""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest.conftest import valid_rows, write_folder
from zengshou import interchange as ix
from zengshou.ingest import ImportRejected, load, read

BASE = valid_rows()

#: (table, header) → corruptions that must be errors for that column.
_CORRUPTIONS: dict[str, list[str]] = {
    "bool": ["也许", "2", "yes please"],
    "enum": ["未知", "X", "一 级 级"],
    "int": ["-1", "1.5", "三"],
    "decimal": ["-0.5", "abc"],
    "yuan": ["-1", "12元元"],
    "year": ["1800", "20x4"],
    "quarter": ["0", "5", "-1"],
    "code12": ["6405221002", "99999910020a", "110101100201"],
    "code6": ["64052", "110101"],
    "id_number": ["64052219800517001", "640522198002300011", "640522198005170010", "640522298005170019"],
}


def _targets() -> list[tuple[str, int, str, str]]:
    out = []
    for table in ix.TABLES:
        for c in table.columns:
            kinds = _CORRUPTIONS.get(c.type, [])
            if c.required:
                kinds = [*kinds, ""]
            for row in range(len(BASE[table.name])):
                for value in kinds:
                    if (
                        c.type == "id_number"
                        and value == "640522198005170010"
                        and BASE[table.name][row][c.header].endswith("0")
                    ):
                        continue
                    out.append((table.name, row, c.header, value))
    return out


TARGETS = _targets()


def _corrupt(target: tuple[str, int, str, str]) -> dict[str, list[dict[str, str]]]:
    name, row, header, value = target
    rows = copy.deepcopy(BASE)
    rows[name][row][header] = value
    return rows


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TARGETS))
def test_any_corrupted_cell_is_named_by_row_and_column(target: tuple[str, int, str, str]) -> None:
    name, row, header, _ = target
    with tempfile.TemporaryDirectory() as tmp:
        result = read(write_folder(Path(tmp) / "in", _corrupt(target)))
    assert any((e.table, e.row, e.column) == (name, row + 2, header) for e in result.errors), [
        str(e) for e in result.errors
    ]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(TARGETS))
def test_a_corrupted_file_is_rejected_and_leaves_no_rows(target: tuple[str, int, str, str]) -> None:
    from zengshou.registry.models import Area, AuditEvent, Cadre, Household, Income, Member

    tmp = Path(tempfile.mkdtemp())
    try:
        with pytest.raises(ImportRejected) as info:
            load(write_folder(tmp / "in", _corrupt(target)))
    finally:
        shutil.rmtree(tmp)
    name, row, header, _ = target
    assert any((e.table, e.row, e.column) == (name, row + 2, header) for e in info.value.errors)
    assert (
        Household.objects.count()
        == Member.objects.count()
        == Income.objects.count()
        == Cadre.objects.count()
        == 0
    )
    assert not Area.objects.filter(level="village").exists()
    assert AuditEvent.objects.count() == 0


Where = tuple[str, int, str]
_MEMBERS = BASE["家庭成员"]


def _first_row_of(household: str) -> int:
    return min(i for i, m in enumerate(_MEMBERS) if m["户编号"] == household) + 2


@st.composite
def structural(draw: st.DrawFn) -> tuple[str, dict[str, list[dict[str, str]]], Where]:
    """A valid file with one structural fault, and where the error must be named."""
    rows = copy.deepcopy(BASE)
    members = rows["家庭成员"]
    kind = draw(
        st.sampled_from(
            ["duplicate id", "second head", "no head", "orphan member", "orphan income", "unknown village"]
        )
    )
    if kind == "duplicate id":
        i, j = draw(st.lists(st.integers(0, len(members) - 1), min_size=2, max_size=2, unique=True))
        members[j]["证件号码"] = members[i]["证件号码"]
        return kind, rows, ("家庭成员", j + 2, "证件号码")
    if kind == "second head":
        j = draw(st.sampled_from([i for i, m in enumerate(members) if m["与户主关系"] != "户主"]))
        members[j]["与户主关系"] = "户主"
        return kind, rows, ("家庭成员", j + 2, "与户主关系")
    if kind == "no head":
        j = draw(st.sampled_from([i for i, m in enumerate(members) if m["与户主关系"] == "户主"]))
        members[j]["与户主关系"] = draw(st.sampled_from(["配偶", "之子", "之父", "其他"]))
        return kind, rows, ("家庭成员", _first_row_of(members[j]["户编号"]), "与户主关系")
    unknown = draw(st.from_regex(r"H9[0-9]{2}", fullmatch=True))
    if kind == "orphan member":
        j = draw(st.integers(0, len(members) - 1))
        members[j]["户编号"] = unknown
        return kind, rows, ("家庭成员", j + 2, "户编号")
    if kind == "orphan income":
        j = draw(st.integers(0, len(rows["收入"]) - 1))
        rows["收入"][j]["户编号"] = unknown
        return kind, rows, ("收入", j + 2, "户编号")
    j = draw(st.integers(0, len(rows["家庭"]) - 1))
    rows["家庭"][j]["行政区划代码"] = "640522199" + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return kind, rows, ("家庭", j + 2, "行政区划代码")


@settings(max_examples=30, deadline=None)
@given(structural())
def test_a_structural_fault_is_named_by_read_at_its_row_and_column(
    case: tuple[str, dict[str, list[dict[str, str]]], Where],
) -> None:
    kind, rows, where = case
    with tempfile.TemporaryDirectory() as tmp:
        result = read(write_folder(Path(tmp) / "in", rows))
    problems = result.warnings if kind == "unknown village" else result.errors  # 村 sheet only, no registry
    assert any((p.table, p.row, p.column) == where for p in problems), (kind, [str(p) for p in problems])


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(structural())
def test_a_structural_fault_is_rejected_by_load_and_leaves_no_rows(
    case: tuple[str, dict[str, list[dict[str, str]]], Where],
) -> None:
    from zengshou.registry.models import Area, AuditEvent, Cadre, Household, Income, Member, Pairing

    kind, rows, where = case
    tmp = Path(tempfile.mkdtemp())
    try:
        with pytest.raises(ImportRejected) as info:
            load(write_folder(tmp / "in", rows))
    finally:
        shutil.rmtree(tmp)
    assert any((e.table, e.row, e.column) == where for e in info.value.errors), (
        kind,
        [str(e) for e in info.value.errors],
    )
    assert not any(m.objects.exists() for m in (Household, Member, Income, Cadre, Pairing, AuditEvent))
    assert not Area.objects.filter(level="village").exists()
