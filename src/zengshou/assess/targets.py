"""The plans' numeric targets (T01–T18, L05, L07, L13b …) as data, and progress against them.

A target is due either by a deadline or every year-end (``annual``). Progress is the cumulative
figure a department reports for a quarter; a target is behind schedule when the share done is below
the share of its time elapsed (linear schedule from ``plan_start``, or from 1 January for an annual one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl
import yaml

TARGETS_FILE = Path(__file__).resolve().parent.parent / "data" / "targets.yaml"
#: The plans' start (both texts are drafts of early 2025); ASSUMPTION stated in docs/assessment.md.
PLAN_START = dt.date(2025, 1, 1)
QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}

TARGET_SCHEMA = {
    "target_id": pl.Utf8,
    "code": pl.Utf8,
    "name": pl.Utf8,
    "value": pl.Float64,
    "unit": pl.Utf8,
    "annual": pl.Boolean,
    #: a rate or share to reach and hold (良种覆盖率 98%): due in full at every report, not pro rata
    "rate": pl.Boolean,
    "deadline": pl.Date,
    "units": pl.Utf8,
    "source": pl.Utf8,
}


class TargetError(ValueError):
    """A targets file that cannot be read (missing field, bad value)."""


def load_targets(path: Path | None = None) -> pl.DataFrame:
    """The targets as a frame; ``target_id`` is ``code:name`` (unique)."""
    p = path or TARGETS_FILE
    doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    rows = []
    for i, t in enumerate(doc.get("targets", []), start=1):
        missing = [k for k in ("code", "name", "value", "unit") if k not in t]
        if missing:
            raise TargetError(f"{p} 第{i}项缺少 {missing} / target {i} lacks {missing}")
        if not t.get("annual") and "deadline" not in t:
            raise TargetError(f"{p} 第{i}项（{t['name']}）缺少 deadline 或 annual / no deadline")
        rows.append(
            {
                "target_id": f"{t['code']}:{t['name']}",
                "code": str(t["code"]),
                "name": str(t["name"]),
                "value": float(t["value"]),
                "unit": str(t["unit"]),
                "annual": bool(t.get("annual", False)),
                "rate": bool(t.get("rate", False)),
                "deadline": t.get("deadline"),
                "units": "、".join(t.get("units", [])),
                "source": _source_text(str(t.get("source", "")), str(t["code"])),
            }
        )
    frame = pl.DataFrame(rows, schema=TARGET_SCHEMA)
    dup = frame.filter(pl.col("target_id").is_duplicated())["target_id"].unique().to_list()
    if dup:
        raise TargetError(f"{p} 目标重复：{dup} / duplicate targets")
    return frame


def _source_text(source: str, code: str) -> str:
    """The plan's wording as the page shows it: the file's English working notes (ASSUMPTION …,
    "catalogue T13: …") stay in the file and in docs/assessment.md, not on a user's screen."""
    wording = re.split(r"\s*ASSUMPTION\b", source, maxsplit=1)[0].strip().rstrip("。.;；") or ""
    if not wording or wording.startswith("catalogue") or not re.search(r"[\u4e00-\u9fff]{2}", wording):
        return f"见政策条款目录 {code}"
    return wording + ("" if wording.endswith(("。", "）")) else "。")


def status(targets: pl.DataFrame, progress: pl.DataFrame, year: int, quarter: int) -> pl.DataFrame:
    """Progress of each target at the end of the quarter, and whether it is behind schedule.

    ``progress``: target_id, year, quarter, value (cumulative: the plan's total for a dated target,
    the year's total for an annual one). The latest report up to the quarter counts; an annual
    target only counts reports of ``year``. No report is "无数据" (done null), not zero.
    """
    m, d = QUARTER_END[quarter]
    at = dt.date(year, m, d)
    period = year * 10 + quarter
    latest = (
        progress.with_columns((pl.col("year") * 10 + pl.col("quarter")).alias("p"))
        .filter(pl.col("p") <= period)
        .join(targets.select("target_id", "annual"), on="target_id")
        .filter(~pl.col("annual") | (pl.col("year") == year))
        .sort("p")
        .group_by("target_id")
        .agg(pl.col("value").last().alias("done"))
    )
    start = pl.when(pl.col("annual")).then(pl.lit(dt.date(year, 1, 1))).otherwise(pl.lit(PLAN_START))
    end = pl.when(pl.col("annual")).then(pl.lit(dt.date(year, 12, 31))).otherwise(pl.col("deadline"))
    if "rate" not in targets.columns:
        targets = targets.with_columns(pl.lit(False).alias("rate"))
    return (
        targets.join(latest, on="target_id", how="left")
        .with_columns(start.alias("start"), end.alias("due"))
        .with_columns(
            pl.when(pl.col("rate"))
            .then(pl.lit(1.0))
            .otherwise(
                ((pl.lit(at) - pl.col("start")).dt.total_days() + 1)
                / ((pl.col("due") - pl.col("start")).dt.total_days() + 1)
            )
            .clip(0, 1)
            .alias("expected_share"),
            (pl.col("done") / pl.col("value")).alias("done_share"),
        )
        .with_columns(
            pl.when(pl.col("done").is_null())
            .then(pl.lit("无数据"))
            .when(pl.col("done_share") >= 1)
            .then(pl.lit("已完成"))
            .when(pl.col("done_share") < pl.col("expected_share"))
            .then(pl.lit("滞后"))
            .otherwise(pl.lit("正常"))
            .alias("status")
        )
        .drop("start")
    )


def parse_progress(form: Mapping[str, str]) -> tuple[str, int, int, float, str]:
    """A progress entry from a form (target_id, year, quarter, value, note), each field checked with
    a message naming it: "完成值“abc”不是数字", never Python's own ``could not convert``."""
    target_id = (form.get("target_id") or "").strip()
    if not target_id:
        raise TargetError("请选择要填报的目标")
    year_text = (form.get("year") or "").strip()
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        raise TargetError(f"年度“{year_text}”不是有效的年份（如 2025）")
    quarter_text = (form.get("quarter") or "").strip()
    if quarter_text not in ("1", "2", "3", "4"):
        raise TargetError(f"季度“{quarter_text}”无效：应为1、2、3或4")
    value_text = (form.get("value") or "").strip().replace(",", "").replace("，", "")
    if not value_text:
        raise TargetError("请填写累计完成值")
    try:
        value = float(value_text)
    except ValueError:
        raise TargetError(
            f"完成值“{form.get('value')}”不是数字：请只填数字（如 3000 或 98.5），不带单位"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise TargetError(f"完成值“{form.get('value')}”不是有限的数字")
    return target_id, int(year_text), int(quarter_text), value, (form.get("note") or "").strip()[:300]


def record_progress(
    target_id: str, year: int, quarter: int, value: float, username: str, unit_name: str = "", note: str = ""
) -> None:
    """A department's cumulative figure for a quarter (replaces that quarter's earlier entry), audited."""
    from zengshou.assess.models import TargetProgress
    from zengshou.registry.audit import record

    known = set(load_targets()["target_id"])
    if target_id not in known:
        raise TargetError(f"未知目标“{target_id}”：请从目标列表中选择（格式为 代码:名称）")
    if quarter not in QUARTER_END:
        raise TargetError(f"季度应为1–4，实际为{quarter}")
    if value < 0:
        raise TargetError(f"完成值不能为负数，实际为{value:g}")
    TargetProgress.objects.update_or_create(
        target_id=target_id,
        year=year,
        quarter=quarter,
        defaults={"value": value, "entered_by": username, "unit_name": unit_name, "note": note},
    )
    record(
        username, "target.progress", "target", target_id, {"year": year, "quarter": quarter, "value": value}
    )


def progress_frame() -> pl.DataFrame:
    """Every reported figure from the database (target_id, year, quarter, value)."""
    from zengshou.assess.models import TargetProgress

    rows = list(TargetProgress.objects.values_list("target_id", "year", "quarter", "value"))
    return pl.DataFrame(
        [(t, y, q, float(v)) for t, y, q, v in rows],
        schema={"target_id": pl.Utf8, "year": pl.Int64, "quarter": pl.Int64, "value": pl.Float64},
        orient="row",
    )
