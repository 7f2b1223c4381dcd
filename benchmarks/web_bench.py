"""Response times of the web app on a 50,000-household region: household page, dashboard, lists, API.

    .venv/bin/python benchmarks/web_bench.py                     # build a region in a temporary home
    .venv/bin/python benchmarks/web_bench.py --home ~/.zengshou  # an existing demo database

Builds the region with ``zengshou demo``'s own steps (synth → import → pipeline) when those parts are
installed, else with the pipeline benchmark's generator and bulk loader; then signs in as the demo
users and requests each page N times in-process (Django's test client: URL routing, middleware,
scope, SQL, template rendering — no network). Prints p50/p95/max in milliseconds. The dashboard is
timed both cold (its statistics cache cleared before each request) and warm.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def build(households: int, seed: int) -> None:
    try:
        import importlib

        importlib.import_module("zengshou.ingest")
        importlib.import_module("zengshou.synth")
        from zengshou.cli.demo import build_demo

        build_demo(households, seed, show_progress=False)
        return
    except ImportError as e:
        print(f"  (demo parts missing: {e}; using the pipeline benchmark's generator)")
    sys.path.insert(0, str(Path(__file__).parent))
    import pipeline_bench  # type: ignore[import-not-found]

    pop = pipeline_bench.synthetic(households, [2023, 2024, 2025], seed)
    pipeline_bench.with_database(pop, 2025, postgres=bool(os.environ.get("DATABASE_URL")))


def timed(client, url: str, n: int, before=None) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        if before:
            before()
        u = url(i) if callable(url) else url
        t0 = time.perf_counter()
        r = client.get(u)
        if r.status_code != 200:
            raise SystemExit(f"{u}: HTTP {r.status_code}")
        if hasattr(r, "streaming_content"):
            b"".join(r.streaming_content)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(label: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    print(
        f"{label:44s} p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms   (n={len(ms)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--home", help="use this ZENGSHOU_HOME (an existing demo) instead of building one")
    args = ap.parse_args()

    if args.home:
        os.environ["ZENGSHOU_HOME"] = str(Path(args.home).expanduser())
    elif "ZENGSHOU_HOME" not in os.environ:
        os.environ["ZENGSHOU_HOME"] = tempfile.mkdtemp(prefix="zh-webbench-")
    from zengshou import setup_django

    setup_django()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zengshou.registry.models import Household

    call_command("migrate", interactive=False, verbosity=0)
    if not Household.objects.exists():
        t0 = time.perf_counter()
        print(f"building a {args.households:,}-household region in {os.environ['ZENGSHOU_HOME']} …")
        build(args.households, args.seed)
        print(f"  built in {time.perf_counter() - t0:.0f} s")
    from zengshou.web.demo import create_demo_users

    users = {u[0]: u[1] for u in create_demo_users()}
    total = Household.objects.count()
    print(f"database: {connection.vendor}, {total:,} households; {args.requests} requests per figure")

    def client(username: str) -> Client:
        c = Client()
        assert c.post("/login/", {"username": username, "password": users[username]}).status_code == 302
        return c

    from zengshou.web import scope as sc
    from zengshou.web.scope import scope_of

    county = client("county")
    region = client("region")
    from django.contrib.auth import get_user_model

    s = scope_of(get_user_model().objects.get(username="county"))
    ids = list(sc.households(s).values_list("household_id", flat=True)[:5000])
    rnd = random.Random(1)
    n = args.requests
    print(f"county {s.area_name} ({s.area_code}): {sc.households(s).count():,} households in scope")
    report(
        "household page (county user, random household)",
        timed(county, lambda i: f"/households/{rnd.choice(ids)}/", n),
    )
    report("dashboard, county, cold (no cache)", timed(county, "/", n, before=cache.clear))
    report("dashboard, county, warm", timed(county, "/", n))
    report("dashboard, region, cold (no cache)", timed(region, "/", max(20, n // 10), before=cache.clear))
    report("dashboard, region, warm", timed(region, "/", n))
    report("household list, county, page 1", timed(county, "/households/", n))
    report("household search by name, county", timed(county, "/households/?q=%E9%A9%AC", n))
    report("alert queue, county", timed(county, "/alerts/", n))
    report(
        "API household detail (county user)", timed(county, lambda i: f"/api/households/{rnd.choice(ids)}", n)
    )


if __name__ == "__main__":
    main()
