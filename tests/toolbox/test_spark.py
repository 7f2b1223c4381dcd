"""One definition, two runners: the Spark runner gives the polars runner's measures and amounts.

pyspark is installed by ``make install`` (the ``spark`` extra) and Java by ``make system-packages``;
the Spark session is the one of ``tests/conftest.py``.
"""

from __future__ import annotations

import polars as pl

from tests.cases import casebook
from zengshou import toolbox
from zengshou.toolbox import county


def _all_cases() -> list[dict]:
    cases = []
    for name in casebook.measure_files():
        cases.extend(casebook.load(name)["cases"])
    return cases


def _key(frame: pl.DataFrame) -> list[tuple]:
    cols = ["household_id", "code", "id_number", "amount", "units", "reason"]
    return sorted(frame.select(cols).rows(), key=str)


def test_spark_runner_matches_polars_on_every_case_table(spark) -> None:
    from zengshou.toolbox.spark import evaluate_spark

    pop, q = casebook.population(_all_cases(), 2025)
    expected = toolbox.evaluate(pop, q, 2025)
    got = evaluate_spark(spark, pop, q, 2025)
    assert expected.height > 100
    assert _key(got) == _key(expected)


def test_spark_runner_honours_county_toolboxes(spark) -> None:
    from zengshou.toolbox.spark import evaluate_spark

    tb = county.load_file(county.TOOLBOX_DIR / "examples" / "640522.yaml")
    cases = [
        {
            "household": {
                "行政区划代码": v,
                "闲置庭院房屋棚圈": "是",
                "庭院经济意愿": "是",
                "牛存栏(头)": 4,
                "五等份组": g,
            }
        }
        for v in ("640522100201", "640324100201")
        for g in ("低收入组", "中间偏下收入组")
    ]
    pop, q = casebook.population(cases, 2026)
    expected = toolbox.evaluate(pop, q, 2026, county_toolboxes={"640522": tb})
    got = evaluate_spark(spark, pop, q, 2026, county_toolboxes={"640522": tb})
    assert _key(got) == _key(expected)
    assert {"X640522-01", "L02"} <= set(got["code"].to_list())
