"""Commands of the policy toolbox: ``explain``, ``whatif``, ``toolbox show|check``, ``plan …``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from zengshou.cli import app

toolbox_app = typer.Typer(help="帮扶政策工具箱 / county policy toolboxes (W01)", no_args_is_help=True)
plan_app = typer.Typer(help="一户一策帮扶计划 / household plans (W02)", no_args_is_help=True)
app.add_typer(toolbox_app, name="toolbox")
app.add_typer(plan_app, name="plan")

_INPUT_HELP = "交换格式工作簿或CSV文件夹（不给则读数据库） / workbook or CSV folder (default: the database)"


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _load(input: Path | None, year: int, area: str | None = None) -> tuple[Any, Any, Any]:
    """Population, quintile/tier frame and county toolboxes for ``year``.

    Tiers come from the stored results of ``zengshou pipeline`` for the year when present,
    otherwise from running income accounting, alerts and classification now. From the database
    only the income of ``year`` and the year before is read (what that run needs; the rules read
    ``year`` alone), with the department feeds T14 reads.
    """
    from zengshou.cli.checks import require_income, require_population_year
    from zengshou.cli.core import migrate

    migrate()
    if input is not None:
        from zengshou.ingest import read

        result = read(input)
        if result.errors:
            for e in result.errors[:50]:
                typer.echo(f"  {e}", err=True)
            _fail(f"文件有 {len(result.errors)} 处错误 / the file has errors", 1)
        pop = result.population
        require_population_year(pop, year)
    else:
        from zengshou.registry.read import population_from_database

        require_income(year, None, area)
        pop = population_from_database(area, years=(year - 1, year))
    if pop.households.height == 0:
        _fail("没有农户数据（请先导入） / no households", 1)
    tiers = _stored_tiers(year, area) if input is None else None
    if tiers is None or tiers.height < pop.households.height:
        from zengshou.pipeline import run_batch

        tiers = run_batch(pop, year).tiers
    from zengshou.toolbox.county import effective_toolboxes

    return pop, tiers.select("household_id", "quintile", "tier"), effective_toolboxes()


def _load_household(household_id: str, year: int) -> tuple[Any, Any, Any]:
    """What ``explain`` needs for one household: its village's population and its stored tier.

    Without a stored tier for the year the quintiles must be computed over the whole region
    (C01 ranks every person), so it falls back to :func:`_load`.
    """
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.cli.checks import require_income
    from zengshou.registry.models import Household
    from zengshou.registry.read import population_from_database
    from zengshou.toolbox.county import effective_toolboxes

    village = Household.objects.filter(household_id=household_id).values_list("village_id", flat=True).first()
    if village is None:
        _fail(f"户编号 {household_id} 不存在 / no household {household_id!r}", 1)
    require_income(year)
    tiers = _stored_tiers(year, household_id=household_id)
    if tiers is None:
        typer.echo(
            f"{year} 年尚无分层结果（zengshou pipeline --year {year}），现按全区数据计算五等份和层级"
            " / no stored tiers: computing them over the whole region",
            err=True,
        )
        return _load(None, year)
    pop = population_from_database(str(village), years=(year,))
    return pop, tiers, effective_toolboxes()


def _stored_tiers(year: int, area: str | None = None, household_id: str | None = None) -> Any:
    import polars as pl

    from zengshou.tiers.models import TierResult

    qs = TierResult.objects.filter(year=year, quarter__isnull=True)
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    elif area:
        qs = qs.filter(household__village__code__startswith=area)
    rows = list(qs.values_list("household_id", "quintile", "tier"))
    if not rows:
        return None
    return pl.DataFrame(rows, schema=["household_id", "quintile", "tier"], orient="row").with_columns(
        pl.col("quintile").replace("", None), pl.col("tier").replace("", None)
    )


@app.command()
def explain(
    household_id: Annotated[str, typer.Argument(help="户编号 / household ID")],
    year: Annotated[int, typer.Option("--year", help="年度 / year")] = dt.date.today().year - 1,
    input: Annotated[Path | None, typer.Option("--input", exists=True, help=_INPUT_HELP)] = None,
    only_applicable: Annotated[
        bool, typer.Option("--applicable", help="只列适用的措施 / only applicable")
    ] = False,
) -> None:
    """逐项说明每个措施为何适用或不适用 / why each measure applies to a household or not."""
    from zengshou.toolbox import explain as explain_fn

    if input is None:
        pop, tiers, toolboxes = _load_household(household_id, year)
    else:
        pop, tiers, toolboxes = _load(input, year)
    try:
        explanations = explain_fn(household_id, pop, tiers, year, county_toolboxes=toolboxes)
    except KeyError as exc:
        _fail(str(exc.args[0]), 1)
    typer.echo(f"户编号 {household_id}，{year} 年：")
    for e in explanations:
        if only_applicable and not e.applies:
            continue
        typer.secho(("✔ " if e.applies else "✘ ") + e.text, fg=typer.colors.GREEN if e.applies else None)
        if e.applies and e.quote:
            for line in e.quote.splitlines():
                typer.echo(f"    原文 {line}")


def _parse_sets(sets: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in sets:
        if "=" not in s:
            _fail(f"--set {s!r} 应为 参数=值（如 L02.amount=3000）/ expected KEY=VALUE")
        key, value = s.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@app.command()
def whatif(
    set_: Annotated[list[str], typer.Option("--set", help="参数=值，可多次 / KEY=VALUE, repeatable")],
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    input: Annotated[Path | None, typer.Option("--input", exists=True, help=_INPUT_HELP)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="把结果写成CSV的文件夹 / write CSVs here")] = None,
) -> None:
    """参数调整测算：各措施增减户数、各县费用变化 / what-if: households gained/lost, cost change by county."""
    from zengshou.params import ParameterError
    from zengshou.toolbox import whatif as whatif_fn
    from zengshou.toolbox.definitions import MEASURES
    from zengshou.toolbox.engine import check_keys, shipped_params

    changes = _parse_sets(set_)
    try:  # before the population is read: a mistyped key fails at once
        check_keys(shipped_params(), changes, MEASURES)
    except ParameterError as exc:
        _fail(str(exc))
    pop, tiers, toolboxes = _load(input, year)
    try:
        result = whatif_fn(pop, tiers, year, changes, county_toolboxes=toolboxes)
    except ParameterError as exc:
        _fail(str(exc))
    typer.echo(f"{year} 年测算：" + "，".join(f"{k} = {v}" for k, v in result.changes.items()))
    for warning in result.warnings:
        typer.secho(f"注意 / warning：{warning}", fg=typer.colors.YELLOW)
    typer.echo(f"{'措施':<8}{'原户数':>10}{'新户数':>10}{'新增':>8}{'减少':>8}{'费用变化(元)':>16}")
    for r in result.by_measure.filter(
        (result.by_measure["gained"] > 0)
        | (result.by_measure["lost"] > 0)
        | (result.by_measure["cost_change"] != 0)
    ).iter_rows(named=True):
        typer.echo(
            f"{r['code']:<8}{r['households_before']:>10,d}{r['households_after']:>10,d}"
            f"{r['gained']:>8,d}{r['lost']:>8,d}{r['cost_change']:>16,.0f}"
        )
    typer.echo("各县费用变化 / cost change by county:")
    for r in result.by_county.filter(result.by_county["cost_change"] != 0).iter_rows(named=True):
        typer.echo(
            f"  {r['county_code']} {r['county_name']}: {r['cost_before']:,.0f} → {r['cost_after']:,.0f}（{r['cost_change']:+,.0f}）"
        )
    for note in result.notes:
        typer.echo(f"说明：{note}")
    typer.echo(f"全体 {pop.households.height:,d} 户，测算用时 {result.seconds:.2f} 秒")
    if out:
        from zengshou.frames import write_frame_csv

        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("各措施变化", result.by_measure), ("各县费用变化", result.by_county)):
            write_frame_csv(frame, out / f"{name}.csv")
        typer.echo(f"已写入 / written → {out}")


@toolbox_app.command("show")
def toolbox_show(
    county: Annotated[str, typer.Option("--county", help="县区代码 / county code")],
    date: Annotated[str, typer.Option("--date", help="日期 YYYY-MM-DD / date")] = dt.date.today().isoformat(),
) -> None:
    """某县某日有效的工具箱 / the effective toolbox of a county on a date."""
    from zengshou.cli.core import migrate
    from zengshou.registry.areas import counties
    from zengshou.toolbox.county import effective_toolboxes, show

    migrate()
    names = {c.code: c.name for c in counties()}
    if county not in names:
        _fail(f"{county} 不是宁夏的县（区）代码 / not a Ningxia county code")
    try:
        on = dt.date.fromisoformat(date)
    except ValueError:
        _fail(f"日期 {date!r} 格式应为 YYYY-MM-DD / bad date")
    tb = effective_toolboxes().get(county)
    source = (
        f"{tb.source}" + (f"（第{tb.version}版）" if tb and tb.version else "")
        if tb
        else "区级默认（本县未自定）"
    )
    typer.echo(f"{names[county]}（{county}）{on} 有效工具箱；来源：{source}")
    for e in show(county, on, tb):
        mark = "启用" if e.enabled else "停用"
        typer.echo(f"{e.code:<11}{mark}  {e.title}{'（本县措施）' if e.local else ''}  责任单位：{e.units}")
        for key, label, value, unit, origin in e.params:
            if key.endswith(".enabled"):
                continue
            if isinstance(value, bool):
                shown: Any = "是" if value else "否"
            else:
                shown = "、".join(map(str, value)) if isinstance(value, list) else value
            typer.echo(f"    {key} = {shown}{unit and ' ' + unit}  {label}（{origin}）")


@toolbox_app.command("check")
def toolbox_check(
    path: Annotated[Path, typer.Argument(exists=True, help="县级工具箱文件 / a county toolbox file")],
) -> None:
    """检查县级工具箱文件 / validate a county toolbox file."""
    from zengshou.toolbox.county import ToolboxError, load_file

    try:
        tb = load_file(path)
    except ToolboxError as exc:
        _fail(f"错误 / error: {exc}")
    typer.echo(
        f"{tb.name}（{tb.county_code}）：自定参数 {len(tb.params)} 个，本县措施 {len(tb.local_measures)} 个，检查通过 / ok"
    )


@plan_app.command("generate")
def plan_generate(
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    area: Annotated[str | None, typer.Option("--area", help="只生成该区划 / only this area")] = None,
    user: Annotated[str, typer.Option("--user", help="操作人 / user")] = "system",
) -> None:
    """按规则为每户生成帮扶计划（已商定、已落实的保留） / generate plans from the rules."""
    t0 = time.perf_counter()
    pop, tiers, toolboxes = _load(None, year, area)  # sets Django up before the plan models load
    from zengshou.toolbox.engine import evaluate_full
    from zengshou.toolbox.plans import store_plans

    results = evaluate_full(pop, tiers, year, toolboxes)
    villages = dict(pop.households.select("household_id", "village_code").iter_rows())
    counts = store_plans(results, year, villages, user)
    typer.echo(
        f"{year} 年：措施 {results.height:,d} 项，{results['household_id'].n_unique():,d} 户；"
        f"新计划 {counts['plans_created']:,d}，新增措施 {counts['items_created']:,d}，更新 {counts['items_updated']:,d}，"
        f"撤下拟定 {counts['items_removed']:,d}，保留已商定/已落实 {counts['items_kept']:,d}（{time.perf_counter() - t0:.1f} 秒）"
    )


@plan_app.command("show")
def plan_show(
    household_id: Annotated[str, typer.Argument(help="户编号 / household ID")],
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
) -> None:
    """一户的帮扶计划 / a household's plan."""
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.registry.models import Member
    from zengshou.toolbox.engine import member_label
    from zengshou.toolbox.models import Plan
    from zengshou.toolbox.plans import STATUS_LABELS

    plan = Plan.objects.filter(household_id=household_id, year=year).first()
    if plan is None:
        _fail(f"户编号 {household_id} 没有 {year} 年计划（先运行 zengshou plan generate）/ no plan", 1)
    assert plan is not None
    typer.echo(f"户编号 {household_id}，{year} 年帮扶计划：")
    total = 0.0
    names = {
        m.id_number: member_label(m.relation, m.id_number, year)
        for m in Member.objects.filter(household_id=household_id)
    }
    for item in plan.items.order_by("code", "id_number"):
        who = f"（{names.get(item.id_number, '成员')}）" if item.id_number else ""
        amount = f"{item.amount:,.0f} 元" if item.amount is not None else "—"
        stale = "（规则已不再适用）" if not item.applies else ""
        date = f" {item.status_date}" if item.status_date else ""
        typer.echo(
            f"  [{item.id}] {item.code}{who} {amount} {STATUS_LABELS[item.status]}{date}{stale}  {item.units}"
        )
        total += float(item.income_effect or 0)
    typer.echo(f"预计年增收 / estimated yearly income effect: {total:,.0f} 元")


@plan_app.command("set")
def plan_set(
    item_id: Annotated[int, typer.Argument(help="措施编号（plan show 中的 [编号]）/ item id")],
    status: Annotated[str, typer.Argument(help="agreed（已商定）或 delivered（已落实）")],
    date: Annotated[str, typer.Option("--date", help="日期 / date")] = dt.date.today().isoformat(),
    evidence: Annotated[str, typer.Option("--evidence", help="佐证 / evidence")] = "",
    user: Annotated[str, typer.Option("--user", help="操作人 / user")] = "system",
) -> None:
    """推进措施状态：拟定 → 已商定 → 已落实 / move a plan item on."""
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.toolbox.models import PlanItem
    from zengshou.toolbox.plans import STATUS_LABELS, PlanError, transition

    try:
        item = transition(item_id, status, dt.date.fromisoformat(date), evidence, user)
    except PlanItem.DoesNotExist:
        _fail(f"没有编号为 {item_id} 的措施 / no such item", 1)
    except (PlanError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"{item.code} → {STATUS_LABELS[item.status]}（{item.status_date}）")


@plan_app.command("cost")
def plan_cost_cmd(
    year: Annotated[int, typer.Option("--year", help="年度 / year")],
    by: Annotated[str, typer.Option("--by", help="county | unit | code")] = "county",
    area: Annotated[str, typer.Option("--area", help="区划代码前缀 / area")] = "",
) -> None:
    """帮扶计划费用：按县、牵头部门或措施 / plan cost by county, lead department or measure."""
    from zengshou.cli.core import migrate

    migrate()
    from zengshou.cli.checks import require_area
    from zengshou.toolbox.plans import plan_cost

    if by not in ("county", "unit", "code"):
        _fail("--by 应为 county、unit 或 code / --by must be county, unit or code")
    require_area(area)
    frame = plan_cost(year, by, area)
    if frame.height == 0:
        _fail(
            f"{year} 年{'区划 ' + area + ' ' if area else ''}没有帮扶计划，请先运行 zengshou plan generate --year {year}",
            1,
        )
    key = frame.columns[0]
    typer.echo(
        f"{'分组':<14}{'户数':>10}{'措施数':>10}{'费用(元)':>16}{'预计增收(元)':>16}{'已落实(元)':>14}"
    )
    for r in frame.iter_rows(named=True):
        typer.echo(
            f"{r[key]!s:<14}{r['households']:>10,d}{r['items']:>10,d}{r['cost']:>16,.0f}"
            f"{r['income_effect']:>16,.0f}{r['delivered']:>14,.0f}"
        )
