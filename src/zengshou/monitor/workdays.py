"""Working days on the Chinese calendar (M02): the procedure's deadlines in 工作日.

A deadline of n working days after a step began is the n-th working day after that day (the day
itself not counted). Public holidays and the adjusted working days (调休上班, often a Saturday or
Sunday) come from the ``chinesecalendar`` package, which follows the State Council's yearly
notice; a hand-written holiday list would be wrong the first year nobody updates it. For a year the
package does not know yet, Monday to Friday are taken as working days and :func:`known` says so.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar


def known(day: dt.date) -> bool:
    """Whether the calendar package has the official holidays of ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    """A working day: a weekday that is no holiday, or an adjusted working day on a weekend."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start``; ``n`` = 0 gives ``start`` or the next working day."""
    day = start
    if n <= 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return day
    left = n
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
