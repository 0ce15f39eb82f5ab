"""The package's layout (issue 24 item 1): packages along the data flow, no loose top-level modules, no
import cycle, installable so nothing edits ``sys.path``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pulumi_harness import ROOT

PACKAGE = ROOT / "gateway"
STAGES = {"spec", "kong", "stack", "platform", "explain", "docs", "cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path, known: set[str]) -> set[str]:
    """The gateway modules ``path`` imports when it runs: at module level or inside functions, not in an
    ``if TYPE_CHECKING:`` block (read by type checkers only). ``from gateway.x import y`` counts as importing
    ``gateway.x.y`` when that is a module, else ``gateway.x``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                visit(other)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "gateway")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gateway":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, set(mods)) - {name} for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return out


def test_gateway_has_no_import_cycle() -> None:
    """Issue 24 item 1: no import cycle among gateway's modules, counting imports inside functions (main had
    stackconfig -> platform.interface -> platform.docker.component -> platform.tls -> stackconfig)."""
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_gateway_is_laid_out_along_the_data_flow() -> None:
    """Issue 24 item 1: one package per stage; at the top only the entry point and the re-export that state
    written before the layout change needs (gateway/adminpatch.py, see its docstring)."""
    top = {p.name for p in PACKAGE.iterdir() if not p.name.startswith((".", "__pycache__"))}
    assert top == {"__init__.py", "__main__.py", "adminpatch.py", *STAGES}
    assert all((PACKAGE / stage / "__init__.py").is_file() for stage in STAGES)


def test_nothing_edits_sys_path() -> None:
    """Issue 24 item 1: the package is installed (``pip install -e .``, Makefile ``deps``), so tests, tools and
    benches import it as it is; tests' helpers come from pytest's ``pythonpath`` (pyproject.toml)."""
    edits = re.compile(r"sys\.path\s*(\.insert|\.append|\[|\+=|=)")
    offenders = [str(p.relative_to(ROOT)) for folder in ("tests", "tools", "bench", "gateway")
                 for p in sorted((ROOT / folder).rglob("*.py")) if edits.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
