"""`qbank explain`: a cluster's canonical, members with reasons, near misses, on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qbank.cli import app
from qbank.dedupe import dedupe
from qbank.normalize import to_questions
from qbank.records import QAItem
from qbank.settings import DedupeSettings

SCHEMA = Path(__file__).resolve().parent.parent / "warehouse" / "schema.sql"


def item(text: str, source: str, position: int, answer: str | None = None) -> QAItem:
    return QAItem(source_uri=source, position=position, question=text, question_raw=text,
                  answer_markdown=answer, answer_text=answer, section=None)


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Path, dict]:
    """A warehouse built from schema.sql, loaded with one dedupe run of five questions."""
    items = [item("What is overfitting?", "a.md", 0), item("Explain overfiting.", "b.md", 0, "It memorises."),
             item("What is a neural network?", "a.md", 1), item("What is a convolutional neural network?", "b.md", 1),
             item("What is dropout?", "c.md", 0)]
    questions = to_questions(items)
    result = dedupe(questions, [], DedupeSettings())
    path = tmp_path / "qbank.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    reasons = {a.question_id: a for a in result.assignments}
    for q in questions:
        a = reasons[q.question_id]
        con.execute("INSERT INTO occurrences (question_id, source_uri, position, question, question_raw, answer,"
                    " match_key, cluster_id, cluster_reason, first_run_id, last_run_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'r1', 'r1')",
                    [q.question_id, q.item.source_uri, q.item.position, q.item.question, q.item.question_raw,
                     q.item.answer_markdown, q.match_key, a.cluster_id, a.reason])
    for cluster_id, canonical in result.canonical.items():
        con.execute("INSERT INTO clusters VALUES (?, ?, 'r1', 'r1')", [cluster_id, canonical])
    for m in result.matches:
        con.execute("INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?, 'r1')",
                    [m.question_id, m.other_id, m.score, m.scorer, m.accepted, m.rule])
    con.execute("INSERT INTO cluster_merges VALUES ('c_gone', ?, 'must_link', 'r1')",
                [reasons[questions[0].question_id].cluster_id])
    con.close()
    return path, {"questions": questions, "result": result}


def run(*args: str):
    return CliRunner().invoke(app, ["explain", *args])


def test_explain_by_cluster_id_and_question_id(warehouse) -> None:
    path, data = warehouse
    q0, q1 = data["questions"][:2]
    cluster = next(a.cluster_id for a in data["result"].assignments if a.question_id == q0.question_id)
    by_cluster = run(cluster, "--warehouse", str(path))
    assert by_cluster.exit_code == 0, by_cluster.output
    out = by_cluster.output
    assert f"cluster {cluster}" in out
    # The answered member is canonical; each member says why it joined.
    assert f"canonical: Explain overfiting.  [{q1.question_id}]" in out
    assert "new_cluster" in out and "model:same (pair_model" in out
    assert "b.md: Explain overfiting." in out and "a.md: What is overfitting?" in out
    assert "merged in: c_gone" in out
    assert run(q1.question_id, "-w", str(path)).output == out
    assert run("c_gone", "-w", str(path)).output.startswith(f"cluster {cluster} (the id you asked for was merged")


def test_explain_shows_near_misses_kept_apart(warehouse) -> None:
    path, data = warehouse
    nn = data["questions"][2]
    out = run(nn.question_id, "-w", str(path)).output
    assert "near misses (kept apart):" in out
    assert "model:different:subset:convolutional: What is a convolutional neural network?" in out


def test_explain_unknown_id_and_missing_warehouse(warehouse, tmp_path: Path) -> None:
    path, _ = warehouse
    unknown = run("q_nope", "-w", str(path))
    assert unknown.exit_code == 1 and "no cluster or question with id 'q_nope'" in unknown.output
    missing = run("c_x", "-w", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 1 and "no warehouse at" in missing.output


def test_explain_opens_through_the_warehouse_checks(warehouse) -> None:
    """Issue 16: explain opens the file as every other command does (Warehouse: busy and schema checks): a
    warehouse from a newer qbank is refused with one line; it used to be read as it was."""
    path, _ = warehouse
    con = duckdb.connect(str(path))
    con.execute("UPDATE schema_info SET value = '99' WHERE key = 'schema_version'")
    con.close()
    newer = run("c_x", "-w", str(path))
    assert newer.exit_code == 1
    assert "schema version 99, newer than this qbank's" in newer.output and newer.output.count("\n") == 1
