"""M02 scoring: levels from probabilities, three plain-Chinese reasons, alerts of code R01, drift."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from zengshou.model import alerts, build, model_params, score, train
from zengshou.model.features import FEATURE_NAMES
from zengshou.model.reasons import GROUPS, group_contributions, texts, top_reasons
from zengshou.monitor.rules import ALERT_SCHEMA


@pytest.fixture(scope="module")
def model(panel):
    pop, _ = panel
    return train(pop, [2021, 2022, 2023], model_params())


@pytest.fixture(scope="module")
def scored(model, panel):
    pop, _ = panel
    return score(model, pop, 2024, model_params())


def test_scores_rank_every_household_and_mark_the_visit_budget(scored) -> None:
    s = scored.scores
    assert s.height == 2500
    assert s["rank"].to_list() == list(range(1, 2501))
    assert s["probability"].is_sorted(descending=True)
    assert int(s["in_budget"].sum()) == 125  # 5% of 2,500
    assert s["code"].unique().to_list() == ["R01"]


def test_levels_follow_the_probability_cutoffs(scored) -> None:
    s = scored.scores
    lv = {lvl: s.filter(pl.col("level") == lvl)["probability"] for lvl in ("一级", "二级", "三级")}
    assert lv["一级"].min() >= 0.80
    assert lv["二级"].min() >= 0.60 and lv["二级"].max() < 0.80
    assert lv["三级"].min() >= 0.45 and lv["三级"].max() < 0.60
    unwarned = s.filter(pl.col("level").is_null())
    # under the last cut-off, or beyond the alert share (10% of 2,500 = the 250 most likely)
    assert (unwarned.filter(pl.col("rank") <= 250)["probability"] < 0.45).all()
    assert s.filter(pl.col("level").is_not_null())["rank"].max() <= 250


def test_a_lost_job_is_named_as_the_reason(scored, panel) -> None:
    """Households whose member's job ended in 2024 (人社) get that job loss among their reasons."""
    _, shocks = panel
    lost = shocks.filter((pl.col("year") == 2024) & (pl.col("shock") == "job_loss"))["household_id"]
    top = scored.scores.filter(pl.col("household_id").is_in(lost.to_list()) & pl.col("in_budget"))
    assert top.height > 10
    first = top["reasons"].list.first()
    named = first.str.contains("就业终止") | first.str.contains("工资性收入")
    assert named.mean() > 0.8
    assert top["reasons"].list.len().max() == 3


def test_reason_texts_use_the_households_figures() -> None:
    frame = pl.DataFrame(
        {
            "year": [2024],
            "pc_income": [6512.4],
            "line_ratio": [0.9],
            "under_line_now": [1.0],
            "pc_change_ratio": [-0.2],
            "pc_change_ratio_prev": [0.1],
            "wage_change_ratio": [-0.48],
            "wage_share": [0.5],
            "operating_change_ratio": [0.1],
            "operating_share": [0.3],
            "dibao_ended": [0.0],
            "transfer_share": [0.2],
            "medical_high_new": [1.0],
            "medical_high": [1.0],
            "medical_self_paid": [21300.0],
            "temporary_assistance": [0.0],
            "rigid_ratio": [0.4],
            "size": [4.0],
            "working_age": [1.0],
            "disability_new": [1.0],
            "disability_severe_new": [1.0],
            "disability_total": [1.0],
            "jobs_ended": [1.0],
            "employed_change": [-1.0],
            "employed_end": [0.0],
            "area_disasters": [2.0],
            "area_disaster_loss": [350.4],
            "county_op_fall_share": [0.35],
            "county_change_median": [-0.05],
            "rule_alerts": [2.0],
            "rule_alerts_prev": [1.0],
        }
    )
    t = texts(frame).row(0, named=True)
    assert t["wage"] == "工资性收入较上年下降48%"
    assert t["medical"] == "家庭成员新增大病（医保个人自付21,300元）"
    assert t["disaster"] == "所在村（乡、县）2024年发生灾害2次，直接经济损失350万元"
    assert t["income_level"] == "人均纯收入6,512元，低于当年监测范围"
    assert t["employment"] == "1名家庭成员就业终止，暂无新就业（人社数据）"
    assert t["disability"] == "家庭成员新增残疾1人（重度1人）"
    # contributions: groups summed, only those that raise the risk, largest first
    contrib = np.zeros((1, len(FEATURE_NAMES) + 1))
    contrib[0, FEATURE_NAMES.index("wage_change_ratio")] = 0.9
    contrib[0, FEATURE_NAMES.index("wage_share")] = 0.2
    contrib[0, FEATURE_NAMES.index("medical_high_new")] = 0.8
    contrib[0, FEATURE_NAMES.index("pc_income")] = -0.5
    contrib[0, -1] = 3.0  # the bias is nobody's reason
    g = group_contributions(contrib)[0]
    assert g[GROUPS.index("wage")] == pytest.approx(1.1)
    why = top_reasons(frame, contrib).row(0, named=True)
    assert why["reason_groups"] == ["wage", "medical"]
    assert why["reasons"] == ["工资性收入较上年下降48%", "家庭成员新增大病（医保个人自付21,300元）"]


def test_alerts_have_the_pipelines_shape_and_say_why(scored) -> None:
    al = alerts(scored.scores)
    assert dict(al.schema) == {k: v for k, v in ALERT_SCHEMA.items()}
    assert al.height == scored.scores.filter(pl.col("level").is_not_null()).height > 0
    first = al.row(0, named=True)
    assert first["code"] == "R01" and first["fingerprint"] == f"R01|{first['household_id']}|2024"
    assert first["explanation"].startswith("模型预测2025年收入下降或低于监测范围的概率约")
    assert "主要原因：1. " in first["explanation"]
    assert first["area_code"] == scored.scores.row(0, named=True)["village_code"]


def test_drift_is_reported_when_the_scored_year_looks_different(model, panel) -> None:
    pop, _ = panel
    from zengshou.frames import Population

    assert not any(d["feature"] == "pc_income" for d in score(model, pop, 2024).drift)
    richer = Population(
        households=pop.households,
        members=pop.members,
        villages=pop.villages,
        income=pop.income.with_columns(
            pl.when(pl.col("year") == 2024).then(pl.col("wage") * 4).otherwise(pl.col("wage")).alias("wage")
        ),
        feeds=pop.feeds,
    )
    drift = score(model, richer, 2024).drift
    names = [d["feature"] for d in drift]
    assert "pc_income" in names and "wage_change_ratio" in names
    assert all(d["psi"] >= 0.25 for d in drift)
    assert next(d for d in drift if d["feature"] == "pc_income")["label"] == "人均纯收入（元）"


def test_scoring_a_year_without_income_is_refused(model, panel) -> None:
    from zengshou.model import ModelError

    pop, _ = panel
    with pytest.raises(ModelError, match="2030年没有全年收入数据"):
        score(model, pop, 2030)
    assert build(pop, 2024, model_params()).height == 2500


def test_pipeline_alerts_use_the_latest_stored_model_or_none(model, panel, model_home) -> None:
    from zengshou.model import pipeline_alerts, save

    pop, _ = panel
    assert pipeline_alerts(pop, 2024).height == 0  # no model trained yet: the rules run alone
    save(model)
    al = pipeline_alerts(pop, 2024)
    assert al.height > 0 and set(al["code"]) == {"R01"}
    assert "（模型v1，" in al["explanation"][0]


def test_drift_sees_a_feature_that_never_moved_in_training() -> None:
    """住建 records only in the scored year: 0 everywhere in training, 1 for a third when scoring."""
    from zengshou.model import drift

    train = pl.DataFrame({"house_unsafe": [0.0] * 900, "pc_income": [float(i) for i in range(900)]})
    ref = drift.reference(train, ["house_unsafe", "pc_income"])
    now = pl.DataFrame(
        {"house_unsafe": [0.0] * 600 + [1.0] * 300, "pc_income": [float(i) for i in range(900)]}
    )
    rows = drift.report(ref, now, 0.25, {"house_unsafe": "住建鉴定C/D级"})
    assert [r["feature"] for r in rows] == ["house_unsafe"]
    assert rows[0]["label"] == "住建鉴定C/D级" and rows[0]["psi"] > 1
