"""Data-quality checks run on the warehouse inside each load, before commit.

A check that finds rows is a warning that names them (stored in `runs.checks`, returned in the RunSummary,
shown by `qbank stats`); it never blocks the load, and it never passes silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import duckdb

from qbank.records import CheckResult, Failure, SourceResult

MAX_ROWS = 20  # offending rows listed per check; the message gives the full count

# name, what a row means, SQL returning one descriptive string per offending row (sorted)
ROW_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "empty_question",
        "questions with empty text",
        "SELECT question_id FROM occurrences WHERE trim(question) = '' ORDER BY 1",
    ),
    (
        "bank_row_without_source",
        "bank rows with no question from a recorded source",
        """SELECT c.cluster_id FROM clusters c WHERE NOT EXISTS (
               SELECT 1 FROM occurrences o JOIN source_docs s ON s.source_uri = o.source_uri
               WHERE o.cluster_id = c.cluster_id) ORDER BY 1""",
    ),
    (
        "answer_not_from_own_source",
        "bank answers not given by a variant of their own source",
        """SELECT b.cluster_id FROM bank b WHERE b.answer IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM occurrences o WHERE o.cluster_id = b.cluster_id
               AND o.source_uri = b.answer_source_uri AND o.answer = b.answer) ORDER BY 1""",
    ),
    (
        "orphan_rows",
        "rows pointing at a question, cluster or source that does not exist",
        """SELECT 'question_topics ' || question_id || ' ' || topic FROM question_topics
               WHERE question_id NOT IN (SELECT question_id FROM occurrences)
           UNION ALL SELECT 'matches ' || question_id || ' ' || other_id FROM matches
               WHERE question_id NOT IN (SELECT question_id FROM occurrences)
           UNION ALL SELECT 'clusters ' || cluster_id FROM clusters c WHERE NOT EXISTS (
               SELECT 1 FROM occurrences o WHERE o.question_id = c.canonical_question_id
               AND o.cluster_id = c.cluster_id)
           UNION ALL SELECT 'occurrences ' || question_id || ' cluster ' || cluster_id FROM occurrences
               WHERE cluster_id NOT IN (SELECT cluster_id FROM clusters)
           UNION ALL SELECT 'occurrences ' || question_id || ' source ' || source_uri FROM occurrences
               WHERE source_uri NOT IN (SELECT source_uri FROM source_docs)
           ORDER BY 1""",
    ),
)


def _row_check(con: duckdb.DuckDBPyConnection, name: str, what: str, sql: str) -> CheckResult:
    rows = [row[0] for row in con.execute(sql).fetchall()]
    if not rows:
        return CheckResult(name, True, f"no {what}")
    return CheckResult(name, False, f"{len(rows)} {what}", tuple(rows[:MAX_ROWS]))


def count_drop_check(
    previous: Mapping[str, int], current: Mapping[str, int], max_drop: float = 0.5
) -> CheckResult:
    """Sources whose question count fell by more than `max_drop` (a fraction) since the last run."""
    rows = [
        f"{uri}: {before} -> {current.get(uri, 0)}"
        for uri, before in sorted(previous.items())
        if before > 0 and current.get(uri, 0) < before * (1 - max_drop)
    ]
    if not rows:
        return CheckResult("question_count_drop", True, f"no source lost more than {max_drop:.0%} of its questions")
    return CheckResult(
        "question_count_drop",
        False,
        f"{len(rows)} sources lost more than {max_drop:.0%} of their questions since the last run",
        tuple(rows[:MAX_ROWS]),
    )


def run_checks(
    con: duckdb.DuckDBPyConnection, previous_counts: Mapping[str, int], max_drop: float = 0.5
) -> tuple[CheckResult, ...]:
    """Every check, on the warehouse as `con` sees it (inside the load's transaction)."""
    results = [_row_check(con, name, what, sql) for name, what, sql in ROW_CHECKS]
    current = dict(con.execute("SELECT source_uri, question_count FROM source_docs").fetchall())
    results.append(count_drop_check(previous_counts, current, max_drop))
    return tuple(results)


def hold_sudden_drops(
    results: Sequence[SourceResult], stored: Mapping[str, int], max_drop: float = 0.5
) -> list[SourceResult]:
    """Changed sources that lost more than `max_drop` of their stored questions become `suspect`.

    A page that had questions and now has none (or few) is more often a login wall, a cookie banner or an
    error page served with HTTP 200 than an author deleting their article. Such a source is not loaded:
    its stored questions stay, its status says why, and the run exits 3; a run with `accept_changes`
    (`qbank ingest --accept-changes`) applies the drop deliberately.
    """
    held = []
    for result in results:
        before = stored.get(result.source_uri, 0)
        now = len(result.items)
        if result.failure is None and not result.unchanged and before > 0 and now < before * (1 - max_drop):
            reason = (
                f"now yields {now} of its {before} stored questions (a login wall or error page?): kept the stored "
                "ones; run with --accept-changes to apply the drop"
            )
            result = replace(result, failure=Failure(result.source_uri, "split", reason, status="suspect"))
        held.append(result)
    return held
