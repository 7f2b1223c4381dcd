"""Quality runs over the registry: read the area, evaluate every check, drop exempted findings, store.

:func:`run_checks` is what ``zengshou quality check``, the web page's 立即核查 and the end of every
import call. The duplicate checks compare against the whole region's persons, so an area's run
still finds an ID number registered in another county. :func:`import_exemptions` reads a
豁免清单 file (规则代码, 户编号, 豁免理由, 有效期至) all-or-nothing, audited.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from zengshou.quality import checks as q
from zengshou.quality.evaluate import MONITORING_SCHEMA, PERSON_KEY_SCHEMA, evaluate, exempt, prepare


def latest_income_year() -> int:
    """The last year with whole-year income rows (what the checks of income read), else last year."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT MAX(year) FROM registry_income WHERE quarter IS NULL")
        row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else dt.date.today().year - 1


def _prefix(area_code: str | None) -> str:
    from zengshou.registry.areas import code_prefix

    return (code_prefix(area_code) if area_code else "") + "%"


def _monitoring(area_code: str | None) -> pl.DataFrame:
    from zengshou.registry.read import query_frame

    return query_frame(
        "SELECT mo.household_id, mo.monitoring_type, mo.included_on, mo.risk_eliminated_on, "
        "mo.risk_1, mo.risk_2, mo.risk_3, mo.risk_4, mo.risk_5, mo.elimination_method "
        "FROM monitor_monitoringobject mo JOIN registry_household h ON h.household_id = mo.household_id "
        "WHERE h.village_code LIKE %s",
        [_prefix(area_code)],
        MONITORING_SCHEMA,
    )


def _paired(area_code: str | None) -> pl.DataFrame:
    from zengshou.registry.read import query_frame

    return query_frame(
        "SELECT DISTINCT p.household_id FROM registry_pairing p JOIN registry_household h "
        "ON h.household_id = p.household_id WHERE p.ended_on IS NULL AND h.village_code LIKE %s",
        [_prefix(area_code)],
        {"household_id": pl.Utf8},
    )


def region_persons() -> pl.DataFrame:
    """Every person of the region with the keys the duplicate checks compare."""
    from zengshou.registry.read import query_frame

    return query_frame(
        "SELECT m.household_id, h.village_code, m.id_number, m.name, m.relation FROM registry_member m "
        "JOIN registry_household h ON h.household_id = m.household_id",
        [],
        PERSON_KEY_SCHEMA,
    )


def active_exemptions(on: dt.date | None = None) -> pl.DataFrame:
    """``code, household_id`` of the exemptions in force on ``on`` (today)."""
    from zengshou.quality.models import QualityExemption

    day = on or dt.date.today()
    rows = QualityExemption.objects.filter(valid_until__gte=day).values_list("code", "household_id")
    return pl.DataFrame(list(rows), schema={"code": pl.Utf8, "household_id": pl.Utf8}, orient="row")


def run_checks(
    area_code: str | None = None,
    year: int | None = None,
    *,
    trigger: str = "manual",
    source: str = "",
    username: str = "system",
) -> Any:
    """Evaluate every check over the area's households for ``year`` and store the run; returns it."""
    from django.db import transaction

    from zengshou.params import tree
    from zengshou.quality.models import KEEP_FINDING_RUNS, QualityFinding, QualityRun
    from zengshou.registry import bulk
    from zengshou.registry.read import population_from_database

    start = time.perf_counter()
    year = year or latest_income_year()
    pop = population_from_database(area_code, years=(year - 1, year))
    prepared = prepare(pop, year, tree(), _monitoring(area_code), _paired(area_code))
    persons = region_persons() if area_code else None
    findings, exempted = exempt(evaluate(prepared, region_persons=persons), active_exemptions())
    counts = findings.group_by("village_code", "code", "severity").agg(
        pl.col("household_id").n_unique().alias("households"), pl.len().alias("findings")
    )
    with transaction.atomic():
        run = QualityRun.objects.create(
            area_code=area_code or "",
            trigger=trigger,
            source=source[:255],
            username=username,
            year=year,
            households=pop.households.height,
            persons=pop.members.height,
            findings=findings.height,
            flagged_households=findings["household_id"].n_unique(),
            exempted=exempted,
        )
        bulk.insert(
            "quality_qualitycount",
            ["run_id", "village_code", "code", "severity", "households", "findings"],
            counts.select(
                pl.lit(run.pk).alias("run_id"), "village_code", "code", "severity", "households", "findings"
            ),
        )
        bulk.insert(
            "quality_qualityfinding",
            ["run_id", "code", "severity", "household_id", "village_code", "subject", "message"],
            findings.select(
                pl.lit(run.pk).alias("run_id"),
                "code",
                "severity",
                "household_id",
                "village_code",
                pl.col("subject").fill_null(""),
                "message",
            ),
        )
        keep = list(QualityRun.objects.order_by("-id").values_list("id", flat=True)[:KEEP_FINDING_RUNS])
        QualityFinding.objects.exclude(run_id__in=keep).delete()
        run.seconds = time.perf_counter() - start
        run.save(update_fields=["seconds"])
    return run


def after_import(source: str, username: str) -> Any | None:
    """The run every successful import ends with (its failure never undoes the import: logged)."""
    import logging

    from django.db import transaction

    try:
        with transaction.atomic():
            return run_checks(trigger="import", source=source, username=username)
    except Exception:
        logging.getLogger(__name__).exception("数据质量核查失败 / quality checks failed after import")
        return None


# --- exemptions ---------------------------------------------------------------------------------

EXEMPTION_HEADERS = {
    "规则代码": "code",
    "户编号": "household_id",
    "豁免理由": "reason",
    "有效期至": "valid_until",
}


class ExemptionRejected(ValueError):
    """A 豁免清单 file with errors: each line names the row and what is wrong; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ExemptionRow:
    code: str
    household_id: str
    reason: str
    valid_until: dt.date


def parse_date(value: Any) -> dt.date | None:
    """2025-12-31, 2025/12/31, 20251231, 202512 (the month's last day), an Excel date."""
    import calendar

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    try:
        if len(text) == 6 and text.isdigit():
            y, m = int(text[:4]), int(text[4:])
            return dt.date(y, m, calendar.monthrange(y, m)[1])
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _read_table(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        import csv

        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [list(r) for r in csv.reader(fh)]
    header_at = next(
        (i for i, r in enumerate(rows[:10]) if {"规则代码", "户编号"} <= {str(c or "").strip() for c in r}),
        None,
    )
    if header_at is None:
        raise ExemptionRejected(["未找到表头：豁免清单应有“规则代码”“户编号”“豁免理由”“有效期至”列"])
    header = [str(c or "").strip() for c in rows[header_at]]
    return [
        {"_row": header_at + 2 + i, **{h: r[j] if j < len(r) else None for j, h in enumerate(header) if h}}
        for i, r in enumerate(rows[header_at + 1 :])
        if any(c not in (None, "") for c in r)
    ]


def check_exemptions(
    raw: list[dict[str, Any]], area_code: str | None = None, today: dt.date | None = None
) -> list[ExemptionRow]:
    """The rows as exemptions, or :class:`ExemptionRejected` listing every row's problems."""
    from zengshou.registry.models import Household

    today = today or dt.date.today()
    ids = {str(r.get("户编号") or "").strip() for r in raw}
    known = Household.objects.filter(household_id__in=ids)
    if area_code:
        from zengshou.registry.areas import code_prefix

        known = known.filter(village__code__startswith=code_prefix(area_code))
    in_scope = set(known.values_list("household_id", flat=True))
    problems: list[str] = []
    out: list[ExemptionRow] = []
    for r in raw:
        row = r.get("_row", "?")
        code = str(r.get("规则代码") or "").strip().upper()
        hid = str(r.get("户编号") or "").strip()
        reason = str(r.get("豁免理由") or "").strip()
        until = parse_date(r.get("有效期至"))
        here: list[str] = []
        if code not in q.CODES:
            here.append(f"规则代码“{code}”不存在")
        if hid not in in_scope:
            here.append(f"户编号“{hid}”不在系统中或不在本辖区")
        if not reason:
            here.append("豁免理由为空")
        if until is None:
            here.append(f"有效期至“{r.get('有效期至') or ''}”不是日期")
        elif until < today:
            here.append(f"有效期至 {until} 已过")
        if here:
            problems.append(f"第{row}行：" + "；".join(here))
        else:
            assert until is not None
            out.append(ExemptionRow(code, hid, reason, until))
    if problems:
        raise ExemptionRejected(problems)
    return out


def add_exemptions(rows: list[ExemptionRow], username: str, source: str = "") -> int:
    """Store the exemptions, one audit event each (``quality.exempt``)."""
    from django.db import transaction

    from zengshou.quality.models import QualityExemption
    from zengshou.registry.audit import record_many

    with transaction.atomic():
        QualityExemption.objects.bulk_create(
            [
                QualityExemption(
                    code=r.code,
                    household_id=r.household_id,
                    reason=r.reason,
                    valid_until=r.valid_until,
                    created_by=username,
                    source=source[:255],
                )
                for r in rows
            ]
        )
        record_many(
            {
                "username": username,
                "action": "quality.exempt",
                "object_type": "household",
                "object_id": r.household_id,
                "detail": {
                    "code": r.code,
                    "reason": r.reason,
                    "until": r.valid_until.isoformat(),
                    "source": source,
                },
            }
            for r in rows
        )
    return len(rows)


def import_exemptions(path: Path, username: str, area_code: str | None = None) -> int:
    """A 豁免清单 file (.xlsx or .csv) into the exemption list, all rows or none."""
    rows = check_exemptions(_read_table(path), area_code)
    return add_exemptions(rows, username, path.name)
