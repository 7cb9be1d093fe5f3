"""`qbank stats`: what is in the warehouse — sources by status, questions, clusters, per source, last runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail
from qbank.cli.query import OutputFormat, existing_warehouse, format_rows
from qbank.errors import QbankError
from warehouse.store import Warehouse

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


def collect_stats(wh: Warehouse, runs: int = 5) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each section of the report as (columns, rows)."""
    return {
        "totals": wh.query(TOTALS_SQL),
        "sources": wh.query(PER_SOURCE_SQL),
        "runs": wh.query(RUNS_SQL, [runs]),
        "warnings of the last run": wh.query(LAST_WARNINGS_SQL),
    }


@app.command()
def stats(
    runs: Annotated[int, typer.Option(help="How many recent runs to list.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Summarise the warehouse: sources ok/failed/skipped, questions, clusters, per source counts, last runs.

    Example: qbank stats --runs 10
    """
    wh = existing_warehouse(warehouse)
    try:
        sections = collect_stats(wh, runs)
    except QbankError as error:
        raise fail(str(error)) from None
    if as_json:
        report = {
            name: json.loads(format_rows(cols, rows, OutputFormat.json)) for name, (cols, rows) in sections.items()
        }
        report["totals"] = report["totals"][0]
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"warehouse: {wh.path}")
    for name, (columns, rows) in sections.items():
        if name == "warnings of the last run" and not rows:
            continue
        typer.echo(f"\n{name}:")
        typer.echo(format_rows(columns, rows, OutputFormat.table), nl=False)
