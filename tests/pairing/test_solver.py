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
    """Every S02 rule, checked independently of the solver.

    A falling household has a 县处级以上 cadre of its city, one-to-one; only where every senior of
    the city already serves a falling household may it have a cadre of another rank of its own
    county, marked interim. Every other household has a cadre of its own county; at most ``cap`` each.
    """
    j = pairs.filter(pl.col("cadre_id").is_not_null()).join(
        cd.select("cadre_id", pl.col("rank").alias("r"), pl.col("county_code").alias("cc")), on="cadre_id"
    )
    assert j.height == pairs["cadre_id"].is_not_null().sum(), "cadre not among the cadres"
    same_city = j["county_code"].str.slice(0, 4) == j["cc"].str.slice(0, 4)
    assert same_city.all(), "cadre outside the household's city"
    falling = j.filter(pl.col("fell"))
    with_senior = falling.filter(pl.col("r") == SENIOR_RANK)
    assert not with_senior["cadre_id"].is_duplicated().any(), "senior cadre with two falling households"
    local = j.filter(~pl.col("fell") | (pl.col("r") != SENIOR_RANK))
    assert (local["county_code"] == local["cc"]).all(), "cadre outside own county"
    interim = falling.filter(pl.col("r") != SENIOR_RANK)
    for city in interim["county_code"].str.slice(0, 4).unique():
        seniors = cd.filter((pl.col("rank") == SENIOR_RANK) & pl.col("county_code").str.starts_with(city))
        busy = with_senior.filter(pl.col("county_code").str.starts_with(city))["cadre_id"]
        assert set(seniors["cadre_id"]) <= set(busy), "interim cadre while a senior of the city is free"
    assert (pairs["interim"] == (pairs["fell"] & (pairs["rank"] != SENIOR_RANK)).fill_null(False)).all()
    assert (j.group_by("cadre_id").len()["len"] <= cap).all(), "more than the limit"
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


def _key(hh: pl.DataFrame, rank: dict[str, str], choice: list[str | None]) -> tuple:
    """The solver's lexicographic order (one county): most falling households with a senior, most
    of them keeping their senior, the lowest incomes among them; then coverage, falling households
    first, then those keeping an allowed pair, then lower incomes; then fewest changed pairs."""
    rows = list(hh.iter_rows(named=True))
    senior = [c is not None and rank[c] == SENIOR_RANK for c in choice]
    cur_senior = [r["cadre_id"] is not None and rank[r["cadre_id"]] == SENIOR_RANK for r in rows]
    falling = [i for i, r in enumerate(rows) if r["fell"]]
    by_income = sorted(falling, key=lambda i: (rows[i]["per_capita_income"], rows[i]["household_id"]))
    kept_senior = sum(senior[i] and choice[i] == rows[i]["cadre_id"] for i in falling)

    def keeps(i: int) -> bool:
        if rows[i]["cadre_id"] is None:
            return False
        return not rows[i]["fell"] or cur_senior[i] == senior[i]

    order = sorted(
        range(len(rows)),
        key=lambda i: (
            not rows[i]["fell"],
            not keeps(i),
            rows[i]["per_capita_income"],
            rows[i]["household_id"],
        ),
    )
    changed = sum(c is not None and c != row["cadre_id"] for row, c in zip(rows, choice, strict=True))
    return (
        sum(not senior[i] for i in falling),
        -kept_senior,
        tuple(not senior[i] for i in by_income),
        tuple(choice[i] is None for i in order),
        changed,
    )


def _brute_force(hh: pl.DataFrame, cd: pl.DataFrame) -> tuple:
    """The best key over every assignment that keeps the rules (one county: all cadres are local)."""
    ids = [*cd["cadre_id"].to_list(), None]
    rank = dict(zip(cd["cadre_id"], cd["rank"], strict=True))
    free_seniors = sum(r == SENIOR_RANK for r in rank.values())
    rows = list(hh.iter_rows(named=True))
    best: tuple | None = None
    for choice in itertools.product(ids, repeat=len(rows)):
        load: dict[str, int] = {}
        senior_falling: set[str] = set()
        interim = 0
        ok = True
        for row, c in zip(rows, choice, strict=True):
            if c is None:
                continue
            load[c] = load.get(c, 0) + 1
            if load[c] > 5:
                ok = False
            if row["fell"]:
                if rank[c] == SENIOR_RANK:
                    if c in senior_falling:
                        ok = False
                    senior_falling.add(c)
                else:
                    interim += 1
        if not ok or (interim and len(senior_falling) < free_seniors):
            continue
        key = _key(hh, rank, list(choice))
        best = key if best is None or key < best else best
    assert best is not None
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
    rank = dict(zip(cd["cadre_id"], cd["rank"], strict=True))
    assert _key(hh, rank, r.pairs.sort("household_id")["cadre_id"].to_list()) == _brute_force(
        hh.sort("household_id"), cd
    )


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
