"""Browser tests in headless Chromium (Debian's package, no download): the pages a clerk uses daily.

Run once, on SQLite (marked ``browser``; the PostgreSQL run excludes them). Screenshots of the main
pages are written to docs/screenshots/ when ZENGSHOU_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the sync Playwright API runs an event loop
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make system-packages` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def web(chromium, live_server, world) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def _login(page: Any, username: str) -> None:
    page.goto(page.base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def test_login_dashboard_and_charts(web):
    _login(web, "county")
    assert web.locator("h1").first.inner_text().startswith("海原县")
    web.wait_for_selector('[data-chart="trend"] canvas')
    assert web.locator(".card").filter(has_text="风险防范户").count() == 1
    errors: list[str] = []
    web.on("pageerror", lambda e: errors.append(str(e)))
    web.reload()
    web.wait_for_selector('[data-chart="quintiles"] canvas')
    assert not errors


def test_wrong_password_says_what_to_do(web):
    web.goto(web.base + "/login/")
    web.fill("input[name=username]", "county")
    web.fill("input[name=password]", "nope-nope")
    web.click("button[type=submit]")
    assert "用户名或密码不正确" in web.locator(".msg.error").inner_text()


def test_search_household_and_open_it(web):
    _login(web, "county")
    web.click("nav.side >> text=农户")
    web.fill("input[name=q]", "马")
    web.click("form[role=search] button[type=submit]")
    rows = web.locator("#household-list tbody tr")
    assert rows.count() == 1
    assert "马*贵" in rows.first.inner_text()
    rows.first.locator("a").first.click()
    web.wait_for_selector('[data-chart="household-income"] canvas')
    assert "风险防范户" in web.locator("h1").inner_text()
    web.click("#show-full")
    assert "马福贵" in web.locator("table").first.inner_text()


def test_alert_through_the_workflow(web, world):
    a = world.alerts["A1"]
    _login(web, "county")
    web.goto(f"{web.base}/alerts/")
    web.locator("#clue-list tr", has_text="6405221002010001").locator("text=处理").click()
    web.click(f"#clue-alerts a[href='/alerts/{a.pk}/']")
    web.click("#verify-form button[type=submit]")  # empty note: the browser holds the form back
    assert web.locator("#verify-form textarea:invalid").count() == 1
    assert web.locator("#alert-status").inner_text() == "新预警"
    web.fill("#verify-form textarea", "入户核实：务工收入减少属实")
    web.click("#verify-form button[type=submit]")
    assert web.locator("#alert-status").inner_text() == "已核实"
    web.select_option("#include-form select", "边缘易致贫户")
    web.fill("#include-form textarea", "村级民主评议通过")
    web.click("#include-form button[type=submit]")
    assert web.locator("#alert-status").inner_text() == "已纳入监测"
    assert f"/alerts/{a.pk}/" in web.url


def test_visit_log_on_a_phone(web, world, png_bytes, tmp_path):
    h = world.households["A1"]
    phone = web.context.browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
    )
    page = phone.new_page()
    page.base = web.base
    _login(page, "cadre")
    page.goto(f"{web.base}/households/{h.household_id}/")
    page.click("text=记录走访")
    page.fill("textarea[name=findings]", "家中老人慢性病用药，建议申请慢病报销")
    photo = tmp_path / "visit.png"
    photo.write_bytes(png_bytes)
    page.set_input_files("input[name=photo]", str(photo))
    page.click("button:has-text('保存走访记录')")
    page.wait_for_url(lambda url: url.endswith("#visits"))
    assert "家中老人慢性病用药" in page.locator("#visits").inner_text()
    phone.close()


def test_upload_with_an_error_shows_the_error_table(web, tmp_path):
    pytest.importorskip("zengshou.ingest")
    from tests.web.files import workbook_with_one_error

    path = workbook_with_one_error(tmp_path)
    _login(web, "county")
    web.goto(f"{web.base}/imports/")
    web.set_input_files("input[name=file]", str(path))
    web.click("#upload-form button[type=submit]")
    web.wait_for_selector("#error-table")
    text = web.locator("#error-table").inner_text()
    assert "证件号码" in text
    assert "校验未通过" in web.locator("#job-status").inner_text()
    assert web.locator("#confirm-import").count() == 0
