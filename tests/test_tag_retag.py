"""`qbank retag`: re-tag the stored questions after a taxonomy edit, without fetching anything."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qbank.cli import app
from qbank.settings import DATA_DIR
from warehouse.store import Warehouse

ROWS = [
    ("q_1", "What is a convolutional neural network?", "It slides filters over an image.", "Deep learning"),
    ("q_2", "How do you write a window function in SQL?", None, "Data"),
    ("q_3", "What is a quokka gradient?", None, None),  # only a weak term: tagged by fallback
    ("q_4", "Tell me about your favourite zorblax.", None, None),  # no term at all
]


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    Warehouse(path).ensure_schema()
    con = duckdb.connect(str(path))
    for i, (qid, question, answer, section) in enumerate(ROWS):
        con.execute(
            "INSERT INTO occurrences (question_id, source_uri, position, section, question, question_raw, "
            "answer_text, match_key, cluster_id, first_run_id, last_run_id) VALUES (?, 'file:///a.md', ?, ?, ?, ?, ?, ?, ?, 'r1', 'r1')",
            [qid, i, section, question, question, answer, question.lower(), "c_" + qid],
        )
    con.close()
    return path


def tags(path: Path) -> set[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return set(con.execute("SELECT question_id, topic FROM question_topics").fetchall())
    finally:
        con.close()


def test_retag_then_retag_with_an_edited_taxonomy(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["retag", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "tagged 3 of 4 questions (75.0% coverage)" in result.output
    first = tags(warehouse)
    assert {("q_1", "deep_learning"), ("q_2", "databases_sql")} <= first
    assert not any(qid == "q_4" for qid, _ in first)

    # A new term in a copy of the taxonomy: q_4 gains a topic; the topics table follows the file.
    edited = tmp_path / "taxonomy.yaml"
    text = (DATA_DIR / "taxonomy.yaml").read_text()
    edited.write_text(text.replace("terms: [computer vision,", "terms: [zorblax, computer vision,"))
    result = runner.invoke(app, ["retag", "--warehouse", str(warehouse), "--taxonomy", str(edited)])
    assert result.exit_code == 0, result.output
    second = tags(warehouse)
    assert ("q_4", "computer_vision") in second
    assert second - {("q_4", "computer_vision")} == first
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM taxonomy").fetchone()[0] == text.count("  - id: ")
    con.close()


def test_retag_with_a_broken_taxonomy_changes_nothing(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["retag", "--warehouse", str(warehouse)])
    before = tags(warehouse)
    broken = tmp_path / "broken.yaml"
    broken.write_text("topics: []\n")
    result = runner.invoke(app, ["retag", "--warehouse", str(warehouse), "--taxonomy", str(broken)])
    assert result.exit_code == 1
    assert "no 'topics' list" in result.output
    assert tags(warehouse) == before


def test_retag_without_a_warehouse_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["retag", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no warehouse" in result.output


def test_retag_reads_kind_and_stem_like_an_ingest(tmp_path: Path) -> None:
    # A behavioral question under a technology heading, and a sub-question whose topic is in its stem:
    # re-tagging the stored rows gives what tagging them at ingest gives.
    path = tmp_path / "wh.duckdb"
    Warehouse(path).ensure_schema()
    con = duckdb.connect(str(path))
    rows = [("q_b", "How do you handle stress at work?", "Docker questions", None, "behavioral"),
            ("q_s", "How would you choose the value of k?", "Questions", "k-means clustering.", "technical")]
    for i, (qid, question, section, parent, kind) in enumerate(rows):
        con.execute(
            "INSERT INTO occurrences (question_id, source_uri, position, section, question, question_raw, match_key, "
            "cluster_id, first_run_id, last_run_id, parent, kind) VALUES (?, 'file:///b.md', ?, ?, ?, ?, ?, ?, 'r1', 'r1', ?, ?)",
            [qid, i, section, question, question, question.lower(), "c_" + qid, parent, kind],
        )
    con.close()
    result = CliRunner().invoke(app, ["retag", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    found = tags(path)
    assert not any(topic == "containers_kubernetes" for qid, topic in found if qid == "q_b")
    assert ("q_b", "behavioral") in found
    assert ("q_s", "classical_ml") in found
