"""The monitoring procedure's lists in a county of 30,000 households with 2,000 open clues.

    .venv/bin/python benchmarks/clue_queue_bench.py                    # SQLite in a temporary home
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zs_bench .venv/bin/python benchmarks/clue_queue_bench.py

Builds a region with ``zengshou demo``'s own steps in which one county (海原县 640522) holds about
30,000 households (the generator's county weights tilted towards it), then opens 2,000 cases there
through the procedure itself over the 12 days before today: self-reports (受理), cadre clues and
department alerts (入户核实), a share moved on to 民主评议, 公示, 乡镇审核 and 县级审定 by the roles that
take those steps, and a few hundred cases decided (纳入监测) so that the dashboard's median has data.
Then signs in as the demo county and township users and requests each list N times in-process
(Django's test client: routing, middleware, scope, SQL, templates). Prints p50/p95/max in
milliseconds beside the goal: p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from web_bench import report, timed  # type: ignore[import-not-found]

COUNTY = "640522"
GOAL_MS = 200.0


def build(households: int, seed: int) -> None:
    """The demo's steps on a region where ``COUNTY`` holds about 90% of the households."""
    import importlib

    from zengshou.cli.demo import build_demo

    generate = importlib.import_module("zengshou.synth.generate")

    weight, poverty = generate._COUNTY_PROFILE[COUNTY]
    generate._COUNTY_PROFILE[COUNTY] = (weight * 100, poverty)
    try:
        build_demo(households, seed, show_progress=False)
    finally:
        generate._COUNTY_PROFILE[COUNTY] = (weight, poverty)


class Clock:
    """``django.utils.timezone.now`` set by hand, so the cases' steps and deadlines spread over a month."""

    def __init__(self) -> None:
        from django.utils import timezone

        self.real = timezone.now
        self.at = self.real()

    def __call__(self) -> dt.datetime:
        return self.at


def open_cases(n: int, seed: int) -> dict[str, int]:
    """``n`` open cases in ``COUNTY`` through the procedure's own functions, and decided ones beside them."""
    from django.utils import timezone

    from zengshou.interchange import RISKS
    from zengshou.monitor import procedure as pr
    from zengshou.monitor.models import Alert, Case
    from zengshou.registry.models import Household

    rnd = random.Random(seed)
    clock = Clock()
    timezone.now = clock  # type: ignore[assignment]
    try:
        county = pr.Person("bench-county", "county", COUNTY)
        alerts = set(
            Alert.objects.filter(
                area_code__startswith=COUNTY, household__isnull=False, status="new"
            ).values_list("household_id", flat=True)
        )
        households = list(
            Household.objects.filter(village__code__startswith=COUNTY)
            .select_related("village")
            .order_by("?")[: n + n // 4]
        )
        start = clock.real() - dt.timedelta(days=12)
        for i, h in enumerate(households):
            clock.at = start + dt.timedelta(minutes=i * 30 * 24 * 60 // len(households))
            township = pr.Person("bench-township", "township", h.village_id[:9])
            village = pr.Person("bench-village", "village", h.village_id)
            risk = rnd.choice(RISKS)
            channel = rnd.random()
            if channel < 0.5:
                head = h.members.order_by("id").first()
                case = pr.take_clue(
                    "self_report", village, risk=risk, description="家中困难",
                    applicant_name=head.name if head else "申报人",
                    applicant_id_number=head.id_number if head else "", household=h,
                ).case  # fmt: skip
                if i >= n or rnd.random() < 0.6:
                    case = pr.accept(case, township, "予以受理")
            elif channel < 0.8 or h.household_id not in alerts:
                case = pr.take_clue("cadre", village, risk=risk, description="走访发现", household=h).case
            else:
                intake = pr.take_alerts(h.household_id, Alert.objects.all(), county)
                case = intake.case if intake else None
            decide = i >= n
            if case is None or case.step != "visit" or (not decide and rnd.random() < 0.4):
                continue
            case = pr.visit(case, village, "入户核实：情况属实", authorisation_signed=True)
            case = pr.review(case, village, True, "一致同意", attendees=12)
            if not decide and rnd.random() < 0.3:
                continue
            case = pr.post_notice(case, village)
            clock.at += dt.timedelta(days=6)
            case = pr.close_notice(case, village)
            case = pr.township_audit(case, township, True, "情况属实")
            if decide:
                pr.county_decide(
                    case, county, True, "审定同意", category=case.proposed_category or "边缘易致贫户"
                )
    finally:
        timezone.now = clock.real  # type: ignore[assignment]
    open_ = Case.objects.filter(step__in=pr.OPEN_STEP_VALUES, village__code__startswith=COUNTY)
    return {
        "open": open_.count(),
        "overdue": open_.filter(due_on__lt=pr.today()).count(),
        "decided": Case.objects.exclude(step__in=pr.OPEN_STEP_VALUES).count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--households", type=int, default=33_000, help="the region's households (about 90%% in the county)"
    )
    ap.add_argument("--clues", type=int, default=2_000)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--home", help="use this ZENGSHOU_HOME (kept between runs) instead of a temporary one")
    args = ap.parse_args()
    os.environ["ZENGSHOU_HOME"] = str(
        Path(args.home).expanduser() if args.home else tempfile.mkdtemp(prefix="zh-cluebench-")
    )
    from zengshou import setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zengshou.monitor.models import Case
    from zengshou.registry.models import Household

    call_command("migrate", interactive=False, verbosity=0)
    if not Household.objects.exists():
        t0 = time.perf_counter()
        print(f"building a {args.households:,}-household region in {os.environ['ZENGSHOU_HOME']} …")
        build(args.households, args.seed)
        print(f"  built in {time.perf_counter() - t0:.0f} s")
    if not Case.objects.exists():
        t0 = time.perf_counter()
        made = open_cases(args.clues, args.seed)
        print(f"  cases through the procedure in {time.perf_counter() - t0:.0f} s: {made}")
    from zengshou.web.demo import create_demo_users

    users = {u[0]: u[1] for u in create_demo_users()}

    def client(username: str) -> Client:
        c = Client()
        assert c.post("/login/", {"username": username, "password": users[username]}).status_code == 302
        return c

    from django.contrib.auth import get_user_model

    from zengshou.web.scope import scope_of

    s = scope_of(get_user_model().objects.get(username="county"))
    t = scope_of(get_user_model().objects.get(username="township"))
    in_county = Household.objects.filter(village__code__startswith=s.area_code).count()
    open_here = Case.objects.filter(
        village__code__startswith=s.area_code,
        step__in=("accept", "visit", "review", "notice", "township", "county"),
    ).count()
    print(
        f"database: {connection.vendor}; county {s.area_name} ({s.area_code}): {in_county:,} households, "
        f"{open_here:,} open cases; township {t.area_name}; {args.requests} requests per figure; goal p95 < {GOAL_MS:.0f} ms"
    )
    county, township = client("county"), client("township")
    n = args.requests
    figures: list[tuple[str, list[float]]] = [
        ("procedure, county, 待审定 (default list)", timed(county, "/procedure/", n)),
        ("procedure, county, 乡村逾期", timed(county, "/procedure/?list=late", n)),
        ("procedure, county, 全部办理中 page 1", timed(county, "/procedure/?list=all", n)),
        ("procedure, county, 全部办理中 page 20", timed(county, "/procedure/?list=all&page=20", n)),
        ("procedure, township, 待受理", timed(township, "/procedure/?list=accept", n)),
        ("procedure, township, 全部办理中", timed(township, "/procedure/?list=all", n)),
        ("alert clue queue, county", timed(county, "/alerts/", n)),
    ]
    worst = 0.0
    for label, ms in figures:
        report(label, ms)
        ms = sorted(ms)
        worst = max(worst, ms[max(0, round(0.95 * len(ms)) - 1)])
    print(
        f"worst p95 {worst:.1f} ms against the goal {GOAL_MS:.0f} ms: {'met' if worst < GOAL_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
