"""A small hand-made panel for the model tests: households whose income falls after known events.

Some members lose their job in the second half of a year (人社 end date) and their household's wage
income falls the next year; some fall seriously ill (医保 self-paid over the threshold) and the
household's income falls the next year; everyone else drifts up with noise. Built with numpy in bulk.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.registry import idnumber

VILLAGES = ("640522100201", "640522100202", "640522101203", "640402100201")


def make_panel(
    households: int = 3000, years: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025), seed: int = 1
) -> tuple[Population, pl.DataFrame]:
    """Population and its shocks (household_id, year, shock) — the event year, income falls in year+1."""
    rng = np.random.default_rng(seed)
    n = households
    hid = [f"H{i:06d}" for i in range(n)]
    village = rng.choice(np.asarray(VILLAGES), n)
    size = rng.integers(1, 6, n)
    hh = pl.DataFrame(
        {
            "household_id": hid,
            "village_code": village,
            "household_type": rng.choice(np.asarray(["一般农户", "脱贫户"]), n),
            "arable_mu": rng.uniform(0, 20, n).round(1),
            "cattle": rng.integers(0, 4, n),
            "sheep": rng.integers(0, 20, n),
            "housing_safe": np.ones(n, dtype=bool),
            "water_safe": np.ones(n, dtype=bool),
        }
    )
    member_hh = np.repeat(np.arange(n), size)
    m = len(member_hh)
    # (birth date, sequence) is unique: sequence i % 500, day of the year i // 500
    born = [
        dt.date(int(y), 1, 1) + dt.timedelta(days=i // 500) for i, y in enumerate(rng.integers(1945, 2015, m))
    ]
    ids = [idnumber.make("640522", b, i % 500, bool(i % 2)) for i, b in enumerate(born)]
    first = np.r_[True, member_hh[1:] != member_hh[:-1]]
    members = pl.DataFrame(
        {
            "household_id": [hid[i] for i in member_hh],
            "name": ["某"] * m,
            "id_number": ids,
            "relation": np.where(first, "户主", "之子"),
            "health": ["健康"] * m,
            "labour": ["普通劳动力"] * m,
            "medical_insured": np.ones(m, dtype=bool),
        }
    )
    head_id = np.asarray(ids, dtype=object)[first]  # one person per household carries the events

    wage = rng.uniform(6000, 14000, n) * size
    operating = rng.uniform(1000, 6000, n) * size
    transfer = rng.uniform(200, 1500, n) * size
    income_rows = []
    shock_rows = []
    med_rows = []
    emp_rows = []
    pending_wage = np.ones(n)
    pending_other = np.ones(n)
    lost = np.zeros(n, dtype=bool)
    lost_year = np.zeros(n, dtype=np.int64)
    for y in years:
        wage = wage * rng.normal(1.05, 0.06, n) * pending_wage
        operating = operating * rng.normal(1.04, 0.08, n) * pending_other
        pending_wage = np.ones(n)
        pending_other = np.ones(n)
        income_rows.append(
            pl.DataFrame(
                {
                    "household_id": hid,
                    "year": [y] * n,
                    "wage": wage.round(2),
                    "operating_gross": (operating * 1.3).round(2),
                    "operating_cost": (operating * 0.3).round(2),
                    "transfer": transfer.round(2),
                }
            )
        )
        job = rng.random(n) < 0.05
        ill = (rng.random(n) < 0.04) & ~job
        pending_wage[job] = 0.35
        pending_other[ill] = 0.5
        pending_wage[ill] = 0.6
        for kind, mask in (("job_loss", job), ("illness", ill)):
            shock_rows.append(
                pl.DataFrame(
                    {
                        "household_id": np.asarray(hid)[mask],
                        "year": [y] * int(mask.sum()),
                        "shock": [kind] * int(mask.sum()),
                    }
                )
            )
        newly = job & ~lost
        lost_year[newly] = y
        lost |= newly
        med_rows.append(
            pl.DataFrame(
                {
                    "id_number": head_id[ill],
                    "year": [y] * int(ill.sum()),
                    "total_cost": [60000.0] * int(ill.sum()),
                    "self_paid": [25000.0] * int(ill.sum()),
                }
            )
        )
    # one job per head since 2015; a job loss ends it on 30 September and nothing follows in the panel
    emp_rows.append(
        pl.DataFrame(
            {
                "id_number": head_id,
                "status": ["就业"] * n,
                "employer": ["某公司"] * n,
                "start_date": [dt.date(2015, 1, 1)] * n,
                "end_date": [dt.date(int(y), 9, 30) if y else None for y in lost_year],
            }
        )
    )
    pop = Population(
        households=conform(hh, ix.HOUSEHOLDS),
        members=conform(members, ix.MEMBERS),
        income=conform(pl.concat(income_rows), ix.INCOME),
        villages=conform(
            pl.DataFrame({"village_code": list(VILLAGES), "village_name": ["村"] * 4}), ix.VILLAGES
        ),
        feeds={
            "employment": conform(pl.concat(emp_rows), ix.FEED_EMPLOYMENT),
            "medical": conform(pl.concat(med_rows), ix.FEED_MEDICAL),
        },
    )
    return pop, pl.concat(shock_rows)
