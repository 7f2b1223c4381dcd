"""The clause citations: every rule has one, and every quoted sentence is in the plan it cites."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zengshou.monitor.alerts import ALERTS
from zengshou.rules.clauses import all_cites, citation, quote
from zengshou.toolbox.definitions import MEASURES, SCOPE

#: The two work plans, beside the checkout (``../shared/policy``) unless ZENGSHOU_POLICY_DIR says.
POLICY_DIR = Path(
    os.environ.get("ZENGSHOU_POLICY_DIR", Path(__file__).resolve().parents[2].parent / "shared" / "policy")
)
TITLES = {"低收入组方案": "促进低收入组脱贫人口持续稳定增收", "分层方案": "建立分层分类帮扶机制"}


def _plans() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(POLICY_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for name, title in TITLES.items():
            if title in text[:400]:
                out[name] = text
    return out


def test_every_quote_is_in_the_text_of_the_plan_it_cites() -> None:
    plans = _plans()
    if set(plans) != set(TITLES):
        pytest.skip(f"the two work plans are not in {POLICY_DIR}")
    for code, cites in all_cites().items():
        assert cites, code
        for c in cites:
            plan = c.clause.split(" ", 1)[0]
            assert plan in plans, f"{code}: {c.clause} names no plan"
            assert c.quote in plans[plan], f"{code} {c.clause}: not in the text: {c.quote}"


def test_every_rule_cites_its_clause_as_declared() -> None:
    codes = [(m.code, m.clause) for m in (SCOPE, *MEASURES)] + [(a.code, a.clause) for a in ALERTS]
    for code, declared in codes:
        assert citation(code), f"{code} has no citation in clauses.yaml"
        assert declared.startswith(all_cites()[code][0].clause), f"{code}: {declared} vs {citation(code)}"
        assert quote(code).startswith(all_cites()[code][0].clause + "：“")
    for code in ("C01", "C02", "C03"):
        assert citation(code).startswith("分层方案 二（一）")


def test_a_code_without_a_citation_falls_back() -> None:
    assert citation("X99", "本县自定") == "本县自定" and quote("X99") == ""
