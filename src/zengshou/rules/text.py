"""How facts and parameters read in Chinese: ``劳动力 2 人``, ``是``/``否``, ``无``, ``6—16``, ``10%``, ``50万元``.

The same texts for a whole frame (polars expressions, the batch's reason columns) and for one row
(Python values, a household page's explanation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import polars as pl

from zengshou.rules.dsl import Env, Expr, Fact, compile_polars

#: A ``{parameter.key}`` placeholder of a requirement or note, optionally ``|range`` (6—16) or ``|%`` (10%).
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)(?:\|(range|%))?\}")
#: A placeholder followed by 元: the amount is written as officials write money (2000元, 50万元).
_YUAN = re.compile(r"\{([A-Za-z0-9_.\-]+)\} ?元")
#: A placeholder with the unit written after it: an assumption mark goes after the unit.
_WITH_UNIT = re.compile(
    r"(\{([A-Za-z0-9_.\-]+)(?:\|(?:range|%))?\}(?: ?(?:个月|万元|元/人|元|人|个|岁|年|亩|户))?)"
)
#: How an absent fact reads.
ABSENT = "无"
#: The mark after a shown parameter value no published figure backs.
ASSUMED = "（假设值）"

FactLookup = Callable[[str], Fact]


def number(v: Any) -> str:
    """A whole float without its decimals (2.0 → 2), anything else as Python writes it."""
    return str(int(v)) if isinstance(v, float) and v == int(v) else str(v)


def yuan(v: float | int) -> str:
    """An amount as officials write it: ``200元``, ``2000元``, ``1万元``, ``50万元``, ``1.5万元``."""
    if abs(v) >= 10_000 and v % 100 == 0:
        return f"{number(round(v / 10_000, 4))}万元"
    return f"{number(round(v, 2))}元"


def render(template: str, env: Env, county: str | None = None, assumed: Collection[str] = ()) -> str:
    """Fill ``{parameter.key}`` placeholders with the values in force (lists joined by 、).

    ``{key} 元`` writes an amount (:func:`yuan`); a key in ``assumed`` (no published figure backs
    its value) is marked （假设值） where its value is shown.
    """

    if assumed:
        template = _WITH_UNIT.sub(lambda m: m.group(1) + (ASSUMED if m.group(2) in assumed else ""), template)

    def money(m: re.Match[str]) -> str:
        v = env.value(m.group(1), county)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return yuan(v)
        return m.group(0)

    def sub(m: re.Match[str]) -> str:
        v = env.value(m.group(1), county)
        if m.group(2) == "range" and isinstance(v, list | tuple) and len(v) == 2:
            shown = f"{number(v[0])}—{number(v[1])}"
        elif m.group(2) == "%" and isinstance(v, int | float):
            shown = f"{number(round(v * 100, 4))}%"
        elif isinstance(v, list | tuple):
            shown = "、".join(str(x) for x in v)
        else:
            shown = number(v)
        return shown

    return PLACEHOLDER.sub(sub, _YUAN.sub(money, template))


def placeholders(template: str) -> set[str]:
    """The parameter keys a text names."""
    return {m.group(1) for m in PLACEHOLDER.finditer(template)}


def value_text(fact: Fact, value: Any) -> str:
    """``label value unit`` of one value (是/否, whole numbers without decimals, 无 for none)."""
    if value is None:
        shown = ABSENT
    elif fact.kind == "bool":
        shown = "是" if value else "否"
    elif isinstance(value, float) and value == int(value):
        shown = str(int(value))
    else:
        shown = str(value)
    return f"{fact.label} {shown}" + (f" {fact.unit}" if fact.unit and value is not None else "")


def value_expr(fact: Fact) -> pl.Expr:
    """The text of a fact's value column as an official reads it (是/否, 2, 1.5, 无)."""
    c = pl.col(fact.name)
    if fact.kind == "bool":
        b = c.cast(pl.Boolean)
        text = pl.when(b.is_null()).then(None).when(b).then(pl.lit("是")).otherwise(pl.lit("否"))
    elif fact.kind == "num":
        f = c.cast(pl.Float64)
        text = (
            pl.when(f == f.round(0)).then(f.cast(pl.Int64).cast(pl.Utf8)).otherwise(f.round(2).cast(pl.Utf8))
        )
    else:
        text = c.cast(pl.Utf8)
    return text.fill_null(pl.lit(ABSENT))


def fact_expr(fact: Fact) -> pl.Expr:
    """``label value unit`` of a fact's column, as :func:`value_text` writes one value."""
    parts = [pl.lit(fact.label + " "), value_expr(fact)]
    if fact.unit:
        parts.append(pl.when(pl.col(fact.name).is_null()).then(pl.lit("")).otherwise(pl.lit(" " + fact.unit)))
    return pl.concat_str(parts)


# --- explanation templates over columns ----------------------------------------------------------

#: ``{name}`` or ``{name|format}``: a column of the rows, or a value of the Env (a parameter key, ``period.*``).
_FIELD = re.compile(r"\{([A-Za-z0-9_.\-]+)(?:\|([^}]+))?\}")
#: ``[…]``: a part shown only where every field inside it has a value.
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


def _column_format(name: str, fmt: str | None) -> pl.Expr:
    from zengshou.income.text import percent_text, yuan_text

    c = pl.col(name)
    if fmt == "元":
        return yuan_text(c)
    if fmt == "%":
        return percent_text(c)
    if fmt == "日期":
        return c.dt.strftime("%Y-%m-%d")
    return c.cast(pl.Utf8)


def _value_format(value: Any, fmt: str | None) -> str:
    if fmt == "千分位":
        return f"{float(value):,.0f}"
    if fmt == "%":
        return f"{float(value):.0%}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return number(value)


def _in_env(name: str, env: Env) -> bool:
    return name in env.values


def _segment(text: str, env: Env) -> tuple[list[pl.Expr], list[str], bool]:
    """Parts of a piece of template, the columns it reads, and whether an Env value in it is missing."""
    parts: list[pl.Expr] = []
    columns: list[str] = []
    absent = False
    pos = 0
    for m in _FIELD.finditer(text):
        if m.start() > pos:
            parts.append(pl.lit(text[pos : m.start()]))
        name, fmt = m.group(1), m.group(2)
        if _in_env(name, env):
            value = env.value(name)
            if value is None:
                absent = True
            else:
                parts.append(pl.lit(_value_format(value, fmt)))
        else:
            parts.append(_column_format(name, fmt))
            columns.append(name)
        pos = m.end()
    if pos < len(text):
        parts.append(pl.lit(text[pos:]))
    return parts, columns, absent


def template_expr(template: str, env: Env) -> pl.Expr:
    """A Chinese explanation per row from a template: ``人均纯收入{per_capita_income|元}元[（下降{drop|%}）]``.

    Fields name a column (formats ``元`` whole yuan, ``%`` a share, ``日期`` a date) or a value of the
    Env (a parameter key or ``period.*``; format ``千分位`` 7,300). A ``[…]`` part is left out on a row
    where a column inside it is null, and everywhere when an Env value inside it is None.
    """
    parts: list[pl.Expr] = []
    pos = 0
    for m in _OPTIONAL.finditer(template):
        if m.start() > pos:
            parts.extend(_segment(template[pos : m.start()], env)[0])
        inner, columns, absent = _segment(m.group(1), env)
        if not absent:
            shown = pl.concat_str(inner) if inner else pl.lit("")
            if columns:
                ready = pl.all_horizontal([pl.col(c).is_not_null() for c in columns])
                shown = pl.when(ready).then(shown).otherwise(pl.lit(""))
            parts.append(shown)
        pos = m.end()
    if pos < len(template):
        parts.extend(_segment(template[pos:], env)[0])
    return pl.concat_str(parts) if len(parts) != 1 else parts[0]


def template_fields(template: str) -> set[str]:
    """Every field a template names (columns and Env values)."""
    return {m.group(1) for m in _FIELD.finditer(template)}


#: An explanation: a template, or cases (condition, template) of which the first that holds is used
#: (a condition ``None`` is "otherwise").
Text = str | tuple[tuple[Expr | None, str], ...]


def text_expr(text: Text, env: Env) -> pl.Expr:
    """The polars expression of a :data:`Text` (null where no case holds and there is no otherwise)."""
    if isinstance(text, str):
        return template_expr(text, env)
    cases = [(cond, template) for cond, template in text if cond is not None]
    fallback = next((template for cond, template in text if cond is None), None)
    otherwise = template_expr(fallback, env) if fallback is not None else pl.lit(None, pl.Utf8)
    if not cases:
        return otherwise
    chain: Any = pl.when(compile_polars(cases[0][0], env)).then(template_expr(cases[0][1], env))
    for cond, template in cases[1:]:
        chain = chain.when(compile_polars(cond, env)).then(template_expr(template, env))
    return chain.otherwise(otherwise)  # type: ignore[no-any-return]
