"""M02 backtest: the model against today's rules at the same number of visits, and its reasons against the shocks."""

from __future__ import annotations

import pytest

from zengshou.model import ModelError, backtest, model_params


@pytest.fixture(scope="module")
def figures(panel):
    pop, shocks = panel
    return backtest(pop, shocks, budget_share=0.05, params=model_params())


def test_trains_on_earlier_years_and_tests_on_a_later_one(figures) -> None:
    assert figures["train_years"] == [2021, 2022, 2023]
    assert figures["test_year"] == 2024 and figures["outcome_year"] == 2025
    assert figures["test_households"] == 2500 and figures["visits"] == 125
    for who in ("model", "rule_baseline"):
        f = figures[who]
        assert f["visits"] == 125 and 0 <= f["hits"] <= 125
        assert f["precision"] == pytest.approx(f["hits"] / 125, abs=1e-4)
        assert 0.0 <= f["recall"] <= 1.0 and 0.0 <= f["auc"] <= 1.0


def test_on_the_synthetic_region_the_model_beats_the_rules() -> None:
    """The generator's shocks (job loss, illness, disasters, price falls…) show in t and bite in t+1."""
    synth = pytest.importorskip("zengshou.synth")
    region = synth.generate(8000, range(2021, 2026), 11)
    f = backtest(region.population, region.shocks, budget_share=0.05)
    assert f["model"]["auc"] > f["rule_baseline"]["auc"] + 0.1
    above = f["above_line"]  # where M05 does not already flag the household
    assert above["model"]["precision"] > above["rule_baseline"]["precision"] + 0.05
    assert f["model"]["precision"] >= f["rule_baseline"]["precision"]
    assert above["reasons"]["warned_with_shock"] > 50
    assert above["reasons"]["top_reason_match_rate"] > 0.8


def test_top_reasons_point_to_the_applied_shock(figures) -> None:
    r = figures["above_line"]["reasons"]
    assert figures["reasons"]["warned"] == figures["visits"]
    assert r["warned"] == figures["above_line"]["visits"]
    assert r["warned_with_shock"] > 20
    assert r["top_reason_match_rate"] > 0.6
    assert set(r["by_shock"]) <= {"job_loss", "illness"}


def test_backtest_needs_a_year_to_test_after_the_training_years(panel) -> None:
    pop, _ = panel
    with pytest.raises(ModelError, match="测试年度2025需要2025和2026年"):
        backtest(pop, test_year=2025)
    with pytest.raises(ModelError, match="训练年度须早于测试年度2021"):
        backtest(pop, test_year=2021)
