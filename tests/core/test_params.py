import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
import yaml

from zengshou.params import MEASURE_CODES, PARAMS_DIR, RENAMED, ParameterError, ParameterSet, tree


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_values_hold_from_their_date_and_later_files_override(tmp_path: Path) -> None:
    base = _write(
        tmp_path,
        "base.yaml",
        "line:\n  code: M05\n  source: test\n  values:\n    - {from: 2023-01-01, value: 6900}\n"
        "    - {from: 2024-01-01, value: 7100}\n",
    )
    ps = ParameterSet.load(base)
    assert ps.for_year("line", 2023) == 6900
    assert ps.for_year("line", 2025) == 7100
    assert ps.get("line").code == "M05"
    with pytest.raises(ParameterError, match="尚无取值"):
        ps.at("line", dt.date(2022, 6, 1))
    over = _write(tmp_path, "over.yaml", "line:\n  values:\n    - {from: 2024-01-01, value: 8000}\n")
    assert ParameterSet.load(base, over).for_year("line", 2024) == 8000


def test_what_if_change_does_not_rewrite_earlier_years(tmp_path: Path) -> None:
    base = _write(tmp_path, "b.yaml", "amount:\n  values:\n    - {from: 2020-01-01, value: 2000}\n")
    ps = ParameterSet.load(base).with_value("amount", 3000, dt.date(2026, 1, 1))
    assert ps.for_year("amount", 2025) == 2000
    assert ps.for_year("amount", 2026) == 3000


def test_bad_files_name_the_file_and_key(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", "amount:\n  values:\n    - {from: soon, value: 1}\n")
    with pytest.raises(ParameterError, match=r"bad\.yaml: amount"):
        ParameterSet.load(bad)
    with pytest.raises(ParameterError, match="unknown parameter"):
        ParameterSet().get("nothing")


# --- the shipped tree ------------------------------------------------------------------------------

CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "policy" / "catalogue.md"


def _catalogue_codes() -> set[str]:
    """The codes of the catalogue's tables, L00 (the toolbox's rule for the working definitions), the
    alerts' codes, which split M03 as the catalogue splits a clause (M03a … M03l), and the measures
    that split a catalogue code the same way (T17a … of T17)."""
    from zengshou.monitor.alerts import CODES
    from zengshou.toolbox.definitions import MEASURES

    text = CATALOGUE.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| ([CMLSTW]\d{2}[a-z]?) \|", text, flags=re.MULTILINE)) | {"L00"}
    splits = {m.code for m in MEASURES if m.code[:3] in listed and m.code[3:].isalpha()}
    return listed | splits | set(CODES)


def test_the_tree_is_keyed_by_catalogue_code() -> None:
    codes = _catalogue_codes()
    assert {"C01", "M05", "S02", "L13b", "T18", "W01"} <= codes
    ps = tree()
    assert "M05.monitoring_line" in ps.params and "S02.max_households" in ps.params
    outside = [k for k in ps.params if k.split(".", 1)[0] not in codes]
    assert not outside, f"keys without a catalogue code: {outside}"
    wrong = [k for k, p in ps.params.items() if not k.endswith(".enabled") and p.code != k.split(".", 1)[0]]
    assert not wrong, f"keys whose code field is another code: {wrong}"


def test_every_parameter_has_a_short_reference() -> None:
    ps = tree()
    assert not [k for k, p in ps.params.items() if not p.reference.strip()]
    assert not [k for k, p in ps.params.items() if len(p.reference) > 80 or "ASSUMPTION" in p.reference]
    line = ps.get("M05.monitoring_line")
    assert line.assumption and line.reference_text.endswith("假设值")
    amount = ps.get("L02.amount")
    assert not amount.assumption and amount.reference_text == amount.reference


def test_the_tree_is_read_once_and_each_caller_gets_its_own_set(tmp_path: Path) -> None:
    a, b = tree(), tree()
    assert a.params is not b.params and a.get("L02.amount") is b.get("L02.amount")
    a.layer({"L02.amount": a.get("L02.amount")})
    over = _write(tmp_path, "over.yaml", "L02.amount:\n  values:\n    - {from: 2026-01-01, value: 3000}\n")
    assert tree([over]).for_year("L02.amount", 2026) == 3000
    assert tree().for_year("L02.amount", 2026) == 2000
    assert ParameterSet.shipped(overrides=[over]).for_year("L02.amount", 2026) == 3000


def test_an_old_key_in_a_user_file_is_refused_with_its_new_name(tmp_path: Path) -> None:
    assert RENAMED["pairing_max_households"] == "S02.max_households"
    assert RENAMED["quintile_cut_points"] == "C01.cut_points"
    old = _write(
        tmp_path, "mine.yaml", "monitoring_line:\n  values:\n    - {from: 2025-01-01, value: 8000}\n"
    )
    with pytest.raises(ParameterError) as err:
        tree([old])
    message = str(err.value)
    assert "mine.yaml" in message and "参数 monitoring_line 已更名为 M05.monitoring_line" in message
    new = _write(
        tmp_path, "new.yaml", "M05.monitoring_line:\n  values:\n    - {from: 2025-01-01, value: 8000}\n"
    )
    assert tree([new]).for_year("M05.monitoring_line", 2025) == 8000
    assert all(k not in tree().params for k in RENAMED)


def test_an_old_key_in_a_county_toolbox_file_is_refused_with_its_new_name(tmp_path: Path) -> None:
    from zengshou.toolbox import county

    text = (
        'county: "640522"\nparams:\n  L04.max_spare_labourers:\n    source: 本县文件\n'
        "    values: [{from: 2025-01-01, value: 1}]\n"
    )
    with pytest.raises(
        county.ToolboxError, match=r"L04\.max_spare_labourers 已更名为 L04a\.max_spare_labourers"
    ):
        county.parse_text(text, "640522.yaml")


@pytest.mark.django_db
def test_the_migration_renames_a_stored_county_toolboxs_keys() -> None:
    from django.apps import apps

    from zengshou.toolbox import county
    from zengshou.toolbox.models import CountyToolboxVersion

    migration = importlib.import_module("zengshou.toolbox.migrations.0002_parameter_keys")
    old = (
        "# 海原县\n"
        'county: "640522"\n'
        "params:\n"
        "  L04.max_spare_labourers: {source: 本县文件, values: [{from: 2025-01-01, value: 1}]}\n"
        "  scope.quintiles:\n"
        "    source: 本县文件\n"
        "    values: [{from: 2025-01-01, value: [低收入组, 中间偏下收入组]}]\n"
        "  X640522-01.amount: {label: 贴息, unit: 元/户, source: 本县文件, values: [{from: 2025-01-01, value: 1}]}\n"
        "local_measures:\n"
        "  - code: X640522-01\n"
        "    title: 贴息\n"
        "    conditions:\n"
        "      - {fact: healthy_labourers, op: '>=', param: L09.labourers,"
        " requirement: '至少 {L09.labourers} 个劳动力'}\n"
        "    amount: {param: X640522-01.amount}\n"
    )
    v = CountyToolboxVersion.objects.create(county_code="640522", version=1, content=old, created_by="test")
    migration.forwards(apps, None)
    v.refresh_from_db()
    assert v.content == (
        old.replace("L04.max_spare_labourers", "L04a.max_spare_labourers")
        .replace("scope.quintiles", "L00.quintiles")
        .replace("L09.labourers", "L09b.labourers")
    )
    tb = county.parse_text(v.content, "640522 第1版")
    assert tb.params["L04a.max_spare_labourers"].values[0].value == 1
    assert tb.params["L00.quintiles"].reference == "本县文件"
    migration.backwards(apps, None)
    v.refresh_from_db()
    assert v.content == old


def test_every_measure_is_enabled_unless_a_file_says_false(tmp_path: Path) -> None:
    from zengshou.toolbox import definitions

    assert set(MEASURE_CODES) == {m.code for m in definitions.MEASURES}
    shipped = [k for p in PARAMS_DIR.glob("*.yaml") for k in yaml.safe_load(p.read_text(encoding="utf-8"))]
    assert not [k for k in shipped if k.endswith(".enabled")]
    ps = tree()
    assert all(ps.for_year(f"{code}.enabled", 2025) is True for code in MEASURE_CODES)
    assert ps.get("L13a.enabled").code == "W01" and ps.get("L13a.enabled").label == "启用本措施"
    assert "L13a.enabled" in ParameterSet.shipped("toolbox").params
    off = _write(tmp_path, "off.yaml", "L13a.enabled:\n  values:\n    - {from: 2025-01-01, value: false}\n")
    ps = tree([off])
    assert ps.for_year("L13a.enabled", 2025) is False and ps.for_year("L13b.enabled", 2025) is True
