"""Data-quality checks run on the warehouse inside each load, before commit.

A check that finds rows is a warning that names them (stored in `runs.checks`, returned in the RunSummary,
shown by `qbank stats`); it never blocks the load, and it never passes silently. Each row check is one
query returning a descriptive string per offending row; `run_checks` runs them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from qbank.records import CheckResult

MAX_ROWS = 20  # offending rows listed per check; the message gives the full count


@dataclass(frozen=True, slots=True)
class RowCheck:
    """A check whose query returns one descriptive string per offending row, sorted."""

    name: str
    what: str  # what one row means, plural: "questions with empty text"
    sql: str

    def run(self, con: duckdb.DuckDBPyConnection) -> CheckResult:
        rows = [row[0] for row in con.execute(self.sql).fetchall()]
        if not rows:
            return CheckResult(self.name, True, f"no {self.what}")
        return CheckResult(self.name, False, f"{len(rows)} {self.what}", tuple(rows[:MAX_ROWS]))


ROW_CHECKS: tuple[RowCheck, ...] = (
    RowCheck(
        "empty_question",
        "questions with empty text",
        "SELECT question_id FROM occurrences WHERE trim(question) = '' ORDER BY 1",
    ),
    RowCheck(
        "bank_row_without_source",
        "bank rows with no question from a recorded source",
        """SELECT c.cluster_id FROM clusters c WHERE NOT EXISTS (
               SELECT 1 FROM occurrences o JOIN source_docs s ON s.source_uri = o.source_uri
               WHERE o.cluster_id = c.cluster_id) ORDER BY 1""",
    ),
    RowCheck(
        "answer_not_from_own_source",
        "bank answers not given by a variant of their own source",
        """SELECT b.cluster_id FROM bank b WHERE b.answer IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM occurrences o WHERE o.cluster_id = b.cluster_id
               AND o.source_uri = b.answer_source_uri AND o.answer = b.answer) ORDER BY 1""",
    ),
    RowCheck(
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


def question_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Questions stored per source, as `con` sees them."""
    return dict(con.execute("SELECT source_uri, question_count FROM source_docs").fetchall())


def lost_most(before: int, now: int, max_drop: float) -> bool:
    """Whether a source that had `before` questions lost more than `max_drop` (a fraction) of them.

    The one rule behind the `question_count_drop` warning and the pipeline's `suspect` hold
    (qbank.checks.hold_sudden_drops)."""
    return before > 0 and now < before * (1 - max_drop)


def count_drop_check(
    previous: Mapping[str, int], current: Mapping[str, int], max_drop: float = 0.5
) -> CheckResult:
    """Sources whose question count fell by more than `max_drop` (a fraction) since the last run."""
    rows = [
        f"{uri}: {before} -> {current.get(uri, 0)}"
        for uri, before in sorted(previous.items())
        if lost_most(before, current.get(uri, 0), max_drop)
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
    results = [check.run(con) for check in ROW_CHECKS]
    results.append(count_drop_check(previous_counts, question_counts(con), max_drop))
    return tuple(results)
