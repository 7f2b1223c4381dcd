"""A small expression language for rules and facts: one definition, compiled to polars or PySpark.

Rules and facts are trees of :class:`Expr` nodes built with ordinary operators
(``col("labourers") == param("L06.labourers")``). Nothing in a tree depends on an engine; a
compiler (``compile_polars`` here, :mod:`zengshou.rules.spark` for PySpark) turns it into the
engine's column expression. Parameters are resolved through an :class:`Env`: a value that is the
same in every county compiles to a literal, one a county overrides to a lookup by ``county_code``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl


class Expr:
    """A node of a rule expression. Operators build new nodes; ``==`` does too (no Python equality)."""

    __hash__ = object.__hash__

    def _bin(self, op: str, other: Any) -> Expr:
        return BinOp(op, self, wrap(other))

    def __and__(self, other: Any) -> Expr:
        return self._bin("and", other)

    def __or__(self, other: Any) -> Expr:
        return self._bin("or", other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._bin("eq", other)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._bin("ne", other)

    def __ge__(self, other: Any) -> Expr:
        return self._bin("ge", other)

    def __gt__(self, other: Any) -> Expr:
        return self._bin("gt", other)

    def __le__(self, other: Any) -> Expr:
        return self._bin("le", other)

    def __lt__(self, other: Any) -> Expr:
        return self._bin("lt", other)

    def __add__(self, other: Any) -> Expr:
        return self._bin("add", other)

    def __sub__(self, other: Any) -> Expr:
        return self._bin("sub", other)

    def __mul__(self, other: Any) -> Expr:
        return self._bin("mul", other)

    def __mod__(self, other: Any) -> Expr:
        return self._bin("mod", other)

    def __truediv__(self, other: Any) -> Expr:
        return self._bin("div", other)

    def __neg__(self) -> Expr:
        return self._bin("mul", -1)

    def isin(self, values: Any) -> Expr:
        return IsIn(self, wrap(values))

    def between(self, low: Any, high: Any) -> Expr:
        return (self >= low) & (self <= high)

    def is_null(self) -> Expr:
        return IsNull(self)

    def not_null(self) -> Expr:
        return Not(IsNull(self))

    def fill_null(self, value: Any) -> Expr:
        return FillNull(self, wrap(value))

    def to_int(self) -> Expr:
        return ToInt(self)


@dataclass(frozen=True, eq=False)
class Col(Expr):
    name: str


@dataclass(frozen=True, eq=False)
class Lit(Expr):
    value: Any


@dataclass(frozen=True, eq=False)
class Param(Expr):
    """A dated parameter by key (``L02.amount``); its value comes from the :class:`Env`."""

    key: str

    def __getitem__(self, index: int) -> Item:
        return Item(self, index)


@dataclass(frozen=True, eq=False)
class Year(Expr):
    """The year evaluated."""


@dataclass(frozen=True, eq=False)
class BinOp(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Not(Expr):
    arg: Expr


@dataclass(frozen=True, eq=False)
class IsIn(Expr):
    arg: Expr
    values: Expr  # a Lit of a tuple or a Param whose value is a list


@dataclass(frozen=True, eq=False)
class IsNull(Expr):
    arg: Expr


@dataclass(frozen=True, eq=False)
class FillNull(Expr):
    arg: Expr
    value: Expr


@dataclass(frozen=True, eq=False)
class ToInt(Expr):
    arg: Expr


@dataclass(frozen=True, eq=False)
class Substr(Expr):
    """Characters ``start`` (0-based) … ``start+length`` of a text column."""

    arg: Expr
    start: int
    length: int


@dataclass(frozen=True, eq=False)
class Item(Expr):
    """Element ``index`` of a list parameter (the lower bound of ``[6, 16]``), region-wide."""

    param: Param
    index: int


@dataclass(frozen=True, eq=False)
class When(Expr):
    cases: tuple[tuple[Expr, Expr], ...]
    otherwise: Expr


@dataclass(frozen=True, eq=False)
class Agg(Expr):
    """A household aggregate of a member expression: count (of true), any, all, sum."""

    kind: str
    arg: Expr


@dataclass(frozen=True, eq=False)
class Fact:
    """A named fact with the label and unit an official reads (劳动力 2 人).

    ``entity`` is ``person`` (one value per member) or ``household``; ``expr`` is its definition over
    the registry's columns and earlier facts (an :class:`Agg` of person facts for a household count),
    or None for a column the registry, a feed or the classification supplies as it is.
    """

    name: str
    label: str
    unit: str = ""
    kind: str = "num"  # num | bool | text
    entity: str = "household"  # household | person
    expr: Expr | None = None
    #: Catalogue code or working definition the fact implements (目录 working definitions).
    source: str = ""


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: what the text requires and the facts that decide it.

    ``requirement`` is Chinese text with ``{parameter.key}`` placeholders filled from the parameter
    values in force (``仅有 {L06.labourers} 个劳动力`` → ``仅有 1 个劳动力``).
    """

    requirement: str
    expr: Expr
    shows: tuple[str, ...] = ()


def wrap(value: Any) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, list | set | frozenset):
        value = tuple(value)
    return Lit(value)


def col(name: str) -> Col:
    return Col(name)


def lit(value: Any) -> Expr:
    return wrap(value)


def param(key: str) -> Param:
    return Param(key)


def when(*cases: tuple[Any, Any], otherwise: Any = None) -> When:
    return When(tuple((wrap(c), wrap(v)) for c, v in cases), wrap(otherwise))


def any_of(*exprs: Expr) -> Expr:
    out = exprs[0]
    for e in exprs[1:]:
        out = out | e
    return out


def all_of(*exprs: Expr) -> Expr:
    out = exprs[0]
    for e in exprs[1:]:
        out = out & e
    return out


def params_in(expr: Expr) -> set[str]:
    """Every parameter key an expression reads (what-if uses it to know which rules a change touches)."""
    found: set[str] = set()

    def visit(e: Expr) -> None:
        if isinstance(e, Param):
            found.add(e.key)
        for child in _children(e):
            visit(child)

    visit(expr)
    return found


def columns_in(expr: Expr) -> set[str]:
    found: set[str] = set()

    def visit(e: Expr) -> None:
        if isinstance(e, Col):
            found.add(e.name)
        for child in _children(e):
            visit(child)

    visit(expr)
    return found


def _children(e: Expr) -> list[Expr]:
    if isinstance(e, BinOp):
        return [e.left, e.right]
    if isinstance(e, Not | IsNull | ToInt | Agg):
        return [e.arg]
    if isinstance(e, Substr):
        return [e.arg]
    if isinstance(e, IsIn):
        return [e.arg, e.values]
    if isinstance(e, Item):
        return [e.param]
    if isinstance(e, FillNull):
        return [e.arg, e.value]
    if isinstance(e, When):
        return [x for c, v in e.cases for x in (c, v)] + [e.otherwise]
    return []


@dataclass
class Env:
    """Parameter values for one evaluation: a regional value per key, and per-county overrides.

    ``county_values[key]`` maps a county code to its value where the county's toolbox differs.
    """

    year: int
    values: Mapping[str, Any]
    county_values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    county_column: str = "county_code"

    def value(self, key: str, county: str | None = None) -> Any:
        from zengshou.params import ParameterError

        if county is not None and county in self.county_values.get(key, {}):
            return self.county_values[key][county]
        if key not in self.values:
            raise ParameterError(f"未定义参数 {key} / unknown parameter {key!r}")
        v = self.values[key]
        if isinstance(v, NotInForce):
            raise ParameterError(v.message)
        return v


@dataclass(frozen=True)
class NotInForce:
    """A parameter with no value yet in the year evaluated; reading it raises with this message."""

    message: str


# --- polars -----------------------------------------------------------------------------------------

#: The binary operators of the language; polars and PySpark columns share Python's operators.
BINARY_OPS = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "mod": lambda a, b: a % b,
    "div": lambda a, b: a / b,
}


def _pl_value(value: Any) -> pl.Expr:
    if isinstance(value, tuple | list):
        return pl.lit(pl.Series(list(value)), allow_object=False).implode()
    return pl.lit(value)


def compile_polars(expr: Expr, env: Env) -> pl.Expr:
    """The polars expression of ``expr``; parameters a county overrides become a lookup by county."""
    if isinstance(expr, Col):
        return pl.col(expr.name)
    if isinstance(expr, Lit):
        return _pl_value(expr.value)
    if isinstance(expr, Year):
        return pl.lit(env.year)
    if isinstance(expr, Param):
        base = env.value(expr.key)
        overrides = env.county_values.get(expr.key) or {}
        if not overrides or isinstance(base, list | tuple):
            return _pl_value(base)
        return pl.col(env.county_column).replace_strict(
            dict(overrides), default=pl.lit(base), return_dtype=_dtype_of([base, *overrides.values()])
        )
    if isinstance(expr, Item):
        return _pl_value(env.value(expr.param.key)[expr.index])
    if isinstance(expr, BinOp):
        return BINARY_OPS[expr.op](compile_polars(expr.left, env), compile_polars(expr.right, env))
    if isinstance(expr, Not):
        return ~compile_polars(expr.arg, env)
    if isinstance(expr, IsIn):
        arg = compile_polars(expr.arg, env)
        base_set = _set_values(expr.values, env)
        overrides = env.county_values.get(expr.values.key, {}) if isinstance(expr.values, Param) else {}
        if not overrides:
            return arg.is_in(base_set)
        by_value: dict[tuple[Any, ...], list[str]] = {}
        for county, v in overrides.items():
            by_value.setdefault(tuple(v) if isinstance(v, list | tuple) else (v,), []).append(county)
        chain: Any = pl
        for values, counties in by_value.items():
            chain = chain.when(pl.col(env.county_column).is_in(counties)).then(arg.is_in(list(values)))
        return chain.otherwise(arg.is_in(base_set))  # type: ignore[no-any-return]
    if isinstance(expr, IsNull):
        return compile_polars(expr.arg, env).is_null()
    if isinstance(expr, FillNull):
        return compile_polars(expr.arg, env).fill_null(compile_polars(expr.value, env))
    if isinstance(expr, ToInt):
        return compile_polars(expr.arg, env).cast(pl.Int64, strict=False)
    if isinstance(expr, Substr):
        return compile_polars(expr.arg, env).str.slice(expr.start, expr.length)
    if isinstance(expr, When):
        out: Any = pl
        for cond, value in expr.cases:
            out = out.when(compile_polars(cond, env)).then(compile_polars(value, env))
        return out.otherwise(compile_polars(expr.otherwise, env))  # type: ignore[no-any-return]
    if isinstance(expr, Agg):
        inner = compile_polars(expr.arg, env)
        if expr.kind == "count":
            return inner.fill_null(False).cast(pl.Int64).sum()
        if expr.kind == "any":
            return inner.fill_null(False).any()
        if expr.kind == "all":
            return inner.fill_null(False).all()
        if expr.kind == "sum":
            return inner.fill_null(0).sum()
        raise ValueError(f"unknown aggregate {expr.kind}")
    raise TypeError(f"cannot compile {expr!r}")


def _set_values(values: Expr, env: Env) -> list[Any]:
    """Values of an ``isin``: a literal tuple or a list parameter (region-wide; see docs/toolbox.md)."""
    if isinstance(values, Lit):
        return list(values.value)
    if isinstance(values, Param):
        v = env.value(values.key)
        return list(v) if isinstance(v, list | tuple) else [v]
    raise TypeError("isin needs a literal list or a list parameter")


def _dtype_of(values: Sequence[Any]) -> Any:
    if all(isinstance(v, bool) for v in values):
        return pl.Boolean
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pl.Int64
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pl.Float64
    return pl.Utf8


def compile_polars_agg(name: str, expr: Expr, env: Env) -> tuple[pl.Expr, pl.Expr]:
    """A household aggregate split in two: a per-member column, then a plain sum/any/all over it.

    Computing the member expression as a column first keeps the group-by on polars' fast path.
    """
    if not isinstance(expr, Agg):
        raise TypeError(f"{name} is not an aggregate")
    inner = compile_polars(expr.arg, env)
    tmp = f"__agg_{name}"
    if expr.kind == "count":
        return inner.fill_null(False).cast(pl.Int64).alias(tmp), pl.col(tmp).sum().alias(name)
    if expr.kind == "any":
        return inner.fill_null(False).alias(tmp), pl.col(tmp).any().alias(name)
    if expr.kind == "all":
        return inner.fill_null(False).alias(tmp), pl.col(tmp).all().alias(name)
    if expr.kind == "sum":
        return inner.fill_null(0).alias(tmp), pl.col(tmp).sum().alias(name)
    raise ValueError(f"unknown aggregate {expr.kind}")
