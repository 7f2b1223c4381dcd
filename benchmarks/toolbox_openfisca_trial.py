"""Trial: the same few toolbox rules in OpenFisca-core and in zengshou's polars runner, on one population.

OpenFisca is not a dependency of zengshou. Run this in a throwaway virtualenv that has it::

    python3 -m venv /tmp/ofvenv
    /tmp/ofvenv/bin/pip install openfisca-core==46.0.1 polars==2.1.0 pyyaml
    PYTHONPATH=src /tmp/ofvenv/bin/python benchmarks/toolbox_openfisca_trial.py --households 1000000

Rules compared (both with dated parameters): the scope rule L00 (given as an input here), L02
(courtyard subsidy, household), L05 (≥2 healthy labourers or zero employment, household), L06
(ill or disabled member and exactly one labourer, household), L11 (ages 16–65, person) and T17
(disabled entrepreneurs 8,000/5,000/3,000 or flexible work 2,000, person). The script checks that
both give the same households and amounts, then prints the seconds of each.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from toolbox_bench import synthetic_population

from zengshou.toolbox import definitions as d
from zengshou.toolbox import engine

CODES = ("L02", "L05", "L06", "L11", "T17")


def openfisca_system():  # type: ignore[no-untyped-def]
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import YEAR
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Person = build_entity("person", "persons", "成员", is_person=True)
    Household = build_entity(
        "household", "households", "家庭", roles=[{"key": "member", "plural": "members", "label": "成员"}]
    )
    tbs = TaxBenefitSystem([Person, Household])
    v = lambda x: {"values": {"2024-01-01": x}}  # noqa: E731
    tbs.parameters = ParameterNode(
        "",
        data={
            "L02": {"amount": v(2000)},
            "L05": {"min_healthy_labourers": v(2)},
            "L06": {"labourers": v(1)},
            "L11": {"min_age": v(16), "max_age": v(65)},
            "hl": {"min_age": v(16), "max_age": v(65)},
            "wa": {"min": v(16), "max_male": v(60), "max_female": v(55)},
            "T17": {
                "y1": v(8000),
                "y2": v(5000),
                "y3": v(3000),
                "flex": v(2000),
                "flex_months": v(6),
            },
        },
    )

    def var(name: str, entity, dtype, formula=None, default=None):  # type: ignore[no-untyped-def]
        attrs = {"value_type": dtype, "entity": entity, "definition_period": YEAR, "label": name}
        if default is not None:
            attrs["default_value"] = default
        if formula is not None:
            attrs["formula"] = formula
        tbs.add_variable(type(name, (Variable,), attrs))

    for name in ("age", "work_months", "business_years"):
        var(name, Person, int)
    for name in (
        "male",
        "skilled_or_ordinary",
        "labourer",
        "healthy",
        "disabled",
        "serious_ill",
        "in_work",
        "flexible",
    ):
        var(name, Person, bool)
    for name in ("in_scope", "idle_courtyard", "courtyard_willing"):
        var(name, Household, bool)

    def healthy_labourer(p, period, parameters):  # type: ignore[no-untyped-def]
        age = p("age", period)
        hl = parameters(period).hl
        return (
            p("skilled_or_ordinary", period)
            * p("healthy", period)
            * ~p("disabled", period)
            * (age >= hl.min_age)
            * (age <= hl.max_age)
        )

    def working_age(p, period, parameters):  # type: ignore[no-untyped-def]
        age, male, wa = p("age", period), p("male", period), parameters(period).wa
        return (age >= wa.min) * ((male * (age <= wa.max_male)) + (~male * (age <= wa.max_female)))

    var("healthy_labourer", Person, bool, healthy_labourer)
    var("working_age", Person, bool, working_age)
    var("healthy_labourers", Household, int, lambda h, period: h.sum(h.members("healthy_labourer", period)))
    var("labourers", Household, int, lambda h, period: h.sum(h.members("labourer", period)))
    var(
        "ill_or_disabled_members",
        Household,
        int,
        lambda h, period: h.sum(h.members("serious_ill", period) + h.members("disabled", period)),
    )
    var(
        "zero_employment",
        Household,
        bool,
        lambda h, period: (
            (h.sum(h.members("labourer", period) * h.members("working_age", period)) >= 1)
            * (h.sum(h.members("in_work", period)) == 0)
        ),
    )
    var(
        "L02",
        Household,
        float,
        lambda h, period, parameters: (
            h("in_scope", period)
            * h("idle_courtyard", period)
            * h("courtyard_willing", period)
            * parameters(period).L02.amount
        ),
    )
    var(
        "L05",
        Household,
        bool,
        lambda h, period, parameters: (
            h("in_scope", period)
            * (
                (h("healthy_labourers", period) >= parameters(period).L05.min_healthy_labourers)
                + h("zero_employment", period)
            )
        ),
    )
    var(
        "L06",
        Household,
        bool,
        lambda h, period, parameters: (
            h("in_scope", period)
            * (h("ill_or_disabled_members", period) >= 1)
            * (h("labourers", period) == parameters(period).L06.labourers)
        ),
    )
    var(
        "L11",
        Person,
        bool,
        lambda p, period, parameters: (
            p.household("in_scope", period)
            * (p("age", period) >= parameters(period).L11.min_age)
            * (p("age", period) <= parameters(period).L11.max_age)
        ),
    )

    def t17(p, period, parameters):  # type: ignore[no-untyped-def]
        t = parameters(period).T17
        n = p("business_years", period)
        business = np.select([n == 1, n == 2, n == 3], [t.y1, t.y2, t.y3], 0)
        flex = p("flexible", period) * (p("work_months", period) >= t.flex_months) * t.flex
        return p("disabled", period) * np.maximum(business, flex)

    var("T17", Person, float, t17)
    return tbs


def openfisca_run(tbs, hh: pl.DataFrame, mem: pl.DataFrame, year: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    from openfisca_core.simulations import SimulationBuilder

    b = SimulationBuilder()
    b.create_entities(tbs)
    b.declare_person_entity("person", np.arange(mem.height))
    households = b.declare_entity("household", np.arange(hh.height))
    index = hh.select("household_id").with_row_index("i")
    member_hh = (
        mem.select("household_id")
        .join(index, on="household_id", how="left", maintain_order="left")["i"]
        .to_numpy()
    )
    b.join_with_persons(households, member_hh, ["member"] * mem.height)
    sim = b.build(tbs)
    period = str(year)
    labour = mem["labour"]
    inputs_p = {
        "age": mem["age"].to_numpy(),
        "work_months": mem["work_months"].fill_null(0).to_numpy(),
        "business_years": mem["business_years"].fill_null(-1).to_numpy(),
        "male": mem["male"].to_numpy(),
        "skilled_or_ordinary": labour.is_in(["技能劳动力", "普通劳动力"]).to_numpy(),
        "labourer": mem["labourer"].fill_null(False).to_numpy(),
        "healthy": (mem["health"] == "健康").to_numpy(),
        "disabled": mem["disabled"].to_numpy(),
        "serious_ill": mem["serious_ill"].to_numpy(),
        "in_work": mem["in_work"].fill_null(False).to_numpy(),
        "flexible": (mem["work"] == "灵活就业").fill_null(False).to_numpy(),
    }
    for k, arr in inputs_p.items():
        sim.set_input(k, period, arr)
    for k in ("in_scope", "idle_courtyard", "courtyard_willing"):
        sim.set_input(k, period, hh[k].fill_null(False).to_numpy())
    return {code: sim.calculate(code, period) for code in CODES}


def polars_same_inputs(hh: pl.DataFrame, mem: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The five rules in plain polars from the very inputs OpenFisca gets (flags, ages, months)."""
    p = mem.select(
        "household_id",
        "id_number",
        "age",
        "male",
        "disabled",
        "serious_ill",
        "work_months",
        "business_years",
        labourer=pl.col("labourer").fill_null(False),
        in_work=pl.col("in_work").fill_null(False),
        healthy=pl.col("health") == "健康",
        skilled=pl.col("labour").is_in(["技能劳动力", "普通劳动力"]),
        flexible=(pl.col("work") == "灵活就业").fill_null(False),
    ).with_columns(
        healthy_labourer=pl.col("skilled")
        & pl.col("healthy")
        & ~pl.col("disabled")
        & pl.col("age").is_between(16, 65),
        working_age=(pl.col("age") >= 16)
        & pl.when(pl.col("male")).then(pl.col("age") <= 60).otherwise(pl.col("age") <= 55),
    )
    agg = p.group_by("household_id").agg(
        healthy_labourers=pl.col("healthy_labourer").sum(),
        labourers=pl.col("labourer").sum(),
        ill_or_disabled=(pl.col("serious_ill") | pl.col("disabled")).sum(),
        zero=((pl.col("labourer") & pl.col("working_age")).sum() >= 1) & (pl.col("in_work").sum() == 0),
    )
    h = hh.select("household_id", "in_scope", "idle_courtyard", "courtyard_willing").join(
        agg, on="household_id"
    )
    p = p.join(hh.select("household_id", "in_scope"), on="household_id")
    n = pl.col("business_years")
    business = pl.when(n == 1).then(8000).when(n == 2).then(5000).when(n == 3).then(3000).otherwise(0)
    flex = pl.when(pl.col("flexible") & (pl.col("work_months") >= 6)).then(2000).otherwise(0)
    return {
        "L02": h.filter(pl.col("in_scope") & pl.col("idle_courtyard") & pl.col("courtyard_willing")),
        "L05": h.filter(pl.col("in_scope") & ((pl.col("healthy_labourers") >= 2) | pl.col("zero"))),
        "L06": h.filter(pl.col("in_scope") & (pl.col("ill_or_disabled") >= 1) & (pl.col("labourers") == 1)),
        "L11": p.filter(pl.col("in_scope") & pl.col("age").is_between(16, 65)),
        "T17": p.filter(pl.col("disabled") & (pl.max_horizontal(business, flex) > 0)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--year", type=int, default=2025)
    args = ap.parse_args()
    pop, q = synthetic_population(args.households, 7, args.year)
    print(f"{pop.households.height:,d} households, {pop.members.height:,d} members")
    env = engine.make_env(None, args.year)
    t0 = time.perf_counter()
    hh, mem = engine.build_facts(pop, q, env)
    t_facts = time.perf_counter() - t0
    measures = [m for m in d.MEASURES if m.code in CODES]
    t0 = time.perf_counter()
    pl_result = engine._evaluate_frames(hh, mem, env, measures)
    t_rules = time.perf_counter() - t0

    tbs = openfisca_system()
    t0 = time.perf_counter()
    of = openfisca_run(tbs, hh, mem, args.year)
    t_of = time.perf_counter() - t0

    t0 = time.perf_counter()
    plain = polars_same_inputs(hh, mem)
    t_plain = time.perf_counter() - t0

    # same answers?
    for code in CODES:
        rows = pl_result.filter(pl.col("code") == code)
        level = d.MEASURES_BY_CODE[code].level
        if level == "household":
            ids = set(
                hh.filter(pl.Series(of[code] > 0 if of[code].dtype != bool else of[code]))["household_id"]
            )
            assert ids == set(rows["household_id"]), code
        else:
            ids = set(
                mem.filter(pl.Series(of[code] > 0 if of[code].dtype != bool else of[code]))["id_number"]
            )
            assert ids == set(rows["id_number"]), code
        assert plain[code].height == rows.height, code
        print(f"{code}: {rows.height:,d} rows, identical in both engines")
    print(
        f"polars: facts {t_facts:.2f} s + {len(CODES)} rules {t_rules:.2f} s (incl. reasons and result rows)"
    )
    print(f"OpenFisca-core: inputs + {len(CODES)} rules {t_of:.2f} s (numbers only, no reasons)")
    print(f"plain polars from the same inputs as OpenFisca: {t_plain:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
