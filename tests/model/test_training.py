"""M02 training: refuses too little data, calibrates, stores versions that score the same after loading."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.income.build import Builder
from zengshou.model import ModelError, build, load, model_params, outcomes, save, train, versions
from zengshou.model.training import parse_years


@pytest.fixture(scope="module")
def trained(panel):
    pop, _ = panel
    return train(pop, [2021, 2022, 2023], model_params(), source="test panel")


def test_refuses_too_little_data_and_says_how_much_it_needs() -> None:
    b = Builder()
    for i in range(30):
        b.household(f"H{i}", 1, {2022: 10000 + i, 2023: 9000 + 2 * i})
    with pytest.raises(ModelError) as err:
        train(b.population(), params=model_params())
    msg = str(err.value)
    assert "训练数据太少" in msg and "30户" in msg and "至少需要1,000户" in msg and "100条" in msg


def test_refuses_a_year_without_the_following_years_income(panel) -> None:
    pop, _ = panel
    with pytest.raises(ModelError, match="缺少2026年"):
        train(pop, [2024, 2025], model_params())
    with pytest.raises(ModelError, match="2022-2024"):
        parse_years("2022 to 2024")
    assert parse_years("2022-2024") == [2022, 2023, 2024]
    assert parse_years("2021,2023") == [2021, 2023]


def test_card_describes_data_and_held_out_metrics(trained) -> None:
    card = trained.card
    assert card["years"] == [2021, 2022, 2023]
    assert card["training"]["rows"] == 3 * 2500 and card["training"]["households"] == 2500
    assert [r["year"] for r in card["training"]["by_year"]] == [2021, 2022, 2023]
    m = card["metrics"]
    assert 0.6 < m["held_out_auc"] <= 1.0  # the panel's job losses and illnesses are learnable
    assert m["held_out_at_budget"]["visits"] == int(np.ceil(card["training"]["held_out_rows"] * 0.05))
    assert card["features"] and card["drift_reference"]["pc_income"]["edges"]


def test_probabilities_are_calibrated_on_a_later_year(trained, panel) -> None:
    """Among households given about p, about p of them were at risk the next year (2024 → 2025, unseen)."""
    pop, _ = panel
    params = model_params()
    frame = build(pop, 2024, params).join(outcomes(pop, 2025, params), on="household_id")
    prob = trained.probability(trained.matrix(frame))
    y = frame["at_risk"].cast(pl.Float64).to_numpy()
    assert prob.min() >= 0.0 and prob.max() <= 1.0
    assert abs(prob.mean() - y.mean()) < 0.05
    order = np.argsort(prob)
    for chunk in np.array_split(order, 4):
        assert abs(prob[chunk].mean() - y[chunk].mean()) < 0.08
    # and the held-out table of the card is there for the model card
    assert len(trained.card["metrics"]["calibration"]) == 10


def test_saved_version_scores_the_same_after_loading(trained, panel, model_home) -> None:
    pop, _ = panel
    frame = build(pop, 2024, model_params())
    folder = save(trained)
    assert folder.name == "v1" and (folder / "booster.txt").exists() and (folder / "card.md").exists()
    assert "风险预测模型 v1" in (folder / "card.md").read_text(encoding="utf-8")
    again = load()
    assert again.version == "v1" and again.card["years"] == [2021, 2022, 2023]
    x = trained.matrix(frame)
    np.testing.assert_allclose(again.probability(x), trained.probability(x))
    save(trained)
    assert versions() == ["v1", "v2"] and load().version == "v2" and load("v1").version == "v1"
    with pytest.raises(ModelError, match="v9"):
        load("v9")


def test_load_without_a_model_says_to_train_first(model_home) -> None:
    with pytest.raises(ModelError, match="zengshou model train"):
        load()


def test_training_is_deterministic(panel) -> None:
    pop, _ = panel
    a = train(pop, [2022, 2023], model_params())
    b = train(pop, [2022, 2023], model_params())
    x = a.matrix(build(pop, 2024, model_params()))
    np.testing.assert_allclose(a.probability(x), b.probability(x))
