"""The alert case tables (M03a–M03l, M04, M05, M07a): one test per case, named by its sentence.

A household case expects ``预警`` (with ``级别`` and ``说明包含``) or ``不预警`` of the file's code for
its household; an area case expects ``区域预警``: area code → the levels of the alerts raised for it
(``不预警``: none), with ``说明包含`` on those alerts.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases import batch


def _check_household(code: str, run: batch.Run, subject: batch.Subject, label: str) -> None:
    expect = subject.expect
    if "expect" not in expect:
        return
    got = batch.rows(run.result.alerts, household_id=subject.household_id, code=code)
    assert expect["expect"] in ("预警", "不预警"), label
    assert len(got) == (1 if expect["expect"] == "预警" else 0), f"{label}: {got}"
    if got:
        if "级别" in expect:
            assert got[0]["level"] == expect["级别"], f"{label}: {got[0]}"
        if "说明包含" in expect:
            assert expect["说明包含"] in got[0]["explanation"], f"{label}: {got[0]['explanation']}"


def _levels(raw: Any) -> list[str]:
    if raw == "不预警":
        return []
    return sorted(raw if isinstance(raw, list) else [raw])


def _check_areas(code: str, run: batch.Run, case: dict[str, Any], label: str) -> None:
    texts: list[str] = []
    for area, raw in case["区域预警"].items():
        got = batch.rows(run.result.alerts, household_id=None, code=code, area_code=str(area))
        assert sorted(r["level"] for r in got) == _levels(raw), f"{label} {area}: {got}"
        texts.extend(r["explanation"] for r in got)
    if "说明包含" in case:
        assert any(case["说明包含"] in t for t in texts), f"{label}: {texts}"


@pytest.mark.parametrize(("name", "index"), batch.cases("M"))
def test_alert_case(name: str, index: int) -> None:
    doc = batch.casebook.load(name)
    case = doc["cases"][index]
    label = f"{name} 第{index + 1}例「{case['name']}」"
    run = batch.run(name, index)
    for subject in run.subjects:
        _check_household(doc["code"], run, subject, label)
    if "区域预警" in case:
        _check_areas(doc["code"], run, case, label)
