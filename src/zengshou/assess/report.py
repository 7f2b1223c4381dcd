"""M06 quarterly analysis report per area as .docx (offices edit it) and PDF (Chinese fonts embedded).

Charts are matplotlib PNGs drawn with Noto Sans CJK; the PDF is the same HTML printed by headless
Chromium, which embeds the font subset, so the text stays searchable and copyable.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from zengshou.assess.indicators import LABELS, Assessment
from zengshou.registry.areas import code_prefix

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_FAMILY = "Noto Sans CJK SC"
NO_DATA = "无数据"


class ReportError(RuntimeError):
    """The report cannot be built (no such area in the assessment, no PDF renderer)."""


#: Households listed in the report's section on households needing action.
ACTION_ROWS = 50


def fmt(key: str, value: object) -> str:
    """A figure as officials read it: yuan without decimals, shares as percent, 无数据 for missing."""
    if value is None:
        return NO_DATA
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "fell_share_vs_national":
        return f"{float(value) * 100:+.1f}个百分点"  # type: ignore[arg-type]
    if key.endswith("_growth") or key in ("fell_share", "fell_share_national", "pairing_coverage"):
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if key.endswith("_income"):
        return f"{float(value):,.0f}"  # type: ignore[arg-type]
    return f"{int(value):,d}"  # type: ignore[call-overload]


SUMMARY_KEYS = (
    "tuopin_income",
    "tuopin_income_growth",
    "monitoring_income",
    "monitoring_income_growth",
    "fell_share",
    "fell_share_national",
    "fell_share_vs_national",
    "fell_share_above_national",
    "under_line",
    "under_line_change",
    "pairing_coverage",
    "open_alerts",
    "inclusions",
    "risk_eliminations",
    "measures_planned",
    "measures_delivered",
)


#: Column heads short enough for the assessment page's wide table (the full label is its tooltip).
SHORT_LABELS = {
    "tuopin_income": "脱贫人口人均收入(元)",
    "tuopin_income_growth": "脱贫人口增幅",
    "monitoring_income": "监测对象人均收入(元)",
    "monitoring_income_growth": "监测对象增幅",
    "fell_share": "不增反降占比",
    "fell_share_national": "全国平均",
    "fell_share_vs_national": "与全国之差",
    "fell_share_above_national": "高于全国",
    "under_line": "监测线下户数",
    "under_line_change": "同比变化",
    "pairing_coverage": "结对覆盖率",
    "open_alerts": "未处置预警",
    "inclusions": "纳入监测",
    "risk_eliminations": "风险消除",
    "measures_planned": "计划措施",
    "measures_delivered": "已落实措施",
}


def _area_rows(a: Assessment, area: str) -> tuple[dict[str, object], pl.DataFrame, pl.DataFrame]:
    row = a.figures.filter(pl.col("area_code") == area)
    if row.height == 0:
        raise ReportError(f"评估结果中没有区划 {area} / area {area} not in the assessment")
    prefix = code_prefix(area)
    counties = a.figures.filter((pl.col("level") == "county") & pl.col("area_code").str.starts_with(prefix))
    ranking = counties.sort("tuopin_income_growth", descending=True, nulls_last=True).with_row_index(
        "名次", offset=1
    )
    called = a.interviews.filter(pl.col("area_code").str.starts_with(prefix))
    return row.row(0, named=True), ranking, called


def national_line(a: Assessment) -> float | None:
    """The national-average fall share the assessment compared with (M04), if it had one."""
    if "fell_share_national" not in a.figures.columns:
        return None
    values = a.figures["fell_share_national"].drop_nulls()
    return float(values[0]) if values.len() else None


def above_national(a: Assessment, area: str) -> str:
    """A sentence: how many of the area's counties have a fall share at or above the national average."""
    _, ranking, _ = _area_rows(a, area)
    national = national_line(a)
    if national is None:
        return "本期无全国平均水平参数，未作比较。"
    compared = ranking.filter(pl.col("fell_share").is_not_null())
    above = compared.filter(pl.col("fell_share") >= national)
    names = "、".join(n or c for n, c in zip(above["area_name"], above["area_code"], strict=True))
    head = (
        f"全国平均水平为{national:.1%}（参数 M04.fell_share_national_average）。"
        f"{compared.height}个有数据的县区中，{above.height}个县区低收入组收入“不增反降”人数占比"
        "高于（含等于）全国平均水平"
    )
    return f"{head}：{names}。" if above.height else f"{head}。"


def charts(a: Assessment, area: str) -> dict[str, bytes]:
    """PNG charts: income by county, income trend, falls by county against the national line, tiers, targets."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    font_manager.fontManager.addfont(str(CJK_FONT))
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=str(CJK_FONT)).get_name()
    plt.rcParams["axes.unicode_minus"] = False
    _, ranking, _ = _area_rows(a, area)
    names = [n or c for n, c in zip(ranking["area_name"], ranking["area_code"], strict=True)]
    out: dict[str, bytes] = {}

    def save(fig: object, key: str) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")  # type: ignore[attr-defined]
        plt.close(fig)  # type: ignore[arg-type]
        out[key] = buf.getvalue()

    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], ranking["tuopin_income"].fill_null(0).to_list(), 0.4, label="脱贫人口")
    ax.bar([i + 0.2 for i in x], ranking["monitoring_income"].fill_null(0).to_list(), 0.4, label="监测对象")
    ax.set_xticks(list(x), names, rotation=45, ha="right")
    ax.set_ylabel("人均纯收入（元）")
    ax.set_title(f"{a.year}年第{a.quarter}季度累计人均纯收入（按县区）")
    ax.legend()
    save(fig, "income")

    trend = a.trend.filter(pl.col("area_code") == area).sort("year") if a.trend is not None else None
    if trend is not None and trend.height:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        years = trend["year"].to_list()
        for key, label in (("tuopin_income", "脱贫人口"), ("monitoring_income", "监测对象")):
            values = trend[key].to_list()
            ax.plot(years, [v if v is not None else float("nan") for v in values], marker="o", label=label)
            for yr, v in zip(years, values, strict=True):
                if v is not None:
                    ax.annotate(f"{v:,.0f}", (yr, v), textcoords="offset points", xytext=(0, 6), ha="center")
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylabel("人均纯收入（元）")
        period = "全年" if a.quarter == 4 else f"第{a.quarter}季度累计"
        ax.set_title(f"人均纯收入变化趋势（各年{period}）")
        ax.legend()
        save(fig, "trend")

    fig, ax = plt.subplots(figsize=(8, 3.6))
    shares = [v * 100 if v is not None else 0 for v in ranking["fell_share"].to_list()]
    national = national_line(a)
    colours = [
        "#c0504d" if national is not None and v is not None and v >= national else "#9bbb59"
        for v in ranking["fell_share"].to_list()
    ]
    ax.bar(list(x), shares, color=colours)
    if national is not None:
        ax.axhline(national * 100, color="k", linestyle="--", linewidth=1, label=f"全国平均 {national:.1%}")
        ax.legend()
    ax.set_xticks(list(x), names, rotation=45, ha="right")
    ax.set_ylabel("%")
    ax.set_title("低收入组收入“不增反降”人数占比（按县区，红色为高于全国平均）")
    save(fig, "falls")

    if a.tiers is not None and a.tiers.height:
        from zengshou import interchange as ix

        prefix = code_prefix(area)
        t = a.tiers.filter(pl.col("area_code").str.starts_with(prefix))
        codes = ranking["area_code"].to_list()
        fig, ax = plt.subplots(figsize=(8, 3.6))
        bottom = [0] * len(codes)
        for tier in ix.TIERS:
            n = dict(t.filter(pl.col("tier") == tier).select("area_code", "households").iter_rows())
            vals = [n.get(c, 0) for c in codes]
            ax.bar(list(x), vals, bottom=bottom, label=tier)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        ax.set_xticks(list(x), names, rotation=45, ha="right")
        ax.set_ylabel("户")
        ax.set_title("分层分类户数（按县区）")
        ax.legend()
        save(fig, "tiers")

    if a.targets is not None and a.targets.height:
        tg = a.targets
        fig, ax = plt.subplots(figsize=(8, 0.3 * tg.height + 1))
        y = range(tg.height)
        ax.barh(list(y), [min(v or 0, 1.2) * 100 for v in tg["done_share"].to_list()], label="完成比例")
        ax.scatter(
            [v * 100 for v in tg["expected_share"].to_list()],
            list(y),
            color="k",
            marker="|",
            s=200,
            label="时间进度",
        )
        ax.set_yticks(list(y), tg["target_id"].to_list(), fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("%")
        ax.set_title("目标任务完成进度")
        ax.legend(loc="lower right")
        save(fig, "targets")
    return out


def _sections(a: Assessment, area: str) -> tuple[str, list[tuple[str, str]], pl.DataFrame, pl.DataFrame]:
    row, ranking, called = _area_rows(a, area)
    title = f"{row.get('area_name') or area}{a.year}年第{a.quarter}季度收入监测分析报告"
    summary = [(LABELS[k], fmt(k, row.get(k))) for k in SUMMARY_KEYS]
    return title, summary, ranking, called


#: The key figures a county's report compares with the regional figure and ranks among counties:
#: key, label, True when higher is better.
COMPARE_KEYS = (
    ("tuopin_income", "脱贫人口人均纯收入", True),
    ("tuopin_income_growth", "脱贫人口人均收入同比增幅", True),
    ("fell_share", "低收入组收入不增反降人数占比", False),
    ("risk_share", "风险防范户占比", False),
)
COMPARE_HEADERS = ("指标", "本地", "全区", "与全区相比", "排名")
LEVEL_NAMES = {"county": "县区", "city": "地级市"}


def _risk_shares(a: Assessment) -> dict[str, float]:
    """Share of households in the tier 风险防范户 (C02) per county, city and region."""
    if a.tiers is None or a.tiers.height == 0:
        return {}
    t = a.tiers.with_columns((pl.col("tier") == "风险防范户").alias("risk"))
    out: dict[str, float] = {}
    for width, suffix in ((6, ""), (4, "00"), (2, "0000")):
        grouped = t.group_by(pl.col("area_code").str.slice(0, width).alias("code")).agg(
            pl.col("households").filter(pl.col("risk")).sum().alias("risk"), pl.col("households").sum()
        )
        for code, risk, total in grouped.iter_rows():
            if total:
                out[code + suffix] = risk / total
    return out


def _figure(a: Assessment, risk: dict[str, float], row: dict[str, object], key: str) -> float | None:
    value = risk.get(str(row["area_code"])) if key == "risk_share" else row.get(key)
    return None if value is None else float(value)  # type: ignore[arg-type]


def _gap(key: str, value: float, regional: float) -> str:
    diff = value - regional
    word = "高" if diff > 0 else "低"
    if abs(diff) < 1e-9:
        return "持平"
    if key == "tuopin_income":
        return f"{word}{abs(diff):,.0f}元"
    return f"{word}{abs(diff) * 100:.1f}个百分点"


def _show(key: str, value: float | None) -> str:
    return fmt("fell_share" if key == "risk_share" else key, value)


def comparison(a: Assessment, area: str) -> tuple[list[tuple[str, ...]], str]:
    """S01/M06: the area's key figures against the regional figure, with its rank among its peers
    (counties for a county, cities for a city; 1 = best, ties share a rank), as table rows and a sentence.
    The region itself has nothing to compare with."""
    row, _, _ = _area_rows(a, area)
    level = str(row.get("level") or "")
    if level not in LEVEL_NAMES:
        return [], "本报告为全区汇总，各县区的比较见县区排名。"
    region = a.figures.filter(pl.col("level") == "region")
    ref = region.row(0, named=True) if region.height else {}
    peers = a.figures.filter(pl.col("level") == level)
    risk = _risk_shares(a)
    peer_name = LEVEL_NAMES[level]
    rows: list[tuple[str, ...]] = []
    words: list[str] = []
    for key, label, higher in COMPARE_KEYS:
        mine = _figure(a, risk, row, key)
        regional = _figure(a, risk, ref, key) if ref else None
        values = [v for r in peers.iter_rows(named=True) if (v := _figure(a, risk, r, key)) is not None]
        if mine is None:
            rows.append((label, NO_DATA, _show(key, regional), "—", "—"))
            words.append(f"{label}无数据")
            continue
        better = sum(1 for v in values if (v > mine if higher else v < mine) and abs(v - mine) > 1e-9)
        rank = f"第{better + 1}位（共{len(values)}个{peer_name}）"
        gap = _gap(key, mine, regional) if regional is not None else "—"
        rows.append((label, _show(key, mine), _show(key, regional), gap, rank))
        versus = f"，全区{_show(key, regional)}，{gap}" if regional is not None else ""
        words.append(f"{label}{_show(key, mine)}{versus}，在{len(values)}个{peer_name}中排第{better + 1}位")
    name = row.get("area_name") or area
    return rows, f"{name}与全区比较：" + "；".join(words) + "。"


RANK_KEYS = (
    "tuopin_income",
    "tuopin_income_growth",
    "monitoring_income_growth",
    "fell_share",
    "pairing_coverage",
)


NUMERALS = "一二三四五六七八九十"
ACTION_HEADERS = ("户编号", "村（行政区划代码）", "户主", "户主证件号码", "人均纯收入(元)", "原因")


def actions(a: Assessment, area: str) -> tuple[list[tuple[str, ...]], int]:
    """The area's households needing action as table rows (at most :data:`ACTION_ROWS`), and how many in all."""
    if a.actions is None:
        return [], 0
    mine = a.actions.filter(pl.col("village_code").str.starts_with(code_prefix(area)))
    rows: list[tuple[str, ...]] = [
        (
            str(r["household_id"]),
            r["village_code"] or "",
            r["head_name"] or "",
            r["head_id_number"] or "",
            fmt("per_capita_income", r["per_capita_income"]),
            str(r["reason"]),
        )
        for r in mine.head(ACTION_ROWS).iter_rows(named=True)
    ]
    return rows, mine.height


def _actions_note(shown: int, total: int) -> str:
    if total == 0:
        return "无收入“不增反降”而未结对、或一级预警未处置的农户。"
    more = f"，列出前{shown}户" if total > shown else ""
    return f"共{total}户{more}（户主姓名、证件号码已脱敏）。"


#: A4 portrait in millimetres, and the margin on every side (Word and PDF alike).
A4_MM = (210, 297)
MARGIN_MM = 18
#: The tallest a chart may be on the page, so it never leaves most of a page blank before it.
CHART_MAX_HEIGHT_MM = 110


def picture_width(png: bytes, text_width: float) -> float:
    """Width (mm) of a chart: the text width, narrower when that would make it taller than
    :data:`CHART_MAX_HEIGHT_MM`."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    return min(text_width, CHART_MAX_HEIGHT_MM * w / h)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], total: float) -> list[float]:
    """Column widths (mm) that add up to ``total``: wider for longer texts, none too narrow."""

    def length(text: str) -> float:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    weights = []
    for i, h in enumerate(headers):
        longest = max([length(r[i]) for r in rows if i < len(r)] or [0])
        weights.append(min(max(longest, length(h) / 2, 4), 40))
    scale = total / sum(weights)
    return [w * scale for w in weights]


def write_docx(a: Assessment, area: str, path: Path) -> Path:
    """The report as an editable Word document."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    title, summary, ranking, called = _sections(a, area)
    numbers = iter(NUMERALS)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(A4_MM[0]), Mm(A4_MM[1])
    section.left_margin = section.right_margin = Mm(MARGIN_MM)
    section.top_margin = section.bottom_margin = Mm(MARGIN_MM)
    text_width = A4_MM[0] - 2 * MARGIN_MM
    style = doc.styles["Normal"]
    style.font.name = FONT_FAMILY  # type: ignore[attr-defined]
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT_FAMILY)  # type: ignore[attr-defined]

    def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.autofit = False
        widths = column_widths(headers, rows, text_width)
        size = Pt(10 if len(headers) <= 3 else 8 if len(headers) <= 6 else 7)
        for i, h in enumerate(headers):
            t.rows[0].cells[i].text = h
        for row in rows:
            cells = t.add_row().cells
            for i, v in enumerate(row):
                cells[i].text = v
        for i, column in enumerate(t.columns):
            column.width = Mm(widths[i])
            for cell in column.cells:
                cell.width = Mm(widths[i])
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = size

    doc.add_heading(title, level=1)
    doc.add_heading(f"{next(numbers)}、主要指标", level=2)
    table(["指标", "数值"], summary)
    doc.add_paragraph(above_national(a, area))
    compared, sentence = comparison(a, area)
    doc.add_paragraph(sentence)
    if compared:
        table(COMPARE_HEADERS, compared)
    doc.add_heading(f"{next(numbers)}、图表", level=2)
    for png in charts(a, area).values():
        doc.add_picture(io.BytesIO(png), width=Mm(picture_width(png, text_width)))
    doc.add_heading(f"{next(numbers)}、县区排名（按脱贫人口人均收入增幅）", level=2)
    table(
        ["名次", "县区", *(LABELS[k] for k in RANK_KEYS)],
        [
            [str(r["名次"]), r["area_name"] or r["area_code"], *(fmt(k, r[k]) for k in RANK_KEYS)]
            for r in ranking.iter_rows(named=True)
        ],
    )
    doc.add_heading(f"{next(numbers)}、需约谈提醒的县区（S01）", level=2)
    if called.height == 0:
        doc.add_paragraph("无低于全区平均水平的县区。")
    for r in called.iter_rows(named=True):
        doc.add_paragraph(
            f"{r['area_name'] or r['area_code']}：低于全区平均的指标为{r['worse']}", style="List Bullet"
        )
    if a.actions is not None:
        rows, total = actions(a, area)
        doc.add_heading(f"{next(numbers)}、需重点关注的农户", level=2)
        doc.add_paragraph(_actions_note(len(rows), total))
        if rows:
            table(ACTION_HEADERS, rows)
    if a.targets is not None:
        doc.add_heading(f"{next(numbers)}、目标任务进度", level=2)
        table(
            ["目标", "目标值", "累计完成", "时间进度", "状态"],
            [
                [
                    r["target_id"],
                    f"{r['value']:,.0f}{r['unit']}",
                    NO_DATA if r["done"] is None else f"{r['done']:,.0f}",
                    f"{r['expected_share']:.0%}",
                    r["status"],
                ]
                for r in a.targets.iter_rows(named=True)
            ],
        )
    doc.save(str(path))
    return path


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><tr>{head}</tr>{body}</table>'


def to_html(a: Assessment, area: str) -> str:
    """The report as one self-contained HTML page (charts inline), for the PDF and the browser."""
    title, summary, ranking, called = _sections(a, area)
    e = html.escape
    numbers = iter(NUMERALS)
    text_width = A4_MM[0] - 2 * MARGIN_MM
    imgs = "".join(
        f'<img class="chart" src="data:image/png;base64,{base64.b64encode(p).decode()}" '
        f'style="width:{picture_width(p, text_width):.1f}mm">'
        for p in charts(a, area).values()
    )
    compared, sentence = comparison(a, area)
    ranking_table = _html_table(
        ["名次", "县区", *(LABELS[k] for k in RANK_KEYS)],
        [
            [str(r["名次"]), r["area_name"] or r["area_code"], *(fmt(k, r[k]) for k in RANK_KEYS)]
            for r in ranking.iter_rows(named=True)
        ],
    )
    called_rows = (
        "".join(
            f"<li>{e(r['area_name'] or r['area_code'])}：低于全区平均的指标为{e(r['worse'])}</li>"
            for r in called.iter_rows(named=True)
        )
        or "<li>无低于全区平均水平的县区。</li>"
    )
    parts = [
        f"<h1>{e(title)}</h1>",
        f"<h2>{next(numbers)}、主要指标</h2>{_html_table(['指标', '数值'], summary)}",
        f"<p>{e(above_national(a, area))}</p>",
        f"<p>{e(sentence)}</p>" + (_html_table(COMPARE_HEADERS, compared) if compared else ""),
        f"<h2>{next(numbers)}、图表</h2>{imgs}",
        f"<h2>{next(numbers)}、县区排名（按脱贫人口人均收入增幅）</h2>{ranking_table}",
        f"<h2>{next(numbers)}、需约谈提醒的县区（S01）</h2><ul>{called_rows}</ul>",
    ]
    if a.actions is not None:
        rows, total = actions(a, area)
        parts.append(
            f"<h2>{next(numbers)}、需重点关注的农户</h2><p>{e(_actions_note(len(rows), total))}</p>"
            + (_html_table(ACTION_HEADERS, rows, "small") if rows else "")
        )
    if a.targets is not None:
        parts.append(f"<h2>{next(numbers)}、目标任务进度</h2>{_targets_html(a)}")
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{e(title)}</title>
<style>
@page {{ size: A4 portrait; margin: {MARGIN_MM}mm; }}
@font-face {{ font-family: "ZS CJK"; src: url("file://{CJK_FONT}"); }}
body {{ font-family: "ZS CJK", "{FONT_FAMILY}", sans-serif; font-size: 10.5pt; margin: 0; }}
h1 {{ font-size: 16pt; }} h2 {{ font-size: 13pt; break-after: avoid; margin: 14pt 0 6pt; }}
table {{ border-collapse: collapse; width: 100%; table-layout: auto; font-size: 9pt; }}
td, th {{ border: 1px solid #888; padding: 2px 4px; overflow-wrap: anywhere; }}
tr {{ break-inside: avoid; }} thead, tr:first-child {{ break-after: avoid; }}
table.small {{ font-size: 8pt; }}
img.chart {{ display: block; margin: 4pt auto; max-width: 100%; max-height: {CHART_MAX_HEIGHT_MM}mm; break-inside: avoid; }}
</style>
{"".join(parts)}</html>"""


def _targets_html(a: Assessment) -> str:
    if a.targets is None:
        return ""
    return _html_table(
        ["目标", "目标值", "累计完成", "时间进度", "状态"],
        [
            [
                r["target_id"],
                f"{r['value']:,.0f}{r['unit']}",
                NO_DATA if r["done"] is None else format(r["done"], ",.0f"),
                f"{r['expected_share']:.0%}",
                r["status"],
            ]
            for r in a.targets.iter_rows(named=True)
        ],
    )


def write_pdf(a: Assessment, area: str, path: Path) -> Path:
    """The report printed to PDF by headless Chromium (fonts embedded)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise ReportError("未找到 Chromium，无法生成 PDF（请运行 make system-packages） / chromium not found")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(to_html(a, area), encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        proc = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--user-data-dir={tmp}/profile",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if not out.exists():
            raise ReportError(f"PDF 生成失败 / PDF rendering failed: {proc.stderr[-500:]}")
        shutil.copyfile(out, path)
    return path


def write_report(a: Assessment, area: str, path: Path) -> Path:
    """By the file's suffix: .docx or .pdf."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return write_docx(a, area, path)
    if suffix == ".pdf":
        return write_pdf(a, area, path)
    raise ReportError(f"报告格式应为 .docx 或 .pdf：{path} / report must be .docx or .pdf")


__all__ = [
    "ReportError",
    "above_national",
    "actions",
    "charts",
    "comparison",
    "national_line",
    "to_html",
    "write_docx",
    "write_pdf",
    "write_report",
]
