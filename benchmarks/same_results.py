"""Do the result tables stay the same? The pipeline of a base revision against this working tree.

    .venv/bin/python benchmarks/same_results.py --base edf2c50
    .venv/bin/python benchmarks/same_results.py --base HEAD~3 --cases demo --no-database

For each case a region is generated once with the base revision's ``zengshou synth`` (so both sides
read the same files), then ``zengshou run --input … --out …`` runs with the base (a git worktree of
``--base``) and with this tree, each in a fresh ``ZENGSHOU_HOME``. Every result CSV is compared byte
for byte; ``结果.xlsx`` sheet by sheet on cell values (the zip carries timestamps). Unless
``--no-database``, both also go through the database: ``zengshou import`` and ``zengshou pipeline``
(the year, then its second quarter) into a fresh SQLite home each, and the stored tier results,
alerts, plans and plan items are dumped sorted, without row ids and timestamps, and compared.

Cases (``--cases``): ``demo`` — the region ``make demo`` builds (50,000 households, seed 2025);
``quarter`` — the same region, cumulative quarter 2; ``large`` — 80,000 households, seed 7, with the
2025 income rows of a few households removed so that every alert code of a file run (M07a too)
appears. The script prints which alert codes and measures a case exercised.

Prints per table its rows, identical yes/no and, for a difference, the first differing rows; exits 1
on any difference, 0 when everything is identical. One exception: 结对 (cadre pairing) is not stable
between two runs of the same code (which of several equally good cadres a household gets follows a
row order polars leaves open), so unless ``--strict`` it passes when the same households are listed
and the same ones are left unpaired, and the script says so. Likewise the order of rows that tie on
the first two columns (the columns ``write_files`` sorts by; area alerts of one code) is left open by
polars, so a table that differs only there passes unless ``--strict``, with a note.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
SHOWN_DIFFERENCES = 5
#: Result tables whose rows differ between two runs of the same code (see ``pairing_invariant``).
UNSTABLE = frozenset({"结对.csv", "结对"})


@dataclass(frozen=True)
class Case:
    """One region and one period: what ``zengshou synth`` makes and what ``zengshou run`` is asked."""

    name: str
    households: int
    seed: int
    quarter: int | None = None
    gaps: int = 0  # households whose income rows of YEAR are removed (no income for the period: M07a)

    @property
    def region(self) -> str:
        return f"region-{self.households}-{self.seed}" + (f"-gaps{self.gaps}" if self.gaps else "")


CASES = {
    "demo": Case("demo", 50_000, 2025),
    "quarter": Case("quarter", 50_000, 2025, quarter=2),
    "large": Case("large", 80_000, 7, gaps=25),
}

#: Stored results of ``zengshou pipeline``: table → (columns, order). Row ids, timestamps and the
#: plan's own id are left out; a plan item names its plan by household and year.
DB_TABLES: dict[str, tuple[str, str]] = {
    "tiers_tierresult": (
        "t.household_id, t.year, t.quarter, t.size, t.net_income, t.per_capita_income, t.wage_pc,"
        " t.operating_net_pc, t.property_pc, t.transfer_pc, t.consumption_pc,"
        " t.prev_per_capita_income, t.change_ratio, t.fell, t.quintile, t.tier, t.reasons, t.computed_by"
        " FROM tiers_tierresult t",
        "t.household_id, t.year, t.quarter",
    ),
    "monitor_alert": (
        "a.household_id, a.area_code, a.area_id, a.year, a.quarter, a.code, a.level, a.explanation,"
        " a.status, a.verified_by, a.dismissed_reason, a.fingerprint FROM monitor_alert a",
        "a.fingerprint, a.household_id, a.code",
    ),
    "toolbox_plan": (
        "p.household_id, p.year, p.county_code, p.village_code FROM toolbox_plan p",
        "p.household_id, p.year",
    ),
    "toolbox_planitem": (
        "p.household_id, p.year, i.code, i.id_number, i.amount, i.income_effect, i.units, i.reason,"
        " i.applies, i.status, i.status_date, i.evidence, i.updated_by"
        " FROM toolbox_planitem i JOIN toolbox_plan p ON p.id = i.plan_id",
        "p.household_id, p.year, i.code, i.id_number, i.reason",
    ),
}


def sh(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; on failure print its output and stop (a crash is not a result)."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}")
    return done.stdout


def zengshou(src: Path, home: Path, *args: str) -> str:
    """``zengshou ARGS`` with the package of ``src`` and its own home (no PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
    env.update(PYTHONPATH=str(src), ZENGSHOU_HOME=str(home), POLARS_MAX_THREADS="2")
    return sh([sys.executable, "-m", "zengshou.cli", *args], env=env)


def make_region(base_src: Path, work: Path, case: Case) -> Path:
    """The case's region as a CSV folder, generated once by the base revision."""
    folder = work / case.region
    if folder.exists():
        return folder
    zengshou(
        base_src, work / "home-synth", "synth", "--households", str(case.households),
        "--years", f"{YEAR - 3}-{YEAR}", "--seed", str(case.seed), "--out", str(folder),
    )  # fmt: skip
    if case.gaps:
        remove_income(folder, case.gaps)
    return folder


def remove_income(folder: Path, count: int) -> None:
    """Drop YEAR's income rows (annual and quarterly) of ``count`` households spread over the region."""
    with (folder / "家庭.csv").open(encoding="utf-8-sig", newline="") as f:
        ids = [row[0] for row in csv.reader(f)][1:]
    chosen = set(ids[:: max(1, len(ids) // count)][:count])
    path = folder / "收入.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    kept = [lines[0]] + [
        line
        for line in lines[1:]
        if not (line.split(",", 2)[0] in chosen and line.split(",", 2)[1] == str(YEAR))
    ]
    path.write_text("\ufeff" + "".join(kept), encoding="utf-8")


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines() if path.exists() else []


def compare_rows(name: str, base: list[str], work: list[str], header: bool = True) -> bool:
    """Print one table's verdict; the first differing rows when it differs."""
    rows = max(len(base), len(work)) - (1 if header else 0)
    if base == work:
        print(f"  {name:28s} rows {rows:>9,d}  identical: yes")
        return True
    print(f"  {name:28s} rows {len(base) - header:>9,d} → {len(work) - header:,d}  identical: NO")
    shown = 0
    matcher = difflib.SequenceMatcher(None, base, work, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k, line in enumerate(base[i1:i2][:SHOWN_DIFFERENCES]):
            print(f"      base row {i1 + k + 1 - header:>7}: {line[:300]}")
        for k, line in enumerate(work[j1:j2][:SHOWN_DIFFERENCES]):
            print(f"      work row {j1 + k + 1 - header:>7}: {line[:300]}")
        shown += 1
        if shown >= SHOWN_DIFFERENCES:
            print("      …")
            break
    return False


def pairing_invariant(lines: list[str]) -> list[str]:
    """户编号 and whether a cadre was found: what two runs of the same pairing code agree on.

    The solver's choice among equally good cadres follows the row order of its input, which polars
    does not fix, so the same code run twice may pair a household with another cadre of the same cost.
    """
    return [",".join((row[0], "paired" if row[1] else "unpaired")) for row in csv.reader(lines) if row]


def within_ties(lines: list[str]) -> list[str]:
    """Rows sorted inside each run of equal sort keys (the first two columns, as ``write_files`` sorts).

    Rows that tie on those keys (area alerts of one code, for instance) come in an order polars leaves
    open, which differs between two runs of the same code.
    """
    out: list[str] = lines[:1]
    group: list[str] = []
    key: tuple[str, ...] | None = None
    for line, row in zip(lines[1:], csv.reader(lines[1:]), strict=True):
        if tuple(row[:2]) != key:
            out += sorted(group)
            group, key = [], tuple(row[:2])
        group.append(line)
    return out + sorted(group)


def compare_csv(name: str, base: Path, work: Path, strict: bool = False) -> bool:
    if not base.exists() or not work.exists():
        print(f"  {name:28s} only in {'work' if work.exists() else 'base'}  identical: NO")
        return False
    lines = read_lines(base)
    if base.read_bytes() == work.read_bytes():
        return compare_rows(name, lines, lines)
    work_lines = read_lines(work)
    if name in UNSTABLE and not strict and lines != work_lines:
        rows = len(lines) - 1
        same = pairing_invariant(lines) == pairing_invariant(work_lines)
        print(
            f"  {name:28s} rows {rows:>9,d}  identical: no, but not stable between two runs of one tree either;"
            f" same households and same unpaired ones: {'yes' if same else 'NO'} (--strict to fail)"
        )
        return same or compare_rows(name + " 户编号", pairing_invariant(lines), pairing_invariant(work_lines))
    if not strict and lines != work_lines and within_ties(lines) == within_ties(work_lines):
        print(
            f"  {name:28s} rows {len(lines) - 1:>9,d}  identical: no, but only the order of rows with the same"
            " first two columns differs (not stable between two runs of one tree either; --strict to fail)"
        )
        return True
    same = compare_rows(name, lines, work_lines)
    if same:  # the same text, other bytes (BOM, line ends)
        print(f"  {name:28s} same rows, different bytes  identical: NO")
    return False


def sheet_rows(path: Path) -> dict[str, list[str]]:
    """Every sheet as lines ``column types`` then one line per row of cell values (repr)."""
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    sheets: dict[str, list[str]] = {}
    for sheet in reader.sheet_names:
        frame = reader.load_sheet(sheet).to_polars()
        head = "\t".join(f"{c}:{t}" for c, t in zip(frame.columns, frame.dtypes, strict=True))
        sheets[sheet] = [head] + ["\t".join(map(repr, row)) for row in frame.iter_rows()]
    return sheets


def compare_xlsx(name: str, base: Path, work: Path, strict: bool = False) -> bool:
    if not base.exists() or not work.exists():
        print(f"  {name:28s} only in {'work' if work.exists() else 'base'}  identical: NO")
        return False
    a, b = sheet_rows(base), sheet_rows(work)
    same = list(a) == list(b)
    if not same:
        print(f"  {name:28s} sheets {list(a)} → {list(b)}  identical: NO")
    for sheet in dict.fromkeys([*a, *b]):
        rows_a, rows_b = a.get(sheet, []), b.get(sheet, [])
        if sheet in UNSTABLE and not strict and rows_a != rows_b:
            print(f"  {name + ' [' + sheet + ']':28s} rows {len(rows_a) - 1:>9,d}  see 结对.csv above")
            continue
        if not strict and rows_a != rows_b and within_sheet_ties(rows_a) == within_sheet_ties(rows_b):
            print(
                f"  {name + ' [' + sheet + ']':28s} rows {len(rows_a) - 1:>9,d}  only the order of tied rows differs"
            )
            continue
        same &= compare_rows(f"{name} [{sheet}]", rows_a, rows_b)
    return same


def within_sheet_ties(rows: list[str]) -> list[str]:
    """``within_ties`` for the tab-separated lines of ``sheet_rows``."""
    out: list[str] = rows[:1]
    group: list[str] = []
    key: list[str] | None = None
    for line in rows[1:]:
        if line.split("\t")[:2] != key:
            out += sorted(group)
            group, key = [], line.split("\t")[:2]
        group.append(line)
    return out + sorted(group)


def compare_folders(base: Path, work: Path, strict: bool = False) -> bool:
    same = True
    names = sorted({p.name for p in base.iterdir()} | {p.name for p in work.iterdir()})
    for name in names:
        if name.endswith(".csv"):
            same &= compare_csv(name, base / name, work / name, strict)
        elif name.endswith(".xlsx"):
            same &= compare_xlsx(name, base / name, work / name, strict)
    return same


def coverage(out: Path, base_src: Path) -> None:
    """Which alert codes and measures of the base revision the case's results hold, and which not.

    R01 (the risk model's warning) is left out: ``zengshou run`` trains no model.
    """
    code = (
        "from zengshou.monitor.rules import CODES; from zengshou.toolbox.definitions import MEASURES;"
        "print(' '.join(c for c in CODES if c != 'R01')); print(' '.join(m.code for m in MEASURES))"
    )
    env = {**os.environ, "PYTHONPATH": str(base_src)}
    alert_codes, measures = sh([sys.executable, "-c", code], env=env).splitlines()
    raised = {line.split(",")[1] for line in read_lines(out / "预警.csv")[1:]}
    applied = {line.split(",")[1] for line in read_lines(out / "帮扶措施.csv")[1:]}
    missing_alerts = [c for c in alert_codes.split() if c not in raised]
    missing_measures = [c for c in measures.split() if c not in applied]
    print(
        f"  exercised: {len(raised)} alert codes, {len(applied)} measures"
        + (f"; never raised: {' '.join(missing_alerts)}" if missing_alerts else "")
        + (f"; never applied: {' '.join(missing_measures)}" if missing_measures else "")
    )


def dump_database(home: Path, out: Path) -> None:
    """The stored results, one sorted CSV per table."""
    out.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(home / "zengshou.sqlite3")
    for table, (select, order) in DB_TABLES.items():
        cur = con.execute(f"SELECT {select} ORDER BY {order}")
        with (out / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow([d[0] for d in cur.description])
            writer.writerows(cur)
    con.close()


def run_database(src: Path, region: Path, home: Path, out: Path) -> None:
    """Import the region, run the year and then its second quarter; dump after each."""
    zengshou(src, home, "import", str(region))
    zengshou(src, home, "pipeline", "--year", str(YEAR))
    dump_database(home, out / "year")
    zengshou(src, home, "pipeline", "--year", str(YEAR), "--quarter", "2")
    dump_database(home, out / "quarter-2")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against (e.g. edf2c50)")
    parser.add_argument("--cases", default="demo,quarter,large", help=f"comma-separated: {', '.join(CASES)}")
    parser.add_argument("--no-database", action="store_true", help="skip the import + pipeline path")
    parser.add_argument("--keep", type=Path, help="folder for regions and results, kept afterwards")
    parser.add_argument("--strict", action="store_true", help="结对 too must be byte-identical")
    parser.add_argument("--work", type=Path, default=ROOT, help="the tree to check (default: this one)")
    parser.add_argument("--households", type=int, help="every case at this size instead (a quick check)")
    args = parser.parse_args()
    cases = [CASES[name] for name in args.cases.split(",")]
    if args.households:
        cases = [replace(c, households=args.households) for c in cases]

    work = args.keep or Path(tempfile.mkdtemp(prefix="same-results-"))
    work.mkdir(parents=True, exist_ok=True)
    base_tree = work / "base-tree"
    if base_tree.exists():
        sh(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT)
    sh(["git", "worktree", "add", "--detach", str(base_tree), args.base], cwd=ROOT)
    base_src, work_src = base_tree / "src", args.work.resolve() / "src"
    revision = sh(["git", "rev-parse", "--short", args.base], cwd=ROOT).strip()
    print(f"base {args.base} ({revision}) in {base_tree}; working tree {args.work}; files in {work}")

    same = True
    try:
        for case in cases:
            t0 = time.perf_counter()
            region = make_region(base_src, work, case)
            shutil.rmtree(work / case.name, ignore_errors=True)  # fresh homes and outputs
            period = ["--quarter", str(case.quarter)] if case.quarter else []
            outs = {}
            for side, src in (("base", base_src), ("work", work_src)):
                outs[side] = work / case.name / side / "run"
                zengshou(
                    src, work / case.name / side / "home-run", "run", "--input", str(region),
                    "--year", str(YEAR), *period, "--out", str(outs[side]),
                )  # fmt: skip
            print(f"\n[{case.name}] zengshou run: {case.households:,d} households, seed {case.seed}, {YEAR}"
                  + (f" Q{case.quarter}" if case.quarter else "") + (f", {case.gaps} without income" if case.gaps else ""))  # fmt: skip
            coverage(outs["base"], base_src)
            same &= compare_folders(outs["base"], outs["work"], args.strict)
            if not args.no_database and not case.quarter:
                for side, src in (("base", base_src), ("work", work_src)):
                    home = work / case.name / side / "home-db"
                    run_database(src, region, home, work / case.name / side / "db")
                for period_name in ("year", "quarter-2"):
                    print(f"[{case.name}] zengshou import + pipeline ({period_name}), stored results:")
                    same &= compare_folders(
                        work / case.name / "base" / "db" / period_name,
                        work / case.name / "work" / "db" / period_name,
                    )
            print(f"  ({time.perf_counter() - t0:.0f} s)")
    finally:
        sh(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\nall result tables identical" if same else "\nDIFFERENCES FOUND")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
