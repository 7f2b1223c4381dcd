"""``zengshou synth``: write a synthetic region in the interchange format or the national layout."""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Annotated

import typer

from zengshou.cli import app


def parse_years(text: str) -> list[int]:
    """``2022-2025`` or ``2023,2025`` or ``2024`` → a sorted list of years."""
    try:
        if "-" in text:
            a, b = (int(x) for x in text.split("-", 1))
            years = list(range(a, b + 1))
        else:
            years = sorted(int(x) for x in text.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"年度应写作 2022-2025 或 2023,2025，实际为 {text!r}", param_hint="--years"
        ) from None
    if not years:
        raise typer.BadParameter(f"年度范围为空：{text!r}", param_hint="--years")
    return years


@app.command()
def synth(
    households: Annotated[
        int, typer.Option("--households", "-n", min=1, help="农户数 / households")
    ] = 10_000,
    years: Annotated[str, typer.Option(help="年度范围 / years, e.g. 2022-2025")] = "2022-2025",
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
    out: Annotated[
        Path, typer.Option(help="输出：文件夹（CSV）或 .xlsx 工作簿 / CSV folder or .xlsx")
    ] = Path("synth-region"),
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv 或 xlsx（默认按 --out 的扩展名） / csv or xlsx")
    ] = None,
    layout: Annotated[
        str,
        typer.Option(
            "--layout", help="interchange（交换格式）或 national（全国监测系统人员表）/ file layout"
        ),
    ] = "interchange",
    title_rows: Annotated[
        int, typer.Option("--title-rows", min=0, max=5, help="national：表头上方的标题行数 / title rows")
    ] = 2,
    one_row_header: Annotated[
        bool,
        typer.Option("--one-row-header", help="national：单行表头（不合并分组） / no merged group header"),
    ] = False,
    shuffle: Annotated[
        int | None,
        typer.Option("--shuffle", help="national：按此种子打乱列顺序 / shuffle the columns with this seed"),
    ] = None,
    extra_columns: Annotated[
        int, typer.Option("--extra-columns", min=0, help="national：追加的无对应字段列数 / extra columns")
    ] = 0,
) -> None:
    """生成模拟地区（面板数据，含冲击） / generate a synthetic region in the interchange format or the national layout."""
    from zengshou.cli.checks import fail, output_file, output_folder
    from zengshou.synth import generate, write

    year_list = parse_years(years)
    if layout not in ("interchange", "national"):
        fail(f"--layout 应为 interchange 或 national，实际为 {layout}")
    if layout == "national":
        _national(households, year_list, seed, out, title_rows, not one_row_header, shuffle, extra_columns)
        return
    chosen = fmt or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    if chosen not in ("csv", "xlsx"):
        fail(f"--format 应为 csv 或 xlsx，实际为 {chosen}")
    if chosen == "xlsx":
        output_file(out, (".xlsx",))
    else:
        output_folder(out)
    start = time.perf_counter()
    region = generate(households, year_list, seed, show_progress=True)
    try:
        paths = write(region, out, chosen)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    counts = region.population.counts()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    typer.echo(
        f"已写出 {len(paths)} 个文件到 {out} / wrote {len(paths)} files: "
        + "，".join(f"{k} {v:,}" for k, v in counts.items())
        + f"；冲击 {region.shocks.height:,} 条；用时 {time.perf_counter() - start:.1f} 秒，峰值内存 {peak:,.0f} MB"
    )


def _national(
    households: int,
    years: list[int],
    seed: int,
    out: Path,
    title_rows: int,
    two_row_header: bool,
    shuffle: int | None,
    extra_columns: int,
) -> None:
    """One national-layout person list of the region's latest year (one sheet, one row per person)."""
    from zengshou.cli.checks import fail, output_file
    from zengshou.ingest import national
    from zengshou.synth import XLSX_MAX_ROWS, generate

    if out.suffix.lower() != ".xlsx":
        fail(f"--layout national 写出一个 .xlsx 工作簿，请写成 --out {out.with_suffix('.xlsx')}")
    output_file(out, (".xlsx",))
    start = time.perf_counter()
    region = generate(households, years, seed, show_progress=True)
    pop = region.population
    year = years[-1]
    people = national.person_rows(pop, national.synthetic_monitoring(pop, year), year)
    if people.height + title_rows + 2 > XLSX_MAX_ROWS:
        fail(f"{people.height:,} 个成员行超过 Excel 工作表行数上限，请减少农户数")
    national.write_workbook(
        people,
        out,
        title=f"模拟县{year}年防止返贫监测对象信息",
        title_rows=title_rows,
        two_row_header=two_row_header,
        shuffle_seed=shuffle,
        extra_columns=extra_columns,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    typer.echo(
        f"已写出全国人员表 {out} / wrote a national-layout list: 农户 {pop.households.height:,}，"
        f"成员行 {people.height:,}，{len(national.WRITTEN) + extra_columns} 列，收入年度 {year}；"
        f"用时 {time.perf_counter() - start:.1f} 秒，峰值内存 {peak:,.0f} MB"
    )
