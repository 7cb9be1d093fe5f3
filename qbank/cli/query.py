"""`qbank query`: run read-only SQL on the warehouse and print the rows as a table, CSV, JSON or Markdown.

Every format prints control characters of the data as escapes (ESC as `\\x1b`; `qbank.terminal`), so a
scraped question cannot drive the terminal; JSON uses its own `\\u` escapes, which decode to the same data.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.errors import QbankError
from qbank.terminal import json_safe, safe
from warehouse.store import Warehouse

TABLE_CELL_CHARS = 60  # table cells are cut here; use --format csv/json for full text


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


def _plain(value: object) -> object:
    """A JSON-ready value: dates as ISO text, decimals as floats; lists and structs kept."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _cell(value: object) -> str:
    """One value as text: NULL as empty, lists and structs as JSON."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(_plain(value))


def format_rows(columns: list[str], rows: list[tuple], fmt: OutputFormat) -> str:
    """Render a result set; the text ends with a newline (empty for a statement without result)."""
    if not columns:
        return ""
    if fmt is OutputFormat.json:
        records = [dict(zip(columns, map(_plain, row))) for row in rows]
        return json_safe(json.dumps(records, ensure_ascii=False, indent=2)) + "\n"
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([safe(c) for c in columns])
        writer.writerows([safe(_cell(v), keep="\n\t") for v in row] for row in rows)
        return buffer.getvalue()
    if fmt is OutputFormat.markdown:
        def md(text: str) -> str:
            return safe(text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>"))

        lines = ["| " + " | ".join(map(md, columns)) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(md(_cell(v)) for v in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    # table: aligned columns, one line per row, long cells cut
    def short(value: object) -> str:
        text = safe(" ".join(_cell(value).split())) if value is not None else "NULL"
        return text if len(text) <= TABLE_CELL_CHARS else text[: TABLE_CELL_CHARS - 1] + "…"

    columns = [safe(c) for c in columns]
    cells = [[short(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def existing_warehouse(warehouse: Path | None) -> Warehouse:
    """The configured warehouse, or a one-line error when there is none yet."""
    path = load_settings(warehouse).warehouse
    if not path.exists():
        raise fail(f"no warehouse at {path}; run `qbank ingest` first or pass --warehouse")
    return Warehouse(path)


@app.command()
def query(
    sql: Annotated[str | None, typer.Argument(help="SQL to run; '-' reads it from stdin.", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the SQL from this file.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    allow_files: Annotated[
        bool,
        typer.Option("--allow-files", help="Let the SQL read local files (read_csv, read_json, ...). Off by default."),
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Run read-only SQL on the warehouse (views: bank, questions, sources, topics, audit).

    The SQL can only read the warehouse: no COPY, ATTACH, INSTALL or SET, and no files or URLs unless
    --allow-files (then local files can be read, never written).

    Example: qbank query "SELECT question, source_count FROM bank ORDER BY source_count DESC LIMIT 10"
    """
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise fail(f"cannot read {file}: {getattr(error, 'strerror', None) or error}") from None
    elif sql == "-":
        text = sys.stdin.read()
    elif sql:
        text = sql
    else:
        raise fail("give SQL as an argument, '-' for stdin, or --file FILE")
    wh = existing_warehouse(warehouse)
    try:
        columns, rows = wh.query(text, allow_files=allow_files)
    except QbankError as error:
        raise fail(str(error)) from None
    typer.echo(format_rows(columns, rows, fmt), nl=False)
