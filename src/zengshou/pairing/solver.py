"""S02: cadre–household pairing as a min-cost flow (OR-Tools), one independent network per city.

低收入组方案 三（二）: falling households (收入不增反降) get a 县处级以上 cadre "一对一" arranged by the
city from all its counties (各市统筹安排辖区); every other household gets a cadre of its own county,
at most 5 households per cadre; coverage is complete (结对帮扶全覆盖).

Network per city (all capacities integer, costs integer, so the optimum is integral):

- k falling households get a senior cadre, k = the city's seniors with a free falling slot: those
  keeping their current senior, then the lowest incomes. They have no "unpaired" arc, only arcs to
  their current senior (cost 0), to the senior pools of their township/village and county
  (``change`` + ``far``) and of the city (``change`` + 2 ``far``); a senior takes them through his
  *falling slot* (capacity 1: one-to-one);
- the other falling households get an interim cadre (临时) of another rank of their own county; the
  remaining households any cadre of their own county (current cadre cost 0, then the pools);
- cadre → sink through unit arcs with rising costs (1, 2, …), from the load he already carries
  outside the proposal up to the limit: loads balance, never above it;
- household → sink "unpaired" with a penalty far above any other cost: falling households first,
  then those whose current pair is still allowed (a pair is kept unless a rule forces a change),
  then lower incomes first (shortage).

Any senior of the city can serve any of its falling households, so choosing the k first is exact.
The households that can be paired together then form a gammoid (a matroid), so penalties that
respect the priority order pick the lexicographically best set. Each penalty step exceeds every
other cost a city can add up, so the priorities are strict: seniors for falling households, then
cover the households that matter most, then keep existing pairs, then prefer responsible units and
the household's own county, then balance loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl
from ortools.graph.python import min_cost_flow

#: S02 — the rank a household whose income fell must be paired with.
SENIOR_RANK = "县处级以上"
#: S02 — at most 5 households per cadre (the default; parameter ``S02.max_households``).
MAX_HOUSEHOLDS = 5

LOAD_STEP = 1  # marginal cost of the k-th household of a cadre is k * LOAD_STEP
FAR = 10  # a new cadre whose unit is not responsible for the household's area (twice: another county)
CHANGE = 1_000  # a new pair (the old one ended or the household had none)

HOUSEHOLD_COLUMNS = ("household_id", "county_code", "village_code", "fell", "per_capita_income", "cadre_id")
CADRE_COLUMNS = ("cadre_id", "rank", "county_code")

#: The reasons a pair is written with (the proposal's 依据).
KEPT = "保留原结对"
NEAR = "责任单位就近结对"
COUNTY = "县内调配"
CITY = "市内统筹县处级以上干部"
INTERIM = "县处级以上干部暂缺，临时结对"
UNPAIRED = "干部不足，未结对"


def city_of(county_code: str) -> str:
    """The city a county belongs to (its code's first four digits, then 00)."""
    return county_code[:4] + "00"


def _city_expr() -> pl.Expr:
    return pl.concat_str([pl.col("county_code").str.slice(0, 4), pl.lit("00")])


class PairingInputError(ValueError):
    """Input frames that cannot be paired (missing columns, duplicate keys)."""


CITY_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "city_code": pl.Utf8,
    "falling": pl.Int64,
    "senior_paired": pl.Int64,
    "interim": pl.Int64,
    "unpaired_falling": pl.Int64,
    "missing_senior": pl.Int64,
}
SHORTAGE_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "county_code": pl.Utf8,
    "unpaired_falling": pl.Int64,
    "unpaired_other": pl.Int64,
    "missing_senior": pl.Int64,
    "missing_any": pl.Int64,
}


@dataclass
class PairingResult:
    """The proposed pairs, the changes against the current ones, and what is missing (S02)."""

    #: household_id, county_code, cadre_id (null when unpaired), rank, fell, per_capita_income,
    #: previous_cadre_id, change ("保留"/"新结对"/"调整"/"未结对"), reason, interim (a falling household's
    #: cadre of another rank while seniors run short: 临时)
    pairs: pl.DataFrame
    #: county_code, unpaired_falling, unpaired_other, missing_senior, missing_any (one row per county short)
    shortage: pl.DataFrame
    #: cadre_id, county_code, rank, households, falling (counting the pairs outside the proposal),
    #: fixed_households, fixed_falling (those outside it)
    loads: pl.DataFrame
    objective: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    #: city_code, falling, senior_paired, interim, unpaired_falling, missing_senior (one row per city)
    cities: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CITY_SCHEMA))
    #: the limit the proposal was made with (checked again on the stored pairs when confirmed)
    max_households: int = MAX_HOUSEHOLDS

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


def _missing(unpaired_falling: int, unpaired_other: int, interim: int, cap: int) -> tuple[int, int]:
    """Cadres a county lacks: one 县处级以上 per falling household without one, then any rank.

    Each new senior also takes cap−1 others, and one replacing an interim cadre frees a place of his.
    """
    senior = unpaired_falling + interim
    rest = max(0, unpaired_other - unpaired_falling * (cap - 1) - interim * cap)
    return senior, math.ceil(rest / cap) if cap > 0 else 0


def solve(
    households: pl.DataFrame, cadres: pl.DataFrame, max_households: int = MAX_HOUSEHOLDS
) -> PairingResult:
    """S02: optimal pairing of the households in scope with the cadres of their city and county.

    ``households``: household_id, county_code, village_code, fell (bool), per_capita_income, cadre_id
    (current, may be null). ``cadres``: cadre_id, rank, county_code and optionally ``area_code`` — the
    township or village code (prefix) the cadre's unit is responsible for, when the data says so —,
    ``fixed_households`` and ``fixed_falling``: the pairs he keeps outside this proposal (households
    of another area or out of scope, and among them the falling ones in scope), which count against
    the limit and the one-to-one rule.
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
    for name, dtype in (("area_code", pl.Utf8), ("fixed_households", pl.Int64), ("fixed_falling", pl.Int64)):
        if name not in cd.columns:
            cd = cd.with_columns(pl.lit(None, dtype=dtype).alias(name))
    cd = cd.with_columns(
        pl.col("fixed_households").cast(pl.Int64).fill_null(0),
        pl.col("fixed_falling").cast(pl.Int64).fill_null(0),
        _city_expr().alias("_city"),
    )
    hh = hh.with_columns(_city_expr().alias("_city"))
    rows: list[pl.DataFrame] = []
    objective = 0
    for city in sorted(hh["_city"].unique().drop_nulls().to_list()):
        part, cost = _solve_city(
            hh.filter(pl.col("_city") == city), cd.filter(pl.col("_city") == city), max_households
        )
        rows.append(part)
        objective += cost
    ranks = cd.select("cadre_id", "rank")
    pairs = (
        pl.concat(rows, how="vertical_relaxed")
        if rows
        else pl.DataFrame(schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8, "reason": pl.Utf8})
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
            .alias("change"),
            (pl.col("fell") & pl.col("cadre_id").is_not_null() & (pl.col("rank") != SENIOR_RANK))
            .fill_null(False)
            .alias("interim"),
        )
        .sort("household_id")
    )
    loads = (
        cd.select("cadre_id", "county_code", "rank", "fixed_households", "fixed_falling")
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
        .with_columns(
            (pl.col("households").fill_null(0) + pl.col("fixed_households")).alias("households"),
            (pl.col("falling").fill_null(0) + pl.col("fixed_falling")).alias("falling"),
        )
        .select(
            "cadre_id", "county_code", "rank", "households", "falling", "fixed_households", "fixed_falling"
        )
        .sort("cadre_id")
    )
    by_county = (
        pairs.group_by("county_code")
        .agg(
            (pl.col("cadre_id").is_null() & pl.col("fell")).sum().cast(pl.Int64).alias("unpaired_falling"),
            (pl.col("cadre_id").is_null() & ~pl.col("fell")).sum().cast(pl.Int64).alias("unpaired_other"),
            pl.col("interim").sum().cast(pl.Int64).alias("interim"),
        )
        .sort("county_code")
    )
    shortage: list[dict[str, object]] = []
    for r in by_county.iter_rows(named=True):
        if r["unpaired_falling"] or r["unpaired_other"] or r["interim"]:
            ms, ma = _missing(r["unpaired_falling"], r["unpaired_other"], r["interim"], max_households)
            shortage.append(
                {
                    "county_code": r["county_code"],
                    "unpaired_falling": r["unpaired_falling"],
                    "unpaired_other": r["unpaired_other"],
                    "missing_senior": ms,
                    "missing_any": ma,
                }
            )
    cities = (
        pairs.filter(pl.col("fell"))
        .group_by(_city_expr().alias("city_code"))
        .agg(
            pl.len().cast(pl.Int64).alias("falling"),
            (pl.col("rank") == SENIOR_RANK).fill_null(False).sum().cast(pl.Int64).alias("senior_paired"),
            pl.col("interim").sum().cast(pl.Int64).alias("interim"),
            pl.col("cadre_id").is_null().sum().cast(pl.Int64).alias("unpaired_falling"),
        )
        .with_columns((pl.col("falling") - pl.col("senior_paired")).alias("missing_senior"))
        .select(list(CITY_SCHEMA))
        .sort("city_code")
    )
    stats = {
        "households": hh.height,
        "paired": int(pairs["cadre_id"].is_not_null().sum()),
        "kept": int((pairs["change"] == "保留").sum()),
        "changed": int(pairs["change"].is_in(["新结对", "调整"]).sum()),
        "unpaired": int(pairs["cadre_id"].is_null().sum()),
        "interim": int(pairs["interim"].sum()),
        "missing_senior": int(cities["missing_senior"].sum()),
    }
    return PairingResult(
        pairs,
        pl.DataFrame(shortage, schema=SHORTAGE_SCHEMA),
        loads,
        objective,
        stats,
        cities.cast(pl.Schema(CITY_SCHEMA)),
        max_households,
    )


def _solve_city(hh: pl.DataFrame, cd: pl.DataFrame, cap: int) -> tuple[pl.DataFrame, int]:
    n_h, n_c = hh.height, cd.height
    hid = hh["household_id"].to_list()
    fell = hh["fell"].to_list()
    villages = hh["village_code"].to_list()
    h_county = hh["county_code"].to_list()
    current = hh["cadre_id"].cast(pl.Utf8).to_list()
    cids = cd["cadre_id"].to_list()
    c_county = cd["county_code"].to_list()
    senior = [r == SENIOR_RANK for r in cd["rank"].to_list()]
    areas = cd["area_code"].to_list()
    fixed = cd["fixed_households"].to_list()
    slot = [
        s and ff == 0 and fx < cap
        for s, ff, fx in zip(senior, cd["fixed_falling"].to_list(), fixed, strict=True)
    ]
    cadre_index = {c: i for i, c in enumerate(cids)}

    # Income priority: lower income first (ties by household id; null income last).
    by_income = hh.with_row_index("i").sort(["per_capita_income", "household_id"], nulls_last=True)
    income_order = by_income["i"].to_list()
    cur_of = [cadre_index.get(c) if c is not None else None for c in current]
    # The falling households a senior serves, as many as seniors have a free falling slot: first
    # those who keep their senior (one per senior), then the lowest incomes.
    with_senior: set[int] = set()
    holder: set[int] = set()
    for i in income_order:
        j = cur_of[i]
        if fell[i] and j is not None and slot[j] and j not in holder:
            with_senior.add(i)
            holder.add(j)
    places = sum(slot)
    for i in income_order:
        if len(with_senior) >= places:
            break
        if fell[i]:
            with_senior.add(i)

    def keeps(i: int) -> bool:
        """The household's current pair is still allowed: a rule forces no change."""
        j = cur_of[i]
        if j is None:
            return False
        if i in with_senior:
            return slot[j]
        return c_county[j] == h_county[i] and not (fell[i] and senior[j])

    # Coverage priority, from the highest: falling households, then those whose pair can be kept,
    # then lower incomes; ``rank_of`` counts from the lowest.
    position = {i: r for r, i in enumerate(income_order)}
    ordered = sorted(range(n_h), key=lambda i: (fell[i], keeps(i), -position[i]))
    rank_step = n_h * (CHANGE + 2 * FAR + cap * LOAD_STEP) + 1
    rank_of = [0] * n_h
    for r, i in enumerate(ordered):
        rank_of[i] = r

    # Node ids: 0 source, 1 sink, households, cadres, falling slots, pools.
    src, sink = 0, 1
    h0 = 2
    c0 = h0 + n_h
    f0 = c0 + n_c
    p0 = f0 + n_c
    next_node = p0
    pools: dict[tuple[str, str, str], int] = {}  # (scope, code, kind) → node
    pool_scope: dict[int, str] = {}

    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []

    def arc(t: int, h: int, c: int, cost: int) -> None:
        tails.append(t)
        heads.append(h)
        caps.append(c)
        costs.append(cost)

    by_area: dict[str, list[int]] = {}
    by_county: dict[str, list[int]] = {}
    for j in range(n_c):
        if areas[j]:
            by_area.setdefault(areas[j], []).append(j)
        by_county.setdefault(c_county[j], []).append(j)
    area_lengths = sorted({len(a) for a in by_area})

    def candidates(scope: str, code: str) -> list[int]:
        if scope == "area":  # cadres whose unit is responsible for the area or a part above it
            return [j for length in area_lengths for j in by_area.get(code[:length], [])]
        if scope == "county":
            return by_county.get(code, [])
        return list(range(n_c))

    def pool(scope: str, code: str, kind: str) -> int:
        nonlocal next_node
        key = (scope, code, kind)
        if key not in pools:
            node = pools[key] = next_node
            pool_scope[node] = scope
            next_node += 1
            for j in candidates(scope, code):
                if kind == "senior" and slot[j]:
                    arc(node, f0 + j, cap, 0)
                elif kind == "any" or (kind == "other" and not senior[j]):
                    arc(node, c0 + j, cap, 0)
        return pools[key]

    prefixes = {a for a in areas if a}
    lengths = sorted({len(a) for a in prefixes})
    for j in range(n_c):
        if slot[j]:
            arc(f0 + j, c0 + j, 1, 0)
        for k in range(fixed[j] + 1, cap + 1):
            arc(c0 + j, sink, 1, k * LOAD_STEP)
    for i in range(n_h):
        node = h0 + i
        arc(src, node, 1, 0)
        kind = "senior" if i in with_senior else "other" if fell[i] else "any"
        if kind != "senior":
            arc(node, sink, 1, (rank_of[i] + 1) * rank_step)
        cur = cur_of[i]
        if cur is not None:
            if kind == "senior" and slot[cur]:
                arc(node, f0 + cur, 1, 0)
            elif kind != "senior" and c_county[cur] == h_county[i] and (kind == "any" or not senior[cur]):
                arc(node, c0 + cur, 1, 0)
        for length in lengths:
            if villages[i][:length] in prefixes:
                arc(node, pool("area", villages[i][:length], kind), 1, CHANGE)
        if n_c:
            arc(node, pool("county", h_county[i], kind), 1, CHANGE + FAR)
            if kind == "senior":
                arc(node, pool("city", "", kind), 1, CHANGE + 2 * FAR)

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
        {"tail": tails, "head": heads, "flow": [flow.flow(a) for a in range(len(tails))]}
    ).filter(pl.col("flow") > 0)
    assigned: list[str | None] = [None] * n_h
    reason: list[str] = [UNPAIRED] * n_h
    into_pool: dict[int, list[int]] = {}
    pool_out: dict[int, list[int]] = {}
    for t, h, fl in arcs.select("tail", "head", "flow").iter_rows():
        if h0 <= t < c0:
            i = t - h0
            if c0 <= h < p0:
                assigned[i], reason[i] = cids[(h - c0) % n_c], KEPT
            elif h >= p0:
                into_pool.setdefault(h, []).append(i)
        elif t >= p0:
            pool_out.setdefault(t, []).extend([(h - c0) % n_c] * fl)
    for node, members in into_pool.items():
        for i, j in zip(sorted(members), pool_out.get(node, []), strict=True):
            assigned[i] = cids[j]
            scope = pool_scope[node]
            reason[i] = NEAR if scope == "area" else COUNTY if c_county[j] == h_county[i] else CITY
    for i in range(n_h):
        cadre = cadre_index.get(assigned[i]) if assigned[i] is not None else None
        if cadre is not None and fell[i] and not senior[cadre]:
            reason[i] = INTERIM
    part = pl.DataFrame(
        {"household_id": hid, "cadre_id": assigned, "reason": reason},
        schema={"household_id": pl.Utf8, "cadre_id": pl.Utf8, "reason": pl.Utf8},
    )
    return part, int(flow.optimal_cost())
