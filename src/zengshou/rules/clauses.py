"""The clauses of the two work plans each rule applies, as officials cite them, with the sentence quoted.

Read from ``data/clauses.yaml`` (catalogue code → citations), so an explanation says
``依据 低收入组方案 二（九）`` and a page or ``zengshou explain`` can show the sentence itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CLAUSES_FILE = Path(__file__).resolve().parent.parent / "data" / "clauses.yaml"


@dataclass(frozen=True)
class Cite:
    """One clause (``低收入组方案 二（九）``) and the sentence of it a rule applies."""

    clause: str
    quote: str

    @property
    def text(self) -> str:
        return f"{self.clause}：“{self.quote}”"


@cache
def all_cites() -> dict[str, tuple[Cite, ...]]:
    """Every catalogue code with its citations, in the file's order."""
    raw = yaml.safe_load(CLAUSES_FILE.read_text(encoding="utf-8")) or {}
    return {
        str(code): tuple(Cite(str(c["clause"]), str(c["quote"]).strip()) for c in items)
        for code, items in raw.items()
    }


def cites(code: str) -> tuple[Cite, ...]:
    """The citations of a code; none for a code the file does not name (a county's local measure)."""
    return all_cites().get(code, ())


def citation(code: str, fallback: str = "") -> str:
    """``低收入组方案 二（九）`` (several joined by ；), or ``fallback`` where the file names none."""
    found = cites(code)
    return "；".join(c.clause for c in found) if found else fallback


def quote(code: str) -> str:
    """The quoted sentences with their clauses, one per line; empty where the file names none."""
    return "\n".join(c.text for c in cites(code))


__all__ = ["CLAUSES_FILE", "Cite", "all_cites", "citation", "cites", "quote"]
