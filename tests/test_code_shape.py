"""The shape of the code (issue 16): every SQL string lives in warehouse/, the warehouse depends only on the
records and rules at the bottom of qbank, and no two modules import each other at import time."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("qbank", "extractors", "flows", "warehouse")

# A string that is a statement: starts with a SQL verb and names what it works on.
_SQL = re.compile(
    r"^\s*(SELECT\b[\s\S]*\bFROM\b|WITH\b[\s\S]*\bAS\s*\(|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(TEMP\s+)?(TABLE|VIEW)\b|ALTER\s+TABLE\b|DROP\s+(TABLE|VIEW)\b)",
    re.IGNORECASE,
)
_RUNS_SQL = {"execute", "executemany", "sql"}  # DuckDB connection methods that run a statement
# Files another change owns for now (issue 18 moves the export and the CLI's query/shell/export/ingest);
# `bench/warehouse/run.py` times `Warehouse.query`, the path of `qbank query`: its SQL is a user's.
_NOT_YET = {"qbank/export.py", "qbank/cli/query.py", "qbank/cli/shell.py", "qbank/cli/export.py",
            "qbank/cli/ingest.py", "bench/warehouse/run.py"}  # fmt: skip
# The UI's in-memory DuckDB instance: it holds no file and runs no SQL of its own (warehouse/ui_queries.py does).
_CONNECTS_IN_MEMORY = {"qbank/ui/db.py"}
# What warehouse/ may import from qbank: records, errors and id/canonical rules, none of which import further.
_WAREHOUSE_MAY_IMPORT = {"qbank.records", "qbank.errors", "qbank.ids", "qbank.canonical"}


def _modules(*roots: str) -> dict[str, Path]:
    """Module name -> file, for the packages (or folders) named."""
    found = {}
    for root in roots:
        for path in sorted((REPO / root).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _sql_outside_warehouse(path: Path) -> list[str]:
    rel = path.relative_to(REPO).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if _SQL.match(node.value):
                found.append(f"{rel}:{node.lineno}: SQL string {node.value.strip()[:50]!r}")
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            if _SQL.match(str(node.values[0].value)):
                found.append(f"{rel}:{node.lineno}: SQL f-string")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "connect" and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb":
                if rel not in _CONNECTS_IN_MEMORY or node.args:
                    found.append(f"{rel}:{node.lineno}: duckdb.connect")
            elif node.func.attr in _RUNS_SQL and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr):
                found.append(f"{rel}:{node.lineno}: .{node.func.attr}(<literal>)")
    return found


def test_every_sql_string_lives_in_warehouse() -> None:
    code = _modules("qbank", "extractors", "flows", "bench")
    found = [hit for path in code.values() if path.relative_to(REPO).as_posix() not in _NOT_YET
             for hit in _sql_outside_warehouse(path)]  # fmt: skip
    assert found == []


def test_the_check_finds_sql() -> None:
    """The scan above would see the SQL that used to live in qbank/checks.py and qbank/cli/explain.py."""
    sample = REPO / "tests" / "fixtures" / "sql_outside.py"
    hits = _sql_outside_warehouse(sample)
    # a constant, duckdb.connect, .execute("...") and .sql(f"..."); not the docstring (line 9)
    assert sorted({int(hit.split(":")[1]) for hit in hits}) == [5, 10, 11, 12], hits


def _imports(path: Path, modules: dict[str, Path], top_level_only: bool) -> set[str]:
    """The modules of `modules` that `path` imports (at import time only, when `top_level_only`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def test_warehouse_imports_only_the_bottom_of_qbank() -> None:
    modules = _modules(*PACKAGES)
    wrong = {
        (name, imported)
        for name, path in modules.items() if name.startswith("warehouse")
        for imported in _imports(path, modules, top_level_only=False)
        if imported.startswith("qbank") and imported not in _WAREHOUSE_MAY_IMPORT
    }  # fmt: skip
    # ui_queries names qbank.export's filters for type hints only (`if TYPE_CHECKING`), never at run time
    assert wrong <= {("warehouse.ui_queries", "qbank.export")}
    for leaf in _WAREHOUSE_MAY_IMPORT:
        assert _imports(modules[leaf], modules, top_level_only=True) <= {"qbank.records", "qbank.ids"}


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_but_the_cli_registration() -> None:
    """At import time no module needs another that needs it back, except `qbank.cli`'s commands, which
    register on the app of the package that imports them (typer's pattern)."""
    modules = _modules(*PACKAGES)
    edges = {name: _imports(path, modules, top_level_only=True) - {name} for name, path in modules.items()}
    cycles = _cycles(edges)
    assert all(all(m == "qbank.cli" or m.startswith("qbank.cli.") for m in cycle) for cycle in cycles), cycles
