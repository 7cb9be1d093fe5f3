"""Where per-source work runs: batches of sources per task, on threads or on a two-worker Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.ingest.generate import write_corpus

pytestmark = pytest.mark.slow

BANK_SQL = {
    "questions": "select question_id, cluster_id, source_uri, question, answer, topics from questions order by 1",
    "clusters": "select cluster_id, canonical_question_id from clusters order by 1",
    "sources": "select source_uri, status, question_count from sources order by 1",
}


def _bank(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in BANK_SQL.items()}


def test_dask_runner_loads_the_same_bank_as_the_thread_runner(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import ingest
    from qbank.runners import task_runner

    monkeypatch.setenv("QBANK_RAW_DIR", str(tmp_path / "raw"))
    corpus = tmp_path / "corpus"
    write_corpus(corpus, docs=12, seed=3)  # every shape, with questions shared across articles

    threads = ingest([str(corpus)], warehouse=str(tmp_path / "threads.duckdb"))
    on_dask = ingest.with_options(task_runner=task_runner("dask"))
    dask = on_dask([str(corpus)], warehouse=str(tmp_path / "dask.duckdb"))

    expected = _bank(tmp_path / "threads.duckdb")
    assert len(expected["questions"]) > 100  # the corpus really loaded, so the comparison means something
    assert len(expected["clusters"]) < len(expected["questions"])  # and shared questions were merged
    assert _bank(tmp_path / "dask.duckdb") == expected
    assert (dask.questions_added, dask.status) == (threads.questions_added, threads.status)


def test_a_crash_in_one_source_fails_only_that_source_not_its_batch(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import ingest
    from qbank import pipeline

    monkeypatch.setenv("QBANK_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("QBANK_SOURCES_PER_TASK", "4")
    corpus = tmp_path / "corpus"
    articles = write_corpus(corpus, docs=6, seed=5)
    bad = str((corpus / articles[1].name).resolve())
    original = pipeline.process_source

    def crash_on_bad(uri, settings, known=None, fetched=None):
        if uri == bad:
            raise RuntimeError("boom in one document")
        return original(uri, settings, known, fetched)

    monkeypatch.setattr(pipeline, "process_source", crash_on_bad)
    summary = ingest([str(corpus)], warehouse=str(tmp_path / "wh.duckdb"))

    status = {s.source_uri: s for s in summary.sources}
    assert status[bad].status == "failed" and "internal error" in status[bad].reason
    assert "boom in one document" in status[bad].reason
    assert sorted(s.status for uri, s in status.items() if uri != bad) == ["ok"] * 5


def test_task_runner_rejects_an_unknown_kind_and_an_address_without_dask():
    from qbank.errors import QbankError
    from qbank.runners import task_runner

    with pytest.raises(QbankError, match="unknown runner 'spark'"):
        task_runner("spark")
    with pytest.raises(QbankError, match="needs --runner dask"):
        task_runner("thread", "tcp://127.0.0.1:8786")


def test_dask_runner_uses_the_given_scheduler_or_a_two_worker_local_cluster():
    from prefect_dask import DaskTaskRunner

    from qbank.runners import task_runner

    remote = task_runner("dask", "tcp://10.0.0.5:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    local = task_runner("dask")
    assert local.address is None
    assert local.cluster_kwargs["n_workers"] == 2 and local.cluster_kwargs["threads_per_worker"] == 1
