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
