"""The package's import graph keeps the layering ARCHITECTURE.md draws: cli -> experiments -> agents/envs -> core <- simulators.

Every ``import`` and ``from ... import`` in every module under ``archgym/`` counts, at module
level and inside functions (a lazy import is still a dependency), and so do
``importlib.import_module("archgym....")`` with a literal name and ``"archgym.module:Class"``
strings (classes registered by name and imported on first use); imports under
``if TYPE_CHECKING:`` do not (they never run). Importing ``archgym.a.b`` runs
``archgym/__init__.py`` and ``archgym/a/__init__.py`` too, but those implicit parent imports are
not edges: only the module named (or, for ``from archgym.a import b``, the submodule ``b`` if it
is one) is. ``archgym/__init__.py`` is the public facade, which imports everything, so it is no
source of edges for the cycle and layering checks. A ``__getattr__`` (of a module or a class) is
where a deprecated name that moved is kept for one release, so the imports inside it are not edges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "archgym"
FACADE = "archgym"
CORE = (
    "space",
    "simulator",
    "objective",
    "evaluator",
    "store",
    "registry",
    "env",
    "loop",
    "wrappers",
    "costmodel",
    "indicators",
    "multiagent",
    "_optional",
    "_plain",
    "_procs",
    "_yaml",
)
SUBPACKAGES = (
    "agents",
    "simulators",
    "envs",
    "tasks",
    "proxy_models",
    "experiments",
    "cli",
    "testing",
)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({_path(self.source)}:{self.line})"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _path(module: str) -> str:
    for path in (
        (PACKAGE.parent / module.replace(".", "/")).with_suffix(".py"),
        PACKAGE.parent / module.replace(".", "/") / "__init__.py",
    ):
        if path.exists():
            return str(path.relative_to(PACKAGE.parent))
    return module


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """(imported name, line) for each import a module runs, at any depth, outside ``if TYPE_CHECKING:``."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, int]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name != "__getattr__":
            self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.extend((alias.name, node.lineno) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.module.split(".") if self.is_package else self.module.split(".")[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        for alias in node.names:
            # `from archgym.a import b` imports the submodule archgym.a.b when there is one
            self.found.append(
                (f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno)
            )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = (
            func.attr
            if isinstance(func, ast.Attribute)
            else func.id
            if isinstance(func, ast.Name)
            else ""
        )
        if (
            name in ("import_module", "import_optional")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.found.append((node.args[0].value, node.lineno))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # "archgym.agents.rl:PPO": a class registered by name and imported on first use
        if (
            isinstance(node.value, str)
            and node.value.startswith("archgym.")
            and node.value.partition(":")[2].isidentifier()
        ):
            self.found.append((node.value.partition(":")[0], node.lineno))


def _owner(name: str) -> str | None:
    """The archgym module an imported dotted name lands in (its longest prefix that is a module)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return None


def _edges() -> list[Edge]:
    edges = []
    for module, path in MODULES.items():
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(), str(path)))
        for name, line in visitor.found:
            target = _owner(name) if name == "archgym" or name.startswith("archgym.") else None
            if target is not None and target != module:
                edges.append(Edge(module, target, line))
    return sorted(set(edges), key=lambda e: (e.source, e.target, e.line))


EDGES = _edges()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _cycles(edges: list[Edge]) -> Iterator[list[Edge]]:
    """One cycle through each strongly connected component of the graph (Tarjan), as its edges."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                connect(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    for component in components:
        yield _cycle_in(min(component), component, graph)


def _cycle_in(start: str, component: set[str], graph: dict[str, list[Edge]]) -> list[Edge]:
    """The shortest path from ``start`` back to itself inside ``component`` (breadth first)."""
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.get(node, []):
                if edge.target not in component:
                    continue
                if edge.target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, came_by[path[0].source])
                    return path
                if edge.target not in came_by:
                    came_by[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    raise AssertionError(
        f"{sorted(component)} is strongly connected but has no cycle through {start}"
    )


def test_the_parser_sees_every_kind_of_import() -> None:
    # the checks below mean nothing if the parser missed lazy, relative or dynamic imports
    source = """
from typing import TYPE_CHECKING
import archgym.space
from . import controller, knobs
from ..soc import policies
from archgym.registry import make
if TYPE_CHECKING:
    from archgym.env import DesignEnv
else:
    import archgym.objective
def later():
    import importlib
    from archgym.store import Store
    return importlib.import_module("archgym.evaluator")
AGENTS = {"walk": "archgym.agents.walk:RandomWalk", "group": "archgym.envs"}
"""
    visitor = _Imports("archgym.simulators.dram.simulator", is_package=False)
    visitor.visit(ast.parse(source))
    found = {_owner(name) for name, _ in visitor.found} - {None}
    assert found == {
        "archgym.space",
        "archgym.simulators.dram.controller",
        "archgym.simulators.dram.knobs",
        "archgym.simulators.soc.policies",
        "archgym.registry",
        "archgym.objective",
        "archgym.store",
        "archgym.evaluator",
        "archgym.agents.walk",
    }
    assert ("archgym.envs.dram", "archgym.registry") in {(e.source, e.target) for e in EDGES}


def test_no_import_cycles() -> None:
    edges = [e for e in EDGES if e.source != FACADE]
    cycles = list(_cycles(edges))
    report = "\n\n".join(
        " ->\n  ".join(
            [cycle[0].source] + [f"{e.target}  (line {e.line} of {_path(e.source)})" for e in cycle]
        )
        for cycle in cycles
    )
    assert not cycles, f"{len(cycles)} import cycle(s) among archgym's modules:\n\n{report}"


def test_core_modules_import_no_subpackage() -> None:
    core = [f"archgym.{name}" for name in CORE if f"archgym.{name}" in MODULES]
    bad = [
        e
        for e in EDGES
        if e.source in core and any(_within(e.target, f"archgym.{p}") for p in SUBPACKAGES)
    ]
    assert not bad, (
        "the core modules at the package root must not import a subpackage "
        f"({', '.join(SUBPACKAGES)}):\n" + "\n".join(map(str, bad))
    )


def test_only_the_cli_imports_the_cli() -> None:
    bad = [
        e
        for e in EDGES
        if _within(e.target, "archgym.cli") and not _within(e.source, "archgym.cli")
    ]
    assert not bad, "only archgym/cli may import archgym.cli (it is the top layer):\n" + "\n".join(
        map(str, bad)
    )


def test_cycle_finder_reports_the_path() -> None:
    edges = [
        Edge("x.a", "x.b", 1),
        Edge("x.b", "x.c", 2),
        Edge("x.c", "x.a", 3),
        Edge("x.c", "x.d", 4),
    ]
    assert [[(e.source, e.target) for e in cycle] for cycle in _cycles(edges)] == [
        [("x.a", "x.b"), ("x.b", "x.c"), ("x.c", "x.a")]
    ]
    assert list(_cycles(edges[:2] + edges[3:])) == []
