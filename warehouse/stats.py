"""Read-only queries behind `qbank stats`: totals, sources, recent runs, and the last run's warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.store import Warehouse

Section = tuple[list[str], list[tuple]]  # column names, rows

TOTALS_SQL = """
SELECT (SELECT count(*) FROM sources WHERE status = 'ok')      AS sources_ok,
       (SELECT count(*) FROM sources WHERE status = 'failed')  AS sources_failed,
       (SELECT count(*) FROM sources WHERE status = 'skipped') AS sources_skipped,
       (SELECT count(*) FROM sources WHERE status = 'suspect') AS sources_suspect,
       (SELECT count(*) FROM questions)                        AS questions,
       (SELECT count(*) FROM bank)                             AS clusters,
       (SELECT count(*) FROM bank WHERE source_count > 1)      AS clusters_multi_source,
       (SELECT count(*) FROM bank WHERE answer IS NOT NULL)    AS clusters_with_answer,
       (SELECT count(*) FROM topics WHERE cluster_count > 0)   AS topics_used
"""
PER_SOURCE_SQL = """
SELECT s.source_uri, s.status, s.question_count AS questions,
       count(DISTINCT q.cluster_id) FILTER (WHERE b.source_count = 1) AS only_here,
       s.last_run_id, s.error
FROM sources s
LEFT JOIN questions q ON q.source_uri = s.source_uri
LEFT JOIN bank b ON b.cluster_id = q.cluster_id
GROUP BY ALL ORDER BY s.source_uri
"""
RUNS_SQL = """
SELECT run_id, status, sources_ok AS ok, sources_unchanged AS unchanged, sources_failed AS failed,
       questions_added AS added, questions_removed AS removed, questions_total AS questions,
       clusters_total AS clusters,
       len(list_filter(CAST(checks AS JSON[]), lambda c: NOT CAST(c->>'ok' AS BOOLEAN))) AS warnings
FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?
"""
LAST_WARNINGS_SQL = """
SELECT c->>'name' AS check, c->>'message' AS message
FROM (SELECT unnest(CAST(checks AS JSON[])) AS c FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1)
WHERE NOT CAST(c->>'ok' AS BOOLEAN)
"""


def collect_stats(wh: Warehouse, runs: int = 5) -> dict[str, Section]:
    """Each section of the report as (columns, rows), read in one read-only connection."""
    sections = {
        "totals": (TOTALS_SQL, []),
        "sources": (PER_SOURCE_SQL, []),
        "runs": (RUNS_SQL, [runs]),
        "warnings of the last run": (LAST_WARNINGS_SQL, []),
    }
    out: dict[str, Section] = {}
    with wh.open(read_only=True) as con:
        for name, (sql, params) in sections.items():
            cursor = con.execute(sql, params)
            out[name] = ([d[0] for d in cursor.description], cursor.fetchall())
    return out
