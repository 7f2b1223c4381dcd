"""The quarterly report renders as PDF and .docx, and the figures in it are the assessment's."""

from __future__ import annotations

import shutil
import unicodedata

import polars as pl
import pytest
from docx import Document
from pypdf import PdfReader

from tests.assess.test_indicators import region
from zengshou.assess.indicators import Assessment, indicators, interviews, tier_counts
from zengshou.assess.report import ReportError, write_report
from zengshou.assess.targets import load_targets, status
from zengshou.params import ParameterSet


@pytest.fixture
def assessment() -> Assessment:
    pop, accounts, tiers, alerts, prev = region()
    figures = indicators(pop, accounts, tiers, alerts, prev)
    tier_frame = tiers.with_columns(pl.lit("巩固提升户").alias("tier"))
    progress = pl.DataFrame(
        {"target_id": ["L05:以工代赈岗位"], "year": [2025], "quarter": [2], "value": [3000.0]}
    )
    return Assessment(
        2025,
        2,
        figures,
        interviews(figures, ParameterSet.shipped("assess"), 2025),
        tier_counts(accounts, tier_frame),
        status(load_targets(), progress, 2025, 2),
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (make system-packages)")
def test_pdf_text_carries_the_figures(assessment: Assessment, tmp_path) -> None:
    out = write_report(assessment, "640000", tmp_path / "r.pdf")
    reader = PdfReader(out)
    # NFKC: the font's ToUnicode maps a few glyphs to Kangxi radicals (⾃ for 自), same characters to a reader
    raw = "".join(p.extract_text() for p in reader.pages)
    text = unicodedata.normalize("NFKC", raw).replace(" ", "").replace("\n", "")
    assert "宁夏回族自治区2025年第2季度收入监测分析报告" in text
    assert "8,222" in text  # 脱贫人口人均纯收入 74000/9
    assert "30.0%" in text  # 低收入组不增反降占比
    assert "海原县:低于全区平均的指标为脱贫人口人均收入同比增幅" in text
    assert "无数据" in text  # no database counts given
    assert "五、目标任务进度" in text and "L05:以工代赈岗位10,000个3,000" in text
    fonts = {str(f) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()}
    assert fonts  # fonts are embedded objects of the PDF, not references to the reader's system


def test_docx_has_tables_charts_and_the_interview_list(assessment: Assessment, tmp_path) -> None:
    doc = Document(str(write_report(assessment, "640000", tmp_path / "r.docx")))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert {"8,222", "30.0%", "海原县", "中宁县"} <= cells
    assert len(doc.inline_shapes) == 4  # income, falls, tiers, targets
    assert "滞后" in cells
    assert any("海原县" in p.text and "约谈" not in p.text for p in doc.paragraphs)


def test_unknown_area_and_format_are_refused(assessment: Assessment, tmp_path) -> None:
    with pytest.raises(ReportError, match="640100"):
        write_report(assessment, "640100", tmp_path / "r.docx")
    with pytest.raises(ReportError, match=r"\.docx"):
        write_report(assessment, "640000", tmp_path / "r.txt")
