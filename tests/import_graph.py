"""The import graph of a package, read from its source, and the cycles in it.

``import_graph(root, "pymodel")`` maps each module of the package to the modules
of the same package it imports; ``find_cycles(graph)`` returns the cycles.  Used
by ``tests/test_code_quality.py``; any package of the repository (``tb``) can be
checked the same way.

What counts as an import:

* every ``import`` and ``from ... import`` anywhere in the file, including those
  inside functions and under ``if TYPE_CHECKING:``: a circle of type-only
  imports is still two modules that cannot be read, tested or moved apart;
* ``from a.b import c`` is an import of module ``a.b.c`` when that is a module,
  otherwise of ``a.b``; relative imports are resolved;
* importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, so
  from a module outside package ``a.b`` it is also an import of ``a.b`` (and of
  ``a``, from outside ``a``).  Inside a package, its ``__init__`` is already
  running, so a submodule importing a sibling does not import its parent.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["find_cycles", "format_cycle", "import_graph", "module_files"]

Graph = Mapping[str, set[str]]


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of ``package`` (a directory under ``root``)."""
    base = root / package.replace(".", "/")
    modules: dict[str, Path] = {}
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(module: str, is_package: bool, tree: ast.AST, known: set[str]) -> set[str]:
    """Modules among ``known`` that ``module`` names in its import statements."""
    here = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    targets: set[str] = set()
    for name in found:
        if name not in known:
            continue
        targets.add(name)
        parts = name.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            inside = module == parent or module.startswith(parent + ".")
            if parent in known and not inside:
                targets.add(parent)
    targets.discard(module)
    return targets


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (see the module docstring)."""
    files = module_files(root, package)
    known = set(files)
    return {
        name: _imported(
            name, path.name == "__init__.py", ast.parse(path.read_text(), str(path)), known
        )
        for name, path in files.items()
    }


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle ``[a, b, ..., a]`` for each group of modules that import each other."""
    return sorted(_cycle_in(graph, c) for c in _strongly_connected(graph) if len(c) > 1)


def format_cycle(cycle: Iterable[str]) -> str:
    """``a -> b -> a``."""
    return " -> ".join(cycle)


def _strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm, iterative; components in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_in(graph: Graph, component: set[str]) -> list[str]:
    """A shortest cycle through the alphabetically first module of ``component``."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    return [*paths[node], start]
                if nxt in component and nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover
