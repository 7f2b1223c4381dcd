"""The result tables of a synthetic region stay exactly what they were: SHA-256 of each result CSV.

A small region (``zengshou.synth``, 3,000 households, seed 2025, ten of them without income rows for
2025) goes through ``zengshou run``'s path — interchange files, ``ingest.read``, ``run_batch``,
``write_files`` — for the year and for its second quarter. The digests in ``demo_results.sha256``
were computed from the code before the rules layer was refactored; a change to any of them is a
change of behaviour. Rows that tie on the sort columns are compared in any order, and 结对 is
pinned by its households and which are paired, not by the cadre each one gets: polars leaves both
orders open, so they differ between two runs of one tree.

After a deliberate change of results, write the new digests with
``.venv/bin/python tests/test_demo_results.py --write`` and say in the commit what changed and why.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

HOUSEHOLDS = 3_000
SEED = 2025
YEARS = range(2022, 2026)
YEAR = 2025
WITHOUT_INCOME = 10
DIGESTS = Path(__file__).with_name("demo_results.sha256")
PERIODS: dict[str, int | None] = {"year": None, "q2": 2}
SEE_DIFFERENCE = (
    ".venv/bin/python benchmarks/same_results.py --base edf2c50 --cases demo,quarter,large"
    " (prints the first differing rows of each table)"
)


def _remove_income(folder: Path) -> None:
    """Drop YEAR's income rows of a few households spread over the region (alert M07a)."""
    with (folder / "家庭.csv").open(encoding="utf-8-sig", newline="") as f:
        ids = [row[0] for row in csv.reader(f)][1:]
    chosen = set(ids[:: len(ids) // WITHOUT_INCOME][:WITHOUT_INCOME])
    path = folder / "收入.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    kept = [lines[0]] + [
        line
        for line in lines[1:]
        if not (line.split(",", 2)[0] in chosen and line.split(",", 2)[1] == str(YEAR))
    ]
    path.write_text("\ufeff" + "".join(kept), encoding="utf-8")


def _pairing_invariant(path: Path) -> bytes:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return "\n".join(f"{r[0]},{'paired' if r[1] else 'unpaired'}" for r in rows).encode()


def _within_ties(path: Path) -> bytes:
    """The file with rows sorted inside each run of equal first two columns (what ``write_files``
    sorts by): rows that tie there, such as area alerts of one code, come in an order polars leaves
    open."""
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    out, group, key = lines[:1], list[str](), None
    for line, row in zip(lines[1:], csv.reader(lines[1:]), strict=True):
        if row[:2] != key:
            out, group, key = out + sorted(group), [], row[:2]
        group.append(line)
    return "".join(out + sorted(group)).encode("utf-8")


def compute(work: Path) -> dict[str, str]:
    """``period/table.csv`` → SHA-256 of the file the pipeline writes for this region."""
    from zengshou import synth
    from zengshou.ingest import read
    from zengshou.pipeline import run_batch, write_files

    region = work / "region"
    synth.write(synth.generate(HOUSEHOLDS, YEARS, SEED), region, "csv")
    _remove_income(region)
    pop = read(region).population
    digests: dict[str, str] = {}
    for period, quarter in PERIODS.items():
        for path in write_files(run_batch(pop, YEAR, quarter), work / period):
            if path.suffix != ".csv":
                continue
            data = _pairing_invariant(path) if path.stem == "结对" else _within_ties(path)
            digests[f"{period}/{path.name}"] = hashlib.sha256(data).hexdigest()
    return digests


def _stored() -> dict[str, str]:
    pairs = (line.split(maxsplit=1) for line in DIGESTS.read_text(encoding="utf-8").splitlines() if line)
    return {name: digest for digest, name in pairs}


def test_result_tables_are_unchanged(tmp_path: Path) -> None:
    stored, found = _stored(), compute(tmp_path)
    assert set(found) == set(stored), f"result files changed: {sorted(found)} against {sorted(stored)}"
    changed = [name for name in stored if found[name] != stored[name]]
    assert not changed, (
        f"result tables changed: {', '.join(changed)} (files in {tmp_path}). "
        f"See the first differing rows with: {SEE_DIFFERENCE}"
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_demo_results.py --write")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = compute(Path(folder))
    DIGESTS.write_text("".join(f"{d}  {n}\n" for n, d in result.items()), encoding="utf-8")
    print(f"wrote {len(result)} digests to {DIGESTS}")
