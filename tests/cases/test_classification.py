"""The classification case tables (C01 groups, C02 tiers, C03 override): one test per case.

``expect`` is a group (低收入组 … 高收入组), a tier (风险防范户 …), ``未分组`` / ``未分层`` (a result
row without one) or ``无分层结果`` (no row: the household was not accounted). ``五等份组`` may be
expected beside a tier; ``说明包含`` / ``说明不含`` are read in the result's 依据; ``调整为风险防范户``
(是/否) says whether C03 moved the household down.
"""

from __future__ import annotations

import pytest

from tests.cases import batch
from zengshou import interchange as ix

UNRANKED = ("未分组", "未分层")


def _check(run: batch.Run, subject: batch.Subject, label: str) -> None:
    expect = subject.expect
    if "expect" not in expect:
        return
    want = expect["expect"]
    got = batch.rows(run.result.tiers, household_id=subject.household_id)
    if want == "无分层结果":
        assert got == [], f"{label}: {got}"
        return
    assert len(got) == 1, label
    row = got[0]
    if want in ix.QUINTILES:
        assert row["quintile"] == want, f"{label}: {row}"
    elif want in ix.TIERS:
        assert row["tier"] == want, f"{label}: {row}"
    else:
        assert want in UNRANKED, label
        assert (row["quintile"], row["tier"]) == (None, None), f"{label}: {row}"
    if "五等份组" in expect:
        assert row["quintile"] == expect["五等份组"], f"{label}: {row}"
    if "调整为风险防范户" in expect:
        assert row["c03_override"] == (expect["调整为风险防范户"] == "是"), f"{label}: {row}"
    if "说明包含" in expect:
        assert expect["说明包含"] in row["reasons"], f"{label}: {row['reasons']}"
    if "说明不含" in expect:
        assert expect["说明不含"] not in row["reasons"], f"{label}: {row['reasons']}"


@pytest.mark.parametrize(("name", "index"), batch.cases("C"))
def test_classification_case(name: str, index: int) -> None:
    case = batch.casebook.load(name)["cases"][index]
    label = f"{name} 第{index + 1}例「{case['name']}」"
    run = batch.run(name, index)
    for subject in run.subjects:
        _check(run, subject, label)
