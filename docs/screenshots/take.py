"""Take the README's screenshots from a running demo database (headless Chromium, Debian's package).

    ZENGSHOU_HOME=~/.zengshou .venv/bin/python docs/screenshots/take.py

Resets the demo users' passwords (as ``zengshou demo`` does), serves the app on a free port, signs in
as the county, region and cadre users and saves PNGs of the main pages next to this script.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM lookups between Playwright calls
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    from zengshou import setup_django

    setup_django()
    from zengshou.monitor.models import Alert
    from zengshou.web.demo import create_demo_users

    users = {u[0]: u[1] for u in create_demo_users()}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "zengshou"), "serve", "--port", str(port)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

            def session(username: str, **ctx):  # type: ignore[no-untyped-def]
                c = browser.new_context(locale="zh-CN", **ctx)
                page = c.new_page()
                page.goto(base + "/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", users[username])
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                return page

            desk = {"viewport": {"width": 1366, "height": 768}}
            c0 = browser.new_context(locale="zh-CN", **desk).new_page()
            c0.goto(base + "/login/")
            c0.screenshot(path=OUT / "login.png")
            page = session("county", **desk)
            page.screenshot(path=OUT / "dashboard-county.png", full_page=True)
            page.goto(base + "/households/?tier=风险防范户&alert=open")
            page.screenshot(path=OUT / "households.png")
            from zengshou.registry.models import Household

            county_code = page.locator(".who").inner_text()
            alert = (
                Alert.objects.filter(household__isnull=False, status="new", area_code__startswith=_county(users, "county"))
                .order_by("level", "id").first()
            )
            hid = alert.household_id if alert else Household.objects.values_list("household_id", flat=True).first()
            page.goto(f"{base}/households/{hid}/")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / "household.png", full_page=True)
            page.goto(base + "/alerts/")
            page.screenshot(path=OUT / "alerts.png")
            if alert:
                page.goto(f"{base}/alerts/{alert.pk}/")
                page.screenshot(path=OUT / "alert.png", full_page=True)
            page.goto(base + "/imports/")
            page.screenshot(path=OUT / "imports.png", full_page=True)
            region = session("region", **desk)
            region.screenshot(path=OUT / "dashboard-region.png", full_page=True)
            region.goto(base + "/audit/")
            region.screenshot(path=OUT / "audit.png")
            if "cadre" in users:
                phone = session("cadre", viewport={"width": 390, "height": 844}, is_mobile=True)
                phone.goto(base + "/households/")
                first = phone.locator("#household-list tbody a").first
                if first.count():
                    first.click()
                    phone.click("text=记录走访")
                    phone.screenshot(path=OUT / "visit-phone.png")
            browser.close()
        print(f"screenshots in {OUT} ({county_code})")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _county(users: dict[str, str], username: str) -> str:
    from zengshou.web.models import UserProfile

    return UserProfile.objects.get(user__username=username).area_id


if __name__ == "__main__":
    main()
