"""The import graph of the installed package, read from the source (ast, nothing imported):
``sparkdms/`` is the core, ``connectors/`` is ``sparkdms.connectors`` and ``jobs/`` is
``sparkdms.jobs``.

- The core never imports an engine package: no ``sparkdms.connectors.<x>`` but ``base``,
  at any level (module, function, ``TYPE_CHECKING``), nor names one in a string.
- No import cycles among the modules, counting the imports that run when a module is
  imported; and, reported separately, none when the imports inside functions are counted
  too (a cycle deferred into a function is still one). ``TYPE_CHECKING`` imports never
  run and are not counted.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"sparkdms": ROOT / "sparkdms", "sparkdms.connectors": ROOT / "connectors",
           "sparkdms.jobs": ROOT / "jobs"}
CORE_ALLOWED = ("sparkdms.connectors", "sparkdms.connectors.base")  # the package, the interface
ENGINE_NAME = re.compile(r"^(?:sparkdms\.)?connectors\.(?!base\b)\w+")

MODULE, FUNCTION, TYPING = "module", "function", "type-checking"


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    line: int
    level: str  # MODULE | FUNCTION | TYPING


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    imports: list[Import] = field(default_factory=list)
    strings: list[tuple[str, int, str]] = field(default_factory=list)

    def edges(self, levels: tuple[str, ...]) -> dict[str, dict[str, Import]]:
        out: dict[str, dict[str, Import]] = {}
        for imp in self.imports:
            if imp.level in levels and imp.target in self.modules:
                out.setdefault(imp.source, {}).setdefault(imp.target, imp)
        return out


def module_name(prefix: str, folder: Path, path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(folder).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join([prefix, *parts]), is_package


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def walk(body: list[ast.stmt], level: str):
    """(import node, level) of every import statement, with where it runs."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, level
        elif isinstance(node, ast.If) and is_type_checking(node.test):
            yield from walk(node.body, TYPING)
            yield from walk(node.orelse, level)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from walk(node.body if isinstance(node.body, list) else [], FUNCTION)
        else:
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                sub = getattr(node, name, None)
                if isinstance(sub, list):
                    yield from walk([s for s in sub if isinstance(s, ast.AST)], level)


def build() -> Graph:
    graph = Graph()
    trees: dict[str, tuple[ast.Module, bool]] = {}
    for prefix, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name, is_package = module_name(prefix, folder, path)
            graph.modules[name] = path
            if is_package:
                graph.packages.add(name)
            trees[name] = (ast.parse(path.read_text(), str(path)), is_package)
    for name, (tree, is_package) in trees.items():
        for node, level in walk(tree.body, MODULE):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = resolve(name, is_package, node)
                targets = [base] + [f"{base}.{a.name}" for a in node.names
                                    if f"{base}.{a.name}" in graph.modules]
            for target in targets:
                # importing a.b.c runs a, a.b and a.b.c; a module's own packages ran before it
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    dotted = ".".join(parts[:i])
                    if dotted != name and not name.startswith(dotted + "."):
                        graph.imports.append(Import(name, dotted, node.lineno, level))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    id(node) not in docstrings and ENGINE_NAME.match(node.value):
                graph.strings.append((name, node.lineno, node.value))
    return graph


def cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
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
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def explain(component: list[str], edges: dict[str, dict[str, Import]], graph: Graph) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for source in component:
        for target, imp in sorted(edges.get(source, {}).items()):
            if target in members:
                where = graph.modules[source].relative_to(ROOT)
                lines.append(f"    {where}:{imp.line} imports {target} ({imp.level})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build()


def core(name: str) -> bool:
    return name == "sparkdms" or (name.startswith("sparkdms.") and
                                  not name.startswith(("sparkdms.connectors", "sparkdms.jobs")))


def test_every_folder_is_read(graph):
    assert "sparkdms.cli" in graph.modules
    assert "sparkdms.connectors.base" in graph.modules
    assert "sparkdms.connectors.postgres" in graph.packages
    assert "sparkdms.jobs.full_load" in graph.modules
    levels = {i.level for i in graph.imports}
    assert levels == {MODULE, FUNCTION, TYPING}, levels


def test_core_never_imports_an_engine(graph):
    bad = [f"{graph.modules[i.source].relative_to(ROOT)}:{i.line} imports {i.target} ({i.level})"
           for i in graph.imports
           if core(i.source) and (i.target.startswith("sparkdms.connectors.")
                                  or i.target == "connectors"
                                  or i.target.startswith("connectors."))
           and i.target not in CORE_ALLOWED]
    named = [f"{graph.modules[m].relative_to(ROOT)}:{line} names {text!r}"
             for m, line, text in graph.strings if core(m)]
    assert not bad + named, "the core reaches an engine by name:\n" + "\n".join(bad + named)


def test_no_import_cycles_at_import_time(graph):
    edges = graph.edges((MODULE,))
    found = cycles(edges)
    assert not found, "import cycles (module-level imports):\n" + \
        "\n".join(explain(c, edges, graph) for c in found)


def test_no_import_cycles_counting_imports_in_functions(graph):
    """A cycle broken only by moving an import into a function still couples the two
    modules both ways. (``TYPE_CHECKING`` imports never run and are not counted: the
    interface in connectors/base.py names the core's types, which the core passes it.)"""
    edges = graph.edges((MODULE, FUNCTION))
    found = cycles(edges)
    assert not found, "import cycles through imports inside functions:\n" + \
        "\n".join(explain(c, edges, graph) for c in found)


# -- the checker itself -------------------------------------------------------------------------

def test_cycle_finder_finds_and_clears():
    def imp(a: str, b: str) -> Import:
        return Import(a, b, 1, MODULE)

    edges = {"a": {"b": imp("a", "b")}, "b": {"c": imp("b", "c")}, "c": {"a": imp("c", "a")},
             "d": {"a": imp("d", "a")}}
    assert cycles(edges) == [["a", "b", "c"]]
    del edges["c"]["a"]
    assert cycles(edges) == []


def test_resolves_relative_imports_and_levels(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import a\n")
    (pkg / "sub" / "a.py").write_text(
        "from typing import TYPE_CHECKING\nfrom ..b import x\nif TYPE_CHECKING:\n"
        "    from sparkdms.sub import b2\ndef f():\n    import sparkdms.c\n")
    (pkg / "b.py").write_text("x = 'connectors.postgres'\n")
    (pkg / "c.py").write_text("")
    (pkg / "sub" / "b2.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "FOLDERS", {"sparkdms": pkg})
    g = build()
    found = {(i.source, i.target, i.level) for i in g.imports}
    assert ("sparkdms.sub.a", "sparkdms.b", MODULE) in found
    assert ("sparkdms.sub.a", "sparkdms.sub.b2", TYPING) in found
    assert ("sparkdms.sub.a", "sparkdms.c", FUNCTION) in found
    assert ("sparkdms.sub", "sparkdms.sub.a", MODULE) in found
    assert ("sparkdms.b", 1, "connectors.postgres") in g.strings
