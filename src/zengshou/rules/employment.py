"""How a 人社 row reads (M03j, the risk model, the feed's updates of 务工状况): one definition for all.

A 人社 row is one of three things:

- a row with 终止日期: a job (单位, 起始日期) that ended on that date, whatever 就业状态 it now shows
  (a department lists the ended job with the status it led to, e.g. 失业);
- a row 就业状态 失业 without 终止日期: an open unemployment registration (登记失业) since 起始日期;
- any other row without 终止日期: a job still held.

So an open 失业 registration is unemployment, never a job, and a member counts as working on a
day only for a job held that day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

UNEMPLOYED = "失业"


def is_unemployment_registration() -> pl.Expr:
    """An open 失业 registration (就业状态 contains 失业, no 终止日期)."""
    return (
        pl.col("status").fill_null("").str.contains(UNEMPLOYED, literal=True) & pl.col("end_date").is_null()
    )


def holds_job(on: dt.date, *, ending_after: bool = True) -> pl.Expr:
    """A job held on ``on``: started by then, not ended before (``ending_after``: ended after ``on``;
    otherwise ended on ``on`` or later), and not an unemployment registration."""
    ends = pl.col("end_date") > pl.lit(on) if ending_after else pl.col("end_date") >= pl.lit(on)
    return (
        ~is_unemployment_registration()
        & (pl.col("start_date").is_null() | (pl.col("start_date") <= pl.lit(on)))
        & (pl.col("end_date").is_null() | ends)
    )


def job_lost_between(start: dt.date, end: dt.date) -> pl.Expr:
    """A row saying work was lost in [start, end]: a job ended then, or 失业 registered then."""
    return pl.col("end_date").is_between(start, end) | (
        is_unemployment_registration() & pl.col("start_date").is_between(start, end)
    )


def lost_on() -> pl.Expr:
    """The date work was lost by a row of :func:`job_lost_between`: its end, else the registration."""
    return pl.coalesce("end_date", "start_date")
