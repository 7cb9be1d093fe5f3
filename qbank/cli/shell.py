"""`qbank shell`: an interactive read-only SQL prompt on the warehouse.

Uses the DuckDB CLI when it is on PATH (the `duckdb` PyPI package ships none); otherwise a minimal prompt
that runs each `;`-terminated statement on a fresh read-only connection, so an ingest is never blocked
between statements.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption
from qbank.cli.query import OutputFormat, existing_warehouse, format_rows
from qbank.errors import QbankError

PROMPT, CONTINUATION = "qbank> ", "   ...> "


@app.command()
def shell(
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format of the minimal prompt.")
    ] = OutputFormat.table,
    builtin: Annotated[
        bool, typer.Option("--builtin", help="Use the minimal prompt even if `duckdb` is installed.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Open an interactive read-only SQL prompt (the duckdb CLI if installed, else a minimal one).

    Example: qbank shell   then   SELECT topic, cluster_count FROM topics;   and .quit to leave
    """
    wh = existing_warehouse(warehouse)
    duckdb_cli = None if builtin else shutil.which("duckdb")
    if duckdb_cli:
        # the same fence as `qbank query`: no file or network access, no extension downloads, settings locked
        fence = "SET enable_external_access = false; SET lock_configuration = true;"
        raise typer.Exit(subprocess.run([duckdb_cli, "-readonly", "-cmd", fence, str(wh.path)]).returncode)
    typer.echo("read-only SQL on the warehouse; end statements with ';', .quit to leave "
               "(install the duckdb CLI for a full shell)", err=True)  # fmt: skip
    buffer: list[str] = []
    while True:
        try:
            line = input(CONTINUATION if buffer else PROMPT)
        except EOFError:
            break
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            break
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            continue
        sql, buffer = "\n".join(buffer), []
        try:
            columns, rows = wh.query(sql)
        except QbankError as error:
            typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
            continue
        typer.echo(format_rows(columns, rows, fmt), nl=False)
