"""The measures stage of the batch pipeline writes the spec's 帮扶措施 table."""

from __future__ import annotations

import polars as pl

from tests.cases import casebook
from zengshou import pipeline
from zengshou.frames import conform
from zengshou.interchange import INCOME, RESULT_TABLES


def test_pipeline_run_writes_the_measures_table(tmp_path) -> None:
    cases = [
        {"household": {"闲置庭院房屋棚圈": "是", "庭院经济意愿": "是"}, "members": [{}, {"年龄": 30}]},
        *({"household": {"户类型": "一般农户"}} for _ in range(9)),
    ]
    pop, _ = casebook.population(cases, 2025)
    wages = [1000.0] + [20000.0 + 5000 * i for i in range(9)]
    pop.income = conform(
        pl.DataFrame({"household_id": pop.households["household_id"], "year": 2025, "wage": wages}), INCOME
    )
    result = pipeline.run_batch(pop, 2025)
    table = result.result_tables()["帮扶措施"]
    assert tuple(table.columns) == RESULT_TABLES["帮扶措施"]
    first = table.filter(pl.col("户编号") == "H-001")
    assert first.filter(pl.col("措施代码") == "L02")["金额(元)"].to_list() == [2000]
    assert first.filter(pl.col("措施代码") == "L11")["证件号码"].null_count() == 0
    paths = pipeline.write_files(result, tmp_path)
    assert (tmp_path / "帮扶措施.csv").read_bytes().startswith("\ufeff户编号,措施代码,证件号码".encode())
    assert any(p.name == "结果.xlsx" for p in paths)


def test_a_year_before_the_plans_gives_no_measures_but_the_run_goes_on(capsys) -> None:
    pop, _ = casebook.population([{}, {}], 2023)
    pop.income = conform(
        pl.DataFrame({"household_id": ["H-001", "H-002"], "year": 2023, "wage": [1.0, 2.0]}), INCOME
    )
    result = pipeline.run_batch(pop, 2023)
    assert result.result_tables()["帮扶措施"].height == 0
    assert result.tiers.height == 2
    assert "尚无取值" in capsys.readouterr().err
