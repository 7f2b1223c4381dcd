"""No import cycle between the parts of ``zengshou``: each part can be read, tested and replaced alone.

The graph is built from the source with :mod:`ast`, so it sees every import statement wherever it
stands (module top, inside a function, under ``TYPE_CHECKING``): an import deferred into a function
still makes one part depend on the other. A node is a subpackage (``zengshou.monitor``) or a module at
the package top (``zengshou.pipeline``); imports inside one node are not edges.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import zengshou

PACKAGE = "zengshou"
ROOT = Path(zengshou.__file__).parent


def _node(module: str) -> str | None:
    """The part a dotted module name belongs to (``zengshou.monitor.store`` → ``zengshou.monitor``)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return PACKAGE
    return f"{PACKAGE}.{parts[1]}"


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [PACKAGE, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool, root: Path) -> Iterator[tuple[str, int]]:
    """Every module an import statement names, with its line; ``from a import b`` yields ``a.b`` when
    ``b`` is a submodule (so ``from zengshou import pipeline`` points at the pipeline node)."""
    package = module if is_package else module.rpartition(".")[0]
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield alias.name, stmt.lineno
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (stmt.level - 1)]
                base = ".".join(base_parts + ([stmt.module] if stmt.module else []))
            else:
                base = stmt.module or ""
            for alias in stmt.names:
                sub = f"{base}.{alias.name}"
                sub_path = root.joinpath(*sub.split(".")[1:])
                if base.startswith(PACKAGE) and (sub_path.with_suffix(".py").exists() or sub_path.is_dir()):
                    yield sub, stmt.lineno
                else:
                    yield base, stmt.lineno


def import_graph(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """node → imported node → the places (``file:line``) that import it."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = _module_name(path, root)
        src = _node(module)
        assert src is not None
        graph.setdefault(src, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name, line in _imported(tree, module, path.name == "__init__.py", root):
            dst = _node(name)
            if dst is None or dst == src or dst == PACKAGE:
                continue
            graph[src].setdefault(dst, []).append(f"{path.relative_to(root)}:{line}")
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's components with more than one node: the groups of parts tied by a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def simple_cycles(graph: dict[str, dict[str, list[str]]], limit: int = 100_000) -> list[list[str]]:
    """Every elementary cycle, each once (starting at its smallest node), up to ``limit`` of them."""
    cycles: list[list[str]] = []
    nodes = sorted(graph)
    for start in nodes:
        path = [start]
        blocked = {start}

        def walk(v: str, start: str = start, path: list[str] = path, blocked: set[str] = blocked) -> None:
            for w in sorted(graph.get(v, {})):
                if len(cycles) >= limit:
                    return
                if w == start:
                    cycles.append(list(path))
                elif w > start and w not in blocked:
                    blocked.add(w)
                    path.append(w)
                    walk(w)
                    path.pop()
                    blocked.discard(w)

        walk(start)
    return cycles


def _describe(graph: dict[str, dict[str, list[str]]], group: list[str]) -> str:
    lines = []
    for a in group:
        for b in group:
            if b in graph.get(a, {}):
                lines.append(f"  {a} → {b}: {', '.join(sorted(set(graph[a][b]))[:3])}")
    return "\n".join(lines)


def test_graph_sees_the_parts() -> None:
    graph = import_graph()
    assert "zengshou.pipeline" in graph
    assert "zengshou.frames" in graph["zengshou.monitor"]


def test_no_import_cycle_between_parts() -> None:
    graph = import_graph()
    groups = strongly_connected(graph)
    assert not groups, "import cycles between parts:\n" + "\n\n".join(_describe(graph, g) for g in groups)


if __name__ == "__main__":  # counts for a source tree: python tests/test_import_cycles.py [src/zengshou]
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    g = import_graph(root)
    comps = strongly_connected(g)
    cyc = simple_cycles(g)
    pairs = sorted({tuple(sorted((a, b))) for a in g for b in g[a] if a in g.get(b, {})})
    print(f"parts: {len(g)}, edges: {sum(len(v) for v in g.values())}")
    print(f"groups tied by cycles: {len(comps)} {[len(c) for c in comps]}")
    print(f"mutual pairs (2-cycles): {len(pairs)}")
    print(f"elementary cycles: {len(cyc)}")
    for c in comps:
        print(c)
        print(_describe(g, c))
    for p in pairs:
        print("pair:", p)
