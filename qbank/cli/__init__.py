"""The `qbank` command line. Each command lives in its own module and registers itself on `app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="qbank",
    help=(
        "Curate a bank of interview questions.\n\n"
        "  qbank ingest ARTICLES...        read articles (files, folders, URLs), split, dedupe, tag, load\n\n"
        "  qbank query \"SELECT ...\"        run read-only SQL on the warehouse\n\n"
        "  qbank export --out DIR          write the deduplicated bank as JSON/JSONL/CSV/Parquet\n\n"
        "  qbank stats                     what is in the warehouse\n\n"
        "Every command takes --warehouse PATH (or QBANK_WAREHOUSE); default warehouse/qbank.duckdb."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Importing the command modules registers their commands on `app`.
from qbank.cli import commands  # noqa: E402,F401
