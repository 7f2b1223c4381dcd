"""M02: the model's alerts in an official's words — a Chinese name, and probabilities never shown as certain."""

from __future__ import annotations

import polars as pl

from zengshou.model import alerts, model_params
from zengshou.model.reasons import probability_text
from zengshou.model.scoring import SCORE_SCHEMA
from zengshou.monitor.rules import CODES


def _scores(probabilities: list[float]) -> pl.DataFrame:
    n = len(probabilities)
    return pl.DataFrame(
        {
            "household_id": [f"64052210020100{i:02d}" for i in range(n)],
            "village_code": ["640522100201"] * n,
            "year": [2025] * n,
            "probability": probabilities,
            "rank": list(range(1, n + 1)),
            "in_budget": [True] * n,
            "level": ["一级"] * n,
            "code": ["R01"] * n,
            "model_version": ["v1"] * n,
            "reason_groups": [["wage"]] * n,
            "reasons": [["工资性收入较上年下降48%"]] * n,
            "rule_flag": [False] * n,
        },
        schema=SCORE_SCHEMA,
    )


def test_the_model_alert_code_has_a_chinese_name_like_every_rule() -> None:
    code = str(model_params().for_year("M02.alert_code", 2025))
    assert code == "R01"
    assert CODES[code].startswith("智能模型预警")


def test_a_probability_is_shown_rounded_to_five_points_with_about() -> None:
    shown = pl.select(probability_text(pl.Series([0.847, 0.612, 0.45]))).to_series().to_list()
    assert shown == ["约85%", "约60%", "约45%"]


def test_a_calibrated_certainty_is_never_written_as_100_percent() -> None:
    al = alerts(_scores([1.0, 0.99, 0.8]))
    texts = al["explanation"].to_list()
    assert all("100%" not in t for t in texts)
    assert texts[0].startswith("模型预测2026年收入下降或低于监测范围的概率约95%（模型v1，风险排名第1）")
    assert "概率约95%" in texts[1] and "概率约80%" in texts[2]


def test_the_ceiling_and_step_come_from_the_dated_parameters() -> None:
    import datetime as dt

    params = model_params().with_value(
        "M02.shown_probability", {"step": 0.1, "ceiling": 0.9}, dt.date(2025, 1, 1)
    )
    texts = alerts(_scores([0.97, 0.64]), params)["explanation"].to_list()
    assert "概率约90%" in texts[0] and "概率约60%" in texts[1]


def test_no_warned_household_gives_no_alert_rows() -> None:
    assert alerts(_scores([0.9]).with_columns(pl.lit(None, dtype=pl.Utf8).alias("level"))).height == 0


def test_a_household_of_working_age_is_not_said_to_carry_a_heavy_dependency_burden() -> None:
    from zengshou.model.features import FEATURES
    from zengshou.model.reasons import texts

    frame = pl.DataFrame({f.name: [0.0, 0.0] for f in FEATURES}).with_columns(
        pl.Series("year", [2025, 2025]),
        pl.Series("size", [3.0, 3.0]),
        pl.Series("working_age", [3.0, 1.0]),
    )
    assert texts(frame)["structure"].to_list() == [
        "家庭3人，均为劳动年龄人口",
        "家庭3人中劳动年龄人口仅1人，抚养负担重",
    ]
