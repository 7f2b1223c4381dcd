"""Amounts in reasons and explanations: whole yuan with thousands separators."""

from __future__ import annotations

import polars as pl

from zengshou.income.text import percent_text, yuan_text


def test_yuan_text() -> None:
    values = [0.0, 5.0, 999.4, 999.5, 1000.0, 6512.4, -1234.5, 1_000_000.0, 12_345_678.9, 1_005_007.0, None]
    out = pl.DataFrame({"x": values}).select(yuan_text(pl.col("x")).alias("s"))["s"].to_list()
    assert out == [
        "0",
        "5",
        "999",
        "1,000",
        "1,000",
        "6,512",
        "-1,235",
        "1,000,000",
        "12,345,679",
        "1,005,007",
        None,
    ]


def test_percent_text() -> None:
    out = pl.DataFrame({"x": [0.3512, 0.5, 0.0]}).select(percent_text(pl.col("x")).alias("s"))["s"].to_list()
    assert out == ["35.1%", "50.0%", "0.0%"]
