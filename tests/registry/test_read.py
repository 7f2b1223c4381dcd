"""The registry read into frames: every reader gives the same frames, and a transaction sees its writes."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from zengshou.frames import Population
from zengshou.registry import read

TABLES = ("households", "members", "income", "villages", "cadres")


def _frames(pop: Population) -> dict[str, pl.DataFrame]:
    return {**{t: getattr(pop, t) for t in TABLES}, **pop.feeds}


@pytest.fixture
def generated_region(areas_db: None, tmp_path: Any) -> None:
    from zengshou.ingest import load
    from zengshou.synth import generate, write

    write(generate(400, [2023, 2024], seed=11), tmp_path / "region", "csv")
    load(tmp_path / "region")


def _through_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the plain Django cursor, the reader the Arrow readers must agree with."""
    monkeypatch.setattr(
        read.SQLiteReader, "frame", lambda self, sql, params, names: read._cursor_rows(sql, params, names)
    )
    monkeypatch.setattr(read, "_copy_out", lambda sql, params, sch: read._cursor_rows(sql, params, list(sch)))


def test_the_registry_read_as_arrow_columns_equals_the_registry_read_row_by_row(
    generated_region: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    calls: list[str] = []
    if connection.vendor == "postgresql":
        copy_out = read._copy_out
        monkeypatch.setattr(read, "_copy_out", lambda *a: calls.append(a[0]) or copy_out(*a))
    else:
        frame = read.SQLiteReader.frame
        monkeypatch.setattr(
            read.SQLiteReader, "frame", lambda self, *a: calls.append(a[0]) or frame(self, *a)
        )
    fast = _frames(read.population_from_database(None, years=(2023, 2024)))
    county_code = fast["households"]["village_code"][0][:6]
    county = _frames(read.population_from_database(county_code, years=(2024,)))
    assert len(calls) >= 2 * len(fast)  # every table came as Arrow columns
    assert 0 < county["households"].height < 400
    _through_cursor(monkeypatch)
    slow = _frames(read.population_from_database(None, years=(2023, 2024)))
    assert fast["households"].height == 400 and fast["income"].height > 0
    for name, frame in slow.items():
        assert_frame_equal(fast[name], frame, check_row_order=True)
    slow_county = _frames(read.population_from_database(county_code, years=(2024,)))
    for name, frame in slow_county.items():
        assert_frame_equal(county[name], frame)


def test_text_with_quotes_commas_line_breaks_and_blanks_comes_back_as_written(areas_db: None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE zs_read_probe (t TEXT, n NUMERIC(12, 2), b BOOLEAN, d DATE)")
        cur.execute(
            "INSERT INTO zs_read_probe VALUES (%s, %s, %s, %s), (%s, %s, %s, %s), (%s, %s, %s, %s)",
            ['马"小",兰\n二组', "12.50", True, "2024-03-01", "", None, False, None, None, "0", None, None],
        )
    try:
        sch = {"t": pl.Utf8, "n": pl.Float64, "b": pl.Boolean, "d": pl.Date}
        got = read.query_frame("SELECT t, n, b, d FROM zs_read_probe", [], sch)
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE zs_read_probe")
    written = got.filter(pl.col("n") == 12.5)
    assert written["t"].to_list() == ['马"小",兰\n二组'] and written["b"].to_list() == [True]
    assert got["t"].null_count() == 2  # '' and NULL are both "no value" in a frame
    assert sorted(got["d"].drop_nulls().cast(pl.Utf8).to_list()) == ["2024-03-01"]


@pytest.mark.django_db(transaction=False)
def test_a_read_inside_a_transaction_sees_what_the_transaction_wrote(village: Any) -> None:
    from zengshou.registry.models import Household

    Household.objects.create(
        household_id="640522100201000001",
        village=village,
        household_type="脱贫户",
        housing_safe=True,
        water_safe=True,
    )
    pop = read.population_from_database("640522100201")
    assert pop.households["household_id"].to_list() == ["640522100201000001"]
