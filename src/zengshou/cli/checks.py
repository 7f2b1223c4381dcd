"""Refusals every command shares: an unknown area, a period without data, an output path that cannot be.

Each check runs before any work, so a refused command has done nothing; each message says what was
given, what exists instead and how to go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


def require_area(code: str | None) -> None:
    """An ``--area`` must be a division the database knows (region, city, county, township or village)."""
    if not code:
        return
    from zengshou.registry.models import Area

    if not Area.objects.filter(code=code).exists():
        fail(
            f"区划代码 {code} 不存在。应为已导入的区划：6 位县（区）代码如 640522，9 位乡镇或 12 位村代码"
            "（zengshou stats 或网页“农户”页可查）"
        )


def income_periods(area: str | None = None) -> list[tuple[int, int | None]]:
    """(year, quarter) of the income rows under ``area``; quarter None is the whole year."""
    from zengshou.registry.areas import code_prefix
    from zengshou.registry.models import Income

    qs = Income.objects.all()
    if area:
        qs = qs.filter(household__village__code__startswith=code_prefix(area))
    return sorted(set(qs.values_list("year", "quarter").distinct()), key=lambda p: (p[0], p[1] or 0))


def _period_text(year: int, quarter: int | None) -> str:
    return f"{year} 年" + (f"第 {quarter} 季度" if quarter else "（全年）")


def require_income(
    year: int, quarter: int | None = None, area: str | None = None, any_quarter: bool = False
) -> None:
    """Refuse a period without income rows under ``area`` before anything is computed or stored.

    ``any_quarter`` accepts any row of the year (the quarterly assessment reads the year's rows of
    every period it has).
    """
    require_area(area)
    periods = income_periods(area)
    if any_quarter:
        found = any(y == year for y, _ in periods)
    else:
        found = (year, quarter) in periods
    if found:
        return
    where = f"区划 {area} " if area else ""
    if not periods:
        from zengshou.registry.models import Household

        if not Household.objects.exists():
            fail("系统中还没有农户数据，请先导入农户数据（zengshou import 文件或文件夹）")
        fail(f"{where}没有任何收入数据，请先导入收入表（zengshou import）")
    latest = [p for p in periods if p[1] is None] or periods
    have = "、".join(sorted({str(y) for y, _ in periods}))
    fail(
        f"{where}{_period_text(year, None if any_quarter else quarter)}没有收入数据，未运行。"
        f"已有收入数据的年度：{have}；最近的是 {_period_text(*latest[-1])}"
    )


def require_population_year(pop: Any, year: int, quarter: int | None = None) -> None:
    """The file-input twin of :func:`require_income`: the file's income sheet must hold the period."""
    import polars as pl

    income = pop.income
    rows = income.filter(pl.col("year") == year)
    rows = rows.filter(pl.col("quarter").is_null() if quarter is None else pl.col("quarter") == quarter)
    if rows.height:
        return
    years = sorted({int(y) for y in income["year"].unique().to_list() if y is not None})
    have = "、".join(map(str, years)) if years else "无"
    fail(f"文件中没有 {_period_text(year, quarter)}的收入数据，未运行。文件中有收入数据的年度：{have}")


def output_file(path: Path, suffixes: Iterable[str]) -> Path:
    """An ``--out`` file: not a folder, one of ``suffixes``, its folder created when missing."""
    allowed = tuple(s.lower() for s in suffixes)
    shown = " 或 ".join(allowed)
    if path.is_dir():
        fail(
            f"--out {path} 是文件夹，这里需要一个以 {shown} 结尾的文件名（如 {path / ('结果' + allowed[0])}）"
        )
    if path.suffix.lower() not in allowed:
        fail(f"--out {path}：文件应以 {shown} 结尾")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"无法建立文件夹 {path.parent}：{exc.strerror}")
    return path


def output_folder(path: Path) -> Path:
    """An ``--out`` folder: not an existing file, created when missing."""
    if path.exists() and not path.is_dir():
        fail(f"--out {path} 是文件，这里需要一个文件夹")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"无法建立文件夹 {path}：{exc.strerror}")
    return path
