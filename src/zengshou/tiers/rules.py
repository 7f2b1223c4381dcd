"""C01–C03: five equal groups of households, the three tiers and the override for unmet guarantees.

C02's tier of each group is the parameter ``C02.tier_of_quintile``; C03's guarantees are declared in
:data:`GUARANTEES`, each a condition over the run's facts (:mod:`zengshou.rules.facts`) and the
reason an official reads.

Quintiles (C01) rank *households* by per-capita net income, as the statistics bureau's household
survey does (以户为单位): five parts of 20% of households each, whatever their size. Households with
the same per-capita income form one block and always share a group; a block that spans a boundary
goes to the group in which its middle household falls (the midpoint rule; a middle exactly on a
boundary goes to the upper group), so the groups differ from one fifth of the households by at most
half a block.

The groups are the region's for the year: a county, village or file is placed with the region's
four cut points (:class:`CutPoints`), a household whose income equals a cut point belonging to the
lower group. Cut points come, in this order, from the parameter ``C01.cut_points`` (official, entered
for the year), from the caller (computed over every household of the region by the pipeline, or given
to ``zengshou run``), or, where there are none, from ranking the frame itself — which the reason then
says (本文件自行分组).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.income.text import yuan_text
from zengshou.params import ParameterError, ParameterSet
from zengshou.rules import compute as rc
from zengshou.rules.dsl import Env, Expr, col, compile_polars
from zengshou.rules.facts import FACTS, UNSAFE_GRADES
from zengshou.rules.text import Text, text_expr

RISK_TIER = "风险防范户"


@dataclass(frozen=True)
class Guarantee:
    """One C03 reason to keep a household at 风险防范户: a condition over its facts and its reason text
    (a template, or cases of which the first whose condition holds is used)."""

    key: str
    title: str
    condition: Expr
    reason: Text


#: C03: 三保障 (compulsory education, basic medical insurance, safe housing), safe water and an open
#: monitoring object, in the order the reasons are written.
GUARANTEES: tuple[Guarantee, ...] = (
    Guarantee(
        "housing",
        "住房安全",
        col("housing_unsafe"),
        (
            (col("assessed_grade").isin(UNSAFE_GRADES), "住房不安全（住建鉴定{assessed_grade}级）"),
            (None, "住房不安全"),
        ),
    ),
    Guarantee("water", "饮水安全", col("water_unsafe"), "饮水不安全"),
    Guarantee("schooling", "义务教育", col("dropouts") > 0, "义务教育阶段辍学{dropouts}人"),
    Guarantee("insurance", "基本医疗保险", col("uninsured") > 0, "未参加基本医疗保险{uninsured}人"),
    Guarantee("monitoring", "返贫致贫风险", col("monitoring_open"), "{household_type}，风险未消除"),
)

TIER_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "household_id": pl.Utf8,
    "size": pl.Int64,
    "per_capita_income": pl.Float64,
    "quintile": pl.Utf8,
    "tier": pl.Utf8,
    "reasons": pl.Utf8,
    # Extras for the stored result and group monitoring.
    "quintile_index": pl.Int64,  # 0 = 低收入组 … 4 = 高收入组
    "c03_override": pl.Boolean,
    #: The low-income plan's scope (L00, :data:`zengshou.rules.facts.SCOPE_CONDITIONS`), which pairing
    #: (S02), the assessment and the statistics read; null in a year the scope is not in force.
    "in_scope": pl.Boolean,
}


def scope_expr(params: ParameterSet, year: int) -> pl.Expr:
    """L00 over ``household_type`` and ``quintile`` columns, as the facts layer defines it."""
    fact = FACTS["in_scope"]
    assert fact.expr is not None
    try:
        return compile_polars(fact.expr, rc.environment(params.with_shipped(), year))
    except ParameterError:
        return pl.lit(None, pl.Boolean)


def scope_of(household_type: str | None, quintile: str | None, year: int) -> bool:
    """L00 for one household: its type and group in ``year``."""
    from zengshou.params import tree

    frame = pl.DataFrame(
        {"household_type": [household_type or None], "quintile": [quintile or None]},
        schema={"household_type": pl.Utf8, "quintile": pl.Utf8},
    )
    return bool(frame.select(scope_expr(tree(), year).fill_null(False))[0, 0])


def with_scope(
    tiers: pl.DataFrame, households: pl.DataFrame, params: ParameterSet | None = None, year: int | None = None
) -> pl.DataFrame:
    """``tiers`` with ``in_scope`` (L00): the classification's own, or computed from ``quintile`` and
    the households' type for a frame that has none (a file or a hand-made frame; the year's
    parameters, or those in force today)."""
    if "in_scope" in tiers.columns:
        return tiers
    from zengshou.params import tree

    when = year if year is not None else dt.date.today().year
    types = households.select("household_id", "household_type")
    return (
        tiers.join(types, on="household_id", how="left", maintain_order="left")
        .with_columns(scope_expr(params or tree(), when).fill_null(False).alias("in_scope"))
        .drop("household_type")
    )


def _param(params: ParameterSet, key: str, year: int, default: object) -> object:
    try:
        return params.for_year(key, year)
    except ParameterError:
        return default


def official_cut_points(params: ParameterSet, year: int) -> list[float] | None:
    """C01: the four official cut points for ``year``, or None to compute the groups from the data."""
    raw = _param(params, "C01.cut_points", year, None)
    if raw is None:
        return None
    return _ascending(raw, f"C01.cut_points {year}")


def _ascending(raw: object, what: str) -> list[float]:
    if not isinstance(raw, list | tuple) or len(raw) != 4:
        raise ParameterError(
            f"{what}: 应为4个由低到高的分界点 / expected four ascending cut points, got {raw!r}"
        )
    cuts = [float(c) for c in raw]
    if cuts != sorted(cuts):
        raise ParameterError(f"{what}: 分界点应由低到高 / cut points must ascend: {cuts}")
    return cuts


#: Where a run's cut points come from: the ``C01.cut_points`` parameter, the region's households
#: ranked (the pipeline over the database), cut points given to ``zengshou run``, or the frame itself.
Source = Literal["官方", "计算", "给定", "自行"]

#: How the reason text names each source.
SOURCE_LABELS: dict[str, str] = {
    "官方": "官方分界点",
    "计算": "全区计算分界点",
    "给定": "给定分界点",
    "自行": "本文件自行分组",
}


@dataclass(frozen=True)
class CutPoints:
    """C01's four cut points of a period and how they were obtained; ``households`` ranked (computed
    ones only). Group k holds the households whose income is above k cut points."""

    values: tuple[float, float, float, float]
    source: Source
    households: int | None = None

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.source]

    def text(self) -> str:
        """The four cut points as a clerk reads them: ``6,000、11,000、16,000、24,000元``."""
        return "、".join(f"{v:,.2f}".rstrip("0").rstrip(".") for v in self.values) + "元"

    @classmethod
    def given(cls, raw: object, source: Source = "给定") -> CutPoints:
        """Cut points from a list or a ``6000,11000,16000,24000`` text; ParameterError when not four
        ascending numbers."""
        if isinstance(raw, str):
            try:
                raw = [float(p) for p in raw.replace("，", ",").split(",") if p.strip()]
            except ValueError:
                raise ParameterError(f"分界点应为4个数字，如 6000,11000,16000,24000 / got {raw!r}") from None
        a, b, c, d = _ascending(raw, "分界点")
        return cls((a, b, c, d), source)


_RANKABLE = pl.col("per_capita_income").is_not_null() & (pl.col("size") > 0)


def income_blocks(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """``per_capita_income, households``: how many rankable households have each income (C01's ranking
    reads nothing else, so a region's blocks can be counted where its accounts are, e.g. on Spark)."""
    return accounts.filter(_RANKABLE).group_by("per_capita_income").agg(pl.len().alias("households"))


def compute_cut_points(accounts: pl.DataFrame, source: Source = "计算") -> CutPoints | None:
    """C01 over ``accounts`` (``size``, ``per_capita_income``): the cut points of their own ranking by
    households (module docstring), or None when no household can be ranked."""
    return cut_points_of_blocks(income_blocks(accounts.lazy()).collect(), source)


def cut_points_of_blocks(blocks: pl.DataFrame, source: Source = "计算") -> CutPoints | None:
    """C01's cut points from :func:`income_blocks` (in any order), or None when the blocks are empty.

    Cut point k is the highest income of groups 0…k; below an empty lowest group it is one fen under
    the lowest income, so applying the cut points to the same households gives back their groups.
    """
    blocks = (
        blocks.lazy()
        .select("per_capita_income", pl.col("households").cast(pl.Int64))
        .sort("per_capita_income")
        .with_columns(pl.col("households").cum_sum().alias("through"))
        .with_columns(
            # the block's middle household, as a share of all households, times five
            ((pl.col("through") - pl.col("households") / 2) * 5 / pl.col("households").sum())
            .floor()
            .clip(0, 4)
            .cast(pl.Int64)
            .alias("group")
        )
        .collect()
    )
    if blocks.height == 0:
        return None
    lowest = float(blocks["per_capita_income"][0]) - 0.01
    top = blocks.group_by("group").agg(pl.col("per_capita_income").max())
    highest = dict(top.iter_rows())
    cuts: list[float] = []
    for k in range(4):
        below = [highest[g] for g in range(k + 1) if g in highest]
        cuts.append(round(max(below), 2) if below else round(lowest, 2))
    a, b, c, d = cuts
    return CutPoints((a, b, c, d), source, int(blocks["households"].sum()))


def cut_points_for(
    accounts: pl.DataFrame, params: ParameterSet, year: int, given: CutPoints | None = None
) -> CutPoints | None:
    """The cut points a run places its households with: official (``C01.cut_points``), else ``given``,
    else the accounts' own ranking (None when nothing can be ranked)."""
    official = official_cut_points(params, year)
    if official is not None:
        return CutPoints.given(official, "官方")
    if given is not None:
        return given
    return compute_cut_points(accounts, "自行")


def _with_quintile_index(accounts: pl.LazyFrame, cut_points: CutPoints | None) -> pl.LazyFrame:
    """Add ``quintile_index`` (0–4, null when unranked) to the accounts, without reordering them."""
    if cut_points is None:
        return accounts.with_columns(pl.lit(None, pl.Int64).alias("quintile_index"))
    idx = pl.sum_horizontal([(pl.col("per_capita_income") > c).cast(pl.Int64) for c in cut_points.values])
    return accounts.with_columns(pl.when(_RANKABLE).then(idx).alias("quintile_index"))


def quintile_index(accounts: pl.DataFrame, cut_points: list[float] | CutPoints | None = None) -> pl.DataFrame:
    """C01: ``household_id, quintile_index`` (0–4) for households with a per-capita income and size > 0.

    Without cut points the accounts rank themselves by households (module docstring); with them a
    household is in group k when its income is above k cut points.
    """
    if isinstance(cut_points, list | tuple):
        cuts: CutPoints | None = CutPoints.given(list(cut_points))
    else:
        cuts = cut_points if cut_points is not None else compute_cut_points(accounts, "自行")
    lf = accounts.lazy().select("household_id", "size", "per_capita_income")
    return (
        _with_quintile_index(lf, cuts)
        .filter(pl.col("quintile_index").is_not_null())
        .select("household_id", "quintile_index")
        .collect()
    )


def _reason(g: Guarantee, env: Env) -> pl.Expr:
    return (
        pl.when(compile_polars(g.condition, env).fill_null(False)).then(text_expr(g.reason, env)).alias(g.key)
    )


def _facts(pop: Population, params: ParameterSet, year: int, facts: rc.Facts | None) -> rc.Facts:
    return facts if facts is not None else rc.compute(pop, rc.environment(params, year))


def guarantee_facts(
    pop: Population, year: int, params: ParameterSet, facts: rc.Facts | None = None
) -> pl.DataFrame:
    """C03 reasons per household as Chinese phrases (null = none): ``household_id`` and one column per
    guarantee of :data:`GUARANTEES`. Only households with at least one reason have a row."""
    known = _facts(pop, params, year, facts)
    env = known.env
    return (
        known.households.lazy()
        .select("household_id", *[_reason(g, env) for g in GUARANTEES])
        .filter(pl.any_horizontal(pl.all().exclude("household_id").is_not_null()))
        .collect()
    )


def classify(
    accounts: pl.DataFrame,
    pop: Population,
    params: ParameterSet,
    year: int,
    alerts: pl.DataFrame | None = None,
    facts: rc.Facts | None = None,
    cut_points: CutPoints | None = None,
) -> pl.DataFrame:
    """C01–C03: quintile, tier and reasons per household of ``accounts`` (see :data:`TIER_SCHEMA`).

    C01 places the households with the cut points of :func:`cut_points_for` (official, else
    ``cut_points``, else the accounts' own ranking), and the reason names which.

    C02 maps the quintile to a tier; C03 keeps a household with an unmet guarantee (housing, water,
    compulsory schooling, basic medical insurance), an open monitoring object, or a 一级 alert of the
    codes in ``C03.risk_alert_codes`` at 风险防范户. Households without members have no per-capita
    income: no quintile, no tier, and the reason says so.
    """
    cuts = cut_points_for(accounts, params, year, cut_points)
    tier_of = dict(params.for_year("C02.tier_of_quintile", year))
    reasons = guarantee_facts(pop, year, params, facts).lazy()
    risk_codes = _param(params, "C03.risk_alert_codes", year, [])
    if alerts is not None and alerts.height and risk_codes:
        risky = (
            alerts.lazy()
            .filter(
                pl.col("household_id").is_not_null()
                & (pl.col("level") == "一级")
                & pl.col("code").is_in(list(risk_codes))  # type: ignore[call-overload]
            )
            .group_by("household_id")
            .agg(pl.col("code").unique().sort().str.join("、").alias("risk_codes"))
            .select("household_id", pl.format("一级预警{}", pl.col("risk_codes")).alias("risk"))
        )
        reasons = reasons.join(risky, on="household_id", how="full", coalesce=True)
    else:
        reasons = reasons.with_columns(pl.lit(None, dtype=pl.Utf8).alias("risk"))
    c03_parts = [g.key for g in GUARANTEES] + ["risk"]
    # only households with a reason have a row: the C03 phrase is built on that small frame
    c03 = reasons.select(
        "household_id",
        pl.concat_str([pl.col(c) for c in c03_parts], separator="、", ignore_nulls=True).alias("c03"),
    )
    idx = pl.col("quintile_index")
    base_tier = idx.replace_strict(
        list(range(5)), [tier_of[q] for q in ix.QUINTILES], default=None, return_dtype=pl.Utf8
    )
    override = (pl.col("c03").is_not_null() & (idx >= 2)).fill_null(False)
    base_source = f"按{cuts.label}" if cuts is not None else ""
    c03_text = pl.concat_str(
        [
            pl.lit("；C03 "),
            pl.col("c03"),
            pl.when(pl.col("c03_override")).then(pl.lit("，调整为风险防范户")).otherwise(pl.lit("")),
        ]
    ).fill_null("")
    lf = (
        _with_quintile_index(accounts.lazy().select("household_id", "size", "per_capita_income"), cuts)
        .join(c03, on="household_id", how="left", maintain_order="left")
        .with_columns(
            idx.replace_strict(list(range(5)), list(ix.QUINTILES), default=None, return_dtype=pl.Utf8).alias(
                "quintile"
            ),
            base_tier.alias("base_tier"),
            override.alias("c03_override"),
        )
        .with_columns(
            pl.when(pl.col("c03_override"))
            .then(pl.lit(RISK_TIER))
            .otherwise(pl.col("base_tier"))
            .alias("tier"),
            # null when unranked (quintile null), then the fixed explanation
            pl.concat_str(
                [
                    pl.lit("C01 人均纯收入"),
                    yuan_text(pl.col("per_capita_income")),
                    pl.lit(f"元，{base_source}位于"),
                    pl.col("quintile"),
                    pl.lit("；C02 对应"),
                    pl.col("base_tier"),
                    c03_text,
                ]
            )
            .fill_null(pl.lit("C01 无家庭成员或收入，无法计算人均纯收入，未分组"))
            .alias("reasons"),
        )
    )
    types = pop.households.lazy().select("household_id", "household_type")
    lf = lf.join(types, on="household_id", how="left", maintain_order="left").with_columns(
        scope_expr(params, year).alias("in_scope")
    )
    # rows stay in the order of ``accounts``
    return lf.select([pl.col(k).cast(t) for k, t in TIER_SCHEMA.items()]).collect()
