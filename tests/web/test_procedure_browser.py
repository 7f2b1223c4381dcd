"""The monitoring procedure in headless Chromium, on a fixed clock across the 2026 National Day holiday.

A household reports from a phone-size page on Friday 9 October 2026; its department alert joins the
same case; the township's 受理 deadline is Monday 12 October (the adjusted working Saturday 10
October counted, the Sunday not), turns 临期 on the 12th and 逾期 on the 13th, when the county sees it
among its areas' overdue items. The case is then taken through 入户核实 (authorisation scan
uploaded), 民主评议, 公示 (the notice printed to PDF), 乡镇审核 and 县级审定 to inclusion; half a
year later, with two quarters above the range and an employment measure, through the same steps to
风险消除.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.web.conftest import PASSWORD, _png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 10, 9, 9, 0, tzinfo=BEIJING)

    def __call__(self) -> dt.datetime:
        return self.now

    def to(self, day: dt.date, hour: int = 9) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=BEIJING)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make system-packages` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


class Browser:
    def __init__(self, chromium: Any, base: str) -> None:
        self.chromium = chromium
        self.base = base
        self.contexts: list[Any] = []

    def page(self, username: str | None = None, phone: bool = False) -> Any:
        ctx = self.chromium.new_context(
            **(PHONE if phone else {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"})
        )
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        if username:
            page.goto(self.base + "/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    def close(self) -> None:
        for c in self.contexts:
            c.close()


@pytest.fixture
def browser(chromium, live_server, world, clock) -> Iterator[Browser]:
    b = Browser(chromium, live_server.url)
    yield b
    b.close()


def _open_case(page: Any, base: str, receipt: str, listing: str) -> None:
    page.goto(f"{base}/procedure/?list={listing}")
    page.click(f'tr[data-receipt="{receipt}"] >> text=办理')
    page.wait_for_selector("#case-step")


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    page.wait_for_selector(".msg.success")


def _through_notice(b: Browser, clock: Clock, receipt: str, inclusion: bool) -> dt.date:
    """入户核实, 民主评议 and 公示 by the village on its phone; returns the day the notice ends."""
    village = b.page("village", phone=True)
    _open_case(village, b.base, receipt, "visit")
    village.fill(
        "#visit-form textarea[name=note]",
        "入户核实：家中老人住院，自付医疗费2万元" if inclusion else "入户核实：户主已康复，在县城务工",
    )
    if inclusion:
        village.check("#visit-form input[name=authorisation_signed]")
        village.set_input_files(
            "#visit-form input[name=scan]",
            files=[{"name": "授权书.png", "mimeType": "image/png", "buffer": _png()}],
        )
    else:
        village.select_option("#visit-form select[name=risks_resolved]", "yes")
    _submit(village, "#visit-form")
    village.fill("#review-form input[name=attendees]", "15")
    village.fill("#review-form textarea[name=note]", "参会15人，一致同意")
    _submit(village, "#review-form")
    _submit(village, "#post-notice-form")
    notice_to = re.search(
        r"公示期：(\d+)年(\d+)月(\d+)日至(\d+)年(\d+)月(\d+)日", village.inner_text("#case-state")
    )
    assert notice_to, village.inner_text("#case-state")
    end = dt.date(*map(int, notice_to.groups()[3:]))
    village.goto(b.base + "/procedure/notices/")
    notice = village.inner_text(".notice")
    assert "杨秀英" in notice and "山门村" in notice
    assert not re.search(r"\d{17}[\dX]", notice) and "139" not in notice
    pdf = village.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
    clock.to(end + dt.timedelta(days=1))
    village = b.page("village", phone=True)
    _open_case(village, b.base, receipt, "notice")
    _submit(village, "#close-notice-form")
    return end


def _township_and_county(b: Browser, receipt: str, county_fill: dict[str, str]) -> Any:
    township = b.page("township")
    _open_case(township, b.base, receipt, "township")
    township.fill("#township-form textarea[name=note]", "经审核，情况属实")
    _submit(township, "#township-form")
    county = b.page("county")
    _open_case(county, b.base, receipt, "county")
    for sel, value in county_fill.items():
        if sel.startswith("select"):
            county.select_option(f"#county-form {sel}", value)
        else:
            county.fill(f"#county-form {sel}", value)
    county.fill("#county-form textarea[name=note]", "审定同意")
    _submit(county, "#county-form")
    return county


def test_a_self_report_goes_from_a_phone_to_inclusion_and_later_to_elimination(browser, world, clock) -> None:
    from zengshou.monitor.models import Alert, Case, MonitoringObject
    from zengshou.tiers.models import TierResult

    b = browser
    h = world.households["A3"]
    head = h.members.get(relation="户主")

    # 农户自主申报 on a phone, from the village's QR code link, on Friday 9 October.
    phone = b.page(phone=True)
    phone.goto(b.base + "/report/?v=640522100201")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("input[name=name]", head.name)
    phone.fill("input[name=id_number]", head.id_number)
    phone.fill("input[name=phone]", "13900001234")
    phone.select_option("select[name=risk]", "因病")
    phone.fill("textarea[name=description]", "老人住院，医药费负担重")
    phone.click("#report-form button[type=submit]")
    receipt = phone.inner_text("#receipt").strip()
    assert (
        receipt.startswith("JC")
        and head.name not in phone.content()
        and head.id_number not in phone.content()
    )
    phone.goto(b.base + "/report/lookup/")
    phone.fill("input[name=receipt]", receipt)
    phone.click("#lookup-form button[type=submit]")
    assert phone.inner_text("#lookup-state") == "办理中：受理"
    case = Case.objects.get(clues__receipt=receipt)
    assert case.household_id == h.household_id and case.due_on == dt.date(2026, 10, 12)

    # The department alert of the same household joins the case (部门筛查预警).
    township = b.page("township")
    township.goto(f"{b.base}/alerts/households/{h.household_id}/")
    _submit(township, "#clue-to-procedure")
    assert Case.objects.count() == 1 and case.clues.count() == 2
    township.goto(b.base + "/procedure/?list=accept")
    row = township.locator(f'tr[data-receipt="{case.receipt}"]')
    assert "2026年10月12日" in row.inner_text() and "临期" not in row.inner_text()

    clock.to(dt.date(2026, 10, 12))
    township = b.page("township")
    township.goto(b.base + "/procedure/?list=accept")
    row = township.locator(f'tr[data-receipt="{case.receipt}"]')
    assert "临期" in row.inner_text() and row.get_attribute("class") == "due-near"
    assert (
        row.evaluate("e => getComputedStyle(e.querySelector('td')).backgroundColor") == "rgb(255, 243, 224)"
    )

    clock.to(dt.date(2026, 10, 13))
    county = b.page("county")
    county.goto(b.base + "/procedure/?list=late")
    row = county.locator(f'tr[data-receipt="{case.receipt}"]')
    assert "逾期" in row.inner_text() and row.get_attribute("class") == "due-overdue"
    assert county.inner_text("#overdue-card .v") == "1"
    township = b.page("township")
    _open_case(township, b.base, case.receipt, "accept")
    assert "逾期" in township.inner_text("#case-due")
    township.fill("#accept-form textarea[name=note]", "材料齐全，予以受理")
    _submit(township, "#accept-form")

    _through_notice(b, clock, case.receipt, inclusion=True)
    county = _township_and_county(b, case.receipt, {"select[name=category]": "脱贫不稳定户"})
    assert county.inner_text("#case-outcome") == "纳入监测"
    obj = MonitoringObject.objects.get(household=h, risk_eliminated_on__isnull=True)
    assert obj.monitoring_type == "脱贫不稳定户" and obj.risks == ["因病"]
    assert Alert.objects.get(pk=world.alerts["A3"].pk).status == "included"
    county.goto(b.base + "/procedure/")
    assert county.inner_text("#median-card .v").startswith(str((obj.included_on - dt.date(2026, 10, 9)).days))

    # Half a year later: two quarters above the range, an employment measure, then 风险消除.
    for year, quarter, pc in ((2026, 4, 9000), (2027, 1, 3000)):
        TierResult.objects.create(
            household=h, year=year, quarter=quarter, size=1, net_income=Decimal(pc), per_capita_income=Decimal(pc),
            wage_pc=Decimal(pc), operating_net_pc=Decimal(0), property_pc=Decimal(0), transfer_pc=Decimal(0),
            quintile="中间收入组", tier="巩固提升户", reasons="", fell=False, computed_at=timezone.now(),
        )  # fmt: skip
    clock.to(dt.date(2027, 4, 26))
    village = b.page("village", phone=True)
    village.goto(f"{b.base}/procedure/objects/{obj.pk}/")
    assert village.locator("#lacks-measure").count() == 1
    village.select_option("#measure-form select[name=measure_type]", "就业帮扶")
    village.fill("#measure-form input[name=content]", "县城物流园稳定就业")
    _submit(village, "#measure-form")
    assert village.locator("#lacks-measure").count() == 0
    assert "✔ 收入持续稳定高于监测范围" in village.inner_text("#criteria")
    village.fill("#start-elimination-form textarea[name=note]", "收入连续两个季度高于监测范围")
    _submit(village, "#start-elimination-form")
    elim = Case.objects.get(kind="elimination")
    _through_notice(b, clock, elim.receipt, inclusion=False)
    county = _township_and_county(b, elim.receipt, {"select[name=method]": "帮扶消除"})
    assert county.inner_text("#case-outcome") == "风险消除"
    obj.refresh_from_db()
    assert obj.risk_eliminated_on is not None and obj.elimination_method == "帮扶消除"
