"""S02 solver: every rule holds on the result, the optimum is the known one, shortages are exact."""

from __future__ import annotations

import itertools
import random

import polars as pl
import pytest

from zengshou.pairing import PairingInputError, pairing_table, solve
from zengshou.pairing.solver import SENIOR_RANK

C = "640522"  # 海原县
C2 = "640402"


def households(rows: list[tuple]) -> pl.DataFrame:
    """(id, county, village, fell, income, current cadre)."""
    return pl.DataFrame(
        rows,
        schema={
            "household_id": pl.Utf8,
            "county_code": pl.Utf8,
            "village_code": pl.Utf8,
            "fell": pl.Boolean,
            "per_capita_income": pl.Float64,
            "cadre_id": pl.Utf8,
        },
        orient="row",
    )


def cadres(rows: list[tuple], area: bool = False) -> pl.DataFrame:
    schema = {"cadre_id": pl.Utf8, "rank": pl.Utf8, "county_code": pl.Utf8}
    if area:
        schema["area_code"] = pl.Utf8
    return pl.DataFrame(rows, schema=schema, orient="row")


def assert_feasible(hh: pl.DataFrame, cd: pl.DataFrame, pairs: pl.DataFrame, cap: int = 5) -> None:
    """Every S02 rule, checked independently of the solver."""
    j = pairs.filter(pl.col("cadre_id").is_not_null()).join(
        cd.select("cadre_id", pl.col("rank").alias("r"), pl.col("county_code").alias("cc")), on="cadre_id"
    )
    assert (j["county_code"] == j["cc"]).all(), "cadre outside own county"
    falling = j.filter(pl.col("fell"))
    assert (falling["r"] == SENIOR_RANK).all(), "falling household without 县处级以上 cadre"
    assert not falling["cadre_id"].is_duplicated().any(), "senior cadre with two falling households"
    assert (j.group_by("cadre_id").len()["len"] <= cap).all(), "more than 5 households"
    assert pairs.height == hh.height and pairs["household_id"].n_unique() == hh.height


def test_keeps_allowed_pairs_and_replaces_disallowed_ones() -> None:
    hh = households(
        [
            ("H1", C, "640522100001", False, 5000, "K1"),  # allowed: keep
            ("H2", C, "640522100001", True, 4000, "K1"),  # fell, K1 is 乡科级: must change
            ("H3", C, "640522100001", False, 4500, "X9"),  # cadre of another county: must change
        ]
    )
    cd = cadres([("K1", "乡科级", C), ("S1", SENIOR_RANK, C), ("X9", "一般干部", C2)])
    r = solve(hh, cd)
    assert_feasible(hh, cd, r.pairs)
    got = dict(zip(r.pairs["household_id"], r.pairs["cadre_id"], strict=True))
    assert got["H1"] == "K1" and got["H2"] == "S1"
    assert got["H3"] in {"K1", "S1"}
    assert r.stats["kept"] == 1 and r.changed == 2
    assert r.shortage.height == 0


def test_falling_households_are_one_to_one_with_senior_cadres() -> None:
    hh = households([(f"F{i}", C, "640522100001", True, 3000 + i, None) for i in range(3)])
    cd = cadres([("S1", SENIOR_RANK, C), ("S2", SENIOR_RANK, C), ("S3", SENIOR_RANK, C), ("K1", "乡科级", C)])
    r = solve(hh, cd)
    assert_feasible(hh, cd, r.pairs)
    assert sorted(r.pairs["cadre_id"].to_list()) == ["S1", "S2", "S3"]
    assert (r.pairs["change"] == "新结对").all()


def test_loads_are_balanced() -> None:
    hh = households([(f"H{i:02d}", C, "640522100001", False, 5000 + i, None) for i in range(10)])
    cd = cadres([(f"K{i}", "一般干部", C) for i in range(5)])
    r = solve(hh, cd)
    assert_feasible(hh, cd, r.pairs)
    assert r.loads["households"].to_list() == [2, 2, 2, 2, 2]


def test_prefers_the_unit_responsible_for_the_township() -> None:
    hh = households(
        [("H1", C, "640522100001", False, 5000, None), ("H2", C, "640522200003", False, 5000, None)]
    )
    cd = cadres([("A", "一般干部", C, "640522100"), ("B", "一般干部", C, "640522200")], area=True)
    r = solve(hh, cd)
    got = dict(zip(r.pairs["household_id"], r.pairs["cadre_id"], strict=True))
    assert got == {"H1": "A", "H2": "B"}
    assert set(r.pairs["reason"]) == {"责任单位就近结对"}


def test_shortage_names_missing_cadres_per_county_and_pairs_priority_first() -> None:
    hh = households(
        [
            ("F1", C, "640522100001", True, 6000, None),
            ("F2", C, "640522100001", True, 2000, None),
            *[(f"N{i}", C, "640522100001", False, 1000 + 100 * i, None) for i in range(8)],
            ("M1", C2, "640402100001", False, 3000, None),
        ]
    )
    # One senior cadre (1 falling + 4 others) and nobody else in C; no cadre at all in C2.
    cd = cadres([("S1", SENIOR_RANK, C)])
    r = solve(hh, cd)
    assert_feasible(hh, cd, r.pairs)
    got = dict(zip(r.pairs["household_id"], r.pairs["cadre_id"], strict=True))
    assert got["F2"] == "S1" and got["F1"] is None  # the lower-income falling household first
    paired_others = sorted(h for h, c in got.items() if c and h.startswith("N"))
    assert paired_others == ["N0", "N1", "N2", "N3"]  # the four lowest incomes
    short = {row["county_code"]: row for row in r.shortage.iter_rows(named=True)}
    assert short[C] == {
        "county_code": C,
        "unpaired_falling": 1,
        "unpaired_other": 4,
        "missing_senior": 1,  # one more 县处级以上 for F1, who also takes the 4 others
        "missing_any": 0,
    }
    assert short[C2]["missing_any"] == 1 and short[C2]["missing_senior"] == 0


def _brute_force(hh: pl.DataFrame, cd: pl.DataFrame) -> tuple[int, int]:
    """Fewest unpaired, then fewest changed pairs, by enumerating every assignment."""
    ids = [*cd["cadre_id"].to_list(), None]
    rank = dict(zip(cd["cadre_id"], cd["rank"], strict=True))
    best = (10**9, 10**9)
    rows = list(hh.iter_rows(named=True))
    for choice in itertools.product(ids, repeat=len(rows)):
        load: dict[str, int] = {}
        senior_falling: set[str] = set()
        ok = True
        for row, c in zip(rows, choice, strict=True):
            if c is None:
                continue
            load[c] = load.get(c, 0) + 1
            if load[c] > 5:
                ok = False
            if row["fell"]:
                if rank[c] != SENIOR_RANK or c in senior_falling:
                    ok = False
                senior_falling.add(c)
        if not ok:
            continue
        unpaired = sum(c is None for c in choice)
        changed = sum(c is not None and c != row["cadre_id"] for row, c in zip(rows, choice, strict=True))
        best = min(best, (unpaired, changed))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_optimal_against_brute_force(seed: int) -> None:
    rnd = random.Random(seed)
    n_c = rnd.randint(1, 2)
    cd = cadres([(f"C{j}", rnd.choice([SENIOR_RANK, "乡科级"]), C) for j in range(n_c)])
    n_h = rnd.randint(3, 7)
    hh = households(
        [
            (
                f"H{i}",
                C,
                "640522100001",
                rnd.random() < 0.3,
                float(rnd.randint(1000, 9000)),
                rnd.choice([None, *cd["cadre_id"].to_list()]),
            )
            for i in range(n_h)
        ]
    )
    r = solve(hh, cd)
    assert_feasible(hh, cd, r.pairs)
    assert (r.stats["unpaired"], r.stats["changed"]) == _brute_force(hh, cd)


def test_pairing_table_has_the_spec_columns() -> None:
    hh = households([("H1", C, "640522100001", False, 5000, None)])
    t = pairing_table(solve(hh, cadres([("K1", "乡科级", C)])))
    assert t.columns == ["户编号", "干部编号", "干部职级"]
    assert t.row(0) == ("H1", "K1", "乡科级")


def test_bad_input_is_named() -> None:
    hh = households([("H1", C, "640522100001", False, 5000, None), ("H1", C, "640522100001", False, 1, None)])
    with pytest.raises(PairingInputError, match="重复"):
        solve(hh, cadres([("K1", "乡科级", C)]))
    with pytest.raises(PairingInputError, match="缺少列"):
        solve(hh.drop("fell"), cadres([("K1", "乡科级", C)]))
