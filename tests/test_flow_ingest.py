"""The real `ingest` Prefect flow, end to end, on our own small articles (files and loopback HTTP)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

GUIDE = """---
title: Python Interview Guide
author: Test Author
---

## Python interview questions

### Technical Questions

1. **What is a Python generator and when would you use one?**

   **Answer:**
   - **Definition:** A function that yields values lazily, one at a time.
   - **Use:** Streaming large files without loading them into memory.

   **Follow-Up Points:**
   - How does `yield from` differ from a loop of yields?

2. **Explain the difference between a list and a tuple.**

   **Answer:**
   - Lists are mutable; tuples are immutable and hashable when their items are.

### Additional Questions

3. **How do you profile a slow Python program?**
4. **What is the global interpreter lock?**
"""

PLAIN = """SQL Interview Questions (0-2 years experience)

Joins and Aggregation

What is the difference between an inner join and a left join?

Explain how GROUP BY works together with HAVING.

What is a window function and when would you use one?

Indexes and Performance

How does a B-tree index speed up a query?

Describe how you would find the slowest queries in a database.
"""

OVERLAP = """# More Python questions

## Core language

1. What are Python generators, and when should you use them?
2. How do you reverse a string in Python?
"""


def _write(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "guide": folder / "guide.md",
        "plain": folder / "sql.txt",
        "empty": folder / "empty.txt",
        "binary": folder / "blob.txt",
    }
    files["guide"].write_text(GUIDE, encoding="utf-8")
    files["plain"].write_text(PLAIN, encoding="utf-8")
    files["empty"].write_text("", encoding="utf-8")
    files["binary"].write_bytes(bytes(range(256)) * 8)
    return files


def _count(db: Path, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_ingest_flow_loads_good_sources_records_bad_ones_and_reruns_as_no_op(
    prefect_harness, tmp_path, monkeypatch, httpserver
):
    from flows.ingest import ingest

    monkeypatch.setenv("QBANK_RAW_DIR", str(tmp_path / "raw"))
    db = tmp_path / "wh.duckdb"
    articles = tmp_path / "articles"
    _write(articles)
    httpserver.expect_request("/missing").respond_with_data("gone", status=404)
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    missing_url = httpserver.url_for("/missing")
    missing_path = str(tmp_path / "nope.md")

    summary = ingest([str(articles), missing_url, missing_path], warehouse=str(db))

    status = {Path(s.source_uri).name if "://" not in s.source_uri else "url": s for s in summary.sources}
    assert status["guide.md"].status == "ok" and status["guide.md"].added == 4
    assert status["sql.txt"].status == "ok" and status["sql.txt"].added == 5
    assert status["empty.txt"].status == "failed" and "empty" in status["empty.txt"].reason
    assert status["blob.txt"].status == "skipped" and "binary" in status["blob.txt"].reason
    assert status["url"].status == "failed" and "404" in status["url"].reason
    assert status["nope.md"].status == "failed" and "no such file" in status["nope.md"].reason
    assert summary.status == "partial"
    assert _count(db, "select count(*) from questions") == 9
    # follow-up points stay with their parent, not in the bank
    follow_ups = duckdb.connect(str(db), read_only=True).execute(
        "select follow_ups from questions where question like '%generator%'"
    ).fetchone()[0]
    assert len(follow_ups) == 1 and "yield from" in follow_ups[0]
    assert _count(db, "select count(*) from questions where answer is not null") == 2
    assert _count(db, "select count(*) from sources where status in ('failed', 'skipped')") == 4

    ids_before = duckdb.connect(str(db), read_only=True).execute(
        "select question_id, cluster_id from questions order by 1"
    ).fetchall()
    rerun = ingest([str(articles), missing_url, missing_path], warehouse=str(db))
    assert rerun.questions_added == 0 and rerun.questions_removed == 0
    assert {s.status for s in rerun.sources if s.source_uri.endswith(("guide.md", "sql.txt"))} == {"unchanged"}
    assert duckdb.connect(str(db), read_only=True).execute(
        "select question_id, cluster_id from questions order by 1"
    ).fetchall() == ids_before

    # a new source merges into the existing bank: its generator question joins the existing cluster
    more = tmp_path / "more"
    more.mkdir()
    (more / "overlap.md").write_text(OVERLAP, encoding="utf-8")
    third = ingest([str(more)], warehouse=str(db))
    assert third.questions_added == 2
    assert _count(db, "select count(*) from questions") == 11
    assert _count(db, "select count(*) from bank") == 10
    assert _count(db, "select max(source_count) from bank") == 2
    assert duckdb.connect(str(db), read_only=True).execute(
        "select question_id, cluster_id from questions where question_id in (select question_id from questions"
        " where source_uri not like '%overlap%') order by 1"
    ).fetchall() == ids_before
