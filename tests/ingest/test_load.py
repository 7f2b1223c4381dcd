"""Loading into the registry: all or nothing, upsert by natural keys, areas, pairings, audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.ingest.conftest import Rows, pid, write_folder, write_typed_workbook, write_workbook
from zengshou.ingest import ImportRejected, load, read, validate

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    from zengshou.registry.models import Cadre, Household, Income, Member, Pairing

    return {
        "households": Household.objects.count(),
        "members": Member.objects.count(),
        "income": Income.objects.count(),
        "cadres": Cadre.objects.count(),
        "pairings": Pairing.objects.count(),
    }


def test_a_valid_file_is_written_and_villages_and_townships_are_created(folder: Path, rows: Rows) -> None:
    from zengshou.registry.models import Area, Household, Income, Member, Pairing

    summary = load(folder, username="clerk")
    assert summary.counts["households"].inserted == 3
    assert _counts() == {"households": 3, "members": 6, "income": 4, "cadres": 2, "pairings": 2}
    village = Area.objects.get(code="640522101202")
    assert (village.name, village.level, village.parent.name, village.parent.parent_id) == (
        "新庄村",
        "village",
        "李旺镇",
        "640522",
    )
    assert Member.objects.get(id_number=rows["家庭成员"][3]["证件号码"]).disability_grade == "三级"
    assert str(Income.objects.get(household_id="H001", year=2025, quarter=1).wage) == "9000.50"
    assert Household.objects.get(household_id="H003").phone == ""
    assert set(Pairing.objects.filter(ended_on__isnull=True).values_list("cadre_id", "household_id")) == {
        ("C01", "H001"),
        ("C01", "H003"),
    }
    assert "家庭成员" in str(summary)


def test_importing_the_same_file_twice_changes_nothing(folder: Path) -> None:
    from zengshou.registry.models import AuditEvent

    load(folder)
    events = AuditEvent.objects.count()
    again = load(folder)
    assert all(c.inserted == 0 and c.updated == 0 for c in again.counts.values())
    assert again.counts["members"].unchanged == 6
    assert _counts()["members"] == 6
    assert AuditEvent.objects.count() == events + 1  # only the import's own summary event


def test_a_later_file_updates_changed_rows_and_audits_them(tmp_path: Path, rows: Rows) -> None:
    from zengshou.registry.models import AuditEvent, Household, Member, Pairing

    load(write_folder(tmp_path / "v1", rows))
    rows["家庭"][0]["牛存栏(头)"] = "5"
    rows["家庭成员"][0]["与户主关系"] = "配偶"  # the head hands over to his wife
    rows["家庭成员"][1]["与户主关系"] = "户主"
    rows["收入"].append({**rows["收入"][1], "季度": "2", "工资性收入": "18000.00"})
    rows["帮扶干部"][0]["现帮扶户编号"] = "H001"
    rows["帮扶干部"][1]["现帮扶户编号"] = "H003"
    summary = load(write_folder(tmp_path / "v2", rows), username="clerk2")
    assert (summary.counts["households"].updated, summary.counts["households"].unchanged) == (1, 2)
    assert summary.counts["members"].updated == 2
    assert summary.counts["income"].inserted == 1
    assert Household.objects.get(household_id="H001").cattle == 5
    assert (
        Member.objects.get(household_id="H001", relation="户主").id_number == rows["家庭成员"][1]["证件号码"]
    )
    assert Member.objects.filter(household_id="H001", relation="户主").count() == 1
    assert summary.pairings_opened == 1 and summary.pairings_closed == 1
    assert Pairing.objects.get(household_id="H003", ended_on__isnull=True).cadre_id == "C02"
    change = AuditEvent.objects.get(action="import.update", object_type="households", object_id="H001")
    assert change.username == "clerk2"
    assert change.detail["changed"] == {"cattle": [3, 5]}


def test_a_file_with_any_error_writes_nothing(tmp_path: Path, rows: Rows) -> None:
    rows["收入"][3]["季度"] = "7"
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "in", rows))
    assert [(e.table, e.row, e.column) for e in info.value.errors] == [("收入", 5, "季度")]
    assert _counts() == {"households": 0, "members": 0, "income": 0, "cadres": 0, "pairings": 0}


def test_an_id_number_stored_for_another_household_is_rejected(tmp_path: Path, rows: Rows) -> None:
    load(write_folder(tmp_path / "v1", rows))
    later = {
        "家庭": [dict(rows["家庭"][0], 户编号="H010")],
        "家庭成员": [dict(rows["家庭成员"][0], 户编号="H010")],
    }
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "v2", later))
    e = info.value.errors[0]
    assert (e.table, e.row, e.column) == ("家庭成员", 2, "证件号码")
    assert "H001" in e.message_zh
    assert _counts()["households"] == 3


def test_a_village_unknown_to_the_registry_and_the_file_is_an_error(tmp_path: Path, rows: Rows) -> None:
    del rows["村"]
    rows["帮扶干部"] = rows["帮扶干部"]
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "in", rows))
    assert {(e.table, e.row, e.column) for e in info.value.errors} == {
        ("家庭", 2, "行政区划代码"),
        ("家庭", 3, "行政区划代码"),
        ("家庭", 4, "行政区划代码"),
    }


def test_a_village_of_an_unknown_county_is_an_error_not_a_crash(tmp_path: Path, rows: Rows) -> None:
    code = rows["村"][0]["行政区划代码"]
    rows["村"][0]["行政区划代码"] = "649999" + code[6:]
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "in", rows))
    bad = [e for e in info.value.errors if e.table == "村"]
    assert [(e.row, e.column) for e in bad] == [(2, "行政区划代码")]
    assert "649999" in bad[0].message_zh
    assert _counts()["households"] == 0


def test_members_and_income_alone_update_stored_households(tmp_path: Path, rows: Rows) -> None:
    load(write_folder(tmp_path / "v1", rows))
    only_income = {"收入": [dict(rows["收入"][0], 年度="2025", 季度="")]}
    summary = load(write_folder(tmp_path / "v2", only_income))
    assert summary.counts["income"].inserted == 1
    unknown = {"收入": [dict(rows["收入"][0], 户编号="H404")]}
    with pytest.raises(ImportRejected):
        load(write_folder(tmp_path / "v3", unknown))


def test_workbook_import_matches_csv_import(tmp_path: Path, rows: Rows) -> None:
    summary = load(write_workbook(tmp_path / "in.xlsx", rows))
    assert summary.counts["members"].inserted == 6
    again = load(write_folder(tmp_path / "csv", rows))
    assert sum(c.updated + c.inserted for c in again.counts.values()) == 0


def test_a_partial_file_refers_to_stored_households_and_new_ones_alike(tmp_path: Path, rows: Rows) -> None:
    """New households beside members and income of stored ones: the universe is registry ∪ file."""
    from zengshou.registry.models import Household, Income, Member

    load(write_folder(tmp_path / "v1", rows))
    new_head = dict(rows["家庭成员"][0], 户编号="H004", 证件号码=pid(41, dt.date(1970, 1, 1)), 姓名="马新")
    partial = {
        "家庭": [dict(rows["家庭"][0], 户编号="H004")],
        "家庭成员": [
            new_head,
            # a grandson added to stored H001, whose 户主 is not in this file
            dict(
                rows["家庭成员"][2], 证件号码=pid(42, dt.date(2020, 2, 2)), 与户主关系="之孙子", 姓名="马孙"
            ),
        ],
        "收入": [dict(rows["收入"][0], 户编号="H004"), dict(rows["收入"][0], 年度="2025", 季度="2")],
    }
    alone = read(write_folder(tmp_path / "v2", partial))
    # The file alone does not know H001; with the registry it does.
    assert {(e.table, e.row, e.column) for e in alone.errors} == {
        ("家庭成员", 3, "户编号"),
        ("收入", 3, "户编号"),
    }
    assert validate(tmp_path / "v2").errors == []
    summary = load(tmp_path / "v2")
    assert summary.counts["members"].inserted == 2 and summary.counts["income"].inserted == 2
    assert Household.objects.count() == 4
    assert Member.objects.get(id_number=pid(42, dt.date(2020, 2, 2))).household_id == "H001"
    assert Income.objects.filter(household_id="H001", year=2025, quarter=2).exists()


def test_a_household_row_alone_updates_a_stored_household_with_stored_members(
    tmp_path: Path, rows: Rows
) -> None:
    from zengshou.registry.models import Household

    load(write_folder(tmp_path / "v1", rows))
    changed = {"家庭": [{**rows["家庭"][1], "牛存栏(头)": "4"}, rows["家庭"][2]]}
    summary = load(write_folder(tmp_path / "v2", changed))
    assert summary.counts["households"].updated == 1
    assert Household.objects.get(household_id="H002").cattle == 4
    # With a member sheet that lists only a new household's people, H002's stored members still count.
    changed["家庭"][0]["牛存栏(头)"] = "6"
    changed["家庭"].append({**rows["家庭"][0], "户编号": "H007"})
    changed["家庭成员"] = [
        {**rows["家庭成员"][0], "户编号": "H007", "证件号码": pid(45, dt.date(1981, 1, 1))}
    ]
    summary = load(write_folder(tmp_path / "v3", changed))
    assert (summary.counts["households"].updated, summary.counts["households"].inserted) == (1, 1)
    assert Household.objects.get(household_id="H002").cattle == 6


def test_head_rules_hold_over_registry_and_file(tmp_path: Path, rows: Rows) -> None:
    load(write_folder(tmp_path / "v1", rows))
    second_head = dict(rows["家庭成员"][2], 与户主关系="户主", 证件号码=pid(43, dt.date(1990, 1, 1)))
    new_household = dict(rows["家庭"][0], 户编号="H005")
    file = {"家庭": [new_household], "家庭成员": [second_head]}
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "v2", file))
    found = {(e.table, e.row, e.column): e for e in info.value.errors}
    assert "已有户主" in found[("家庭成员", 2, "与户主关系")].message_zh  # stored head not in the file
    assert "没有成员" in found[("家庭", 2, "户编号")].message_zh  # H005: no members anywhere
    assert _counts()["members"] == 6
    # A stored head who steps down in the file with nobody taking over leaves the household headless.
    stepping_down = {"家庭成员": [dict(rows["家庭成员"][0], 与户主关系="之父")]}
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "v3", stepping_down))
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "与户主关系")]
    assert "没有户主" in info.value.errors[0].message_zh


def test_pairs_may_name_stored_households_beside_new_ones(tmp_path: Path, rows: Rows) -> None:
    from zengshou.registry.models import Pairing

    load(write_folder(tmp_path / "v1", rows))
    file = {
        "家庭": [dict(rows["家庭"][0], 户编号="H006")],
        "家庭成员": [dict(rows["家庭成员"][0], 户编号="H006", 证件号码=pid(44, dt.date(1966, 6, 6)))],
        "帮扶干部": [dict(rows["帮扶干部"][1], 现帮扶户编号="H002;H006")],
    }
    load(write_folder(tmp_path / "v2", file))
    assert set(
        Pairing.objects.filter(cadre_id="C02", ended_on__isnull=True).values_list("household_id", flat=True)
    ) == {"H002", "H006"}
    file["帮扶干部"][0]["现帮扶户编号"] = "H002;H404"
    with pytest.raises(ImportRejected) as info:
        load(write_folder(tmp_path / "v3", file))
    assert [(e.table, e.row, e.column, e.value) for e in info.value.errors] == [
        ("帮扶干部", 2, "现帮扶户编号", "H404")
    ]


def test_a_workbook_typed_by_excel_imports_like_the_csv_folder(tmp_path: Path, rows: Rows) -> None:
    from zengshou.registry.models import Household, Income

    rows["家庭成员"][0]["残疾等级"] = "二级"  # as the workbook's 残联 sheet says, so the feed changes nothing
    summary = load(write_typed_workbook(tmp_path / "typed.xlsx", rows))
    assert summary.counts["members"].inserted == 6 and summary.counts["income"].inserted == 4
    assert [f.kind for f in summary.feeds] == ["残联"]
    assert Household.objects.get(household_id="H001").phone == "13912345678"
    assert str(Income.objects.get(household_id="H001", year=2025, quarter=1).wage) == "9000.50"
    again = load(write_folder(tmp_path / "csv", rows))
    assert again.changed == 0
    with pytest.raises(ImportRejected) as info:
        load(write_typed_workbook(tmp_path / "ids.xlsx", rows, ids_as_numbers={0, 4}))
    assert {(e.table, e.row, e.column) for e in info.value.errors} == {
        ("家庭成员", 2, "证件号码"),
        ("家庭成员", 6, "证件号码"),
    }


@pytest.mark.parametrize("case", ["corrupt", "empty", "missing", "no-tables"])
def test_unreadable_input_is_rejected_naming_the_file_and_writes_nothing(tmp_path: Path, case: str) -> None:
    path = tmp_path / ("in" if case == "no-tables" else "农户.xlsx")
    if case == "corrupt":
        path.write_bytes(b"PK\x03\x04 truncated")
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "no-tables":
        path.mkdir()
        (path / "readme.txt").write_text("说明", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        load(path)
    [e] = info.value.errors
    assert e.table == path.name and e.value == str(path)
    assert _counts() == {"households": 0, "members": 0, "income": 0, "cadres": 0, "pairings": 0}
