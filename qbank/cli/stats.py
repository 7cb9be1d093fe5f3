"""`qbank stats`: what is in the warehouse — sources by status, questions, clusters, per source, last runs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail
from qbank.cli.query import OutputFormat, existing_warehouse, format_rows
from qbank.errors import QbankError
from warehouse.stats import collect_stats


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
