import datetime as dt
from pathlib import Path

import pytest

from zengshou.params import ParameterError, ParameterSet


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
