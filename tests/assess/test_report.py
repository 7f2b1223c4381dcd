"""The quarterly report renders as PDF and .docx, and the figures in it are the assessment's."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata

import polars as pl
import pytest
from docx import Document
from pypdf import PdfReader

from tests.assess.test_indicators import region
from zengshou import interchange as ix
from zengshou.assess.indicators import Assessment, action_list, indicators, interviews, tier_counts
from zengshou.assess.report import ReportError, write_report
from zengshou.assess.targets import load_targets, status
from zengshou.frames import Population, conform
from zengshou.params import tree
from zengshou.registry.idnumber import make

NATIONAL = 0.1  # M04.fell_share_national_average as shipped


@pytest.fixture
def assessment() -> Assessment:
    pop, accounts, tiers, alerts, prev = region()
    figures = indicators(pop, accounts, tiers, alerts, prev, fell_share_national=NATIONAL)
    tier_frame = tiers.with_columns(pl.lit("巩固提升户").alias("tier"))
    progress = pl.DataFrame(
        {"target_id": ["L05:以工代赈岗位"], "year": [2025], "quarter": [2], "value": [3000.0]}
    )
    trend = pl.DataFrame(
        {
            "level": ["region", "region"],
            "area_code": ["640000", "640000"],
            "year": [2024, 2025],
            "tuopin_income": [7333.33, 8222.22],
            "monitoring_income": [5000.0, 5333.33],
        }
    )
    # A3 fell and has no cadre (A1, A2, B1 are K1's); each listed household's head is masked
    members = conform(
        pl.DataFrame(
            {
                "household_id": ["A3"],
                "name": ["李桂兰"],
                "id_number": [make("640522", dt.date(1968, 3, 9), 7, False)],
                "relation": ["户主"],
            }
        ),
        ix.MEMBERS,
    )
    actions = action_list(
        Population(households=pop.households, members=members, cadres=pop.cadres), accounts, tiers
    )
    return Assessment(
        2025,
        2,
        figures,
        interviews(figures, tree(), 2025),
        tier_counts(accounts, tier_frame),
        status(load_targets(), progress, 2025, 2),
        trend=trend,
        actions=actions,
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
    assert "六、目标任务进度" in text and "L05:以工代赈岗位10,000个3,000" in text
    # M04 against the national average: the parameter, the region's gap, the counties above it
    assert "不增反降人数占比全国平均(参数)10.0%" in text
    assert "不增反降人数占比与全国平均之差+20.0个百分点" in text
    assert "2个有数据的县区中,1个县区" in text and "高于(含等于)全国平均水平:海原县" in text
    # households needing action: A3 fell and has no cadre; its head's name and ID masked
    assert "五、需重点关注的农户" in text and "共1户" in text
    assert "李*兰" in text and "640522********" in text and "李桂兰" not in text
    assert "收入不增反降且未结对帮扶干部" in text
    # The CJK font travels inside the file. Chromium (Skia) embeds a CFF-outline font such as Noto Sans
    # CJK as Type3 fonts whose glyph outlines are content streams (/CharProcs) of the PDF; a TrueType
    # one as a font program (/FontFile2, /FontFile3). Either way no font of the reader's is needed.
    fonts = [ref.get_object() for p in reader.pages for ref in (p["/Resources"].get("/Font") or {}).values()]
    assert fonts
    cjk = 0
    for font in fonts:
        parts = [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]
        descriptors = [f["/FontDescriptor"].get_object() for f in parts if "/FontDescriptor" in f]
        cjk += any("NotoSansCJK" in str(d.get("/FontName")) for d in descriptors)
        if font["/Subtype"] == "/Type3":
            glyphs = font["/CharProcs"].get_object()
            assert any(len(g.get_object().get_data()) > 0 for g in glyphs.values())  # outlines inside
        else:
            assert any(k in d for d in descriptors for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
    assert cjk > 0


def test_docx_has_tables_charts_and_the_interview_list(assessment: Assessment, tmp_path) -> None:
    doc = Document(str(write_report(assessment, "640000", tmp_path / "r.docx")))
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert {"8,222", "30.0%", "海原县", "中宁县"} <= cells
    assert {"10.0%", "+20.0个百分点", "李*兰", "是"} <= cells
    assert len(doc.inline_shapes) == 5  # income, trend, falls, tiers, targets
    assert any("1个县区" in p.text and "海原县" in p.text for p in doc.paragraphs)
    assert "滞后" in cells
    assert any("海原县" in p.text and "约谈" not in p.text for p in doc.paragraphs)


def test_unknown_area_and_format_are_refused(assessment: Assessment, tmp_path) -> None:
    with pytest.raises(ReportError, match="640100"):
        write_report(assessment, "640100", tmp_path / "r.docx")
    with pytest.raises(ReportError, match=r"\.docx"):
        write_report(assessment, "640000", tmp_path / "r.txt")
