"""`qbank export`: write the deduplicated bank and its occurrences as JSON, JSONL, CSV and/or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError
from qbank.export import ExportFilters, export_bank


@app.command()
def export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory. Default: exports/.")] = None,
    formats: Annotated[
        str | None, typer.Option("--format", help="Comma-separated: json,jsonl,csv,parquet. Default: all.")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only questions tagged with this topic (or a child topic).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. technical, coding, behavioral.")] = None,
    level: Annotated[str | None, typer.Option(help="Only this level: beginner, intermediate, advanced.")] = None,
    min_sources: Annotated[int, typer.Option(help="Only questions asked by at least N sources.")] = 1,
    since: Annotated[str | None, typer.Option(help="Only questions created or changed in this run or later.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Only questions whose wordings contain every one of these words (any case).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only questions this source (file path or URL) asks.")] = None,
    answered: Annotated[
        bool | None, typer.Option("--answered/--unanswered", help="Only questions some source answers / none does.")
    ] = None,
    csv_raw: Annotated[
        bool,
        typer.Option("--csv-raw", help="Keep CSV cells starting with = + - @ as they are (default: prefix a ')."),
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Export the bank (bank.*), its occurrences (questions.*), JSON Schemas and datapackage.json.

    In CSV files a cell that starts with = + - or @ gets a leading apostrophe, so a spreadsheet shows it
    as text instead of running it as a formula; --csv-raw keeps the text as it is.

    Example: qbank export --out exports/ --format json,csv --topic nlp --min-sources 2
    """
    settings = load_settings(warehouse)
    wh = existing_warehouse(warehouse)
    chosen = [f.strip() for f in formats.split(",") if f.strip()] if formats else list(settings.export.formats)
    filters = ExportFilters(topic=topic, kind=kind, level=level, min_sources=min_sources, since=since,
                            search=search, source=source, answered=answered)  # fmt: skip
    try:
        raw = csv_raw or settings.export.csv_raw
        paths = export_bank(wh.path, out or settings.exports_dir, chosen, filters, csv_raw=raw)
    except QbankError as error:
        raise fail(str(error)) from None
    for path in paths:
        typer.echo(str(path))
