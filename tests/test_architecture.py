"""The package's shape: no import cycles, no module over 400 lines, the library never imports
the user interfaces (cli, serve, app).

The import graph is read from the source with ``ast``, not by importing anything: every import
statement counts, wherever it is (module level, inside a function, under ``if TYPE_CHECKING``),
because each one is a dependency a reader and a refactoring have to follow. Relative imports are
resolved, and ``from . import x`` / ``from .pkg import x`` point at the submodule ``x`` when
there is one, else at the package. A package's ``__init__`` importing its submodules is an edge
like any other.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
PACKAGE = "custseg"
MAX_LINES = 400
# The user interfaces: everything else is the library, which must not depend on them.
INTERFACES = ("custseg.cli", "custseg.serve", "custseg.app", "custseg.__main__")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every .py file of ``package`` under ``root``."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(module: str, path: Path, level: int, name: str | None) -> str:
    """The absolute module a relative ``from`` import in ``module`` starts from."""
    parts = module.split(".")
    if not _is_package(path):
        parts.pop()  # a module's level-1 base is its package; a package's is itself
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, name] if name else parts)


def import_edges(root: Path, package: str) -> tuple[dict[str, Path], list[Edge]]:
    """Every module of ``package`` and every import between two of them."""
    modules = module_files(root, package)
    edges = []

    def internal(name: str) -> str | None:
        """``name`` or the nearest enclosing module that is part of the package."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (_resolve(module, path, node.level, node.module) if node.level
                        else node.module or "")
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in targets:
                if target == package or target.startswith(package + "."):
                    found = internal(target)
                    if found is not None and found != module:
                        edges.append(Edge(module, found, node.lineno))
    return modules, list(dict.fromkeys(edges))  # one edge per statement and target


def strongly_connected(nodes: list[str], edges: list[Edge]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    graph: dict[str, list[str]] = {n: [] for n in nodes}
    for edge in edges:
        graph[edge.source].append(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def shortest_cycle(component: list[str], edges: list[Edge]) -> list[Edge]:
    """One shortest cycle through the component's first module, as the edges that make it."""
    inside = set(component)
    out: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.source in inside and edge.target in inside:
            out.setdefault(edge.source, []).append(edge)
    start = component[0]
    came: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in sorted(out.get(node, []), key=lambda e: (e.target, e.line)):
            if edge.target == start:
                path = [edge]
                while path[0].source != start:
                    path.insert(0, came[path[0].source])
                return path
            if edge.target not in came:
                came[edge.target] = edge
                queue.append(edge.target)
    raise AssertionError(f"no cycle through {start}")  # cannot happen in a real component


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], list[Edge]]:
    modules, edges = import_edges(SRC, PACKAGE)
    assert len(modules) > 30 and edges, "the scan found no package to check"
    return modules, edges


def test_no_import_cycles(graph):
    modules, edges = graph
    cycles = [c for c in strongly_connected(list(modules), edges) if len(c) > 1]
    report = []
    for component in sorted(cycles, key=len, reverse=True):
        loop = shortest_cycle(component, edges)
        report.append(f"{len(component)} modules import each other: {', '.join(component)}\n"
                      f"    e.g. " + "\n         ".join(map(str, loop)))
    assert not cycles, f"{len(cycles)} import cycle(s):\n  " + "\n  ".join(report)


def test_no_module_over_400_lines(graph):
    modules, _ = graph
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in modules.items()}
    long = sorted(((n, name) for name, n in sizes.items() if n > MAX_LINES), reverse=True)
    assert not long, (f"{len(long)} module(s) over {MAX_LINES} lines: "
                      + ", ".join(f"{name} ({n})" for n, name in long))


def _interface(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in INTERFACES)


def test_the_library_does_not_import_the_interfaces(graph):
    modules, edges = graph
    assert any(_interface(m) for m in modules) and any(not _interface(m) for m in modules)
    wrong = [edge for edge in edges if not _interface(edge.source) and _interface(edge.target)]
    assert not wrong, ("library modules import a user interface (custseg.cli, custseg.serve, "
                       "custseg.app):\n  " + "\n  ".join(map(str, wrong)))


# ---- the checker itself, on a small made-up package --------------------------------------

FAKE = {
    "pkg/__init__.py": "from .core import run\nfrom . import ui\n",
    "pkg/core.py": ("from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
                    "import os\nif TYPE_CHECKING:\n    from .sub.deep import Thing\n"),
    "pkg/ui.py": "def main():\n    import pkg.core\n    from .sub import deep, helper\n",
    "pkg/sub/__init__.py": "from .. import core\nfrom ..core import run as _run\n",
    "pkg/sub/deep.py": "from ..ui import main\nfrom . import missing_name\n",
}


def test_the_scan_counts_every_import_and_resolves_relative_ones(tmp_path):
    for name, text in FAKE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    modules, edges = import_edges(tmp_path, "pkg")
    assert sorted(modules) == ["pkg", "pkg.core", "pkg.sub", "pkg.sub.deep", "pkg.ui"]
    found = {(e.source, e.target, e.line) for e in edges}
    assert found == {
        ("pkg", "pkg.core", 1),             # package __init__ -> submodule
        ("pkg", "pkg.ui", 2),               # from . import ui: the submodule
        ("pkg.core", "pkg.sub.deep", 5),    # under TYPE_CHECKING
        ("pkg.ui", "pkg.core", 2),          # inside a function, absolute
        ("pkg.ui", "pkg.sub.deep", 3),      # from .sub import deep: the submodule
        ("pkg.ui", "pkg.sub", 3),           # ...helper is a name in pkg.sub
        ("pkg.sub", "pkg.core", 1),         # from .. import core (in a package __init__)
        ("pkg.sub", "pkg.core", 2),         # from ..core import run
        ("pkg.sub.deep", "pkg.ui", 1),      # two levels up from a module
        ("pkg.sub.deep", "pkg.sub", 2),     # a name, not a module, of the package
    }
    cycles = [c for c in strongly_connected(list(modules), edges) if len(c) > 1]
    assert cycles == [["pkg.core", "pkg.sub", "pkg.sub.deep", "pkg.ui"]]
    loop = shortest_cycle(cycles[0], edges)  # core -> deep -> sub or ui -> core
    assert len(loop) == 3 and loop[0] == Edge("pkg.core", "pkg.sub.deep", 5)
    assert all(a.target == b.source for a, b in zip(loop, loop[1:] + loop[:1], strict=True))
