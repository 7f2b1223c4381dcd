"""Households per measure and cost per county, before and after: ``zengshou run`` of a base revision
against this working tree on the demo region.

    .venv/bin/python benchmarks/measure_figures.py --base dae65b9
    .venv/bin/python benchmarks/measure_figures.py --base dae65b9 --keep /tmp/figures

The region is the one ``benchmarks/same_results.py`` builds for its ``demo`` case (50,000
households, seed 2025, generated once by the base revision's ``zengshou synth``, so both sides read
the same files); ``--synth work`` generates it with this tree's ``zengshou synth`` instead, for
columns the base revision does not know (the base reads such a file too, ignoring them). Both sides run ``zengshou run --input … --out …`` in a fresh ``ZENGSHOU_HOME``; the
script reads their 帮扶措施.csv and prints, side by side, the households each measure applies to
and the plan cost (sum of 金额) per county, with the change. With ``--keep`` the region and the
base revision's results are reused by a later call (only the working tree runs again).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from same_results import CASES, ROOT, YEAR, make_region, sh, zengshou


@dataclass
class Figures:
    """What one side's 帮扶措施.csv says: households per measure, cost per county and per measure."""

    households: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cost_by_county: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cost_by_measure: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rows: int = 0


def county_of(region: Path) -> dict[str, str]:
    """户编号 → county code (the first six digits of the village's 行政区划代码)."""
    with (region / "家庭.csv").open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return {row["户编号"]: row["行政区划代码"][:6] for row in reader}


def read_figures(out: Path, counties: dict[str, str]) -> Figures:
    figures = Figures()
    with (out / "帮扶措施.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            household, code = row["户编号"], row["措施代码"]
            amount = float(row["金额(元)"] or 0)
            figures.households[code].add(household)
            figures.cost_by_county[counties.get(household, "?")] += amount
            figures.cost_by_measure[code] += amount
            figures.rows += 1
    return figures


def county_names() -> dict[str, str]:
    try:
        from zengshou.registry.areas import counties
    except ImportError:
        return {}
    return {c.code: c.name for c in counties()}


def _signed(v: float) -> str:
    return f"{v:+,.0f}" if v else "0"


def print_tables(base: Figures, work: Figures, revision: str) -> None:
    codes = sorted(set(base.households) | set(work.households))
    print(f"\nHouseholds per measure (base {revision} → working tree)")
    print(
        "| measure | households before | households after | change | cost before (yuan) | cost after (yuan) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for code in codes:
        b, w = len(base.households.get(code, ())), len(work.households.get(code, ()))
        print(
            f"| {code} | {b:,d} | {w:,d} | {_signed(w - b)} |"
            f" {base.cost_by_measure.get(code, 0):,.0f} | {work.cost_by_measure.get(code, 0):,.0f} |"
        )
    names = county_names()
    counties = sorted(set(base.cost_by_county) | set(work.cost_by_county))
    print("\nPlan cost per county (sum of 金额, yuan)")
    print("| county | cost before | cost after | change |")
    print("|---|---:|---:|---:|")
    for county in counties:
        b, w = base.cost_by_county.get(county, 0.0), work.cost_by_county.get(county, 0.0)
        label = f"{county} {names.get(county, '')}".strip()
        print(f"| {label} | {b:,.0f} | {w:,.0f} | {_signed(w - b)} |")
    tb, tw = sum(base.cost_by_county.values()), sum(work.cost_by_county.values())
    print(f"| total | {tb:,.0f} | {tw:,.0f} | {_signed(tw - tb)} |")
    print(f"\nmeasure rows: {base.rows:,d} before, {work.rows:,d} after")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare against (e.g. dae65b9)")
    parser.add_argument("--keep", type=Path, help="folder for the region and results, kept and reused")
    parser.add_argument("--work", type=Path, default=ROOT, help="the tree to measure (default: this one)")
    parser.add_argument("--households", type=int, help="a smaller region instead (a quick check)")
    parser.add_argument(
        "--synth",
        choices=("base", "work"),
        default="base",
        help="which side's zengshou synth generates the region (work: with columns the base lacks)",
    )
    args = parser.parse_args()
    case = CASES["demo"]
    if args.households:
        case = type(case)(case.name, args.households, case.seed)

    work = args.keep or Path(tempfile.mkdtemp(prefix="measure-figures-"))
    work.mkdir(parents=True, exist_ok=True)
    revision = sh(["git", "rev-parse", "--short", args.base], cwd=ROOT).strip()
    region = work / (case.region + ("-work-synth" if args.synth == "work" else ""))
    base_out = work / f"base-{revision}-{case.households}-{args.synth}-synth" / "run"
    base_tree = work / "base-tree"
    t0 = time.perf_counter()
    try:
        if not (base_out / "帮扶措施.csv").exists() or not region.exists():
            if base_tree.exists():
                sh(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT)
            sh(["git", "worktree", "add", "--detach", str(base_tree), args.base], cwd=ROOT)
            synth_src = base_tree / "src" if args.synth == "base" else args.work.resolve() / "src"
            synth_dir = work if args.synth == "base" else work / "work-synth"
            synth_dir.mkdir(parents=True, exist_ok=True)
            made = make_region(synth_src, synth_dir, case)
            if made != region:
                shutil.move(made, region)
            shutil.rmtree(base_out.parent, ignore_errors=True)
            zengshou(
                base_tree / "src", base_out.parent / "home", "run", "--input", str(region),
                "--year", str(YEAR), "--out", str(base_out),
            )  # fmt: skip
        work_out = work / f"work-{args.synth}-synth" / "run"
        shutil.rmtree(work_out.parent, ignore_errors=True)
        zengshou(
            args.work.resolve() / "src", work_out.parent / "home", "run", "--input", str(region),
            "--year", str(YEAR), "--out", str(work_out),
        )  # fmt: skip
    finally:
        if base_tree.exists():
            sh(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT)
    counties = county_of(region)
    print(
        f"zengshou run --year {YEAR}: {case.households:,d} households, seed {case.seed};"
        f" base {args.base} ({revision}) against {args.work} ({time.perf_counter() - t0:.0f} s)"
    )
    print_tables(read_figures(base_out, counties), read_figures(work_out, counties), revision)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
