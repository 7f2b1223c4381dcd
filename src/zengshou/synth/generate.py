"""The seeded generating process of the synthetic region (see docs/synthetic-data.md).

Everything is drawn column by column with numpy and joined with polars; there is no Python loop over
households or persons. Causal order: geography → households → members → land/livestock → base income
by component (scaled to the calibration targets) → yearly evolution with shocks → quarter rows →
registry state at the end of the last year → department feeds → cadres and existing pairs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from zengshou import frames
from zengshou import interchange as ix
from zengshou.frames import Population
from zengshou.progress import progress
from zengshou.registry.areas import counties

CALIBRATION_FILE = Path(__file__).parent / "calibration.yaml"

#: Rural weight and poverty intensity of each county (0 = irrigated north, 1 = southern mountains).
#: ASSUMPTION: relative weights by the counties' rural population as commonly reported.
_COUNTY_PROFILE: dict[str, tuple[float, float]] = {
    "640104": (0.6, 0.0),
    "640105": (0.5, 0.0),
    "640106": (0.4, 0.0),
    "640121": (2.5, 0.2),
    "640122": (2.5, 0.1),
    "640181": (2.2, 0.2),
    "640202": (0.5, 0.0),
    "640205": (0.8, 0.1),
    "640221": (3.0, 0.2),
    "640302": (3.0, 0.2),
    "640303": (2.6, 0.9),
    "640323": (2.4, 0.8),
    "640324": (4.0, 1.0),
    "640381": (2.4, 0.2),
    "640402": (4.6, 0.9),
    "640422": (5.2, 1.0),
    "640423": (1.9, 0.9),
    "640424": (1.2, 0.9),
    "640425": (2.4, 0.9),
    "640502": (3.4, 0.4),
    "640521": (3.2, 0.4),
    "640522": (5.0, 1.0),
}
HOUSEHOLDS_PER_VILLAGE = 360
VILLAGES_PER_TOWNSHIP = 12
_SURNAMES = list("马王李张杨刘田海丁余金白苏赵周吴何黄罗郭冯韩虎撒穆纳")
_GIVEN = list("明华军平英兰秀红芳福贵成祥云霞玉梅强勇海燕晓东文志国山学慧婷兴旺德有生春")
_PLACE_A = list("沙泉河红杨柳新兴张王李马高石黄白金东西南北上下")
_PLACE_B = ["湾", "庄", "滩", "堡", "沟", "井", "台", "塬", "洼", "岔", "坪", "渠"]
_WORK_MONTHLY_WAGE = {  # yuan a month by work status; ASSUMPTION (Ningxia migrant-work wages)
    "未务工": 0,
    "乡镇内务工": 2600,
    "县内乡镇外务工": 3000,
    "省内县外务工": 3600,
    "省外务工": 4300,
    "公益性岗位": 1200,
    "帮扶车间": 2500,
    "自主创业": 0,
    "灵活就业": 2300,
}
#: Spread of the yearly income process (log scale): permanent random-walk steps and transitory noise.
#: ASSUMPTION, tuned so that about 10–15% of households fall year on year with the shocks.
SIGMA = {
    "wage_step": 0.02,
    "operating_step": 0.03,
    "wage_noise": 0.025,
    "operating_noise": 0.04,
    "transfer_noise": 0.05,
}
SHOCK_CODES = ("illness", "disability", "accident", "job_loss", "disaster", "price_fall", "dibao_ended")


@dataclass
class SynthRegion:
    """A generated region: the interchange tables, the department feeds, and the shocks applied."""

    population: Population
    feeds: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: Ground truth: household_id, year, shock, member_id_number, area_code, magnitude, event_date.
    shocks: pl.DataFrame = field(default_factory=pl.DataFrame)
    years: list[int] = field(default_factory=list)
    seed: int = 0


def calibration() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(CALIBRATION_FILE.read_text(encoding="utf-8"))
    return doc


def _pick(rng: np.random.Generator, values: list[str], n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    a, b, c = _pick(rng, _SURNAMES, n), _pick(rng, _GIVEN, n), _pick(rng, _GIVEN, n)
    two = rng.random(n) < 0.7
    return pl.Series(np.where(two, a + b + c, a + b).astype(str))


def _geography(rng: np.random.Generator, households: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Townships and villages under the 22 real counties; returns (villages, county profile)."""
    cty = pl.DataFrame(
        [
            {
                "county_code": c.code,
                "county_name": c.name,
                "weight": _COUNTY_PROFILE[c.code][0],
                "poverty": _COUNTY_PROFILE[c.code][1],
            }
            for c in counties()
        ]
    )
    share = cty["weight"].to_numpy() / cty["weight"].sum()
    total_villages = max(len(share), round(households / HOUSEHOLDS_PER_VILLAGE))
    per_county = np.maximum(1, np.round(share * total_villages)).astype(int)
    rows_county = np.repeat(cty["county_code"].to_numpy(), per_county)
    idx_in_county = _positions(per_county)
    township_idx = idx_in_county // VILLAGES_PER_TOWNSHIP
    village_idx = idx_in_county % VILLAGES_PER_TOWNSHIP
    n = len(rows_county)
    tname = _pick(rng, _PLACE_A, n) + _pick(rng, _PLACE_A, n)
    villages = pl.DataFrame(
        {
            "county_code": rows_county,
            "township_code": [f"{c}{100 + t:03d}" for c, t in zip(rows_county, township_idx, strict=True)],
            "village_code": [
                f"{c}{100 + t:03d}{200 + v:03d}"
                for c, t, v in zip(rows_county, township_idx, village_idx, strict=True)
            ],
            "village_name": (_pick(rng, _PLACE_A, n) + _pick(rng, _PLACE_B, n) + "村").astype(str),
            "township_tmp": (tname + np.where(rng.random(n) < 0.6, "镇", "乡")).astype(str),
            "collective_income_10k": np.round(rng.lognormal(np.log(12.0), 0.8, n), 2),
        }
    )
    # one name per township: the first village's draw
    tnames = villages.group_by("township_code", maintain_order=True).agg(pl.col("township_tmp").first())
    villages = villages.drop("township_tmp").join(
        tnames.rename({"township_tmp": "township_name"}), on="township_code", how="left"
    )
    return villages, cty


def _positions(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, k-1 for each count k, concatenated (the position of a row inside its group)."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


def _county_of(village_codes: pl.Series) -> pl.Series:
    return village_codes.str.slice(0, 6)


def generate(
    households: int,
    years: range | list[int],
    seed: int,
    show_progress: bool = False,
    quarter_years: int = 2,
) -> SynthRegion:
    """Generate ``households`` households with income for ``years`` (a panel), seeded by ``seed``.

    Whole-year income rows for every year; cumulative quarter rows for the last ``quarter_years``.
    """
    years = sorted(int(y) for y in years)
    if households < 1:
        raise ValueError("农户数应大于0 / households must be positive")
    if not years:
        raise ValueError("至少需要一个年度 / at least one year")
    cal = calibration()
    rng = np.random.default_rng(seed)
    with progress(f"生成模拟地区 {households:,} 户", 8, enabled=show_progress) as advance:
        villages, cty = _geography(rng, households)
        hh = _households(rng, households, villages, cty, cal)
        advance(1)
        members = _members(rng, hh, years[-1], cal)
        advance(1)
        hh = _land_livestock(rng, hh, members, cal)
        advance(1)
        base = _base_income(rng, hh, members, years[0], cal)
        advance(1)
        yearly, shocks, members, hh, events = _evolve(rng, hh, members, villages, base, years, cal)
        advance(1)
        income = _income_rows(yearly, years[len(years) - quarter_years :] if quarter_years > 0 else [])
        advance(1)
        feeds = _feeds(rng, hh, members, villages, events, years)
        advance(1)
        cadres = _cadres(rng, hh, members, yearly, years[-1])
        dropouts = feeds["education"]["id_number"]
        members = members.with_columns(
            schooling=pl.when(pl.col("id_number").is_in(dropouts.to_list()))
            .then(pl.lit("辍学"))
            .otherwise(pl.col("schooling"))
        )
        advance(1)
    pop = Population(
        households=frames.conform(hh, ix.HOUSEHOLDS),
        members=frames.conform(members, ix.MEMBERS),
        income=frames.conform(income, ix.INCOME),
        villages=frames.conform(villages, ix.VILLAGES),
        cadres=frames.conform(cadres, ix.CADRES),
        feeds=feeds,
    )
    return SynthRegion(population=pop, feeds=feeds, shocks=shocks, years=years, seed=seed)


def _households(
    rng: np.random.Generator, n: int, villages: pl.DataFrame, cty: pl.DataFrame, cal: dict[str, Any]
) -> pl.DataFrame:
    """Households placed in villages by county weight; type by the county's poverty intensity."""
    vc = villages.join(cty.select("county_code", "weight", "poverty"), on="county_code")
    per_village_w = (
        vc["weight"].to_numpy()
        / vc.group_by("county_code")
        .len()
        .join(vc.select("county_code"), on="county_code", how="right")["len"]
        .to_numpy()
    )
    p = per_village_w / per_village_w.sum()
    village_idx = np.sort(rng.choice(len(vc), size=n, p=p))
    poverty = vc["poverty"].to_numpy()[village_idx]
    codes = vc["village_code"].to_numpy()[village_idx]
    types = cal["household_types"]
    # 脱贫户 share rises with poverty intensity; the mean over the region matches the target.
    raw = 0.05 + 0.55 * poverty
    p_tuopin = raw * types["tuopin_share"] / raw.mean()
    u = rng.random(n)
    mon = types["monitoring_share"]
    household_type = np.where(
        u < mon * 0.45,
        "监测对象-脱贫不稳定户",
        np.where(
            u < mon * 0.8,
            "监测对象-边缘易致贫户",
            np.where(u < mon, "监测对象-突发严重困难户", np.where(u < mon + p_tuopin, "脱贫户", "一般农户")),
        ),
    )
    return pl.DataFrame(
        {
            "village_code": codes,
            "household_type": household_type,
            "poverty": poverty,
            "hh_factor": rng.lognormal(0.0, 0.36, n) * (1.0 - 0.33 * poverty),
        }
    ).with_columns(
        household_id=pl.col("village_code")
        + (pl.int_range(pl.len()).over("village_code") + 1).cast(pl.Utf8).str.zfill(4)
    )


def _members(rng: np.random.Generator, hh: pl.DataFrame, last_year: int, cal: dict[str, Any]) -> pl.DataFrame:
    """Persons with relation-consistent ages and sexes, health, labour, work and schooling."""
    n_hh = hh.height
    poor = hh["household_type"].to_numpy() != "一般农户"
    size_mean = cal["household_size"]["mean"]
    tuopin_mean = cal["household_size"]["tuopin_mean"]
    poor_share = poor.mean() if n_hh else 0.0
    general_mean = (size_mean - poor_share * tuopin_mean) / max(1e-9, 1 - poor_share)
    lam = np.where(poor, tuopin_mean - 1, general_mean - 1)
    size = np.clip(1 + rng.poisson(np.maximum(lam, 0.1)), 1, 9)
    hh_idx = np.repeat(np.arange(n_hh), size)
    pos = _positions(size)
    n = len(hh_idx)
    head_age = np.clip(rng.normal(56, 13, n_hh), 23, 88).astype(int)
    head_male = rng.random(n_hh) < 0.88
    ha = head_age[hh_idx]
    hm = head_male[hh_idx]
    u = rng.random(n)
    # position 1: spouse (85%) or child; position ≥ 2: children, grandchildren (old heads), a parent
    is_head = pos == 0
    is_spouse = (pos == 1) & (u < 0.85)
    is_parent = (pos >= 2) & (pos == size[hh_idx] - 1) & (ha < 58) & (u < 0.2)
    is_grand = (pos >= 2) & (ha >= 58) & (u < 0.45) & ~is_parent
    child_age = ha - rng.integers(21, 36, n)
    age = np.select(
        [is_head, is_spouse, is_parent, is_grand],
        [
            ha,
            np.clip(ha + rng.integers(-5, 4, n), 20, 90),
            np.minimum(ha + rng.integers(22, 32, n), 96),
            rng.integers(0, 16, n),
        ],
        default=np.maximum(child_age - rng.integers(0, 8, n) * (pos - 1 > 0), 0),
    )
    age = np.clip(age, 0, 96)
    male = np.select([is_head, is_spouse], [hm, ~hm], default=rng.random(n) < 0.51)
    relation = np.select(
        [is_head, is_spouse, is_parent & male, is_parent, is_grand & male, is_grand, male],
        ["户主", "配偶", "之父", "之母", "之孙子", "之孙女", "之子"],
        default="之女",
    )
    # birth dates on the last year's 31 December give the ages above
    birth = pl.select(
        (
            pl.date(pl.lit(pl.Series(last_year - age)), 1, 1)
            + pl.duration(days=pl.lit(pl.Series(rng.integers(0, 365, n))))
        )
        .cast(pl.Date)
        .alias("birth")
    )["birth"]
    hcal = cal["health"]
    old = np.clip((age - 40) / 40, 0, 1.2)
    r = rng.random(n)
    w_ill = 0.4 + 1.3 * old
    w_chr = 0.3 + 1.6 * old
    w_dis = 0.5 + 1.1 * old
    serious = r < hcal["serious_illness"] * w_ill / w_ill.mean()
    chronic = ~serious & (
        rng.random(n) < hcal["chronic"] * w_chr / w_chr.mean() / (1 - hcal["serious_illness"])
    )
    health = np.where(serious, "患有大病", np.where(chronic, "长期慢性病", "健康"))
    disabled = rng.random(n) < hcal["disability"] * w_dis / w_dis.mean()
    grade = np.where(
        disabled, np.asarray(["一级", "二级", "三级", "四级"])[rng.choice(4, n, p=[0.1, 0.2, 0.3, 0.4])], ""
    )
    severe = np.isin(grade, ["一级", "二级"])
    lr = rng.random(n)
    labour = np.select(
        [age < 16, (age >= 75) | severe | serious, age >= 66, lr < 0.22, lr < 0.88],
        ["无劳动力", "丧失劳动力", "弱劳动力或半劳动力", "技能劳动力", "普通劳动力"],
        default="弱劳动力或半劳动力",
    )
    can_work = np.isin(labour, ["技能劳动力", "普通劳动力", "弱劳动力或半劳动力"]) & (age >= 16) & (age <= 65)
    work_kinds = np.asarray(list(_WORK_MONTHLY_WAGE))
    wk = work_kinds[rng.choice(len(work_kinds), n, p=[0.28, 0.15, 0.13, 0.17, 0.12, 0.04, 0.04, 0.03, 0.04])]
    work = np.where(can_work, wk, np.where(age >= 16, "未务工", ""))
    months = np.where(
        (work != "未务工") & (work != ""), rng.integers(4, 13, n), np.where(work == "未务工", 0, -1)
    )
    schooling = np.select(
        [
            age < 3,
            age < 6,
            age < 12,
            age < 15,
            (age < 18) & (rng.random(n) < 0.55),
            age < 18,
            (age < 23) & (rng.random(n) < 0.35),
        ],
        [
            "非在校生",
            "学前",
            "小学",
            "初中",
            "高中",
            "中职",
            np.asarray(["大专", "本科", "高职"])[rng.integers(0, 3, n)],
        ],
        default="非在校生",
    )
    grad = np.where((age >= 20) & (age <= 24) & (rng.random(n) < 0.18), last_year - rng.integers(0, 3, n), -1)
    # about one graduate in eight starts a business (返乡创业), registered after graduating (L08)
    starts = (grad >= 0) & can_work & (r > 0.88)
    work = np.where(starts, "自主创业", work)
    months = np.where(starts & (months <= 0), 12, months)
    business = np.where(can_work & (work == "自主创业"), last_year - rng.integers(0, 6, n), -1)
    business = np.where((business >= 0) & (grad >= 0), np.maximum(business, grad), business)
    county = hh["village_code"].str.slice(0, 6).to_numpy()[hh_idx]
    channel = _job_channels(work)
    frame = pl.DataFrame(
        {
            "hh_idx": hh_idx,
            "household_id": hh["household_id"].to_numpy()[hh_idx],
            "county": county,
            "birth": birth,
            "male": male,
            "name": _names(rng, n),
            "relation": relation,
            "health": health,
            "disability_grade": grade,
            "labour": labour,
            "work": work,
            "work_months": months,
            "job_channel": channel,
            "schooling": schooling,
            "graduation_year": grad,
            "medical_insured": rng.random(n) < 0.992,
            "business_since": business,
            "age": age,
        }
    )
    # ID numbers: county + birth date + a sequence unique within (county, birth date, sex) + check digit
    frame = frame.with_columns(
        pl.int_range(pl.len()).over("county", "birth", "male").alias("seq")
    ).with_columns(
        (
            pl.col("county")
            + pl.col("birth").dt.strftime("%Y%m%d")
            + (pl.col("seq") * 2 + pl.col("male").cast(pl.Int64) + 100).cast(pl.Utf8).str.zfill(3)
        ).alias("first17")
    )
    frame = frame.with_columns(_check_char(pl.col("first17")).alias("check")).with_columns(
        (pl.col("first17") + pl.col("check")).alias("id_number")
    )
    null_if = {
        "disability_grade": "",
        "work": "",
        "job_channel": "",
        "schooling": "",
    }
    return frame.with_columns(
        [pl.when(pl.col(k) == v).then(None).otherwise(pl.col(k)).alias(k) for k, v in null_if.items()]
        + [
            pl.when(pl.col(k) < 0).then(None).otherwise(pl.col(k)).alias(k)
            for k in ("work_months", "graduation_year", "business_since")
        ]
    ).drop("first17", "check", "seq")


#: 就业渠道 of the work that has one of its own; work away from home (省内县外, 省外) is found through an
#: organised transfer or a broker for about three workers in ten, on their own otherwise.
_CHANNEL_OF_WORK = {
    "乡镇内务工": "就近就地务工",
    "县内乡镇外务工": "就近就地务工",
    "公益性岗位": "公益岗位",
    "帮扶车间": "帮扶车间",
    "自主创业": "自主创业",
    "灵活就业": "灵活就业",
}


def _job_channels(work: np.ndarray) -> np.ndarray:
    """A member's 就业渠道 from the work drawn, without drawing again (the region's other figures stay
    as they are): the away-from-home workers take organised / broker / own channels by their position."""
    away = np.isin(work, ["省内县外务工", "省外务工"])
    position = np.arange(len(work)) % 10
    by_position = np.where(
        position < 2, "有组织劳务输出", np.where(position < 3, "劳务中介或经纪人介绍", "自主外出务工")
    )
    mapped = np.asarray([_CHANNEL_OF_WORK.get(str(w), "") for w in work], dtype=object)
    return np.where(away, by_position, mapped).astype(str)


def _check_char(first17: pl.Expr) -> pl.Expr:
    """GB 11643 check character computed over whole columns."""
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = pl.sum_horizontal([first17.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(weights)])
    return (total % 11).replace_strict(list(range(11)), list("10X98765432"), return_dtype=pl.Utf8)


def _land_livestock(
    rng: np.random.Generator, hh: pl.DataFrame, members: pl.DataFrame, cal: dict[str, Any]
) -> pl.DataFrame:
    """Land, courtyard, livestock, housing and social-assistance flags of each household."""
    n = hh.height
    ll = cal["land_livestock"]
    pov = hh["poverty"].to_numpy()
    arable = np.round(rng.lognormal(np.log(ll["arable_mean_mu"] * (0.55 + 0.9 * pov)) - 0.18, 0.6, n), 1)
    labourers = members.filter(pl.col("labour").is_in(["技能劳动力", "普通劳动力"])).group_by("hh_idx").len()
    lab = np.zeros(n, dtype=int)
    lab[labourers["hh_idx"].to_numpy()] = labourers["len"].to_numpy()
    idle = np.where((lab == 0) | (rng.random(n) < 0.06), np.round(arable * rng.uniform(0.2, 1.0, n), 1), 0.0)
    cattle_p = ll["cattle_share"] * (0.5 + pov)
    sheep_p = ll["sheep_share"] * (0.4 + 1.2 * pov)
    cattle = np.where(rng.random(n) < cattle_p, rng.integers(1, 12, n), 0)
    sheep = np.where(rng.random(n) < sheep_p, rng.integers(5, 60, n), 0)
    pigs = np.where(rng.random(n) < 0.04, rng.integers(1, 10, n), 0)
    poor = hh["household_type"].to_numpy() != "一般农户"
    dibao_hh = rng.random(n) < np.where(poor, 0.14, 0.015)
    size = np.bincount(members["hh_idx"].to_numpy(), minlength=n)
    old_alone = (size == 1) & (rng.random(n) < 0.12)
    idle_court = rng.random(n) < 0.32
    return hh.with_columns(
        arable_mu=pl.Series(arable),
        arable_idle_mu=pl.Series(idle),
        idle_courtyard=pl.Series(idle_court),
        courtyard_willing=pl.Series(idle_court & (rng.random(n) < 0.55)),
        livestock_willing=pl.Series(rng.random(n) < 0.35),
        cattle=pl.Series(cattle),
        sheep=pl.Series(sheep),
        pigs=pl.Series(pigs),
        collective_yard=pl.Series((cattle > 0) & (rng.random(n) < 0.08)),
        rents_greenhouse=pl.Series(rng.random(n) < 0.03),
        housing_safe=pl.Series(rng.random(n) > 0.006),
        water_safe=pl.Series(rng.random(n) > 0.003),
        dibao_household=pl.Series(dibao_hh),
        tekun=pl.Series(old_alone),
        assets_within_dibao_rules=pl.Series(rng.random(n) < np.where(poor, 0.85, 0.3)),
        phone=pl.Series(
            np.char.add(
                np.asarray(["139", "138", "151", "189", "177"])[rng.integers(0, 5, n)],
                np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8),
            )
        ),
        labourers=pl.Series(lab),
        size=pl.Series(size),
    )


def _base_income(
    rng: np.random.Generator, hh: pl.DataFrame, members: pl.DataFrame, year: int, cal: dict[str, Any]
) -> pl.DataFrame:
    """First-year income by component, scaled so that person-weighted means meet the targets."""
    n = hh.height
    wage_rate = (
        members["work"].replace_strict(_WORK_MONTHLY_WAGE, default=0, return_dtype=pl.Float64).fill_null(0)
    )
    member_wage = (wage_rate * members["work_months"].fill_null(0)).to_numpy()
    wage = np.bincount(members["hh_idx"].to_numpy(), weights=member_wage, minlength=n)
    business = np.bincount(
        members["hh_idx"].to_numpy(),
        weights=members["business_since"].is_not_null().to_numpy() * 1.0,
        minlength=n,
    )
    f = hh["hh_factor"].to_numpy()
    planted = (hh["arable_mu"] - hh["arable_idle_mu"]).clip(lower_bound=0).to_numpy()
    crop_gross = planted * rng.uniform(700, 1300, n)
    livestock_gross = (
        hh["cattle"].to_numpy() * 7000 + hh["sheep"].to_numpy() * 900 + hh["pigs"].to_numpy() * 1800
    )
    op_gross = (crop_gross + livestock_gross + business * 30_000) * np.sqrt(f)
    op_cost = crop_gross * 0.42 + livestock_gross * 0.55 + business * 12_000
    wage = wage * f
    size = hh["size"].to_numpy()
    ages = members["age"].to_numpy()
    pensioners = np.bincount(members["hh_idx"].to_numpy(), weights=(ages >= 60) * 1.0, minlength=n)
    dibao_hh = hh["dibao_household"].to_numpy()
    transfer_dibao = np.where(dibao_hh, size * rng.uniform(3600, 5200, n), 0.0)
    transfer_pension = pensioners * rng.uniform(2000, 3200, n)
    other_transfer = rng.lognormal(np.log(900), 0.9, n) * np.sqrt(size)
    prop = np.where(rng.random(n) < 0.45, rng.lognormal(np.log(500), 1.0, n), 0.0)
    # scale each component so its person-weighted mean per capita meets the target in the first year
    target_pc = float(
        cal["income_per_capita"]["values"].get(
            year, cal["income_per_capita"]["values"][max(cal["income_per_capita"]["values"])]
        )
    )
    comp = cal["income_composition"]
    persons = size.sum()

    def scale(amount: np.ndarray, share: float) -> float:
        return float(target_pc * share * persons / max(amount.sum(), 1.0))

    s_w = scale(wage, comp["wage"])
    s_o = scale(op_gross - op_cost, comp["operating"])
    s_p = scale(prop, comp["property"])
    transfer_base = transfer_dibao + transfer_pension + other_transfer
    s_t = scale(transfer_base, comp["transfer"])
    return pl.DataFrame(
        {
            "household_id": hh["household_id"],
            "wage": wage * s_w,
            "operating_gross": op_gross * s_o,
            "operating_cost": op_cost * s_o,
            "property": prop * s_p,
            "transfer_dibao": transfer_dibao * s_t,
            "transfer_pension": transfer_pension * s_t,
            "transfer_other": other_transfer * s_t,
            "consumption_rate": rng.uniform(0.55, 0.85, n),
            "education_base": np.bincount(
                members["hh_idx"].to_numpy(),
                weights=members["schooling"].is_in(["高中", "中职", "大专", "本科", "高职"]).to_numpy()
                * 2500.0,
                minlength=n,
            ),
        }
    )


def _evolve(
    rng: np.random.Generator,
    hh: pl.DataFrame,
    members: pl.DataFrame,
    villages: pl.DataFrame,
    base: pl.DataFrame,
    years: list[int],
    cal: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame]]:
    """Incomes year by year: growth, a permanent random walk, transitory noise, and the shocks.

    A shock on a date in year t takes the remaining share of year t and all of year t+1 (half of it
    recovered in t+2), so events late in a year are visible in the feeds before the income falls.
    """
    n = hh.height
    rates = cal["shocks"]
    targets = cal["income_per_capita"]["values"]
    wage0 = base["wage"].to_numpy()
    og0, oc0 = base["operating_gross"].to_numpy(), base["operating_cost"].to_numpy()
    prop0 = base["property"].to_numpy()
    td0, tp0, to0 = (base[c].to_numpy() for c in ("transfer_dibao", "transfer_pension", "transfer_other"))
    perm_w = np.zeros(n)
    perm_o = np.zeros(n)
    # multiplicative losses by year index, from shocks: wage and operating; extra medical self-pay
    ny = len(years)
    wage_loss = np.zeros((ny + 2, n))
    op_loss = np.zeros((ny + 2, n))
    medical = np.zeros((ny + 2, n))
    dibao_off = np.zeros(n, dtype=bool)
    hh_ids = hh["household_id"].to_numpy()
    village_of = hh["village_code"].to_numpy()
    county_of = _county_of(hh["village_code"]).to_numpy()
    shock_rows: list[pl.DataFrame] = []
    events: dict[str, list[pl.DataFrame]] = {
        k: [] for k in ("illness", "disability", "accident", "job_loss", "disaster", "dibao_ended")
    }
    m_hh = members["hh_idx"].to_numpy()
    m_age = members["age"].to_numpy()
    adult = (m_age >= 16) & (m_age <= 70)
    # one representative adult per household (the first adult) carries person-level shocks
    first_adult = (
        pl.DataFrame({"hh": m_hh, "i": np.arange(len(m_hh)), "a": adult})
        .filter(pl.col("a"))
        .group_by("hh")
        .agg(pl.col("i").first())
    )
    rep = np.full(n, -1)
    rep[first_adult["hh"].to_numpy()] = first_adult["i"].to_numpy()
    ids = members["id_number"].to_numpy()
    has_wage = wage0 > 0
    persons = float(hh["size"].sum())
    livestock = (hh["cattle"].to_numpy() + hh["sheep"].to_numpy()) > 0

    def record(
        kind: str, mask: np.ndarray, t: int, frac: np.ndarray, magnitude: np.ndarray, person: bool
    ) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        day = (365 * (1 - frac[idx])).astype(int)
        dates = pl.Series([dt.date(years[t], 1, 1)] * len(idx)) + pl.Series(
            day * 86_400_000, dtype=pl.Duration("ms")
        )
        frame = pl.DataFrame(
            {
                "household_id": hh_ids[idx],
                "year": np.full(len(idx), years[t]),
                "shock": np.full(len(idx), kind),
                "member_id_number": np.where(rep[idx] >= 0, ids[np.maximum(rep[idx], 0)], None)
                if person
                else np.full(len(idx), None),
                "area_code": village_of[idx],
                "magnitude": np.round(magnitude[idx], 3),
                "event_date": dates.cast(pl.Date),
                "member_index": rep[idx] if person else np.full(len(idx), -1),
            },
            schema_overrides={"member_id_number": pl.Utf8},
        )
        shock_rows.append(frame)
        if kind in events:
            events[kind].append(frame)

    price_counties_all = [c.code for c in counties() if _COUNTY_PROFILE[c.code][0] >= 1.0]
    yearly = []
    for t, year in enumerate(years):
        frac = rng.uniform(0.02, 1.0, n)  # share of year t left after an event date
        if t > 0:
            u = rng.random(n)
            ill = (u < rates["illness"]) & (rep >= 0)
            dis = (u >= rates["illness"]) & (u < rates["illness"] + rates["disability"]) & (rep >= 0)
            acc = (rng.random(n) < rates["accident"]) & (rep >= 0)
            job = has_wage & (rng.random(n) < rates["job_loss"])
            dib = ~dibao_off & (td0 > 0) & (rng.random(n) < rates["dibao_ended"])
            sev_ill = rng.uniform(0.25, 0.6, n)
            sev_job = rng.uniform(0.4, 0.8, n)
            for k, mask, sev in (("illness", ill, sev_ill), ("disability", dis, rng.uniform(0.2, 0.5, n))):
                wage_loss[t] += mask * sev * frac
                wage_loss[t + 1] += mask * sev
                wage_loss[t + 2] += mask * sev * 0.5
                medical[t] += mask * rng.uniform(6_000, 30_000, n) * frac
                medical[t + 1] += mask * rng.uniform(3_000, 15_000, n)
                record(k, mask, t, frac, sev, person=True)
            wage_loss[t] += acc * 0.25 * frac
            wage_loss[t + 1] += acc * 0.15
            medical[t] += acc * rng.uniform(3_000, 12_000, n)
            record("accident", acc, t, frac, np.full(n, 0.25), person=True)
            wage_loss[t] += job * sev_job * frac
            wage_loss[t + 1] += job * sev_job * 0.9
            wage_loss[t + 2] += job * sev_job * 0.4
            record("job_loss", job, t, frac, sev_job, person=True)
            dibao_off |= dib
            record("dibao_ended", dib, t, frac, np.ones(n), person=False)
            # village disasters: operating income of the whole village falls
            v_codes = villages["village_code"].to_numpy()
            hit_v = v_codes[rng.random(len(v_codes)) < rates["village_disaster"]]
            hit = np.isin(village_of, hit_v)
            v_frac = pl.DataFrame({"v": hit_v, "f": rng.uniform(0.05, 0.6, len(hit_v))})
            order = np.argsort(hit_v)
            vf = (
                v_frac["f"].to_numpy()[order][np.searchsorted(hit_v[order], village_of[hit])]
                if hit.any()
                else np.array([])
            )
            sev_d = np.zeros(n)
            sev_d[hit] = rng.uniform(0.3, 0.7, int(hit.sum()))
            dfrac = np.ones(n)
            dfrac[hit] = vf
            op_loss[t] += hit * sev_d * dfrac
            op_loss[t + 1] += hit * sev_d * 0.6
            record("disaster", hit, t, dfrac, sev_d, person=False)
            # price falls for cattle/sheep in some counties
            pc = rng.choice(
                price_counties_all,
                size=min(int(rates["price_fall_counties"]), len(price_counties_all)),
                replace=False,
            )
            pf = np.isin(county_of, pc) & livestock
            sev_p = np.where(pf, rng.uniform(0.25, 0.45, n), 0.0)
            op_loss[t] += pf * sev_p * 0.5
            op_loss[t + 1] += pf * sev_p * 0.8
            record("price_fall", pf, t, np.full(n, 0.5), sev_p, person=False)
        growth = targets.get(year, targets[max(targets)]) / targets.get(years[0], targets[min(targets)])
        perm_w += rng.normal(0, SIGMA["wage_step"], n) if t else 0
        perm_o += rng.normal(0, SIGMA["operating_step"], n) if t else 0
        w = (
            wage0
            * growth
            * np.exp(perm_w + rng.normal(0, SIGMA["wage_noise"], n))
            * np.clip(1 - wage_loss[t], 0.05, 1)
        )
        g_factor = np.exp(perm_o + rng.normal(0, SIGMA["operating_noise"], n)) * np.clip(
            1 - op_loss[t], 0.05, 1
        )
        og = og0 * growth * g_factor
        oc = oc0 * growth * np.exp(rng.normal(0, 0.05, n))
        pr = prop0 * growth * np.exp(rng.normal(0, 0.1, n))
        td = np.where(dibao_off, 0.0, td0 * growth)
        tp = tp0 * growth
        to = to0 * growth * np.exp(rng.normal(0, SIGMA["transfer_noise"], n))
        # the region's mean follows the published level: scale market income and other transfers
        target_total = float(targets.get(year, targets[max(targets)])) * persons
        fixed = (td + tp).sum()
        level = (target_total - fixed) / max((w + og - oc + pr + to).sum(), 1.0)
        w, og, oc, pr, to = w * level, og * level, oc * level, pr * level, to * level
        transfer = td + tp + to
        net = w + og - oc + pr + transfer
        yearly.append(
            pl.DataFrame(
                {
                    "household_id": hh_ids,
                    "year": np.full(n, year),
                    "wage": w,
                    "operating_gross": og,
                    "operating_cost": oc,
                    "property": pr,
                    "transfer": transfer,
                    "transfer_dibao": td,
                    "transfer_pension": tp,
                    "consumption": np.maximum(net, 3000) * base["consumption_rate"].to_numpy(),
                    "medical_selfpay": medical[t] + rng.lognormal(np.log(300), 1.0, n),
                    "education_spending": base["education_base"].to_numpy() * growth,
                }
            )
        )
    shocks = (
        pl.concat(shock_rows)
        if shock_rows
        else pl.DataFrame(
            schema={
                "household_id": pl.Utf8,
                "year": pl.Int64,
                "shock": pl.Utf8,
                "member_id_number": pl.Utf8,
                "area_code": pl.Utf8,
                "magnitude": pl.Float64,
                "event_date": pl.Date,
                "member_index": pl.Int64,
            }
        )
    )
    # registry state at the end of the last year: the shocked members' health, disability, work
    members, hh = _apply_state(members, hh, shocks, dibao_off)
    ev = {k: pl.concat(v) if v else shocks.head(0) for k, v in events.items()}
    return pl.concat(yearly), shocks.drop("member_index"), members, hh, ev


def _apply_state(
    members: pl.DataFrame, hh: pl.DataFrame, shocks: pl.DataFrame, dibao_off: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    idx = pl.int_range(pl.len()).alias("_i")
    members = members.with_columns(idx)

    def who(kind: str) -> pl.Series:
        return shocks.filter((pl.col("shock") == kind) & (pl.col("member_index") >= 0))["member_index"]

    ill, dis, job = who("illness"), who("disability"), who("job_loss")
    members = members.with_columns(
        health=pl.when(pl.col("_i").is_in(ill.to_list()))
        .then(pl.lit("患有大病"))
        .otherwise(pl.col("health")),
        disability_grade=pl.when(pl.col("_i").is_in(dis.to_list()) & pl.col("disability_grade").is_null())
        .then(pl.lit("二级"))
        .otherwise(pl.col("disability_grade")),
        labour=pl.when(pl.col("_i").is_in(pl.concat([ill, dis]).to_list()))
        .then(pl.lit("弱劳动力或半劳动力"))
        .otherwise(pl.col("labour")),
        work=pl.when(pl.col("_i").is_in(job.to_list())).then(pl.lit("未务工")).otherwise(pl.col("work")),
        work_months=pl.when(pl.col("_i").is_in(job.to_list()))
        .then(pl.lit(0, dtype=pl.Int64))
        .otherwise(pl.col("work_months")),
    ).drop("_i")
    hh = hh.with_columns(
        dibao_household=pl.Series(hh["dibao_household"].to_numpy() & ~dibao_off),
    )
    members = (
        members.join(hh.select("household_id", "dibao_household"), on="household_id", how="left")
        .with_columns(dibao=pl.col("dibao_household"))
        .drop("dibao_household")
    )
    return members, hh


#: Cumulative share of a year's amount reached by the end of each quarter (统计口径: from January).
_SEASON = {
    "wage": (0.22, 0.47, 0.73, 1.0),
    "operating_gross": (0.10, 0.34, 0.68, 1.0),
    "operating_cost": (0.20, 0.50, 0.75, 1.0),
}
_EVEN = (0.25, 0.5, 0.75, 1.0)


def _income_rows(yearly: pl.DataFrame, quarter_years: list[int]) -> pl.DataFrame:
    """Whole-year rows for every year; cumulative quarter rows for ``quarter_years``."""
    amounts = [c for c in ix.INCOME_AMOUNTS if c in yearly.columns]
    rounded = yearly.with_columns([pl.col(c).clip(lower_bound=0).round(2) for c in amounts]).with_columns(
        pl.lit(None, dtype=pl.Int64).alias("quarter")
    )
    parts = [rounded]
    for year in quarter_years:
        one = rounded.filter(pl.col("year") == year)
        for q in range(1, 5):
            parts.append(
                one.with_columns(
                    [(pl.col(c) * _SEASON.get(c, _EVEN)[q - 1]).round(2) for c in amounts]
                    + [pl.lit(q, dtype=pl.Int64).alias("quarter")]
                )
            )
    return pl.concat(parts, how="diagonal").sort("household_id", "year", "quarter", nulls_last=False)


def _feeds(
    rng: np.random.Generator,
    hh: pl.DataFrame,
    members: pl.DataFrame,
    villages: pl.DataFrame,
    events: dict[str, pl.DataFrame],
    years: list[int],
) -> dict[str, pl.DataFrame]:
    """Department records: the shocks as the departments would report them, plus routine records."""
    last = years[-1]
    ill = pl.concat([events["illness"], events["accident"]])
    medical_ev = ill.filter(pl.col("member_id_number").is_not_null()).select(
        pl.col("member_id_number").alias("id_number"), "year"
    )
    n_ev = medical_ev.height
    total = rng.uniform(20_000, 120_000, n_ev)
    basic = total * rng.uniform(0.45, 0.6, n_ev)
    crit = total * rng.uniform(0.1, 0.2, n_ev)
    assist = total * rng.uniform(0.0, 0.1, n_ev)
    medical = medical_ev.with_columns(
        total_cost=pl.Series(total).round(2),
        basic_reimbursed=pl.Series(basic).round(2),
        critical_reimbursed=pl.Series(crit).round(2),
        assistance=pl.Series(assist).round(2),
        self_paid=pl.Series(total - basic - crit - assist).round(2),
    )
    # routine claims of chronically ill members in the last year
    chronic = members.filter(pl.col("health") == "长期慢性病").select("id_number")
    t = rng.uniform(2_000, 15_000, chronic.height)
    routine = chronic.with_columns(
        year=pl.lit(last, dtype=pl.Int64),
        total_cost=pl.Series(t).round(2),
        basic_reimbursed=pl.Series(t * 0.6).round(2),
        critical_reimbursed=pl.lit(0.0),
        assistance=pl.lit(0.0),
        self_paid=pl.Series(t * 0.4).round(2),
    )
    feeds: dict[str, pl.DataFrame] = {"medical": pl.concat([medical, routine], how="vertical_relaxed")}
    dis = events["disability"].filter(pl.col("member_id_number").is_not_null())
    feeds["disability"] = dis.select(
        pl.col("member_id_number").alias("id_number"),
        category=pl.lit("肢体残疾"),
        grade=pl.lit("二级"),
        issued_on=pl.col("event_date"),
    )
    dibao_members = members.filter(pl.col("dibao") == True).select("id_number")  # noqa: E712
    ended = events["dibao_ended"].select("household_id", end_date=pl.col("event_date"))
    ended_members = members.join(ended, on="household_id").select("id_number", "end_date")
    feeds["civil"] = pl.concat(
        [
            dibao_members.with_columns(
                assistance_type=pl.lit("低保"),
                start_date=pl.lit(dt.date(years[0] - 2, 1, 1)),
                end_date=pl.lit(None, dtype=pl.Date),
            ),
            ended_members.with_columns(
                assistance_type=pl.lit("低保"), start_date=pl.lit(dt.date(years[0] - 2, 1, 1))
            ).select("id_number", "assistance_type", "start_date", "end_date"),
        ]
    )
    job = events["job_loss"].filter(pl.col("member_id_number").is_not_null())
    feeds["employment"] = job.select(
        pl.col("member_id_number").alias("id_number"),
        status=pl.lit("失业"),
        employer=pl.lit("区外务工单位"),
        start_date=pl.lit(dt.date(years[0] - 1, 3, 1)),
        end_date=pl.col("event_date"),
    )
    students = members.filter(pl.col("schooling").is_in(["初中", "高中", "中职"]))
    drop = students.filter(pl.Series(rng.random(students.height) < 0.004))
    feeds["education"] = drop.select(
        "id_number",
        stage=pl.col("schooling"),
        status=pl.lit("辍学"),
        graduation_year=pl.lit(None, dtype=pl.Int64),
    )
    # the members who dropped out are recorded so in the registry too
    unsafe = hh.filter(~pl.col("housing_safe"))
    checked = hh.filter(pl.Series(rng.random(hh.height) < 0.02) & pl.col("housing_safe"))
    feeds["housing"] = pl.concat(
        [
            unsafe.select("household_id", safety_grade=pl.lit("C")),
            checked.select("household_id", safety_grade=pl.lit("B")),
        ]
    ).with_columns(id_number=pl.lit(None, dtype=pl.Utf8), assessed_on=pl.lit(dt.date(last, 6, 30)))
    dis_v = (
        events["disaster"]
        .group_by("area_code", "year")
        .agg(
            pl.len().alias("households_affected"),
            pl.col("event_date").min().alias("occurred_on"),
            pl.col("magnitude").mean().alias("m"),
        )
    )
    feeds["disaster"] = dis_v.select(
        "area_code",
        disaster_type=pl.Series(
            np.asarray(["干旱", "冰雹", "洪涝", "霜冻"])[rng.integers(0, 4, dis_v.height)]
        ),
        occurred_on="occurred_on",
        households_affected="households_affected",
        direct_loss_10k=(pl.col("households_affected") * pl.col("m") * 1.2).round(2),
    )
    return {table.key: frames.conform(feeds[table.key], table) for table in ix.FEEDS}


def _cadres(
    rng: np.random.Generator, hh: pl.DataFrame, members: pl.DataFrame, yearly: pl.DataFrame, last_year: int
) -> pl.DataFrame:
    """About one cadre per 4.5 households of the low-income scope per county, ranks mixed; pairs kept."""
    last = yearly.filter(pl.col("year") == last_year).join(
        hh.select("household_id", "village_code", "household_type", "size"), on="household_id"
    )
    last = last.with_columns(
        pc=(
            pl.col("wage")
            + pl.col("operating_gross")
            - pl.col("operating_cost")
            + pl.col("property")
            + pl.col("transfer")
        )
        / pl.col("size")
    )
    cut = last.sort("pc").with_columns(cum=pl.col("size").cum_sum() / pl.col("size").sum())
    scope = cut.filter((pl.col("cum") <= 0.2) & (pl.col("household_type") != "一般农户"))
    by_county = (
        scope.group_by(pl.col("village_code").str.slice(0, 6).alias("county_code")).len().sort("county_code")
    )
    rows = []
    for county, k in by_county.iter_rows():
        n_c = max(2, int(np.ceil(k / 4.5)))
        n_senior = max(1, int(np.ceil(k * 0.12)))
        ranks = ["县处级以上"] * min(n_senior, n_c) + list(
            rng.choice(["乡科级", "一般干部"], size=max(0, n_c - n_senior), p=[0.4, 0.6])
        )
        for i, rank in enumerate(ranks):
            rows.append((f"GB{county}{i + 1:04d}", rank, county))
    if not rows:
        return frames.empty(ix.CADRES)
    cad = pl.DataFrame(rows, schema=["cadre_id", "rank", "county_code"], orient="row")
    m = cad.height
    units = np.asarray(
        ["县农业农村局", "县人社局", "县财政局", "县民政局", "县教育局", "县卫健局", "乡镇人民政府"]
    )
    cad = cad.with_columns(name=_names(rng, m), unit=pl.Series(units[rng.integers(0, len(units), m)]))
    # existing pairs from last year: 60% of scope households, at most 5 per cadre, within the county
    paired = scope.filter(pl.Series(rng.random(scope.height) < 0.6)).with_columns(
        county_code=pl.col("village_code").str.slice(0, 6)
    )
    paired = paired.with_columns(slot=pl.int_range(pl.len()).over("county_code"))
    cad = cad.with_columns(slot0=pl.int_range(pl.len()).over("county_code") * 5)
    per_cadre = paired.join(cad.select("cadre_id", "county_code", "slot0"), on="county_code").filter(
        (pl.col("slot") >= pl.col("slot0")) & (pl.col("slot") < pl.col("slot0") + 5)
    )
    lists = per_cadre.group_by("cadre_id").agg(
        pl.col("household_id").sort().str.join(";").alias("current_households")
    )
    return cad.join(lists, on="cadre_id", how="left").drop("slot0")
