"""Reports print on A4 without half-blank pages or tables over the margin; a county's report sets
its key figures against the regional figure and ranks it among the counties; the assessment page
fits a 1366 px screen."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm
from pypdf import PdfReader

from tests.assess.test_report import assessment  # noqa: F401  (the hand-made two-county quarter)
from zengshou.assess.indicators import Assessment
from zengshou.assess.report import comparison, write_report

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
A4_PT = (595, 842)


def _pdf_text(path: Path) -> str:
    raw = "".join(p.extract_text() for p in PdfReader(path).pages)
    return unicodedata.normalize("NFKC", raw).replace(" ", "").replace("\n", "")


@needs_chromium
@pytest.mark.parametrize("area", ["640000", "640522"])
def test_the_pdf_report_is_a4_portrait(assessment: Assessment, tmp_path, area) -> None:  # noqa: F811
    reader = PdfReader(write_report(assessment, area, tmp_path / "r.pdf"))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4_PT


@needs_chromium
def test_no_page_of_the_pdf_report_but_the_last_is_half_blank(assessment: Assessment, tmp_path) -> None:  # noqa: F811
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("needs pdftoppm (poppler-utils)")
    pdf = write_report(assessment, "640522", tmp_path / "r.pdf")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= 2
    for png in pages[:-1]:
        with Image.open(png) as im:
            grey = im.convert("L")
            w, h = grey.size
            inked = [y for y in range(h) if grey.crop((0, y, w, y + 1)).getextrema()[0] < 200]
        assert inked and inked[-1] > 0.6 * h, f"{png.name}: content ends at {inked[-1] / h:.0%} of the page"


def test_the_word_report_is_a4_with_every_table_inside_the_margins(assessment: Assessment, tmp_path) -> None:  # noqa: F811
    doc = Document(str(write_report(assessment, "640522", tmp_path / "r.docx")))
    for section in doc.sections:
        assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    section = doc.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    assert doc.tables
    for table in doc.tables:
        widths = [c.width for c in table.columns]
        assert all(widths) and sum(widths) <= text_width + Mm(0.5)
    for shape in doc.inline_shapes:
        assert shape.width <= text_width
        assert shape.height <= Mm(115)


def test_a_county_report_compares_it_with_the_region_and_ranks_it_among_the_counties(
    assessment: Assessment,  # noqa: F811
    tmp_path,
) -> None:
    rows, sentence = comparison(assessment, "640522")
    # 海原县: 脱贫人口 6,800 元 against the region's 74000/9 = 8,222 元; 中宁县 has 10,000 元
    assert rows[0] == ("脱贫人口人均纯收入", "6,800", "8,222", "低1,422元", "第2位（共2个县区）")
    # growth 6800/6600-1 = 3.0% against 中宁县's 11.1%; falls 50.0% (region 30.0%) against 中宁县's 0%
    assert rows[1][1] == "3.0%" and rows[1][4] == "第2位（共2个县区）"
    assert rows[2][1:] == ("50.0%", "30.0%", "高20.0个百分点", "第2位（共2个县区）")
    assert rows[3][0] == "风险防范户占比" and rows[3][1] == "0.0%" and rows[3][4] == "第1位（共2个县区）"
    assert sentence.startswith(
        "海原县与全区比较：脱贫人口人均纯收入6,800，全区8,222，低1,422元，在2个县区中排第2位"
    )
    doc = Document(str(write_report(assessment, "640522", tmp_path / "r.docx")))
    assert any(p.text == sentence for p in doc.paragraphs)
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert {"与全区相比", "排名", "低1,422元", "第2位（共2个县区）"} <= cells
    if shutil.which("chromium"):
        text = _pdf_text(write_report(assessment, "640522", tmp_path / "r.pdf"))
        assert "在2个县区中排第2位" in text and "高20.0个百分点" in text


def test_the_region_report_says_it_has_nothing_to_compare_with(assessment: Assessment) -> None:  # noqa: F811
    rows, sentence = comparison(assessment, "640000")
    assert rows == [] and "全区汇总" in sentence


# ---------------------------------------------------------------- the assessment page in a browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_assessment_page_fits_a_1366_px_screen(world, live_server, tmp_path) -> None:
    import os

    from tests.web.conftest import PASSWORD
    from tests.web.test_browser import ARGS, CHROMIUM

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.goto(live_server.url + "/login/")
            page.fill("input[name=username]", "region")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
            page.goto(live_server.url + "/assess/?year=2025&quarter=4")
            assert page.locator("table.list").count() >= 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if os.environ.get("ZENGSHOU_SCREENSHOTS") == "1":
                page.screenshot(
                    path=os.environ.get("ZENGSHOU_SCREENSHOT_DIR", str(tmp_path)) + "/quarter.png",
                    full_page=True,
                )
            assert width <= 1366, f"the page is {width} px wide"
        finally:
            browser.close()
