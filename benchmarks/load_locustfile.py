"""The officials of the load test (``benchmarks/load_test.py`` starts locust with this file).

Each simulated user signs in with an account of its role that ``load_test.py`` created, learns its
area and households from the API as the pages' own scripts would, then works like an official:
mostly looking (dashboard, household list and search, household pages, the clue queue, statistics,
plans), and with a share ``ZS_LOAD_WRITE_SHARE`` of its rounds doing something that writes — verify
or decide a clue, move a plan measure on, record a visit, save a toolbox version, upload a small
workbook and confirm it, start the batch, export. Forms are posted as a browser posts them: the
CSRF token is read from the page that holds the form.

Requests are named by page group, so locust's statistics are per group. A refusal a colleague's
earlier step explains (the clue already verified, a batch already running) is the system working
and not a failure; every other unexpected answer is, and each 5xx is also written, with its URL,
to the summary file ``ZS_LOAD_SUMMARY`` that ``load_test.py`` reads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.clients import LocustHttpAdapter
from locust.runners import STATE_STOPPED, STATE_STOPPING
from urllib3.util.retry import Retry

ACCOUNTS: dict[str, list[dict[str, Any]]] = json.loads(Path(os.environ["ZS_LOAD_ACCOUNTS"]).read_text())
WRITE_SHARE = float(os.environ.get("ZS_LOAD_WRITE_SHARE", "0.15"))
WAIT_MIN, WAIT_MAX = (float(x) for x in os.environ.get("ZS_LOAD_WAIT", "1,4").split(","))
YEAR = int(os.environ.get("ZS_LOAD_YEAR", "2025"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PLAN_STEP = re.compile(
    r'name="item" value="(\d+)"><input type="hidden" name="year" value="(\d+)">'
    r'<input type="hidden" name="to" value="(\w+)">'
)
OPTION = re.compile(r'<option value="([^"]*)"')
NOTES = [
    "入户核实：家庭成员务工收入减少，情况属实。",
    "入户核实：户主患病住院，医疗支出增加。",
    "电话与入户核实：种植收入受灾减产。",
]

#: What the load test reports beside locust's statistics (written when locust quits).
server_errors: list[dict[str, Any]] = []
#: Imports and batch runs the server accepted and then could not finish (its log says why).
job_failures: list[dict[str, Any]] = []
refusals: Counter[str] = Counter()
#: GETs sent again after the kept-alive connection they went out on was closed under them.
retried: Counter[str] = Counter()
outcomes: Counter[str] = Counter()
STOPPING = (STATE_STOPPING, STATE_STOPPED)
_next_account = {role: itertools.count() for role in ACCOUNTS}


@events.quitting.add_listener
def _write_summary(environment: Any, **kwargs: Any) -> None:
    path = os.environ.get("ZS_LOAD_SUMMARY")
    if path:
        Path(path).write_text(
            json.dumps(
                {
                    "server_errors": server_errors,
                    "job_failures": job_failures,
                    "refusals": refusals,
                    "retried": retried,
                    "outcomes": outcomes,
                },
                ensure_ascii=False,
                indent=1,
            )
        )


class BrowserRetry(Retry):
    """A browser sends a GET again, once, when the kept-alive connection it reused is closed before
    any answer (the server closes idle connections after gunicorn's 2-second keep-alive); requests
    does not, and would count the race as a missing answer. POSTs are never sent twice."""

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        retried[repr(error)[:120]] += 1
        return super().increment(method, url, response, error, _pool, _stacktrace)


BROWSER_RETRY = BrowserRetry(
    total=1,
    connect=1,
    read=1,
    status=0,
    other=0,
    allowed_methods=frozenset({"GET", "HEAD"}),
    raise_on_status=False,
)


class Official(HttpUser):
    """One signed-in official; subclasses give the role and what that role does."""

    abstract = True
    role = ""
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        accounts = ACCOUNTS[self.role]
        self.account = accounts[next(_next_account[self.role]) % len(accounts)]
        self.household_ids: list[str] = []
        self.uploads = list(self.account.get("uploads", []))
        self.batch_started = False
        self.client.mount("http://", LocustHttpAdapter(pool_manager=None, max_retries=BROWSER_RETRY))
        self.login()
        me = self.get_json("/api/me", "API me")
        self.area = str(me.get("area_code") or self.account["area"])
        page = self.get_json("/api/households?page_size=200", "API households")
        self.household_ids = [h["household_id"] for h in page.get("items", [])]
        pages = int(page.get("pages") or 1)
        if pages > 1:
            more = self.get_json(
                f"/api/households?page_size=200&page={random.randint(2, pages)}", "API households"
            )
            self.household_ids += [h["household_id"] for h in more.get("items", [])]

    # ------------------------------------------------------------------ plumbing

    def check(self, r: Any, expected: tuple[int, ...] = (200,), refusal: str = "") -> bool:
        """Mark ``r`` (a catch_response context) a success or a failure; True when it is usable."""
        code = r.status_code
        if code in expected:
            r.success()
            return True
        if refusal and code in (400, 409):
            refusals[refusal] += 1
            r.success()
            return False
        if code == 0:
            error = repr(getattr(r, "error", None))
            stopping = self.environment.runner is not None and self.environment.runner.state in STOPPING
            if not stopping:  # a request cut off by locust's own stop is no answer missing
                server_errors.append({"status": 0, "url": r.request.url if r.request else "", "error": error})
            r.failure(f"no answer: {error}")
            return False
        if code >= 500:
            server_errors.append(
                {
                    "status": code,
                    "method": r.request.method if r.request else "",
                    "url": r.url,
                    "request_id": r.headers.get("X-Request-ID", ""),
                }
            )
        if code in (301, 302) or "/login/" in (r.url or ""):
            r.failure(f"signed out: {r.url}")
        else:
            r.failure(f"HTTP {code}")
        return False

    def get_page(self, url: str, name: str, expected: tuple[int, ...] = (200,)) -> str:
        with self.client.get(url, name=name, catch_response=True) as r:
            if "/login/" in r.url and "/login/" not in url:
                r.failure("signed out")
                return ""
            return r.text if self.check(r, expected) else ""

    def get_json(self, url: str, name: str) -> dict[str, Any]:
        with self.client.get(url, name=name, catch_response=True) as r:
            if not self.check(r):
                return {}
            try:
                return dict(r.json())
            except ValueError:
                r.failure("not JSON")
                return {}

    def post_form(
        self,
        page_html: str,
        url: str,
        name: str,
        data: dict[str, Any],
        files: dict[str, Any] | None = None,
        refusal: str = "",
    ) -> Any:
        """Post ``data`` with the CSRF token of the page the form is on; the response or None."""
        token = CSRF.search(page_html)
        if not token:
            return None
        with self.client.post(
            url,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            files=files,
            name=name,
            catch_response=True,
        ) as r:
            return r if self.check(r, refusal=refusal) else None

    def login(self) -> None:
        html = self.get_page("/login/", "login")
        r = self.post_form(
            html,
            "/login/",
            "login",
            {"username": self.account["username"], "password": self.account["password"]},
        )
        if r is None or "/login/" in r.url:
            raise RuntimeError(f"{self.account['username']} could not sign in")

    def household(self) -> str | None:
        return random.choice(self.household_ids) if self.household_ids else None

    def open_alert_households(self, status: str) -> list[str]:
        data = self.get_json(f"/api/alerts?status={status}&page_size=100", "API alerts")
        return list(dict.fromkeys(a["household_id"] for a in data.get("items", []) if a.get("household_id")))

    # ------------------------------------------------------------------ one round

    @task
    def one_round(self) -> None:
        if random.random() < WRITE_SHARE:
            kinds, weights = zip(*self.writes().items(), strict=True)
            getattr(self, random.choices(kinds, weights)[0])()
        else:
            kinds, weights = zip(*self.reads().items(), strict=True)
            getattr(self, random.choices(kinds, weights)[0])()

    def reads(self) -> dict[str, int]:
        return {
            "dashboard": 3,
            "household_list": 3,
            "household_page": 4,
            "alert_queue": 2,
            "clue_page": 1,
            "api_stats": 1,
            "monitoring": 1,
            "plan_page": 1,
            "assessment": 1,
        }

    def writes(self) -> dict[str, int]:
        return {"verify_clue": 3, "plan_step": 2, "visit": 2}

    # ------------------------------------------------------------------ reading

    def dashboard(self) -> None:
        self.get_page(random.choice(["/", "/dashboard/"]), "dashboard")

    def household_list(self) -> None:
        url = random.choice(
            [
                "/households/",
                "/households/?page=2",
                "/households/?q=%E9%A9%AC",
                f"/households/?tier=风险防范户&year={YEAR}",
            ]
        )
        self.get_page(url, "household list")

    def household_page(self) -> None:
        hid = self.household()
        if hid:
            self.get_page(f"/households/{hid}/", "household page")

    def alert_queue(self) -> None:
        self.get_page(random.choice(["/alerts/", "/alerts/list/"]), "alerts")

    def clue_page(self) -> None:
        ids = self.open_alert_households("open")
        if ids:
            self.get_page(f"/alerts/households/{random.choice(ids)}/", "clue page")

    def api_stats(self) -> None:
        self.get_json(f"/api/areas/{self.area}/stats", "API stats")

    def monitoring(self) -> None:
        self.get_page("/monitoring/", "monitoring")

    def plan_page(self) -> None:
        hid = self.household()
        if hid:
            self.get_page(f"/toolbox/household/{hid}/?year={YEAR}", "plan page")

    def assessment(self) -> None:
        self.get_page("/assess/", "assessment")

    # ------------------------------------------------------------------ writing

    def verify_clue(self) -> None:
        ids = self.open_alert_households("new")
        if not ids:
            return
        hid = random.choice(ids)
        html = self.get_page(f"/alerts/households/{hid}/", "clue page")
        if 'id="clue-verify-form"' not in html:
            return
        r = self.post_form(
            html,
            f"/alerts/households/{hid}/verify/",
            "write: verify clue",
            {"note": random.choice(NOTES)},
            refusal="clue already verified",
        )
        if r is not None:
            outcomes["clue verified"] += 1

    def decide_clue(self) -> None:
        """The county includes a verified household in monitoring, or dismisses its alerts."""
        ids = self.open_alert_households("verified")
        if not ids:
            return
        hid = random.choice(ids)
        html = self.get_page(f"/alerts/households/{hid}/", "clue page")
        if random.random() < 0.7 and 'id="clue-include-form"' in html:
            form = html[html.index('id="clue-include-form"') :]
            types = [t for t in OPTION.findall(form.split("</select>")[0]) if t]
            if not types:
                return
            data = {"monitoring_type": random.choice(types), "note": "村级民主评议、乡镇审核通过。"}
            r = self.post_form(
                html, f"/alerts/households/{hid}/include/", "write: decide clue", data, refusal="clue decided"
            )
            if r is not None:
                outcomes["household included"] += 1
        elif 'id="clue-dismiss-form"' in html:
            r = self.post_form(
                html,
                f"/alerts/households/{hid}/dismiss/",
                "write: decide clue",
                {"reason": "经核实收入下降为一次性因素，已恢复。"},
                refusal="clue decided",
            )
            if r is not None:
                outcomes["clue dismissed"] += 1

    def plan_step(self) -> None:
        """一户一策: a proposed measure agreed with the household, or an agreed one delivered."""
        for _ in range(3):  # a household without a plan: the official opens another one
            hid = self.household()
            if not hid:
                return
            html = self.get_page(f"/toolbox/household/{hid}/?year={YEAR}", "plan page")
            steps = PLAN_STEP.findall(html)
            if steps:
                item, year, to = random.choice(steps)
                data = {"item": item, "year": year, "to": to, "on": dt.date.today().isoformat()}
                if to == "delivered":
                    data["evidence"] = "发放凭证已拍照存档"
                r = self.post_form(html, f"/toolbox/household/{hid}/", "write: plan step", data)
                if r is not None:
                    outcomes[f"plan item {to}"] += 1
                return

    def visit(self) -> None:
        hid = self.household()
        if not hid:
            return
        html = self.get_page(f"/households/{hid}/visits/new/", "visit form")
        data = {
            "visited_on": dt.date.today().isoformat(),
            "findings": "入户走访：了解务工和种养殖情况，宣讲政策。",
        }
        if self.post_form(html, f"/households/{hid}/visits/new/", "write: visit", data) is not None:
            outcomes["visit recorded"] += 1

    def export(self) -> None:
        """A masked export of the user's area (a POST that reads the whole area)."""
        html = self.get_page("/imports/", "imports page")
        data = {"area": self.area, "fmt": random.choice(["xlsx", "csv"])}
        if self.post_form(html, "/exports/", "export", data) is not None:
            outcomes["export"] += 1


class CountyOfficial(Official):
    """县级用户: everything a county office does, the heavy steps included."""

    role = "county"
    weight = 30

    def reads(self) -> dict[str, int]:
        return {**super().reads(), "toolbox_page": 1, "imports_page": 1}

    def writes(self) -> dict[str, int]:
        return {
            "verify_clue": 2,
            "decide_clue": 3,
            "plan_step": 3,
            "visit": 1,
            "toolbox_version": 1,
            "upload": 2,
            "start_batch": 1,
            "export": 1,
        }

    def toolbox_page(self) -> None:
        self.get_page(f"/toolbox/county/{self.area}/", "toolbox page")

    def imports_page(self) -> None:
        self.get_page("/imports/", "imports page")

    def toolbox_version(self) -> None:
        """A subsidy changed: previewed (a what-if over the county), then saved as a new version."""
        url = f"/toolbox/county/{self.area}/"
        html = self.get_page(url, "toolbox page")
        if "v-L02.amount" not in html:
            return
        data = {
            "v-L02.amount": str(random.randrange(2000, 4000, 100)),
            "from-L02.amount": f"{YEAR}-01-01",
            "src-L02.amount": "庭院经济实施方案（县政发〔2025〕8号）",
            "note": "调整庭院经济补贴",
        }
        r = self.post_form(html, url, "toolbox preview", {**data, "action": "preview"})
        if r is None or 'id="toolbox-preview"' not in r.text:
            return
        if self.post_form(r.text, url, "write: toolbox version", {**data, "action": "save"}) is not None:
            outcomes["toolbox version saved"] += 1

    def upload(self) -> None:
        """A workbook with one new household: uploaded, checked, confirmed, written."""
        if not self.uploads:
            return self.plan_step()
        path = Path(self.uploads.pop())
        html = self.get_page("/imports/", "imports page")
        with path.open("rb") as f:
            files = {
                "file": (path.name, f, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            }
            r = self.post_form(html, "/imports/", "write: upload", {"kind": "interchange"}, files=files)
        if r is None:
            return
        m = re.search(r"/imports/(\d+)/$", r.url)
        if not m:
            return
        job = m.group(1)
        status = self.wait_for(
            f"/imports/{job}/status/", "import status", ("validating", "pending", "loading")
        )
        if status.get("status") != "ready":
            outcomes[f"import {status.get('status', 'unknown')}: {status.get('message', '')[:80]}"] += 1
            return
        page = self.get_page(f"/imports/{job}/", "import page")
        if self.post_form(page, f"/imports/{job}/confirm/", "write: confirm import", {}) is None:
            return
        status = self.wait_for(f"/imports/{job}/status/", "import status", ("ready", "loading", "validating"))
        outcomes[f"import {status.get('status', 'unknown')}"] += 1
        if status.get("status") == "failed":
            job_failures.append({"job": "import", "url": f"/imports/{job}/", "status": status})

    def wait_for(self, url: str, name: str, waiting: tuple[str, ...], limit: float = 120) -> dict[str, Any]:
        """Poll a status URL every second while its status is one of ``waiting`` (the page's script)."""
        deadline = time.monotonic() + limit
        while True:
            status = self.get_json(url, name)
            if not status or status.get("status") not in waiting or time.monotonic() > deadline:
                return status
            time.sleep(1)

    def start_batch(self) -> None:
        """The batch for the county, once per user: started, then watched for up to a minute."""
        if self.batch_started:
            return self.decide_clue()
        html = self.get_page("/batch/", "batch page")
        periods = [p for p in OPTION.findall(html.split('id="batch-period"')[-1].split("</select>")[0]) if p]
        if not periods:
            return
        self.batch_started = True
        r = self.post_form(
            html,
            "/batch/",
            "write: start batch",
            {"area": self.area, "period": periods[0]},
            refusal="batch already running",
        )
        if r is None:
            return
        m = re.search(r"/batch/(\d+)/$", r.url)
        if m:
            url = f"/batch/{m.group(1)}/status/"
            status = self.wait_for(url, "batch status", ("queued", "running"), limit=60)
            outcomes[f"batch {status.get('status', 'unknown')}"] += 1
            if status.get("status") == "failed":
                job_failures.append({"job": "batch", "url": url, "message": status.get("message", "")})


class TownshipOfficial(Official):
    """乡镇用户: verifies and dismisses clues, keeps plans and visits."""

    role = "township"
    weight = 24

    def writes(self) -> dict[str, int]:
        return {"verify_clue": 3, "decide_township": 1, "plan_step": 2, "visit": 2}

    def decide_township(self) -> None:
        """A township may dismiss a verified clue (排除 by 乡镇审核), never include it."""
        ids = self.open_alert_households("verified")
        if not ids:
            return
        hid = random.choice(ids)
        html = self.get_page(f"/alerts/households/{hid}/", "clue page")
        if 'id="clue-dismiss-form"' in html:
            r = self.post_form(
                html,
                f"/alerts/households/{hid}/dismiss/",
                "write: decide clue",
                {"reason": "乡镇审核：收入下降为一次性因素。"},
                refusal="clue decided",
            )
            if r is not None:
                outcomes["clue dismissed"] += 1


class VillageOfficial(Official):
    """村级用户: verifies clues at the door, records visits, moves plan measures on."""

    role = "village"
    weight = 24

    def writes(self) -> dict[str, int]:
        return {"verify_clue": 3, "plan_step": 2, "visit": 3}


class PairedCadre(Official):
    """帮扶干部: his few paired households, their plans and visits."""

    role = "cadre"
    weight = 12

    def reads(self) -> dict[str, int]:
        return {"my_households": 3, "household_page": 4, "plan_page": 2, "dashboard": 1}

    def writes(self) -> dict[str, int]:
        return {"visit": 3, "plan_step": 2, "verify_clue": 1}

    def my_households(self) -> None:
        self.get_page("/pairing/mine/", "pairing mine")


class RegionAdmin(Official):
    """自治区管理员: statistics of the whole region, county comparisons, masked lists, exports."""

    role = "region"
    weight = 10

    def reads(self) -> dict[str, int]:
        return {
            "dashboard": 3,
            "household_list": 2,
            "api_stats": 2,
            "assessment": 2,
            "audit": 1,
            "county_view": 2,
        }

    def writes(self) -> dict[str, int]:
        return {"export": 1}

    def audit(self) -> None:
        self.get_page("/audit/", "audit")

    def county_view(self) -> None:
        county = random.choice(self.account.get("counties") or [self.area])
        self.get_page(f"/dashboard/?area={county}", "dashboard")
