"""Small households written the way a policy officer would (Chinese headers), turned into frames.

A case gives only what matters for it; everything else takes a neutral default (a 脱贫户 in the
低收入组 with safe housing and water; members 40-year-old healthy ordinary labourers, insured).
Members give 年龄 (on 31 December of the year evaluated) and 性别 instead of an ID number;
``家庭人口: n`` stands for n such members (0: a household without members).

Income: a household key named after a 收入 column (工资性收入, 生产经营性收入, 合规自付医疗费用 …,
household totals in yuan) goes into the period's income row, the same key with ``上年`` before it into
the row of the same period a year earlier; ``人均纯收入`` / ``上年人均纯收入`` is a shortcut written
as 转移性收入 of that amount times the household size (so it moves no wage or operating figure); it
may stand beside the spending columns (合规自付医疗费用, 教育支出), not beside the income ones. A
case's income keys for a period replace a file default's ``人均纯收入`` for that period; ``null``
removes a default key (``人均纯收入: null``: no income row for the period).

Department feeds: a household's ``住建房屋安全等级`` (A–D) becomes a 住建 feed row, a member's
``教育在校状态`` (在读/毕业/辍学) an 教育 feed row. Any feed may also be written with its own headers:
a member key 医保 / 上年医保 / 残联 / 民政 / 人社 / 教育, or a household key 住建, holds one row or a
list of rows (证件号码, 户编号 and 医保's 年度 are filled in); a case's ``应急`` rows are area rows.
Whole-number columns keep a fraction a case gives (务工月数 5.9 stays 5.9, so a threshold is tested
on it); a fractional year is an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.registry import idnumber

CASES_DIR = Path(__file__).parent
DEFAULT_VILLAGE = "640522100201"

HOUSEHOLD_DEFAULTS: dict[str, Any] = {"户类型": "脱贫户", "住房安全": "是", "饮水安全": "是"}
MEMBER_DEFAULTS: dict[str, Any] = {
    "健康状况": "健康",
    "劳动技能": "普通劳动力",
    "参加基本医疗保险": "是",
    "年龄": 40,
    "性别": "男",
}
PREVIOUS = "上年"
PER_CAPITA = "人均纯收入"
SIZE = "家庭人口"
_H = {c.header: c for c in ix.HOUSEHOLDS.columns}
_M = {c.header: c for c in ix.MEMBERS.columns}
_INCOME = {c.header: c for c in ix.INCOME.columns if c.key not in ("household_id", "year", "quarter")}
#: The 收入 columns that make up net income; the spending columns may stand beside 人均纯收入.
_NET_PARTS = {
    c.header
    for c in ix.INCOME.columns
    if c.key in ("wage", "operating_gross", "operating_cost", "property", "transfer")
}
_MEMBER_FEEDS = {"医保": ix.FEED_MEDICAL, "残联": ix.FEED_DISABILITY, "民政": ix.FEED_CIVIL}
_MEMBER_FEEDS |= {"人社": ix.FEED_EMPLOYMENT, "教育": ix.FEED_EDUCATION}


class CaseError(ValueError):
    """A case table value that cannot be what its column holds."""


def _value(column: ix.Column, raw: Any) -> Any:
    if raw is None:
        return None
    if column.type == "bool":
        return raw in ("是", True, "Y", 1)
    if column.type in ("int", "year"):
        number = float(raw)
        if number == int(number):
            return int(number)
        if column.type == "year":
            raise CaseError(f"{column.header} {raw!r} 应为整数年份 / a year must be whole")
        return number  # kept: the frame column becomes Float64 (see _conform)
    if column.type in ("decimal", "yuan"):
        return float(raw)
    if column.type == "date":
        return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    return str(raw)


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((CASES_DIR / name).read_text(encoding="utf-8"))
    return doc


def files() -> list[str]:
    return sorted(p.name for p in CASES_DIR.glob("*.yaml"))


def measure_files() -> list[str]:
    """The toolbox measures' case tables (L…, T…), apart from the alert and tier tables."""
    return [f for f in files() if f[0] in "LT"]


def _conform(rows: list[dict[str, Any]], table: ix.Table) -> pl.DataFrame:
    """The rows in the table's schema; a whole-number column given a fraction stays Float64."""
    frame = conform(pl.DataFrame(rows, infer_schema_length=None), table)
    fractional = [
        c.key for c in table.columns if c.type == "int" and any(isinstance(r.get(c.key), float) for r in rows)
    ]
    if fractional:
        frame = frame.with_columns(
            pl.Series(k, [r.get(k) for r in rows], dtype=pl.Float64) for k in fractional
        )
    return frame


def _feed_rows(table: ix.Table, raw: Any, fixed: dict[str, Any]) -> list[dict[str, Any]]:
    """One feed row per mapping written (headers of the feed), with ``fixed`` keys filled in."""
    columns = {c.header: c for c in table.columns}
    out = []
    for given in raw if isinstance(raw, list) else [raw]:
        row = {columns[h].key: _value(columns[h], v) for h, v in (given or {}).items()}
        out.append({**fixed, **row})
    return out


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """A case's household over the file's defaults; a period's components replace its 人均纯收入."""
    merged = dict(defaults)
    for prefix in ("", PREVIOUS):
        if any(prefix + h in given for h in _NET_PARTS) and prefix + PER_CAPITA not in given:
            merged.pop(prefix + PER_CAPITA, None)
    merged.update(given)
    return {k: v for k, v in merged.items() if v is not None}


def _income_row(h: dict[str, Any], prefix: str, size: int) -> dict[str, float] | None:
    """The 收入 amounts a household gives for one period (``prefix`` "" this year, 上年 the year before)."""
    parts = {
        _INCOME[k.removeprefix(prefix)].key: float(v)
        for k, v in h.items()
        if k.startswith(prefix) and k.removeprefix(prefix) in _INCOME
    }
    if prefix + PER_CAPITA in h:
        if any(prefix + k in h for k in _NET_PARTS):
            raise CaseError(f"{prefix}{PER_CAPITA} 与收入分项不能同时填写 / give one or the other")
        parts["transfer"] = float(h[prefix + PER_CAPITA]) * size
    return parts or None


def population(
    cases: list[dict[str, Any]],
    year: int,
    prefix: str = "H",
    *,
    quarter: int | None = None,
    defaults: dict[str, Any] | None = None,
    numbers: Sequence[int] | None = None,
) -> tuple[Population, pl.DataFrame]:
    """One household per case (``<prefix>-<n>``, n from ``numbers`` or 1, 2 …), and the quintile/tier
    frame the cases name. Income rows are for ``quarter`` (None: the whole year) of ``year`` and of
    the year before; ``defaults`` are household keys every case starts from."""
    hh_rows, mem_rows, inc_rows, q_rows = [], [], [], []
    feed_rows: dict[str, list[dict[str, Any]]] = {}
    villages: dict[str, float | None] = {}
    seq = 0
    for n, case in zip(numbers or range(1, len(cases) + 1), cases, strict=True):
        hid = f"{prefix}-{n:03d}"
        h = {**HOUSEHOLD_DEFAULTS, **_merge(defaults or {}, case.get("household") or {})}
        row: dict[str, Any] = {
            "household_id": hid,
            "village_code": str(h.get("行政区划代码", DEFAULT_VILLAGE)),
        }
        for header, raw in h.items():
            if header in _H and header not in ("户编号", "行政区划代码"):
                row[_H[header].key] = _value(_H[header], raw)
        hh_rows.append(row)
        if "住建房屋安全等级" in h:
            feed_rows.setdefault("housing", []).append(
                {
                    "household_id": hid,
                    "safety_grade": str(h["住建房屋安全等级"]),
                    "assessed_on": dt.date(year, 6, 1),
                }
            )
        if "住建" in h:
            feed_rows.setdefault("housing", []).extend(
                _feed_rows(
                    ix.FEED_HOUSING, h["住建"], {"household_id": hid, "assessed_on": dt.date(year, 6, 1)}
                )
            )
        villages.setdefault(row["village_code"], None)
        if "村集体经济年收入(万元)" in h:
            villages[row["village_code"]] = float(h["村集体经济年收入(万元)"])
        members = case.get("members")
        if members is None and SIZE in h:
            members = [{}] * int(h[SIZE])
        elif members is None or members == []:
            members = [{}]
        if SIZE in h and int(h[SIZE]) != len(members):
            raise CaseError(f"{SIZE} {h[SIZE]} 与成员数 {len(members)} 不符 / size and members differ")
        for y, prefix_ in ((year, ""), (year - 1, PREVIOUS)):
            parts = _income_row(h, prefix_, len(members))
            if parts is not None:
                inc_rows.append({"household_id": hid, "year": y, "quarter": quarter, **parts})
        q = {"household_id": hid, "quintile": h.get("五等份组", "低收入组")}
        if "层级" in h:
            q["tier"] = h["层级"]
        q_rows.append(q)
        for i, m in enumerate(members):
            m = {**MEMBER_DEFAULTS, **(m or {})}
            seq += 1
            born = dt.date(year - int(m["年龄"]), 6, 30)
            mrow: dict[str, Any] = {
                "household_id": hid,
                "name": f"成员{seq}",
                "id_number": idnumber.make("640522", born, seq, m["性别"] == "男"),
                "relation": "户主" if i == 0 else "其他",
            }
            for header, raw in m.items():
                if header in _M and header not in ("户编号", "证件号码", "姓名"):
                    mrow[_M[header].key] = _value(_M[header], raw)
            mem_rows.append(mrow)
            person = {"id_number": mrow["id_number"]}
            if "教育在校状态" in m:
                feed_rows.setdefault("education", []).append({**person, "status": str(m["教育在校状态"])})
            for name, table in _MEMBER_FEEDS.items():
                for key, fixed in ((name, person), (PREVIOUS + name, {**person, "year": year - 1})):
                    if key in m:
                        if table is ix.FEED_MEDICAL:
                            fixed = {"year": year, **fixed}
                        feed_rows.setdefault(table.key, []).extend(_feed_rows(table, m[key], fixed))
        if "应急" in case:
            feed_rows.setdefault("disaster", []).extend(_feed_rows(ix.FEED_DISASTER, case["应急"], {}))
    tiers = pl.DataFrame(q_rows, infer_schema_length=None)
    feeds = {
        key: conform(pl.DataFrame(rows, infer_schema_length=None), ix.FEEDS_BY_NAME[key])
        for key, rows in feed_rows.items()
    }
    pop = Population(
        households=_conform(hh_rows, ix.HOUSEHOLDS),
        members=_conform(mem_rows, ix.MEMBERS)
        if mem_rows
        else conform(pl.DataFrame({"household_id": []}), ix.MEMBERS),
        income=conform(
            pl.DataFrame(inc_rows, infer_schema_length=None)
            if inc_rows
            else pl.DataFrame({"household_id": []}),
            ix.INCOME,
        ),
        villages=conform(
            pl.DataFrame(
                {
                    "village_code": list(villages),
                    "village_name": ["村"] * len(villages),
                    "collective_income_10k": list(villages.values()),
                },
                schema_overrides={"collective_income_10k": pl.Float64},
            ),
            ix.VILLAGES,
        ),
        feeds=feeds,
    )
    return pop, tiers
