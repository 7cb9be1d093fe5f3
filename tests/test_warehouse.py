"""Warehouse store: schema versions, locking, and one-transaction loads (replace, keep, roll back)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from qbank.cli import app
from qbank.errors import SchemaVersionError, WarehouseBusy
from qbank.records import ClusterMerge, DedupeResult
from tests import warehouse_records as w
from warehouse import store
from qbank.normalize import question_id
from warehouse.store import Warehouse

ML = "/data/articles/ml-basics.md"
DL = "https://example.com/interview/deep-learning"
BEHAVIORAL = "/data/articles/behavioral.txt"
V1_DDL = Path(__file__).parent / "fixtures" / "warehouse_v1.sql"
TABLES = ("source_docs", "occurrences", "rejected", "clusters", "cluster_merges", "matches", "taxonomy",
          "question_topics", "runs")  # fmt: skip


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "qbank.duckdb")
    w.load(warehouse, 1)
    return warehouse


def rows(wh: Warehouse, sql: str, params: tuple = ()) -> list[tuple]:
    return wh.query(sql, params)[1]


def snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean an unchanged warehouse."""
    return {t: sorted(rows(wh, f"SELECT * FROM {t}"), key=repr) for t in TABLES}


def test_fresh_warehouse_gets_current_schema(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "sub" / "new.duckdb")
    assert wh.known_sources() == {}
    assert rows(wh, "SELECT value FROM schema_info WHERE key = 'schema_version'") == [
        (str(store.current_schema_version()),)
    ]
    views = {r[0] for r in rows(wh, "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
    assert views == {"bank", "questions", "sources", "topics", "audit"}


def test_version_1_warehouse_is_migrated_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_DDL.read_text())
    con.execute("INSERT INTO topics VALUES ('ml', 'Machine learning', NULL, NULL)")
    con.execute("INSERT INTO source_docs (source_uri, status, content_sha256, question_count, first_run_id, "
                "last_run_id) VALUES ('/a.md', 'ok', 'abc', 1, 'r1', 'r1')")  # fmt: skip
    con.execute("INSERT INTO occurrences (question_id, source_uri, position, question, question_raw, match_key, "
                "cluster_id, first_run_id, last_run_id) VALUES ('q_0000000000000001', '/a.md', 0, "
                "'What is a tensor?', 'What is a tensor?', 'what is a tensor', 'c_0000000000000001', 'r1', 'r1')")  # fmt: skip
    con.execute("INSERT INTO clusters VALUES ('c_0000000000000001', 'q_0000000000000001', 'r1', 'r1')")
    con.execute("INSERT INTO question_topics VALUES ('q_0000000000000001', 'ml', 1.0, 'tensor')")
    con.execute("INSERT INTO runs (run_id, started_at, status, settings_hash) VALUES ('r1', now(), 'ok', 'h')")
    con.close()

    wh = Warehouse(path)
    assert wh.known_sources()["/a.md"].sha256 == "abc"
    assert rows(wh, "SELECT value FROM schema_info") == [(str(store.current_schema_version()),)]
    assert rows(wh, "SELECT question, topics, source_count FROM bank") == [("What is a tensor?", ["ml"], 1)]
    assert rows(wh, "SELECT topic, label, cluster_count FROM topics") == [("ml", "Machine learning", 1)]
    assert rows(wh, "SELECT questions_kept, sources_skipped FROM runs") == [(0, 0)]
    # v3: the question's id is made from its words; its topics and its cluster's canonical follow it
    new_id = question_id("/a.md", "What is a tensor?")
    assert rows(wh, "SELECT question_id FROM questions") == [(new_id,)]
    assert rows(wh, "SELECT canonical_question_id, topics FROM bank") == [(new_id, ["ml"])]
    w.load(wh, 2)  # and it loads like a fresh one
    assert rows(wh, "SELECT count(*) FROM questions") == [(8,)]


def test_version_2_question_ids_are_rewritten_everywhere(tmp_path: Path) -> None:
    # v2 made ids from the match key; v3 from the question's words. Every table that names a question follows.
    wh = Warehouse(tmp_path / "v2.duckdb")
    w.load(wh, 1)
    tables = {"bank": "SELECT * FROM bank ORDER BY cluster_id", "tags": "SELECT * FROM question_topics ORDER BY ALL",
              "matches": "SELECT * FROM matches ORDER BY ALL", "questions": "SELECT * FROM questions ORDER BY ALL"}
    before = {name: rows(wh, sql) for name, sql in tables.items()}
    con = duckdb.connect(str(wh.path))
    for table, column in (("occurrences", "question_id"), ("question_topics", "question_id"), ("matches", "question_id"),
                          ("matches", "other_id"), ("clusters", "canonical_question_id")):
        con.execute(f"UPDATE {table} SET {column} = 'q_old' || {column}")
    con.execute("UPDATE schema_info SET value = '2' WHERE key = 'schema_version'")
    con.close()
    assert {name: rows(Warehouse(wh.path), sql) for name, sql in tables.items()} == before
    assert before["matches"] and before["tags"]


def test_version_5_sources_are_marked_given_and_each_run_records_how_it_found_its_sources(wh: Warehouse) -> None:
    con = duckdb.connect(str(wh.path))
    con.execute("DROP VIEW sources")
    con.execute("ALTER TABLE source_docs DROP COLUMN found_by")
    con.execute("ALTER TABLE source_docs DROP COLUMN found_from")
    con.execute("UPDATE schema_info SET value = '5' WHERE key = 'schema_version'")
    con.close()
    migrated = Warehouse(wh.path)
    assert set(rows(migrated, "SELECT found_by, found_from FROM sources")) == {("given", None)}

    crawled, questions = w.source_result(DL, w.CORPUS[DL], version="v2")
    crawled = replace(crawled, found_by="crawl", found_from="https://example.com/interview/")
    failed = replace(w.failed_result("https://example.com/sitemap.xml"), found_by="sitemap")
    migrated.load_run(w.run_info(2), [crawled, failed, w.unchanged_result(ML)], questions,
                      w.dedupe_exact(migrated, questions), [], [])  # fmt: skip
    assert rows(migrated, "SELECT source_uri, found_by, found_from FROM sources ORDER BY 1") == [
        (BEHAVIORAL, "given", None),  # not in this run: as it was
        (ML, "given", None),
        (DL, "crawl", "https://example.com/interview/"),
        ("https://example.com/sitemap.xml", "sitemap", None),
    ]


def test_newer_warehouse_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    Warehouse(path).ensure_schema()
    con = duckdb.connect(str(path))
    con.execute("UPDATE schema_info SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError, match="schema version 99, newer than"):
        Warehouse(path).known_sources()


@pytest.mark.slow
def test_file_held_by_another_process_raises_busy_naming_it(wh: Warehouse) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
         str(wh.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        busy = Warehouse(wh.path, busy_timeout=0.5)
        with pytest.raises(WarehouseBusy) as raised:
            busy.existing_members()
        message = str(raised.value)
        assert f"(PID {holder.pid})" in message and "\n" not in message
        with pytest.raises(WarehouseBusy):
            w.load(busy, 2)
        cli = CliRunner().invoke(app, ["query", "SELECT 1", "--warehouse", str(wh.path)])  # default 5 s window
        assert cli.exit_code == 1
        assert cli.output.startswith("error: warehouse ") and cli.output.count("\n") == 1, cli.output
    finally:
        holder.communicate("")  # closes its stdin: the holder exits
    assert len(Warehouse(wh.path).existing_members()) == 7  # usable again once released


def test_load_builds_bank_with_variants(wh: Warehouse) -> None:
    [(question, answer, topics, source_count, variants)] = rows(
        wh, "SELECT question, answer, topics, source_count, variants FROM bank WHERE question LIKE 'What is over%'"
    )
    assert (question, topics, source_count) == ("What is overfitting?", ["ml"], 2)
    assert answer.startswith("The model memorises")  # the canonical (first loaded) variant's answer
    assert [(v["source_uri"], v["section"]) for v in variants] == [(ML, "Questions"), (DL, "Questions")]
    assert set(variants[0]) == {"question", "source_uri", "section", "answer"}
    assert rows(wh, "SELECT count(*), count(DISTINCT cluster_id) FROM questions") == [(7, 6)]
    assert rows(wh, "SELECT event, source_uri FROM audit WHERE event = 'merged'") == [("merged", DL)]


def test_reload_of_identical_input_adds_nothing(wh: Warehouse) -> None:
    before = rows(wh, "SELECT question_id, first_run_id, cluster_id FROM occurrences ORDER BY 1")
    summary = w.load(wh, 2)
    assert (summary.questions_added, summary.questions_kept, summary.questions_removed) == (0, 7, 0)
    assert rows(wh, "SELECT question_id, first_run_id, cluster_id FROM occurrences ORDER BY 1") == before
    assert rows(wh, "SELECT count(*) FROM rejected") == [(3,)]  # replaced per source, not appended
    assert rows(wh, "SELECT count(*) FROM matches") == [(1,)]


def test_changed_source_replaces_its_rows(wh: Warehouse) -> None:
    changed = {ML: [
        ("What is overfitting?", "Learning noise instead of signal.", "technical", "beginner", ("ml",)),
        ("Explain the bias-variance tradeoff.", "Simpler models underfit.", "technical", "intermediate", ("ml",)),
        ("What is gradient descent?", "Stepping against the gradient.", "technical", "beginner", ("ml",)),
    ]}  # fmt: skip
    summary = w.load(wh, 2, changed, unchanged=[DL, BEHAVIORAL], version="v2")
    [ml] = [s for s in summary.sources if s.source_uri == ML]
    assert (ml.added, ml.kept, ml.removed) == (1, 2, 1)
    assert summary.status == "ok"
    ml_rows = rows(wh, "SELECT question, answer, first_run_id FROM questions WHERE source_uri = ? ORDER BY position", (ML,))
    assert ml_rows == [
        ("What is overfitting?", "Learning noise instead of signal.", w.run_info(1).run_id),
        ("Explain the bias-variance tradeoff.", "Simpler models underfit.", w.run_info(1).run_id),
        ("What is gradient descent?", "Stepping against the gradient.", w.run_info(2).run_id),
    ]
    # the transformer question is gone with its cluster and its topic tags
    assert rows(wh, "SELECT count(*) FROM bank WHERE question = 'What is a transformer?'") == [(0,)]
    assert rows(wh, "SELECT count(*) FROM topics WHERE topic = 'nlp' AND question_count > 0") == [(0,)]
    assert rows(wh, "SELECT content_sha256 FROM sources WHERE source_uri = ?", (ML,)) != [(None,)]
    assert all(c.ok for c in summary.checks), summary.checks


def test_cluster_survives_when_its_canonical_question_leaves(wh: Warehouse) -> None:
    [(cluster_id,)] = rows(wh, "SELECT cluster_id FROM bank WHERE source_count = 2")
    w.load(wh, 2, {ML: w.CORPUS[ML][1:]}, unchanged=[DL, BEHAVIORAL], version="v2")
    [(canonical_source, source_count, answer)] = rows(
        wh, "SELECT canonical_source_uri, source_count, answer FROM bank WHERE cluster_id = ?", (cluster_id,)
    )
    assert (canonical_source, source_count) == (DL, 1)
    assert answer == "Fitting the training data too closely to generalise."


def test_a_new_canonical_is_chosen_by_the_dedupe_rule(tmp_path: Path) -> None:
    """Issue 16: when a cluster's canonical leaves it, the loader chooses the next one by the rule the
    deduper uses (qbank/canonical.py: answered, then a complete question...), no longer by its own SQL
    (answered, then the oldest): the older variant without a "?" loses to the newer complete question."""
    wh = Warehouse(tmp_path / "qbank.duckdb")
    first = {"/a.md": [("What is overfitting?", "Noise.", "technical", None, ())],
             "/b.md": [("what is overfitting", "Memorising.", "technical", None, ())]}  # fmt: skip
    w.load(wh, 1, first)
    w.load(wh, 2, {**first, "/c.md": [("What is overfitting?", "Learning noise.", "technical", None, ())]})
    assert rows(wh, "SELECT canonical_source_uri FROM bank") == [("/a.md",)]
    wh.remove_sources(w.run_info(3), ["/a.md"])
    assert rows(wh, "SELECT canonical_source_uri, question, source_count FROM bank") == [
        ("/c.md", "What is overfitting?", 2)
    ]


def test_failed_refetch_keeps_old_questions_and_records_error(wh: Warehouse) -> None:
    summary = w.load(wh, 2, {DL: w.CORPUS[DL]}, failed=[ML], unchanged=[BEHAVIORAL])
    assert summary.status == "partial"
    assert rows(wh, "SELECT status, error, question_count FROM sources WHERE source_uri = ?", (ML,)) == [
        ("failed", "HTTP 503 from server; retry later", 3)
    ]
    assert rows(wh, "SELECT count(*) FROM questions WHERE source_uri = ?", (ML,)) == [(3,)]
    assert wh.known_sources()[ML].status == "failed"
    every_source_failed = w.load(wh, 3, {}, failed=[ML, DL, BEHAVIORAL])
    assert every_source_failed.status == "failed"
    assert rows(wh, "SELECT status FROM runs WHERE run_id = ?", (w.run_info(3).run_id,)) == [("failed",)]


def test_unchanged_source_only_bumps_last_run(wh: Warehouse) -> None:
    summary = w.load(wh, 2, {}, unchanged=[ML, DL, BEHAVIORAL])
    assert [s.status for s in summary.sources] == ["unchanged"] * 3
    assert rows(wh, "SELECT DISTINCT last_run_id, first_run_id FROM sources") == [
        (w.run_info(2).run_id, w.run_info(1).run_id)
    ]
    assert rows(wh, "SELECT count(*) FROM questions") == [(7,)]


def test_failure_inside_load_leaves_warehouse_unchanged(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(wh)

    def broken_checks(*args: object) -> tuple:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "run_checks", broken_checks)
    changed = {ML: [("What is gradient descent?", None, "technical", None, ())]}
    with pytest.raises(RuntimeError, match="disk full"):
        w.load(wh, 2, changed, failed=[DL], version="v2")
    assert snapshot(wh) == before


def test_question_without_cluster_is_refused_and_rolled_back(wh: Warehouse) -> None:
    before = snapshot(wh)
    result, questions = w.source_result(ML, [("What is a new question here?", None, "technical", None, ())], "v9")
    with pytest.raises(ValueError, match="no cluster assignment"):
        wh.load_run(w.run_info(2), [result], questions, DedupeResult(()), [], [])
    assert snapshot(wh) == before


def test_cluster_merge_moves_members_and_is_audited(wh: Warehouse) -> None:
    [(absorbed,)] = rows(wh, "SELECT cluster_id FROM bank WHERE question = 'How does dropout work?'")
    [(into,)] = rows(wh, "SELECT cluster_id FROM bank WHERE question = 'What is a transformer?'")
    result, questions = w.source_result(BEHAVIORAL, w.CORPUS[BEHAVIORAL])
    merge = DedupeResult((), merges=(ClusterMerge(absorbed, into, "fuzzy:token_set"),))
    wh.load_run(w.run_info(2), [result], questions, merge, w.tags_for(w.CORPUS, questions), [])
    assert rows(wh, "SELECT variant_count, source_count FROM bank WHERE cluster_id = ?", (into,)) == [(2, 2)]
    assert rows(wh, "SELECT count(*) FROM bank WHERE cluster_id = ?", (absorbed,)) == [(0,)]
    assert rows(wh, "SELECT text, reason FROM audit WHERE event = 'cluster_merged'") == [(absorbed, "fuzzy:token_set")]


def test_open_in_this_process_in_another_mode_is_busy_not_a_crash(wh: Warehouse) -> None:
    con = duckdb.connect(str(wh.path))  # e.g. a notebook holding a read-write connection
    try:
        with pytest.raises(WarehouseBusy, match="open in this process in another mode"):
            Warehouse(wh.path, busy_timeout=0.3).query("SELECT 1")
    finally:
        con.close()
