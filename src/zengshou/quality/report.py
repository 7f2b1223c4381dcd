"""The quality report of an area (village, township, county, city or the region): what the web page
shows and the ``.xlsx`` holds — counts by rule, counts by sub-area, each flagged household with its
messages, duplicate persons with both records (masked), and the trend across runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from zengshou.quality import checks as q


def _prefix(code: str | None) -> str:
    from zengshou.registry.areas import code_prefix

    return code_prefix(code) if code else ""


def covering_runs(area_code: str | None) -> list[Any]:
    """Runs whose area holds ``area_code`` (a region run holds every county), newest first."""
    from zengshou.quality.models import QualityRun

    mine = _prefix(area_code)
    return [r for r in QualityRun.objects.all()[:200] if mine.startswith(_prefix(r.area_code or None))]


@dataclass
class Report:
    area_code: str
    run: Any | None
    rules: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)
    findings: pl.DataFrame = field(default_factory=pl.DataFrame)
    duplicates: pl.DataFrame = field(default_factory=pl.DataFrame)
    trend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flagged_households(self) -> int:
        return int(self.findings["household_id"].n_unique()) if self.findings.height else 0


def _child_level_length(area_code: str | None) -> int:
    """Length of the codes one level below the area (city 4→county 6, county→township 9, township→village 12)."""
    from zengshou.registry.areas import level_of

    level = level_of(area_code) if area_code else "region"
    return {"region": 6, "city": 6, "county": 9, "township": 12, "village": 12}[level]


def _area_names() -> dict[str, str]:
    from zengshou.registry.models import Area

    return dict(Area.objects.values_list("code", "name"))


def build(area_code: str | None, finding_limit: int | None = None) -> Report:
    """The report of the latest run holding the area, and the trend over every such run."""
    from zengshou.quality.models import QualityCount, QualityFinding

    runs = covering_runs(area_code)
    report = Report(area_code or "", runs[0] if runs else None)
    prefix = _prefix(area_code)
    for run in reversed(runs):
        rows = QualityCount.objects.filter(run=run, village_code__startswith=prefix)
        households: dict[str, int] = {s: 0 for s in q.SEVERITIES}
        for severity, n in rows.values_list("severity", "households"):
            households[severity] = households.get(severity, 0) + n
        report.trend.append(
            {
                "run": run.pk,
                "at": run.started_at,
                "trigger": run.get_trigger_display(),
                "source": run.source,
                "errors": households[q.ERROR],
                "doubts": households[q.DOUBT],
            }
        )
    if report.run is None:
        return report
    counts = pl.DataFrame(
        list(
            QualityCount.objects.filter(run=report.run, village_code__startswith=prefix).values_list(
                "village_code", "code", "severity", "households", "findings"
            )
        ),
        schema={
            "village_code": pl.Utf8,
            "code": pl.Utf8,
            "severity": pl.Utf8,
            "households": pl.Int64,
            "findings": pl.Int64,
        },
        orient="row",
    )
    by_code = {
        r["code"]: r for r in counts.group_by("code").agg(pl.col("households", "findings").sum()).to_dicts()
    }
    for c in q.CHECKS:
        got = by_code.get(c.code, {})
        report.rules.append(
            {
                "code": c.code,
                "title": c.title,
                "severity": c.severity,
                "reads": "、".join(c.reads),
                "households": int(got.get("households", 0)),
                "findings": int(got.get("findings", 0)),
            }
        )
    names = _area_names()
    length = _child_level_length(area_code)
    sub = (
        counts.with_columns(pl.col("village_code").str.slice(0, length).alias("area"))
        .group_by("area", "severity")
        .agg(pl.col("households").sum())
        .pivot("severity", index="area", values="households")
        .sort("area")
    )
    for r in sub.to_dicts():
        report.areas.append(
            {
                "code": r["area"],
                "name": names.get(r["area"], r["area"]),
                "errors": r.get(q.ERROR) or 0,
                "doubts": r.get(q.DOUBT) or 0,
            }
        )
    finding_rows = QualityFinding.objects.filter(run=report.run, village_code__startswith=prefix).order_by(
        "village_code", "household_id", "code"
    )
    if finding_limit is not None:
        finding_rows = finding_rows[:finding_limit]
    cols = ("household_id", "village_code", "code", "severity", "subject", "message")
    report.findings = pl.DataFrame(
        list(finding_rows.values_list(*cols)), schema=dict.fromkeys(cols, pl.Utf8), orient="row"
    ).with_columns(
        pl.col("code").replace_strict({c.code: c.title for c in q.CHECKS}, default="").alias("title")
    )
    report.duplicates = duplicates(report.findings)
    return report


def duplicates(findings: pl.DataFrame) -> pl.DataFrame:
    """Both records of every duplicate pair among the findings' households (names and IDs masked)."""
    from zengshou.quality.evaluate import PERSON_KEY_SCHEMA, duplicate_pairs, person_keys
    from zengshou.registry.idnumber import mask, mask_name
    from zengshou.registry.read import query_frame

    dup_codes = [c for c in q.CHECKS if isinstance(c, q.DuplicateCheck)]
    flagged = (
        findings.filter(pl.col("code").is_in([c.code for c in dup_codes])) if findings.height else findings
    )
    if flagged.height == 0:
        return pl.DataFrame()
    hids = flagged["household_id"].unique().to_list()
    marks = ", ".join(["%s"] * len(hids))
    base = (
        "SELECT m.household_id, h.village_code, m.id_number, m.name, m.relation FROM registry_member m "
        "JOIN registry_household h ON h.household_id = m.household_id WHERE "
    )
    own = query_frame(base + f"m.household_id IN ({marks})", hids, PERSON_KEY_SCHEMA)
    ids = own["id_number"].drop_nulls().unique().to_list()
    names = own["name"].drop_nulls().unique().to_list()
    parts = [own]
    if ids:
        parts.append(
            query_frame(
                base + f"UPPER(m.id_number) IN ({', '.join(['%s'] * len(ids))})",
                [i.upper() for i in ids],
                PERSON_KEY_SCHEMA,
            )
        )
    if names:
        parts.append(
            query_frame(base + f"m.name IN ({', '.join(['%s'] * len(names))})", names, PERSON_KEY_SCHEMA)
        )
    keys = person_keys(pl.concat(parts).unique())
    pairs = pl.concat([duplicate_pairs(keys, c, pl.Series(hids)) for c in dup_codes], how="diagonal_relaxed")
    if pairs.height == 0:
        return pl.DataFrame()
    titles = {c.code: c.title for c in dup_codes}
    return pairs.select(
        pl.col("code").alias("规则代码"),
        pl.col("code").replace_strict(titles, default="").alias("规则名称"),
        *[
            e
            for s in ("a", "b")
            for e in (
                pl.col(f"household_id_{s}").alias(f"户编号{s.upper()}"),
                pl.col(f"village_code_{s}").alias(f"村代码{s.upper()}"),
                pl.col(f"name_{s}").map_elements(mask_name, return_dtype=pl.Utf8).alias(f"姓名{s.upper()}"),
                pl.col(f"id_number_{s}")
                .map_elements(mask, return_dtype=pl.Utf8)
                .alias(f"证件号码{s.upper()}"),
                pl.col(f"relation_{s}").alias(f"与户主关系{s.upper()}"),
            )
        ],
    )


def write_xlsx(report: Report, path: Path) -> Path:
    """The report as a workbook: 规则汇总, 下级区域, 问题清单, 重复人员, 核查趋势."""
    from zengshou.workbooks import write_frames

    rules = pl.DataFrame(
        report.rules or [],
        schema={
            "code": pl.Utf8,
            "title": pl.Utf8,
            "severity": pl.Utf8,
            "reads": pl.Utf8,
            "households": pl.Int64,
            "findings": pl.Int64,
        },
    ).rename(
        {
            "code": "规则代码",
            "title": "规则名称",
            "severity": "严重程度",
            "reads": "读取字段",
            "households": "问题户数",
            "findings": "问题条数",
        }
    )
    areas = pl.DataFrame(
        report.areas or [], schema={"code": pl.Utf8, "name": pl.Utf8, "errors": pl.Int64, "doubts": pl.Int64}
    ).rename({"code": "行政区划代码", "name": "名称", "errors": "错误户数", "doubts": "疑点户数"})
    findings = (
        report.findings.select(
            pl.col("household_id").alias("户编号"),
            pl.col("village_code").alias("村代码"),
            pl.col("code").alias("规则代码"),
            pl.col("title").alias("规则名称"),
            pl.col("severity").alias("严重程度"),
            pl.col("subject").alias("成员"),
            pl.col("message").alias("问题说明"),
        )
        if report.findings.height
        else pl.DataFrame(
            schema=dict.fromkeys(
                ("户编号", "村代码", "规则代码", "规则名称", "严重程度", "成员", "问题说明"), pl.Utf8
            )
        )
    )
    trend = pl.DataFrame(
        [
            {
                "核查时间": t["at"].strftime("%Y-%m-%d %H:%M"),
                "触发方式": t["trigger"],
                "来源文件": t["source"],
                "错误户数": t["errors"],
                "疑点户数": t["doubts"],
            }
            for t in report.trend
        ]
        or None,
        schema={
            "核查时间": pl.Utf8,
            "触发方式": pl.Utf8,
            "来源文件": pl.Utf8,
            "错误户数": pl.Int64,
            "疑点户数": pl.Int64,
        },
    )
    dups = report.duplicates if report.duplicates.height else pl.DataFrame({"说明": ["无重复人员"]})
    return write_frames(
        path,
        {"规则汇总": rules, "下级区域": areas, "问题清单": findings, "重复人员": dups, "核查趋势": trend},
    )
