"""Small households written the way a policy officer would (Chinese headers), turned into frames.

A case gives only what matters for it; everything else takes a neutral default (a 脱贫户 in the
低收入组 with safe housing and water; members 40-year-old healthy ordinary labourers, insured).
Members give 年龄 (on 31 December of the year evaluated) and 性别 instead of an ID number.

Department feeds: a household's ``住建房屋安全等级`` (A–D) becomes a 住建 feed row, a member's
``教育在校状态`` (在读/毕业/辍学) an 教育 feed row. Whole-number columns keep a fraction a case gives
(务工月数 5.9 stays 5.9, so a threshold is tested on it); a fractional year is an error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from zengshou import interchange as ix
from zengshou.frames import Population, conform
from zengshou.registry import idnumber

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_VILLAGE = "640522100201"

HOUSEHOLD_DEFAULTS: dict[str, Any] = {"户类型": "脱贫户", "住房安全": "是", "饮水安全": "是"}
MEMBER_DEFAULTS: dict[str, Any] = {
    "健康状况": "健康",
    "劳动技能": "普通劳动力",
    "参加基本医疗保险": "是",
    "年龄": 40,
    "性别": "男",
}
_H = {c.header: c for c in ix.HOUSEHOLDS.columns}
_M = {c.header: c for c in ix.MEMBERS.columns}


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
    if column.type == "decimal":
        return float(raw)
    return str(raw)


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((CASES_DIR / name).read_text(encoding="utf-8"))
    return doc


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


def population(cases: list[dict[str, Any]], year: int, prefix: str = "H") -> tuple[Population, pl.DataFrame]:
    """One household per case (``<prefix>-<n>``), and the quintile/tier frame the cases name."""
    hh_rows, mem_rows, inc_rows, q_rows = [], [], [], []
    housing_rows: list[dict[str, Any]] = []
    education_rows: list[dict[str, Any]] = []
    villages: dict[str, float | None] = {}
    seq = 0
    for n, case in enumerate(cases, start=1):
        hid = f"{prefix}-{n:03d}"
        h = {**HOUSEHOLD_DEFAULTS, **(case.get("household") or {})}
        row: dict[str, Any] = {
            "household_id": hid,
            "village_code": str(h.get("行政区划代码", DEFAULT_VILLAGE)),
        }
        for header, raw in h.items():
            if header in _H and header not in ("户编号", "行政区划代码"):
                row[_H[header].key] = _value(_H[header], raw)
        hh_rows.append(row)
        if "住建房屋安全等级" in h:
            housing_rows.append(
                {
                    "household_id": hid,
                    "safety_grade": str(h["住建房屋安全等级"]),
                    "assessed_on": dt.date(year, 6, 1),
                }
            )
        villages.setdefault(row["village_code"], None)
        if "村集体经济年收入(万元)" in h:
            villages[row["village_code"]] = float(h["村集体经济年收入(万元)"])
        if "生产经营性收入" in h:
            inc_rows.append(
                {"household_id": hid, "year": year, "operating_gross": float(h["生产经营性收入"])}
            )
        q = {"household_id": hid, "quintile": h.get("五等份组", "低收入组")}
        if "层级" in h:
            q["tier"] = h["层级"]
        q_rows.append(q)
        for i, m in enumerate(case.get("members") or [{}]):
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
            if "教育在校状态" in m:
                education_rows.append({"id_number": mrow["id_number"], "status": str(m["教育在校状态"])})
    tiers = pl.DataFrame(q_rows, infer_schema_length=None)
    feeds: dict[str, pl.DataFrame] = {}
    if housing_rows:
        feeds["housing"] = conform(pl.DataFrame(housing_rows), ix.FEED_HOUSING)
    if education_rows:
        feeds["education"] = conform(pl.DataFrame(education_rows), ix.FEED_EDUCATION)
    pop = Population(
        households=_conform(hh_rows, ix.HOUSEHOLDS),
        members=_conform(mem_rows, ix.MEMBERS),
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
