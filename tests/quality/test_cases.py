"""Every quality check's case table (``cases/Q*.yaml``) run through the evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.quality import casebook
from zengshou.params import tree
from zengshou.quality import checks as q
from zengshou.quality.evaluate import evaluate, prepare

REPORTED, NOT_REPORTED = "报告", "不报告"


def _cases() -> list[Any]:
    out = []
    for name in casebook.files():
        doc = casebook.load(name)
        for case in doc["cases"]:
            out.append(pytest.param(doc, case, id=f"{doc['code']}-{case['name']}"))
    return out


def _check(expected: dict[str, Any], found: list[dict[str, Any]], where: str) -> None:
    if expected["expect"] == NOT_REPORTED:
        assert found == [], f"{where}: {found}"
        return
    assert expected["expect"] == REPORTED, where
    assert found, f"{where}: not reported"
    messages = " / ".join(f["message"] for f in found)
    if "说明包含" in expected:
        assert expected["说明包含"] in messages, f"{where}: {messages}"
    if "成员" in expected:
        assert expected["成员"] in {f["subject"] for f in found}, f"{where}: {found}"


@pytest.mark.parametrize(("doc", "case"), _cases())
def test_case(doc: dict[str, Any], case: dict[str, Any]) -> None:
    code, year = doc["code"], int(doc.get("year", 2025))
    households = case.get("农户") or [case]
    pop, monitoring, paired, ids = casebook.population(households, year)
    findings = evaluate(prepare(pop, year, tree(), monitoring, paired), codes=(code,))
    assert set(findings["severity"].to_list()) <= {q.CODES[code].severity}
    for hid, expected in zip(ids, households, strict=True):
        found = findings.filter(findings["household_id"] == hid).to_dicts()
        _check(expected, found, f"{code} {case['name']} {hid}")


def test_every_check_has_a_case_table() -> None:
    have = {f.removesuffix(".yaml") for f in casebook.files()}
    assert sorted(set(q.CODES) - have) == []


def test_every_case_table_names_its_code() -> None:
    for name in casebook.files():
        assert casebook.load(name)["code"] == name.removesuffix(".yaml"), name


def test_at_least_forty_numbered_checks_with_severity_message_and_fields() -> None:
    assert len(q.CHECKS) >= 40
    for c in q.CHECKS:
        assert c.code.startswith("Q") and len(c.code) == 4
        assert c.severity in q.SEVERITIES and c.title and c.message and c.reads
