"""The batch for one area and period, step by step, with its progress written to its BatchRun.

:func:`start` records a run and puts it on the task queue (the web); :func:`create_run` and
:func:`execute` are the same work done at once (``zengshou pipeline``). Steps: read the registry and
feeds, every pipeline stage (accounts, alerts, tiers, measures, pairing), store tier results and
alerts, store the household plans (W02, whole years), score with the latest risk model (M02, whole
years, when one was trained).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from zengshou.batch.models import ACTIVE_STATUSES, BatchRun, BatchStatus
from zengshou.registry.areas import code_prefix

if TYPE_CHECKING:
    from zengshou.pipeline import BatchResult

log = logging.getLogger(__name__)

#: Chinese names of the steps; a stage a later part registers without a name here is "其他计算".
STEP_LABELS: dict[str, str] = {
    "read": "读取农户和部门数据",
    "facts": "家庭和成员事实认定",
    "accounts": "收入核算",
    "alerts": "监测预警规则",
    "tiers": "五等份与分层",
    "measures": "帮扶措施测算",
    "pairing": "结对帮扶建议",
    "store": "保存分层结果和预警",
    "plans": "一户一策帮扶计划",
    "model": "风险模型评分",
}
#: A queued run not picked up for this long means no worker is running (the page says so).
WORKER_LATE = dt.timedelta(seconds=60)


class BatchBusy(Exception):
    """A run for the same or an overlapping area is queued or running; ``run`` is that run."""

    def __init__(self, run: BatchRun) -> None:
        super().__init__(busy_message(run))
        self.run = run


def busy_message(run: BatchRun) -> str:
    return (
        f"{run.area_name or '全部数据'}的批处理（第 {run.pk} 号，{run.period_label}，{run.created_by} 启动）"
        f"正在{'排队' if run.status == BatchStatus.QUEUED else '运行'}，请等它完成后再运行。"
    )


def chinese(message: str) -> str:
    """The Chinese half of a bilingual message ("中文 / English"), for a page."""
    return message.split(" / ", 1)[0].strip() or message


def _covers(outer: str, inner: str) -> bool:
    """Whether area ``outer`` contains area ``inner`` ("" is the whole database)."""
    if not outer:
        return True
    return bool(inner) and code_prefix(inner).startswith(code_prefix(outer))


def conflicting(area_code: str) -> BatchRun | None:
    """The queued or running run whose area overlaps ``area_code`` (the same, above or below it)."""
    for run in BatchRun.objects.filter(status__in=ACTIVE_STATUSES).order_by("created_at"):
        if _covers(run.area_code, area_code) or _covers(area_code, run.area_code):
            return run
    return None


def stage_names() -> list[str]:
    """The pipeline's stages in run order."""
    from zengshou.pipeline import STAGES

    return list(STAGES)


def planned_steps(quarter: int | None) -> list[dict[str, Any]]:
    keys = ["read", *stage_names(), "store", "plans", "model"]
    return [{"key": k, "label": step_label(k), "state": "waiting", "seconds": None, "note": ""} for k in keys]


def step_label(key: str) -> str:
    return STEP_LABELS.get(key, "其他计算")


def create_run(
    area_code: str,
    area_name: str,
    year: int,
    quarter: int | None,
    username: str,
    source: str = "web",
    params_files: list[str] | None = None,
    enqueue: bool = False,
) -> BatchRun:
    """Record a queued run (and put it on the task queue with ``enqueue``); BatchBusy when the area
    already has one. The run row and its queue entry are written together or not at all."""
    busy = conflicting(area_code)
    if busy is not None:
        raise BatchBusy(busy)
    try:
        with transaction.atomic():
            run = BatchRun.objects.create(
                area_code=area_code,
                area_name=area_name,
                year=year,
                quarter=quarter,
                steps=planned_steps(quarter),
                created_by=username,
                source=source,
                params_files=list(params_files or []),
                message="已提交，等待后台进程开始。",
            )
            if enqueue:
                from zengshou.batch.tasks import run_area_batch

                result = run_area_batch.enqueue(run.pk)
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
    except IntegrityError:
        # another request started the same area between the check and the insert
        again = conflicting(area_code)
        if again is None:
            raise
        raise BatchBusy(again) from None
    return run


def start(
    area_code: str, area_name: str, year: int, quarter: int | None, username: str, ip: str = ""
) -> BatchRun:
    """Queue the batch of an area for the background worker (the web's 运行批处理), audited."""
    from zengshou.registry.audit import record

    run = create_run(area_code, area_name, year, quarter, username, source="web", enqueue=True)
    detail = {"area": area_code, "year": year, "quarter": quarter}
    record(username, "batch.start", "batch", str(run.pk), detail, ip=ip)
    return run


@dataclass
class Outcome:
    """What :func:`execute` leaves: the run (status, steps, figures) and, when it got that far, the
    pipeline's in-memory result (the CLI prints its summary)."""

    run: BatchRun
    result: BatchResult | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.run.status == BatchStatus.DONE


class _Steps:
    """Marks steps running and done on the run row as the work announces them."""

    def __init__(self, run: BatchRun, echo: Any = None) -> None:
        self.run = run
        self.echo = echo
        self.current: dict[str, Any] | None = None
        self.t0 = time.perf_counter()

    def _find(self, key: str) -> dict[str, Any]:
        for s in self.run.steps:
            if s["key"] == key:
                return s
        step = {"key": key, "label": step_label(key), "state": "waiting", "seconds": None, "note": ""}
        self.run.steps.append(step)
        return step

    def _close(self, state: str = "done", note: str = "") -> None:
        if self.current is not None:
            self.current["state"] = state
            self.current["seconds"] = round(time.perf_counter() - self.t0, 1)
            if note:
                self.current["note"] = note
            self.current = None

    def start(self, key: str) -> None:
        self._close()
        self.current = self._find(key)
        self.current["state"] = "running"
        self.t0 = time.perf_counter()
        self.run.message = f"正在{self.current['label']}…"
        self.run.save(update_fields=["steps", "message"])
        if self.echo is not None:
            self.echo(f"▶ {self.current['label']}")

    def done(self, note: str = "") -> None:
        self._close("done", note)
        self.run.save(update_fields=["steps"])

    def skip(self, key: str, note: str) -> None:
        self._close()
        step = self._find(key)
        step.update(state="skipped", note=note)
        self.run.save(update_fields=["steps"])
        if self.echo is not None:
            self.echo(f"– {step['label']}：{note}")

    def fail(self, note: str) -> None:
        self._close("failed", note)
        for s in self.run.steps:
            if s["state"] == "waiting":
                s["state"] = "skipped"
                s["note"] = "未运行"


def execute(run_id: int, echo: Any = None) -> Outcome:
    """Do the queued run ``run_id`` now; a run already started or finished is left as it is.

    Every failure ends the run as 未完成 with a Chinese message naming the step; stores are
    transactions of their own, so a failed step leaves the results before it in place.
    """
    run = BatchRun.objects.get(pk=run_id)
    if run.status != BatchStatus.QUEUED:
        return Outcome(run)
    run.status = BatchStatus.RUNNING
    run.started_at = timezone.now()
    run.message = "正在运行…"
    run.save(update_fields=["status", "started_at", "message"])
    steps = _Steps(run, echo)
    outcome = Outcome(run)
    try:
        _work(run, steps, outcome)
    except Exception as exc:
        log.exception("batch %s failed", run.pk)
        label = steps.current["label"] if steps.current else "批处理"
        reason = chinese(str(exc)) if isinstance(exc, ValueError) else f"程序错误（{type(exc).__name__}）"
        steps.fail(reason)
        run.status = BatchStatus.FAILED
        run.message = f"“{label}”一步未完成：{reason}。已保存的结果保持不变，可改正后重新运行。"
    else:
        run.status = BatchStatus.DONE
        run.message = _done_message(outcome.figures)
    run.figures = outcome.figures
    run.finished_at = timezone.now()
    run.save()
    forget_cached_figures()
    return outcome


def _work(run: BatchRun, steps: _Steps, outcome: Outcome) -> None:
    from zengshou.params import tree
    from zengshou.pipeline import run_on_database

    params = tree(run.params_files)
    result, figures = run_on_database(
        run.year,
        run.quarter,
        run.area_code or None,
        params,
        username=run.created_by,
        on_step=steps.start,
    )
    steps.done()
    outcome.result = result
    outcome.figures = {
        "households": figures["households"],
        "tier_results": figures["tier_results"],
        "alerts_new": figures["alerts_new"],
        "alerts_refreshed": figures["alerts_refreshed"],
        "alerts_already_decided": figures["alerts_already_decided"],
        "tiers": figures["tiers"],
        "seconds": {k: round(float(v), 2) for k, v in figures["seconds"].items()},
    }
    if run.quarter is not None:
        steps.skip("plans", "帮扶计划按年度生成，季度批处理不改动计划")
        steps.skip("model", "风险模型按年度评分，季度批处理不评分")
        return
    _plans(run, steps, result, outcome.figures)
    _model(run, steps, outcome.figures)


def _plans(run: BatchRun, steps: _Steps, result: BatchResult, figures: dict[str, Any]) -> None:
    """W02: the measures the run found become the households' plans (agreed and delivered kept)."""
    from zengshou.toolbox.plans import store_plans

    measures = result.frames.get("measures")
    if measures is None or measures.height == 0:
        steps.skip("plans", "本次没有测算出帮扶措施，计划未改动")
        return
    steps.start("plans")
    households = result.population.households
    villages = dict(households.select("household_id", "village_code").iter_rows())
    counts = store_plans(
        measures, run.year, villages, run.created_by, covered=households["household_id"].to_list()
    )
    figures["plans"] = counts
    steps.done(f"新计划 {counts['plans_created']:,d} 户，新增措施 {counts['items_created']:,d} 项")


def _model(run: BatchRun, steps: _Steps, figures: dict[str, Any]) -> None:
    """M02: the latest trained model scores the year; its warnings join the alerts."""
    from zengshou.model import ModelError, alerts, load, model_params, score
    from zengshou.model.alerts_store import store_alerts
    from zengshou.registry.read import population_from_database

    try:
        model = load()
    except ModelError:
        steps.skip("model", "尚未训练风险模型，本次不评分")
        return
    steps.start("model")
    params = model_params(*run.params_files)
    pop = population_from_database(run.area_code or None)  # the features look back over the years
    try:
        warned = alerts(score(model, pop, run.year, params).scores)
    except ModelError as exc:
        steps.skip("model", chinese(str(exc)))
        return
    counts = store_alerts(warned, run.year, run.created_by, model.version)
    figures["model"] = {"version": model.version, "warned": warned.height, **counts}
    steps.done(f"模型 {model.version}：预警 {warned.height:,d} 户")


def _done_message(figures: dict[str, Any]) -> str:
    parts = [
        f"核算 {figures.get('households', 0):,d} 户",
        f"分层结果 {figures.get('tier_results', 0):,d} 条",
        f"新预警 {figures.get('alerts_new', 0):,d} 条",
    ]
    if "plans" in figures:
        parts.append(f"新增帮扶措施 {figures['plans']['items_created']:,d} 项")
    if "model" in figures:
        parts.append(f"模型预警 {figures['model']['warned']:,d} 户")
    return "批处理已完成：" + "，".join(parts) + "。"


def forget_cached_figures() -> None:
    """Pages read the latest year and the results' version from a cache for a minute; a finished
    run shows at once (the web process calls this too when its page sees the run finished)."""
    from django.core.cache import cache

    cache.delete_many(["zs:latest_year", "zs:tier_version"])


def orphaned(now: dt.datetime | None = None) -> int:
    """Runs left 运行中 by a worker that stopped (a restart mid-run) end as 未完成; returns how many.

    Called when a worker starts: only one worker runs the queue, so a running run then has no one.
    """
    count = 0
    for run in BatchRun.objects.filter(status=BatchStatus.RUNNING):
        for s in run.steps:
            if s["state"] in ("running", "waiting"):
                s["state"] = "skipped"
                s["note"] = "未运行"
        run.status = BatchStatus.FAILED
        run.message = (
            "后台进程在运行中停止（例如服务重启），这次批处理未完成。已保存的结果保持不变，请重新运行。"
        )
        run.finished_at = now or timezone.now()
        run.save()
        count += 1
    return count


def worker_late(run: BatchRun, now: dt.datetime | None = None) -> bool:
    """A run still queued a minute after it was started: the page says the worker seems not to run."""
    return run.status == BatchStatus.QUEUED and (now or timezone.now()) - run.created_at > WORKER_LATE


@dataclass(frozen=True)
class PeriodChoice:
    """A period the area has income rows for: ``2025`` or ``2025-2`` (cumulative quarter)."""

    value: str
    label: str
    households: int


def income_periods(area_code: str | None) -> list[PeriodChoice]:
    """Years and cumulative quarters with income rows under the area (None: everywhere), latest
    first, with how many households have them."""
    from django.db.models import Count

    from zengshou.registry.areas import code_range
    from zengshou.registry.models import Income

    qs = Income.objects.all()
    if area_code:
        qs = qs.filter(code_range("household__village_id", code_prefix(area_code)))
    rows = qs.values("year", "quarter").annotate(n=Count("household_id", distinct=True))
    out = []
    for r in sorted(rows, key=lambda r: (r["year"], r["quarter"] or 5), reverse=True):
        q = r["quarter"]
        label = f"{r['year']}年度" if q is None else f"{r['year']}年第{q}季度（累计）"
        out.append(PeriodChoice(f"{r['year']}" + (f"-{q}" if q else ""), label, int(r["n"])))
    return out


def default_period(choices: list[PeriodChoice]) -> str:
    """The latest year whose income rows cover at least half as many households as the fullest year
    (one stray row of a new year is not the default); a quarter only when no year has rows."""
    years = [c for c in choices if "-" not in c.value]
    if not years:
        return choices[0].value if choices else ""
    fullest = max(c.households for c in years)
    return next(c.value for c in years if c.households * 2 >= fullest)


def run_now_command(area_code: str | None = None) -> str:
    """The sentence an import ends with on the command line: the exact command that runs the batch."""
    value = default_period(income_periods(area_code))
    where = f" --area {area_code}" if area_code else ""
    if not value:
        return f"下一步：导入收入表后运行批处理：zengshou pipeline --year 年度{where}"
    year, _, quarter = value.partition("-")
    command = f"zengshou pipeline --year {year}" + (f" --quarter {quarter}" if quarter else "") + where
    return f"下一步：运行批处理，分层、预警和帮扶计划才会用上新数据：{command}"


def runs_for(prefix: str) -> Any:
    """Runs of an area and of the areas below it (a county user sees his county's runs)."""
    from zengshou.registry.areas import code_range

    if not prefix:
        return BatchRun.objects.all()
    return BatchRun.objects.filter(code_range("area_code", prefix))


def last_finished(prefix: str) -> dt.datetime | None:
    """When the latest finished run covering or inside the area ended (the results stamp's cache key)."""
    covering = Q(area_code="") | Q(area_code__in=_ancestors(prefix))
    qs = BatchRun.objects.filter(status=BatchStatus.DONE).filter(
        covering | Q(pk__in=runs_for(prefix).values("pk"))
    )
    value: dt.datetime | None = qs.aggregate(t=Max("finished_at"))["t"]
    return value


def _ancestors(prefix: str) -> list[str]:
    """Codes of the region, city and county above (and at) an area prefix."""
    out = []
    if len(prefix) >= 2:
        out.append(prefix[:2] + "0000")
    if len(prefix) >= 4:
        out.append(prefix[:4] + "00")
    if len(prefix) >= 6:
        out.append(prefix[:6])
    return out
