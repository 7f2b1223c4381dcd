"""The plans' targets load as data; progress is compared with the time elapsed."""

from __future__ import annotations

import polars as pl
import pytest

from zengshou.assess.targets import TargetError, load_targets, status


def test_shipped_targets_have_the_plans_figures() -> None:
    t = load_targets()
    by_id = {r["target_id"]: r for r in t.iter_rows(named=True)}
    assert by_id["L05:以工代赈岗位"]["value"] == 10000
    assert by_id["L07:就业帮扶车间新增岗位"]["value"] == 2000
    assert by_id["L13b:村集体经济收益分红村数"]["value"] == 460
    assert all(r["units"] for r in t.iter_rows(named=True))


def test_behind_schedule_on_time_done_and_no_data() -> None:
    t = load_targets()
    progress = pl.DataFrame(
        {
            "target_id": [
                "L05:以工代赈岗位",
                "L07:就业帮扶车间新增岗位",
                "T09:农村劳动力转移就业",
                "T09:农村劳动力转移就业",
            ],
            "year": [2025, 2025, 2024, 2025],
            "quarter": [2, 2, 4, 2],
            # L05 due 2025-12-31: half the year gone, 3,000 of 10,000 done → behind
            # L07: 1,500 of 2,000 → on time; T09 annual: 2024's figure does not count for 2025
            "value": [3000.0, 1500.0, 900000.0, 500000.0],
        }
    )
    s = {r["target_id"]: r for r in status(t, progress, 2025, 2).iter_rows(named=True)}
    assert s["L05:以工代赈岗位"]["status"] == "滞后"
    assert s["L05:以工代赈岗位"]["expected_share"] == pytest.approx(181 / 365)
    assert s["L07:就业帮扶车间新增岗位"]["status"] == "正常"
    assert s["T09:农村劳动力转移就业"]["done"] == 500000
    assert s["T09:农村劳动力转移就业"]["status"] == "正常"  # 62.5% done, 49.6% of the year gone
    assert s["L13b:村集体经济收益分红村数"]["status"] == "无数据"


def test_a_rate_target_is_due_in_full_at_every_report() -> None:
    t = load_targets()
    progress = pl.DataFrame(
        {
            "target_id": ["T04:主要农作物良种覆盖率", "T09:有组织化输出比例"],
            "year": [2025, 2025],
            "quarter": [1, 1],
            # 97% seed coverage in the first quarter is behind a 98% target, though little time has passed
            "value": [97.0, 41.0],
        }
    )
    s = {r["target_id"]: r for r in status(t, progress, 2025, 1).iter_rows(named=True)}
    assert s["T04:主要农作物良种覆盖率"]["expected_share"] == 1.0
    assert s["T04:主要农作物良种覆盖率"]["status"] == "滞后"
    assert s["T09:有组织化输出比例"]["status"] == "已完成"
    assert s["T05:畜禽粪污综合利用率"]["status"] == "无数据"


def test_bad_file_is_named(tmp_path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("targets:\n  - {code: X1, name: 甲, value: 1, unit: 个}\n", encoding="utf-8")
    with pytest.raises(TargetError, match="deadline"):
        load_targets(p)
