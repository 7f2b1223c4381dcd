"""S02: cadre–household pairing as a min-cost flow (OR-Tools), one independent network per county.

Network per county (all capacities integer, costs integer, so the optimum is integral):

- source → household (1); household → current cadre (cost 0) when that pair is still allowed;
  household → pool of its township/village (cost ``change``) and → county pool (``change + far``);
  a household whose income fell (M04) uses the 县处级以上 pools and enters a cadre through the
  cadre's *falling slot* (capacity 1: one-to-one, the cadre pairs no other falling household);
- cadre → sink through five unit arcs with rising costs (1, 2, … 5): loads balance, never above 5;
- household → sink "unpaired" with a penalty far above any other cost: falling households first,
  then lower incomes first (shortage).

The households that can be paired together form a gammoid (a matroid), so any penalties that
respect the priority order (falling before others, lower income before higher) pick the same,
lexicographically best set of paired households. Each penalty step exceeds every other cost a
county can add up, so the priorities are strict: pair the households that matter most, then keep
existing pairs, then prefer responsible units, then balance loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl
from ortools.graph.python import min_cost_flow

#: S02 — the rank a household whose income fell must be paired with.
SENIOR_RANK = "县处级以上"
#: S02 — at most 5 households per cadre (the default; assess.yaml ``pairing_max_households``).
MAX_HOUSEHOLDS = 5

LOAD_STEP = 1  # marginal cost of the k-th household of a cadre is k * LOAD_STEP (≤ 5 per household)
FAR = 10  # a new cadre whose unit is not responsible for the household's area
CHANGE = 1_000  # a new pair (the old one ended or the household had none)

HOUSEHOLD_COLUMNS = ("household_id", "county_code", "village_code", "fell", "per_capita_income", "cadre_id")
CADRE_COLUMNS = ("cadre_id", "rank", "county_code")


class PairingInputError(ValueError):
    """Input frames that cannot be paired (missing columns, duplicate keys)."""


@dataclass
class PairingResult:
    """The proposed pairs, the changes against the current ones, and what is missing (S02)."""

    #: household_id, county_code, cadre_id (null when unpaired), rank, fell, per_capita_income,
    #: previous_cadre_id, change ("保留"/"新结对"/"调整"/"未结对"), reason
    pairs: pl.DataFrame
    #: county_code, unpaired_falling, unpaired_other, missing_senior, missing_any (one row per county short)
    shortage: pl.DataFrame
    #: cadre_id, county_code, rank, households, falling
    loads: pl.DataFrame
    objective: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return int(self.pairs.filter(pl.col("change") != "保留").height)


def _check(frame: pl.DataFrame, columns: tuple[str, ...], name: str, key: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PairingInputError(f"{name} 缺少列 {missing} / {name} lacks columns {missing}")
    dup = frame.filter(pl.col(key).is_duplicated())[key].unique().sort().to_list()
    if dup:
        raise PairingInputError(f"{name} 中 {key} 重复：{dup[:5]} / duplicate {key} in {name}: {dup[:5]}")


def _missing(unpaired_falling: int, unpaired_other: int, cap: int) -> tuple[int, int]:
    """Cadres to add: one 县处级以上 per falling household (each also takes cap−1 others), then any rank."""
    senior = unpaired_falling
    rest = max(0, unpaired_other - senior * (cap - 1))
    return senior, math.ceil(rest / cap)


def solve(
    households: pl.DataFrame, cadres: pl.DataFrame, max_households: int = MAX_HOUSEHOLDS
) -> PairingResult:
    """S02: optimal pairing of the households in scope with the cadres of their own county.

    ``households``: household_id, county_code, village_code, fell (bool), per_capita_income, cadre_id
    (current, may be null). ``cadres``: cadre_id, rank, county_code and optionally ``area_code`` — the
    township or village code (prefix) the cadre's unit is responsible for, when the data says so.
    """
    _check(households, HOUSEHOLD_COLUMNS, "households", "household_id")
    _check(cadres, CADRE_COLUMNS, "cadres", "cadre_id")
    hh = households.with_columns(
        pl.col("fell").fill_null(False).cast(pl.Boolean),
        pl.col("per_capita_income").cast(pl.Float64),
        pl.col("county_code").cast(pl.Utf8),
        pl.col("village_code").cast(pl.Utf8).fill_null(""),
    )
    cd = cadres.with_columns(pl.col("county_code").cast(pl.Utf8))
    if "area_code" not in cd.columns:
        cd = cd.with_columns(pl.lit(None, dtype=pl.Utf8).alias("area_code"))
    rows: list[pl.DataFrame] = []
    shortage: list[dict[str, object]] = []
    objective = 0
    for county in sorted(hh["county_code"].unique().drop_nulls().to_list()):
        part, short, cost = _solve_county(
            hh.filter(pl.col("county_code") == county),
            cd.filter(pl.col("county_code") == county),
            max_households,
        )
        rows.append(part)
        objective += cost
        if short["unpaired_falling"] or short["unpaired_other"]:
            shortage.append({"county_code": county, **short})
    ranks = cd.select("cadre_id", "rank")
    pairs = (
        pl.concat(rows, how="vertical_relaxed")
        if rows
        else pl.DataFrame(
            schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8, "reason": pl.Utf8},
        )
    )
    pairs = (
        hh.select(
            "household_id",
            "county_code",
            "fell",
            "per_capita_income",
            pl.col("cadre_id").cast(pl.Utf8).alias("previous_cadre_id"),
        )
        .join(pairs.select("household_id", "cadre_id", "reason"), on="household_id", how="left")
        .join(ranks, on="cadre_id", how="left")
        .with_columns(
            pl.when(pl.col("cadre_id").is_null())
            .then(pl.lit("未结对"))
            .when(pl.col("cadre_id") == pl.col("previous_cadre_id"))
            .then(pl.lit("保留"))
            .when(pl.col("previous_cadre_id").is_null())
            .then(pl.lit("新结对"))
            .otherwise(pl.lit("调整"))
            .alias("change")
        )
        .sort("household_id")
    )
    loads = (
        cd.select("cadre_id", "county_code", "rank")
        .join(
            pairs.filter(pl.col("cadre_id").is_not_null())
            .group_by("cadre_id")
            .agg(
                pl.len().cast(pl.Int64).alias("households"),
                pl.col("fell").sum().cast(pl.Int64).alias("falling"),
            ),
            on="cadre_id",
            how="left",
        )
        .with_columns(pl.col("households").fill_null(0), pl.col("falling").fill_null(0))
        .sort("cadre_id")
    )
    shortage_frame = pl.DataFrame(
        shortage,
        schema={
            "county_code": pl.Utf8,
            "unpaired_falling": pl.Int64,
            "unpaired_other": pl.Int64,
            "missing_senior": pl.Int64,
            "missing_any": pl.Int64,
        },
    )
    stats = {
        "households": hh.height,
        "paired": int(pairs["cadre_id"].is_not_null().sum()),
        "kept": int((pairs["change"] == "保留").sum()),
        "changed": int(pairs["change"].is_in(["新结对", "调整"]).sum()),
        "unpaired": int(pairs["cadre_id"].is_null().sum()),
    }
    return PairingResult(pairs, shortage_frame, loads, objective, stats)


def _solve_county(hh: pl.DataFrame, cd: pl.DataFrame, cap: int) -> tuple[pl.DataFrame, dict[str, int], int]:
    n_h, n_c = hh.height, cd.height
    hid = hh["household_id"].to_list()
    fell = hh["fell"].to_list()
    villages = hh["village_code"].to_list()
    current = hh["cadre_id"].cast(pl.Utf8).to_list()
    cids = cd["cadre_id"].to_list()
    senior = [r == SENIOR_RANK for r in cd["rank"].to_list()]
    areas = cd["area_code"].to_list()
    cadre_index = {c: i for i, c in enumerate(cids)}

    # Priority: falling above others, then lower income above higher (ties by household id).
    order = hh.with_row_index("i").sort(
        ["fell", "per_capita_income", "household_id"], descending=[False, True, True], nulls_last=False
    )
    rank_step = n_h * (CHANGE + FAR + cap * LOAD_STEP) + 1
    rank_of = [0] * n_h
    for r, i in enumerate(order["i"].to_list()):
        rank_of[i] = r

    # Node ids: 0 source, 1 sink, households, cadres, falling slots, pools.
    src, sink = 0, 1
    h0 = 2
    c0 = h0 + n_h
    f0 = c0 + n_c
    next_node = f0 + n_c
    pools: dict[tuple[str, bool], int] = {}  # (area prefix or "" for county, senior-only) → node

    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []

    def arc(t: int, h: int, c: int, cost: int) -> None:
        tails.append(t)
        heads.append(h)
        caps.append(c)
        costs.append(cost)

    def pool(area: str, senior_only: bool) -> int:
        nonlocal next_node
        key = (area, senior_only)
        if key not in pools:
            pools[key] = next_node
            next_node += 1
            for j in range(n_c):
                if senior_only and not senior[j]:
                    continue
                if area and not (areas[j] and area.startswith(areas[j])):
                    continue
                arc(pools[key], f0 + j if senior_only else c0 + j, cap, 0)
        return pools[key]

    cadre_prefixes = sorted({a for a in areas if a})
    for j in range(n_c):
        arc(f0 + j, c0 + j, 1, 0)
        for k in range(1, cap + 1):
            arc(c0 + j, sink, 1, k * LOAD_STEP)
    for i in range(n_h):
        node = h0 + i
        arc(src, node, 1, 0)
        arc(node, sink, 1, (rank_of[i] + 1) * rank_step)
        cur = cadre_index.get(current[i]) if current[i] is not None else None
        if cur is not None and (senior[cur] or not fell[i]):
            arc(node, f0 + cur if fell[i] else c0 + cur, 1, 0)
        for prefix in cadre_prefixes:
            if villages[i].startswith(prefix):
                arc(node, pool(villages[i][: len(prefix)], fell[i]), 1, CHANGE)
        if n_c:
            arc(node, pool("", fell[i]), 1, CHANGE + FAR)

    flow = min_cost_flow.SimpleMinCostFlow()
    if tails:
        flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(src, n_h)
    flow.set_node_supply(sink, -n_h)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"最小费用流求解失败（状态 {status}） / min-cost flow failed (status {status})")

    # Read the flow: household → cadre, directly or through a pool (pool flows are matched by count).
    arcs = pl.DataFrame(
        {"tail": tails, "head": heads, "cost": costs, "flow": [flow.flow(a) for a in range(len(tails))]}
    ).filter(pl.col("flow") > 0)
    assigned: list[str | None] = [None] * n_h
    reason: list[str] = [""] * n_h
    into_pool: dict[int, list[int]] = {}
    pool_out: dict[int, list[int]] = {}
    for t, h, fl in arcs.select("tail", "head", "flow").iter_rows():
        if h0 <= t < c0:
            i = t - h0
            if c0 <= h < f0:
                assigned[i], reason[i] = cids[h - c0], "保留原结对"
            elif f0 <= h < next_node and h < f0 + n_c:
                assigned[i], reason[i] = cids[h - f0], "保留原结对"
            elif h >= f0 + n_c:
                into_pool.setdefault(h, []).append(i)
        elif t >= f0 + n_c and h != sink:
            j = (h - c0) if h < f0 else (h - f0)
            pool_out.setdefault(t, []).extend([j] * fl)
    area_of_pool = {node: area for (area, _), node in pools.items()}
    for node, members in into_pool.items():
        targets = pool_out.get(node, [])
        for i, j in zip(sorted(members), targets, strict=True):
            assigned[i] = cids[j]
            reason[i] = "责任单位就近结对" if area_of_pool[node] else "县内调配"
    for i in range(n_h):
        if assigned[i] is None:
            reason[i] = "干部不足，未结对"
    unpaired_falling = sum(1 for i in range(n_h) if assigned[i] is None and fell[i])
    unpaired_other = sum(1 for i in range(n_h) if assigned[i] is None and not fell[i])
    ms, ma = _missing(unpaired_falling, unpaired_other, cap)
    short = {
        "unpaired_falling": unpaired_falling,
        "unpaired_other": unpaired_other,
        "missing_senior": ms,
        "missing_any": ma,
    }
    part = pl.DataFrame(
        {"household_id": hid, "cadre_id": assigned, "reason": reason},
        schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8, "reason": pl.Utf8},
    )
    return part, short, int(flow.optimal_cost())
