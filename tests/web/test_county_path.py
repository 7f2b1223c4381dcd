"""The county path in a browser, on a fresh demo served as an office would run it.

A temporary home gets ``zengshou demo --households 1500 --no-serve``, a county user is added with
``zengshou user add``, and ``zengshou serve`` (gunicorn and the background task worker) answers on
127.0.0.1:8119. Headless Chromium then walks what a county official does in a season: log in,
upload a file with one new household, confirm it, run the batch from the web and watch it finish,
see the household counted with a tier, work a clue through, change a toolbox parameter after its
what-if, confirm a pairing and download the county's report on A4. The steps run in file order on
the same server and browser page; each one checks what the official reads on the screen.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PORT = 8119
BASE = f"http://127.0.0.1:{PORT}"
USERNAME = "xianji-ceshi"
PASSWORD = "Zs-county-path-2025"
YEAR = 2025
#: The new household: one member, a wage far below the monitoring line, so the batch gives it a
#: tier and a clue the walk then works through.
NEW_WAGE = 3600
NEW_MEMBER_NAME = "马新成"


@dataclass
class Site:
    home: Path
    county_code: str
    county_name: str
    village_code: str
    new_household: str
    page: Any
    errors: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)


def _zengshou() -> list[str]:
    exe = Path(sys.executable).with_name("zengshou")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from zengshou.cli import main; main()"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZENGSHOU_ALLOWED_HOSTS")}
    env["ZENGSHOU_HOME"] = str(home)
    return env


def _run(home: Path, *args: str, timeout: int = 300) -> str:
    r = subprocess.run([*_zengshou(), *args], env=_env(home), capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"zengshou {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout + r.stderr


def _demo_login(output: str, role: str) -> tuple[str, str]:
    """The area name and code of a demo login line ``role password 角色 区域名 代码``."""
    m = re.search(rf"^\s*{role}\s+\S+\s+\S+\s+(\S+)\s+(\d{{6,12}})\s*$", output, re.M)
    assert m, f"the demo did not print its {role} login:\n{output[-2000:]}"
    return m.group(1), m.group(2)


def _wait_healthy(proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"zengshou serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(BASE + "/health/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"zengshou serve did not answer /health/ within 60 s:\n{log.read_text(errors='replace')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop serve with gunicorn and the worker: they share the session it was started in."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group still running
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make system-packages` (apt-get install chromium)")
    home = tmp_path_factory.mktemp("county-path-home")
    out = _run(home, "demo", "--households", "1500", "--no-serve")
    county_name, county_code = _demo_login(out, "county")
    _, village_code = _demo_login(out, "village")
    assert village_code.startswith(county_code), (village_code, county_code)
    _run(home, "user", "add", "--username", USERNAME, "--role", "county", "--area", county_code,
         "--password", PASSWORD)  # fmt: skip
    log = home / "serve.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [*_zengshou(), "serve", "--port", str(PORT), "--workers", "2"],
            env=_env(home),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(proc, log)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True
            )
            page = context.new_page()
            page.set_default_timeout(20000)
            s = Site(home, county_code, county_name, village_code, village_code + "9901", page)
            page.on("pageerror", lambda e: s.errors.append(f"脚本错误 {page.url}: {e}"))
            page.on(
                "response",
                lambda r: s.errors.append(f"HTTP {r.status} {r.url}") if r.status >= 500 else None,
            )
            yield s
            context.close()
            browser.close()
    finally:
        _stop(proc)


@pytest.fixture(autouse=True)
def _no_page_errors(site: Site) -> Iterator[None]:
    """Every step ends without a script error or a server error on any page it opened."""
    before = len(site.errors)
    yield
    assert site.errors[before:] == []


def _main(page: Any) -> str:
    return str(page.locator("main").first.inner_text())


def _wait(page: Any, selector: str, timeout: int = 20000) -> None:
    """Wait for what the next step needs; if it never comes, say what the official saw instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{selector} did not appear on {page.url}; the page says:\n{_main(page)[:3000]}")


def _card(page: Any, title: str) -> int:
    card = page.locator(".card").filter(has=page.locator(".k", has_text=title)).first
    return int(card.locator(".v").inner_text().split()[0].replace(",", "").rstrip("户"))


def test_the_county_user_logs_in_and_sees_the_dashboard_of_the_county(site: Site) -> None:
    page = site.page
    page.goto(BASE + "/")
    page.wait_for_url("**/login/**")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(BASE + "/dashboard/")
    assert page.locator("h1").first.inner_text().startswith(site.county_name)
    assert "结果计算于" in page.inner_text("body")
    site.figures["households"] = _card(page, "农户")
    site.figures["monitoring"] = _card(page, "监测对象")
    assert site.figures["households"] > 0
    page.wait_for_selector('[data-chart="trend"] canvas')


def _template_with_one_household(site: Site, template: Path, out: Path) -> Path:
    """The blank template as the import page gives it, with one household, its member and income."""
    import datetime as dt

    import openpyxl

    from zengshou.registry import idnumber

    rows = {
        "家庭": {
            "户编号": site.new_household,
            "行政区划代码": site.village_code,
            "户类型": "一般农户",
            "耕地面积(亩)": 4,
            "住房安全": "是",
            "饮水安全": "是",
            "联系电话": "13995012345",
        },
        "家庭成员": {
            "户编号": site.new_household,
            "姓名": NEW_MEMBER_NAME,
            "证件号码": idnumber.make(site.county_code, dt.date(1968, 3, 9), 917, True),
            "与户主关系": "户主",
            "健康状况": "健康",
            "劳动技能": "普通劳动力",
            "务工状况": "县内乡镇外务工",
            "务工月数": 4,
            "在校生状况": "非在校生",
            "参加基本医疗保险": "是",
        },
        "收入": {"户编号": site.new_household, "年度": YEAR, "工资性收入": NEW_WAGE},
    }
    wb = openpyxl.load_workbook(template)
    for sheet, values in rows.items():
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        missing = set(values) - set(headers)
        assert not missing, f"the template's sheet {sheet} lacks {missing}"
        for header, value in values.items():
            ws.cell(row=2, column=headers.index(header) + 1, value=value)
    wb.save(out)
    return out


def test_a_file_with_one_new_household_shows_one_new_household_before_it_is_written(site: Site) -> None:
    page = site.page
    page.goto(BASE + "/imports/")
    with page.expect_download() as dl:
        page.click("text=下载空白模板（Excel 工作簿 .xlsx）")
    download = dl.value
    assert download.suggested_filename == "农户数据导入模板.xlsx"
    template = site.home / "template.xlsx"
    download.save_as(template)
    upload = _template_with_one_household(site, template, site.home / "新增农户.xlsx")

    page.select_option("select[name=kind]", "interchange")
    page.set_input_files("input[name=file]", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    _wait(page, "#confirm-import", 60000)
    assert "校验通过，待确认导入" in page.inner_text("#job-status")
    counts = {
        row.locator("td").nth(0).inner_text(): [c.inner_text() for c in row.locator("td").all()[1:]]
        for row in page.locator("table.counts tbody tr").all()
    }
    # 文件中 / 新增 / 修改 / 未变
    assert counts["家庭"] == ["1", "1", "0", "0"], counts
    assert counts["家庭成员"][:2] == ["1", "1"], counts
    assert counts["收入"][:2] == ["1", "1"], counts

    page.click("#confirm-import")
    _wait(page, "#run-now", 60000)
    assert "导入完成" in page.inner_text("#job-status")
    assert f"立即运行批处理（{site.county_name}）" in page.inner_text("#run-now")


def test_the_batch_started_from_the_web_finishes_and_the_new_household_is_counted_with_a_tier(
    site: Site,
) -> None:
    page = site.page
    page.goto(BASE + "/batch/")
    assert page.locator("h1").first.inner_text() == "运行批处理"
    option = page.locator("#batch-period option", has_text=f"{YEAR}年度（").first
    households = site.figures["households"] + 1
    assert f"{households:,} 户有收入数据" in option.inner_text(), option.inner_text()
    page.select_option("#batch-period", label=option.inner_text())
    page.click("#start-batch")
    page.wait_for_url(re.compile(r"/batch/\d+/$"))
    assert f"{site.county_name} {YEAR}年度" in page.locator("h1").first.inner_text()
    seen = set()
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and not page.locator("#see-results").count():
        seen.add(page.inner_text("#run-status"))
        page.wait_for_timeout(500)
    assert page.locator("#see-results").count(), f"the batch did not finish: {_main(page)}"
    assert page.inner_text("#run-status") == "已完成", _main(page)
    assert page.inner_text("#run-percent") == "100%"
    assert seen <= {"排队中", "运行中", "已完成"}, seen
    steps = page.inner_text("#run-steps")
    assert "分层" in steps and "预警" in steps, steps

    page.click("#see-results")
    page.wait_for_url("**/dashboard/**")
    assert _card(page, "农户") == households
    tiers = sum(_card(page, t) for t in ("示范引领户", "巩固提升户", "风险防范户"))
    assert tiers == households

    page.goto(BASE + "/households/")
    page.fill("input[name=q]", site.new_household)
    page.click("form[role=search] button[type=submit]")
    row = page.locator("#household-list tbody tr")
    assert row.count() == 1
    text = row.inner_text()
    assert site.new_household in text and "一般农户" in text
    assert "¥3,600" in text and "风险防范户" in text, text
    assert NEW_MEMBER_NAME not in text  # the list masks names


def test_a_clue_is_verified_and_the_household_included_in_monitoring(site: Site) -> None:
    page = site.page
    page.goto(BASE + "/alerts/")
    page.fill("#clue-filters input[name=village]", site.new_household)
    page.click("#clue-filters button[type=submit]")
    rows = page.locator("#clue-list tbody tr")
    assert rows.count() == 1, _main(page)
    assert "人均纯收入低于监测范围" in rows.inner_text(), rows.inner_text()
    rows.locator("text=处理").click()
    page.wait_for_url(f"**/alerts/households/{site.new_household}/")
    assert "未处理预警" in page.inner_text("#clue-alerts")
    assert "请先核实全部新预警" in _main(page)

    page.fill("#clue-verify-form textarea[name=note]", "入户核实：户主县内短期务工，全年收入低于监测范围。")
    page.click("#clue-verify-form button[type=submit]")
    _wait(page, "#clue-include-form")
    assert "下一步：由县级用户决定纳入监测对象或排除" in page.inner_text("body")

    page.select_option("#clue-include-form select[name=monitoring_type]", "边缘易致贫户")
    page.fill("#clue-include-form textarea[name=note]", "村级民主评议、乡镇审核通过。")
    page.click("#clue-include-form button[type=submit]")
    _wait(page, "#clue-history")
    body = page.inner_text("body")
    assert f"农户{site.new_household}已纳入监测对象（边缘易致贫户）" in body, body
    assert "该户没有未处理预警" in page.inner_text("#clue-alerts")

    page.goto(BASE + "/dashboard/")
    assert _card(page, "监测对象") == site.figures["monitoring"] + 1


def _totals(page: Any) -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for row in page.locator("#whatif-totals tbody tr").all():
        cells = [c.inner_text() for c in row.locator("td").all()]
        if len(cells) == 4:
            table[cells[0]] = [int(c.replace(",", "")) for c in cells[1:]]
    return table


def test_a_toolbox_parameter_change_shows_its_what_if_before_it_is_saved_as_a_new_version(
    site: Site,
) -> None:
    page = site.page
    page.goto(BASE + "/toolbox/")
    page.wait_for_url(f"**/toolbox/county/{site.county_code}/")
    assert page.locator("h1").inner_text() == f"{site.county_name}帮扶政策工具箱"
    page.fill("input[name='v-L02.amount']", "3000")
    page.fill("input[name='from-L02.amount']", f"{YEAR}-01-01")
    page.fill("input[name='src-L02.amount']", "庭院经济实施方案（县政发〔2025〕8号）")
    page.fill("#toolbox-form input[name=note]", "提高庭院经济补贴")
    page.click("#toolbox-form button[value=preview]")
    _wait(page, "#toolbox-preview", 60000)
    preview = page.inner_text("#preview-diff")
    assert "庭院经济补贴" in preview and "2,000 元/户" in preview and "3,000 元/户" in preview, preview
    totals = _totals(page)
    cost = totals["措施费用（元）"]
    assert cost[1] > cost[0] and cost[2] == cost[1] - cost[0], totals
    assert cost[2] % 1000 == 0  # 1,000 yuan more per household with 庭院经济补贴
    assert re.search(r"\d+ 户新增措施，\d+ 户减少措施", page.inner_text("#whatif-gained-lost"))
    assert f"按 {YEAR} 年数据测算" in page.inner_text("#toolbox-preview")

    page.click("#toolbox-preview button[value=save]")
    page.wait_for_url(f"**/toolbox/county/{site.county_code}/")
    body = page.inner_text("body")
    assert "已保存为第 1 版，即时生效" in body, body
    assert "3,000 元/户" in page.inner_text("#toolbox-diff")
    assert "提高庭院经济补贴" in _main(page) and "第 1 版" in _main(page)


def test_a_pairing_proposal_is_confirmed_and_written(site: Site) -> None:
    page = site.page
    page.goto(BASE + "/pairing/")
    assert page.locator("h1").inner_text() == "干部结对帮扶方案"
    page.fill("input[name=year]", str(YEAR))
    page.click("button[value=propose]")
    _wait(page, "text=变更清单", 60000)
    text = _main(page)
    m = re.search(r"变更清单（(\d+) 户）", text)
    assert m and int(m.group(1)) > 0, text
    assert re.search(r"范围内 \d+ 户：结对 \d+ 户", text), text
    assert "新结对" in text or "调整" in text
    for line in re.findall(r"^.*干部不足.*$", text, re.M):  # a shortage names the county, not its code
        assert line.startswith(f"{site.county_name}干部不足：需增加县处级以上干部"), line
    changed = int(m.group(1))
    page.click("button[value=confirm]")
    page.wait_for_selector(".msg.success, .msg")
    body = page.inner_text("body")
    m2 = re.search(r"已确认：新建结对 (\d+) 户，结束原结对 (\d+) 户（已记入审计）", body)
    assert m2 and int(m2.group(1)) == changed, body


def test_the_county_report_downloads_as_an_a4_pdf(site: Site) -> None:
    from pypdf import PdfReader

    page = site.page
    page.goto(BASE + "/assess/")
    assert "收入监测分析" in page.locator("h1").inner_text()
    with page.expect_download(timeout=120000) as dl:
        page.click("text=下载报告（PDF）")
    download = dl.value
    assert download.suggested_filename.startswith(site.county_name)
    assert download.suggested_filename.endswith("收入监测分析报告.pdf")
    pdf = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(pdf.pages) >= 1
    for number, p in enumerate(pdf.pages, 1):
        size = (round(float(p.mediabox.width)), round(float(p.mediabox.height)))
        assert size == (595, 842), f"page {number} is {size} points, not A4 portrait"
    first = pdf.pages[0].extract_text()
    assert site.county_name in first, first[:500]
