"""Load test: officials of every role at once against ``zengshou serve`` on 127.0.0.1, with a share of
them writing; prints requests, failures and p50/p95/p99 per page group, and the server's memory.

    .venv/bin/python benchmarks/load_test.py                          # 50 users, 5 minutes (~8 min in all)
    .venv/bin/python benchmarks/load_test.py --users 10 --minutes 0.5 --households 3000
    .venv/bin/python benchmarks/load_test.py --home /tmp/zs-load --keep  # build once, run again on it

Not part of ``make bench`` (its name does not end in ``_bench.py``): it takes minutes and two cores.
A fresh home gets ``zengshou demo --no-serve``; accounts of the county, township, village, paired
cadre and region roles are added (``load-<role>-NN``) and each county account gets a few workbooks
with one new household to upload. ``zengshou serve`` (gunicorn and the task worker) then answers on
``--port`` while locust runs the officials of ``load_locustfile.py`` headless. Memory is the resident
set of the serve process tree (gunicorn master, web workers, task worker), sampled every second,
summed (RSS, which counts pages shared after fork once per process) and proportionally (PSS).

Exit status 1 when any request got a 5xx or no answer, a web worker died or was killed (gunicorn's
log), or an accepted import or batch failed; the server's log lines with tracebacks are printed
then, and the home is kept.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "load_locustfile.py"
#: Locust user classes' weights (``load_locustfile.py``): accounts are made for this many users.
ROLE_WEIGHTS = {"county": 30, "township": 24, "village": 24, "cadre": 12, "region": 10}
YEAR = 2025


def _tool(name: str) -> list[str]:
    exe = Path(sys.executable).with_name(name)
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


# ---------------------------------------------------------------------------------- preparing the home


def build_demo(env: dict[str, str], households: int, seed: int, home: Path) -> None:
    print(f"building a {households:,}-household demo in {home} (zengshou demo --no-serve) …", flush=True)
    t0 = time.perf_counter()
    with (home / "demo.log").open("w") as log:
        r = subprocess.run(
            [*_tool("zengshou"), "demo", "--households", str(households), "--seed", str(seed), "--no-serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if r.returncode:
        raise SystemExit(f"zengshou demo failed ({r.returncode}); see {home / 'demo.log'}")
    print(f"  built in {time.perf_counter() - t0:.0f} s")


def _spread(items: list[str], n: int) -> list[str]:
    """``n`` picks cycling through ``items`` (several officials share a busy area)."""
    return [items[i % len(items)] for i in range(n)] if items else []


def create_accounts(users: int, uploads_per_county: int, home: Path) -> dict[str, list[dict[str, Any]]]:
    """Accounts for every role over the busiest counties, and the county users' upload files."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from zengshou.registry.areas import REGION_CODE
    from zengshou.registry.models import Household, Pairing
    from zengshou.web.accounts import add_user, new_password

    total = sum(ROLE_WEIGHTS.values())
    wanted = {role: math.ceil(users * w / total) + 1 for role, w in ROLE_WEIGHTS.items()}

    def busiest(length: int, within: list[str], limit: int) -> list[str]:
        qs = Household.objects.annotate(code=Substr("village_id", 1, length))
        if within:
            qs = qs.filter(code__regex=f"^({'|'.join(within)})")
        rows = qs.values("code").annotate(n=Count("pk")).order_by("-n", "code")[:limit]
        return [r["code"] for r in rows]

    counties = busiest(6, [], 3)
    if not counties:
        raise SystemExit("the database holds no households: build a demo first")
    areas = {
        "county": _spread(counties, wanted["county"]),
        "township": _spread(busiest(9, counties, wanted["township"]), wanted["township"]),
        "village": _spread(busiest(12, counties, wanted["village"]), wanted["village"]),
        "region": [REGION_CODE] * wanted["region"],
    }
    cadres = list(
        Pairing.objects.filter(ended_on__isnull=True, cadre__county_id__in=counties)
        .values("cadre_id", "cadre__county_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "cadre_id")[: wanted["cadre"]]
    )
    accounts: dict[str, list[dict[str, Any]]] = {role: [] for role in ROLE_WEIGHTS}
    for role, codes in areas.items():
        for i, code in enumerate(codes, 1):
            kind = "region_admin" if role == "region" else role
            name, pw = add_user(f"load-{role}-{i:02d}", kind, code, new_password(), replace=True)
            accounts[role].append({"username": name, "password": pw, "area": code, "counties": counties})
    for i, c in enumerate(cadres, 1):
        name, pw = add_user(
            f"load-cadre-{i:02d}", "cadre", c["cadre__county_id"], new_password(), c["cadre_id"], replace=True
        )
        accounts["cadre"].append({"username": name, "password": pw, "area": c["cadre__county_id"]})
    if not accounts["cadre"]:
        accounts.pop("cadre")
    files = upload_files(home / "load-uploads", counties, uploads_per_county * len(accounts["county"]))
    for i, account in enumerate(accounts["county"]):
        account["uploads"] = [str(p) for p in files.get(account["area"], [])[i :: len(counties)]]
    return accounts


def upload_files(folder: Path, counties: list[str], n: int) -> dict[str, list[Path]]:
    """``n`` workbooks, each the blank import template holding one new household of one of the
    ``counties`` (member and income included), as an office fills it in to add a household."""
    import openpyxl

    from zengshou.ingest.templates import write_template
    from zengshou.registry import idnumber
    from zengshou.registry.models import Area, Household, Member

    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "template.xlsx"
    write_template(template)
    taken_households = set(Household.objects.values_list("household_id", flat=True))
    taken_ids = set(Member.objects.values_list("id_number", flat=True))
    villages = {
        c: list(
            Area.objects.filter(level="village", code__startswith=c, households__isnull=False)
            .distinct()
            .order_by("code")
            .values_list("code", flat=True)[:50]
        )
        for c in counties
    }
    out: dict[str, list[Path]] = {c: [] for c in counties}
    k = 0
    for i in range(n):
        county = counties[i % len(counties)]
        while True:
            village = villages[county][k % len(villages[county])]
            household = f"{village}{9000 + k % 1000:04d}"
            birth = dt.date(1955, 1, 1) + dt.timedelta(days=(k * 37) % 16000)
            id_number = idnumber.make(county, birth, k % 500, True)
            k += 1
            if household not in taken_households and id_number not in taken_ids:
                break
        taken_households.add(household)
        taken_ids.add(id_number)
        rows = {
            "家庭": {
                "户编号": household,
                "行政区划代码": village,
                "户类型": "一般农户",
                "耕地面积(亩)": 4,
                "住房安全": "是",
                "饮水安全": "是",
                "联系电话": "13995012345",
            },
            "家庭成员": {
                "户编号": household,
                "姓名": "马新成",
                "证件号码": id_number,
                "与户主关系": "户主",
                "健康状况": "健康",
                "劳动技能": "普通劳动力",
                "务工状况": "县内乡镇外务工",
                "务工月数": 4,
                "在校生状况": "非在校生",
                "参加基本医疗保险": "是",
            },
            "收入": {"户编号": household, "年度": YEAR, "工资性收入": 3600 + 100 * (i % 40)},
        }
        wb = openpyxl.load_workbook(template)
        for sheet, values in rows.items():
            ws = wb[sheet]
            headers = [c.value for c in ws[1]]
            for header, value in values.items():
                ws.cell(row=2, column=headers.index(header) + 1, value=value)
        path = folder / f"新增农户-{household}.xlsx"
        wb.save(path)
        out[county].append(path)
    return out


# ---------------------------------------------------------------------------------- the server


def start_server(env: dict[str, str], port: int, workers: int, home: Path) -> subprocess.Popen[bytes]:
    log = (home / "serve.log").open("ab")
    proc = subprocess.Popen(
        [*_tool("zengshou"), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # gunicorn and the task worker share the group: stopped together
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"zengshou serve exited with {proc.returncode}; see {home / 'serve.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"zengshou serve did not answer /health/ within 120 s; see {home / 'serve.log'}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group still running
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@dataclass
class Sample:
    rss: int
    pss: int
    parts: dict[str, int]


@dataclass
class MemorySampler:
    """The serve process tree's memory every ``interval`` seconds, in a thread."""

    pid: int
    interval: float = 1.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> Sample | None:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return None
        rss = pss = 0
        parts = {"gunicorn master": 0, "web workers": 0, "task worker": 0}
        for p in procs:
            try:
                full = p.memory_full_info()
                task = any("worker" in part for part in p.cmdline()[-1:]) or (
                    p.pid != root.pid and p.ppid() != root.pid
                )
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += full.rss
            pss += getattr(full, "pss", full.rss)
            part = "gunicorn master" if p.pid == root.pid else "task worker" if task else "web workers"
            parts[part] += full.rss
        return Sample(rss, pss, parts)

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            s = self.sample()
            if s:
                self.samples.append(s)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------- the run and its report


def run_locust(args: argparse.Namespace, env: dict[str, str], out: Path) -> None:
    seconds = max(10, round(args.minutes * 60))
    cmd = [
        *_tool("locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",  # a user's round in progress at the end is finished, not cut off
        "30",
        "--exit-code-on-error",
        "0",
    ]
    print(
        f"locust: {args.users} users (spawn {args.spawn_rate}/s), {seconds} s, "
        f"{args.write_share:.0%} of rounds writing, think time {args.wait} s …",
        flush=True,
    )
    with (out / "locust.log").open("w") as log:
        r = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 300)
    if r.returncode:
        raise SystemExit(f"locust failed ({r.returncode}); see {out / 'locust.log'}")


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def report(out: Path, samples: list[Sample], idle: Sample | None, seconds: float) -> int:
    """Print the figures; the number of server-side errors (5xx, no answer, failed jobs)."""
    with (out / "locust_stats.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    total = next(r for r in rows if r["Name"] == "Aggregated")
    groups = sorted(
        (r for r in rows if r["Name"] != "Aggregated"), key=lambda r: (r["Type"] == "POST", r["Name"])
    )
    print(
        f"\n{'page group':36s} {'requests':>9s} {'failures':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s}"
    )
    for r in [*groups, total]:
        label = "all requests" if r is total else f"{r['Type']} {r['Name']}"
        if r is total:
            print("-" * 82)
        print(
            f"{label:36s} {int(r['Request Count']):9,d} {int(r['Failure Count']):9,d} "
            f"{r['50%']:>8s} {r['95%']:>8s} {r['99%']:>8s}"
        )
    posts = sum(int(r["Request Count"]) for r in groups if r["Type"] == "POST")
    count = int(total["Request Count"])
    print(
        f"\n{count:,} requests in {seconds:.0f} s ({count / seconds:.1f}/s), {posts:,} of them POST "
        f"({posts / max(count, 1):.0%}); failures {int(total['Failure Count']):,}"
    )
    if samples:
        rss = [s.rss for s in samples]
        pss = [s.pss for s in samples]
        peak = max(samples, key=lambda s: s.rss)
        print(
            f"server memory over {len(samples)} samples: RSS peak {_mb(max(rss))}, median {_mb(statistics.median(rss))}; "
            f"PSS peak {_mb(max(pss))}, median {_mb(statistics.median(pss))}"
        )
        print("  at the RSS peak: " + ", ".join(f"{k} {_mb(v)}" for k, v in peak.parts.items()))
    if idle:
        print(f"  before the load: RSS {_mb(idle.rss)}, PSS {_mb(idle.pss)}")
    if summary.get("outcomes"):
        print("writes done: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["outcomes"].items())))
    if summary.get("retried"):
        print(
            "GETs sent again, as a browser does, on a kept-alive connection closed under them: "
            + ", ".join(f"{v} × {k}" for k, v in summary["retried"].items())
        )
    if summary.get("refusals"):
        print(
            "refused as the system should: " + ", ".join(f"{k} {v}" for k, v in summary["refusals"].items())
        )
    failures = out / "locust_failures.csv"
    if failures.exists():
        with failures.open(newline="") as f:
            for r in csv.DictReader(f):
                print(f"  failure: {r['Method']} {r['Name']}: {r['Error']} × {r['Occurrences']}")
    errors = summary.get("server_errors", []) + summary.get("job_failures", [])
    for e in errors[:30]:
        print(f"  server error: {json.dumps(e, ensure_ascii=False)}")
    return len(errors)


#: gunicorn's lines for a web worker that died or was killed (a worker booted again after one).
WORKER_TROUBLE = ("WORKER TIMEOUT", "was sent SIGKILL", "out of memory", "Worker exited", "exited with code")


def worker_trouble(log: Path, offset: int, workers: int) -> list[str]:
    """gunicorn's log lines, from ``offset`` on, of web workers lost during the run."""
    if not log.exists():
        return []
    with log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    trouble = [line for line in lines if any(t in line for t in WORKER_TROUBLE)]
    boots = [line for line in lines if "Booting worker" in line]
    return trouble + boots[workers:]


def server_tracebacks(home: Path, limit: int = 3) -> None:
    """The last tracebacks in the server's logs (gunicorn's and the app's own files in the home)."""
    for log in sorted({*home.glob("*.log"), *home.glob("logs/*.log*")}):
        text = log.read_text(errors="replace")
        blocks = text.split("Traceback (most recent call last):")[1:]
        if blocks:
            print(f"\n{len(blocks)} traceback(s) in {log}; the last {min(limit, len(blocks))}:")
            for b in blocks[-limit:]:
                print("Traceback (most recent call last):" + "\n".join(b.splitlines()[:60]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    ap.add_argument("--write-share", type=float, default=0.15, help="share of a user's rounds that write")
    ap.add_argument("--wait", default="1,4", help="think time between rounds, min,max seconds")
    ap.add_argument("--households", type=int, default=20_000, help="size of the demo a fresh home gets")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--port", type=int, default=8116)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (serve's default)")
    ap.add_argument("--home", help="ZENGSHOU_HOME to use (kept); a demo is built there if it is empty")
    ap.add_argument("--database-url", default="", help="PostgreSQL instead of the home's SQLite file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary home afterwards")
    args = ap.parse_args()

    home = Path(args.home).expanduser().resolve() if args.home else Path(tempfile.mkdtemp(prefix="zs-load-"))
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZENGSHOU_ALLOWED_HOSTS")}
    env["ZENGSHOU_HOME"] = str(home)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.clear()
    os.environ.update(env)
    from zengshou import setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection, connections

    from zengshou.registry.models import Household

    call_command("migrate", interactive=False, verbosity=0)
    if not Household.objects.exists():
        connections.close_all()
        build_demo(env, args.households, args.seed, home)
    print(f"database: {connection.vendor}, {Household.objects.count():,} households; home {home}")
    t0 = time.perf_counter()
    uploads = max(2, math.ceil(args.minutes * 1.5))
    accounts = create_accounts(args.users, uploads, home)
    print(
        "accounts: "
        + ", ".join(f"{role} {len(a)}" for role, a in accounts.items())
        + f" ({time.perf_counter() - t0:.0f} s, upload files included)"
    )
    connections.close_all()

    run = home / f"load-run-{dt.datetime.now():%Y%m%d-%H%M%S}"
    run.mkdir()
    (run / "accounts.json").write_text(json.dumps(accounts, ensure_ascii=False))
    locust_env = {
        **env,
        "ZS_LOAD_ACCOUNTS": str(run / "accounts.json"),
        "ZS_LOAD_SUMMARY": str(run / "summary.json"),
        "ZS_LOAD_WRITE_SHARE": str(args.write_share),
        "ZS_LOAD_WAIT": args.wait,
        "ZS_LOAD_YEAR": str(YEAR),
    }
    gunicorn_log = home / "logs" / "server.log"
    offset = gunicorn_log.stat().st_size if gunicorn_log.exists() else 0
    server = start_server(env, args.port, args.workers, home)
    try:
        sampler = MemorySampler(server.pid)
        time.sleep(2)
        idle = sampler.sample()
        start = time.perf_counter()
        with sampler:
            run_locust(args, locust_env, run)
        seconds = time.perf_counter() - start
    finally:
        stop_server(server)
    errors = report(run, sampler.samples, idle, seconds)
    lost = worker_trouble(gunicorn_log, offset, args.workers)
    for line in lost:
        print(f"  web worker lost: {line}")
    errors += len(lost)
    kept = bool(errors or args.home or args.keep)
    if kept:
        print(
            f"\nfiles of this run: {run} (locust statistics, log, summary); server log {home / 'serve.log'}"
        )
    if errors:
        server_tracebacks(home)
        print(f"\n{errors} server error(s): exit 1; home kept at {home}")
        raise SystemExit(1)
    if not kept:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
