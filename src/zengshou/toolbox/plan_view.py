"""A household's plan (W02) as its pages show it: each measure by its Chinese title, what its amount is
(yearly money for the household, paid once, paid to a broker or employer, or no sum at all) and the
expected yearly income effect with what it leaves out.

Most measures of the two plans name no sum (services, priority, insurance): their items carry no
amount, and the page says so instead of "—"; amounts paid to brokers (T03) or employers (T09) and
one-off subsidies (``<code>.one_off``: T10, L08) are costed but are not yearly household income.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: What an item's amount is, in the words of the page.
KIND_NOTES = {
    "yearly": "每年发给农户，计入预计年增收",
    "one_off": "一次性发放，不计入预计年增收",
    "third_party": "付给劳务中介或用工企业，不计入农户收入",
    "service": "服务或政策倾斜，政策文件未规定金额",
}


@dataclass(frozen=True)
class PlanLine:
    item: Any
    title: str
    kind: str

    @property
    def note(self) -> str:
        return KIND_NOTES[self.kind]

    @property
    def amount_text(self) -> str:
        """The amount in whole yuan (rounded half up), or nothing for a measure without a sum."""
        amount = self.item.amount
        return "" if amount is None else f"{Decimal(amount).quantize(Decimal(1), ROUND_HALF_UP):,} 元"

    def __getattr__(self, name: str) -> Any:  # the item's own fields (code, amount, status, …)
        return getattr(self.item, name)


@dataclass
class PlanSummary:
    lines: list[PlanLine] = field(default_factory=list)

    def __iter__(self) -> Iterator[PlanLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def _sum(self, kind: str) -> Decimal:
        return sum((ln.item.amount or Decimal(0) for ln in self._live() if ln.kind == kind), Decimal(0))

    def _live(self) -> list[PlanLine]:
        return [ln for ln in self.lines if ln.item.applies]

    @property
    def income_effect(self) -> Decimal:
        """Yearly money to the household from the measures the rules still find."""
        return sum((ln.item.income_effect or Decimal(0) for ln in self._live()), Decimal(0))

    @property
    def one_off(self) -> Decimal:
        return self._sum("one_off")

    @property
    def third_party(self) -> Decimal:
        return self._sum("third_party")

    @property
    def services(self) -> int:
        return sum(1 for ln in self._live() if ln.kind == "service")

    @property
    def income_text(self) -> str:
        """One sentence: the yearly income effect and what it does not count."""
        parts = [f"预计年增收 {self.income_effect:,.0f} 元（直接发给农户的年度补贴）"]
        if self.one_off:
            parts.append(f"另有一次性补贴 {self.one_off:,.0f} 元")
        if self.third_party:
            parts.append(f"付给劳务中介或用工企业 {self.third_party:,.0f} 元")
        if self.services:
            parts.append(f"{self.services} 项为服务或政策倾斜，政策文件未规定金额，不计入")
        return "；".join(parts) + "。"


def _kind(item: Any, to_household: bool) -> str:
    if item.amount is None:
        return "service"
    if item.income_effect is not None:
        return "yearly"
    return "one_off" if to_household else "third_party"


def summary(items: Iterable[Any], county_code: str = "") -> PlanSummary:
    """The plan items with their measures' titles (the county's own measures included)."""
    from zengshou.toolbox import definitions as d

    measures = {m.code: m for m in d.MEASURES}
    items = list(items)
    if any(i.code not in measures for i in items):
        from zengshou.toolbox.county import ToolboxError, effective_toolboxes

        try:
            toolboxes = effective_toolboxes()
        except ToolboxError:
            toolboxes = {}
        for tb in toolboxes.values():
            if not county_code or tb.county_code == county_code:
                measures.update({m.code: m for m in tb.local_measures})
    lines = []
    for i in items:
        m = measures.get(i.code)
        lines.append(PlanLine(i, m.title if m else "本县措施", _kind(i, m.to_household if m else True)))
    return PlanSummary(lines)
