"""Every household-level code has a case table: each measure (and L00), each alert but the model's
(R01), the classification C01–C03 and the pairing S02."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.cases import casebook
from zengshou.toolbox import definitions as d

MODEL_CODES = {"R01"}
CLASSIFICATION_CODES = {"C01", "C02", "C03"}
PAIRING_CODES = {"S02"}


def _code(entry: Any) -> str:
    """An alert's code, whether the catalogue lists codes (a mapping's keys) or declarations."""
    return entry if isinstance(entry, str) else str(entry.code)


def alert_codes() -> set[str]:
    """The alert codes of ``zengshou.monitor.rules.CODES``, however that catalogue is declared."""
    from zengshou.monitor import rules

    codes: Iterable[Any] = rules.CODES
    if isinstance(codes, dict):
        codes = codes.keys()
    return {_code(c) for c in codes}


def required_codes() -> set[str]:
    measures = {m.code for m in d.MEASURES} | {"L00"}
    return measures | (alert_codes() - MODEL_CODES) | CLASSIFICATION_CODES | PAIRING_CODES


def test_every_household_code_has_a_case_table() -> None:
    have = {f.removesuffix(".yaml") for f in casebook.files()}
    assert sorted(required_codes() - have) == []


def test_every_case_table_names_its_code() -> None:
    for name in casebook.files():
        assert casebook.load(name)["code"] == name.removesuffix(".yaml"), name
