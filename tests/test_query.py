"""`qbank query`, `stats` and `shell`, and the views and example queries documented in docs/warehouse.md."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qbank.cli import app
from tests import warehouse_records as w
from warehouse.store import Warehouse

DOC = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"
ML = "/data/articles/ml-basics.md"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Two runs: everything loaded, then one source failing."""
    warehouse = Warehouse(tmp_path_factory.mktemp("wh") / "qbank.duckdb")
    w.load(warehouse, 1)
    w.load(warehouse, 2, {}, failed=["https://down.example.com/qa"], unchanged=list(w.CORPUS))
    return warehouse


def run(wh: Warehouse, *args: str, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(app, [*args, "--warehouse", str(wh.path)], input=input)


SQL = "SELECT question, topics, source_count FROM bank WHERE source_count = 2"


def test_query_formats(wh: Warehouse) -> None:
    as_json = run(wh, "query", SQL, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == [{"question": "What is overfitting?", "topics": ["ml"], "source_count": 2}]
    as_csv = run(wh, "query", SQL, "--format", "csv")
    assert list(csv.reader(io.StringIO(as_csv.output))) == [
        ["question", "topics", "source_count"], ["What is overfitting?", '["ml"]', "2"]
    ]  # fmt: skip
    as_md = run(wh, "query", SQL, "--format", "markdown")
    assert as_md.output.splitlines()[2] == '| What is overfitting? | ["ml"] | 2 |'
    table = run(wh, "query", SQL).output.splitlines()
    assert table[0].split() == ["question", "topics", "source_count"] and table[-1] == "(1 row)"


def test_query_from_stdin_and_file(wh: Warehouse, tmp_path: Path) -> None:
    stdin = run(wh, "query", "-", "--format", "json", input="SELECT count(*) AS n FROM questions")
    assert json.loads(stdin.output) == [{"n": 7}]
    sql_file = tmp_path / "q.sql"
    sql_file.write_text("SELECT count(*) AS n FROM bank")
    assert json.loads(run(wh, "query", "--file", str(sql_file), "--format", "json").output) == [{"n": 6}]


def test_query_is_read_only(wh: Warehouse) -> None:
    result = run(wh, "query", "DELETE FROM occurrences")
    assert result.exit_code == 1
    assert "read-only" in result.output
    assert json.loads(run(wh, "query", "SELECT count(*) AS n FROM questions", "--format", "json").output) == [{"n": 7}]


def test_bad_query_prints_duckdb_error_and_exits_1(wh: Warehouse) -> None:
    result = run(wh, "query", "SELEC question FROM bank")
    assert result.exit_code == 1
    assert result.output.startswith("error: Parser Error: syntax error")
    assert "Traceback" not in result.output
    missing = run(wh, "query", "SELECT nope FROM bank")
    assert missing.exit_code == 1 and "Binder Error" in missing.output


def test_missing_warehouse_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["query", "SELECT 1", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no warehouse at" in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_stats_reports_sources_questions_runs(wh: Warehouse) -> None:
    result = run(wh, "stats", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"] == {
        "sources_ok": 3, "sources_failed": 1, "sources_skipped": 0, "sources_suspect": 0, "questions": 7, "clusters": 6,
        "clusters_multi_source": 1, "clusters_with_answer": 4, "topics_used": 4,
    }  # fmt: skip
    assert [r["status"] for r in report["runs"]] == ["partial", "ok"]
    [ml] = [s for s in report["sources"] if s["source_uri"] == ML]
    assert (ml["questions"], ml["only_here"]) == (3, 2)
    text = run(wh, "stats").output
    assert "https://down.example.com/qa" in text and "HTTP 503" in text


def test_builtin_shell_runs_statements(wh: Warehouse) -> None:
    result = run(wh, "shell", "--builtin", "--format", "csv",
                 input="SELECT count(*) AS n\nFROM bank;\nSELEC 1;\nSELECT 2 AS m;\n.quit\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "n\n6\n" in result.output and "m\n2\n" in result.output
    assert "Parser Error" in result.output  # a bad statement does not end the session


def documented_columns() -> dict[str, list[str]]:
    """View name -> column names listed in its table in docs/warehouse.md."""
    views: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if heading := re.match(r"### `(\w+)`", line):
            current = heading.group(1)
            views[current] = []
        elif current and (cell := re.match(r"\| `(\w+)` \|", line)):
            views[current].append(cell.group(1))
    return views


def test_docs_describe_every_column_of_every_view(wh: Warehouse) -> None:
    documented = documented_columns()
    for view in ("bank", "questions", "sources", "topics", "audit"):
        columns = [r[0] for r in wh.query(f"DESCRIBE {view}")[1]]
        assert documented[view] == columns, view


def test_docs_example_queries_run_and_return_rows(wh: Warehouse) -> None:
    examples = re.findall(r"```sql\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(examples) >= 5
    for sql in examples:
        columns, rows = wh.query(sql)
        assert rows, sql


def test_readme_example_queries_run(wh: Warehouse) -> None:
    readme = DOC.parent.parent / "README.md"
    (block,) = re.findall(r"```sql\n(.*?)```", readme.read_text(), flags=re.S)
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", block).split(";") if s.strip()]
    assert len(statements) == 5
    answered = 0
    for sql in statements:
        columns, rows = wh.query(sql)
        assert columns, sql
        answered += bool(rows)
    assert answered == 4  # all but the behavioral-for-juniors query find rows in this fixture
