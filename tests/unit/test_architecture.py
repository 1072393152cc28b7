"""The shape of the house, checked from the code's own imports (read with `ast`, nothing is
run): the read side, the write side and the pure rules stay in their layers, and no module
imports itself back through others. Every import counts, at module level or inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "migrations", "var", ".git", "benchmarks", "docs", "__pycache__"}

# What each package may import from the project, besides itself. A package not listed here
# (app, api, manage, demo, live, serving, pages) sits above all of these.
MAY_IMPORT: dict[str, set[str]] = {
    "settings": set(),
    "domain": {"settings"},
    "data_access": {"settings", "domain"},
    "security": {"settings", "domain", "data_access"},
    "geo": {"settings", "domain", "data_access", "security"},
    "loaders": {"settings", "domain", "data_access", "security", "geo"},
    "components": {"settings", "domain", "data_access", "security", "geo"},
}
# Pure rules: no web framework, no database toolkit, no plotting.
DOMAIN_FORBIDDEN = ("dash", "flask", "sqlalchemy", "plotly", "pandas", "psycopg")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIP & set(relative.parts):
            continue
        name = ".".join(relative.with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules and top-level third-party packages imported anywhere in the file."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rpartition(".")[0]
            out.add(target)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def test_every_layer_imports_only_what_lies_below_it(graph):
    wrong = sorted(f"{module} imports {target}" for module, targets in graph.items()
                   if _top(module) in MAY_IMPORT for target in targets
                   if target in graph and _top(target) != _top(module)
                   and _top(target) not in MAY_IMPORT[_top(module)])
    assert wrong == []


def test_nothing_below_the_pages_imports_components_or_pages(graph):
    lower = ("domain", "data_access", "geo", "security", "loaders", "settings")
    wrong = sorted(f"{m} imports {t}" for m, ts in graph.items() if _top(m) in lower
                   for t in ts if _top(t) in ("components", "pages"))
    assert wrong == []


def test_the_read_side_never_needs_the_write_side(graph):
    wrong = sorted(f"{m} imports {t}" for m, ts in graph.items() if _top(m) == "data_access"
                   for t in ts if _top(t) == "loaders")
    assert wrong == []


def test_pure_rules_use_no_web_database_or_plotting_library(graph):
    wrong = sorted(f"{m} imports {t}" for m, ts in graph.items() if _top(m) == "domain"
                   for t in ts if t.split(".")[0] in DOMAIN_FORBIDDEN)
    assert wrong == []


def test_no_import_loop(graph):
    """Tarjan's strongly connected components over the project's modules: none larger than one."""
    index, low, stack, on_stack, loops = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert loops == []


# Layout pieces that only turn data into layout: the page reads the data (and writes the
# audit log) and hands it over, so these never reach into data_access or security.
PURE_LAYOUT = ("components.deck", "components.deck_export", "components.export", "components.charts",
               "components.chart_style")


@pytest.mark.parametrize("module", PURE_LAYOUT)
def test_layout_pieces_read_no_data_and_write_no_audit(graph, module):
    assert module in graph, f"{module} not found"
    assert sorted(t for t in graph[module] if _top(t) in ("data_access", "security")) == []


@pytest.mark.parametrize("module, expected", [
    ("domain.formulas", set()),
    ("loaders.kpi_import", {"loaders.apply", "data_access.lineage"}),
])
def test_the_graph_reader_sees_known_imports(graph, module, expected):
    """The checks above are only as good as the reader: it must see imports that exist."""
    assert expected <= graph[module]
