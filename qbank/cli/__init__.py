"""The `qbank` command line. Each command lives in its own module and registers itself on `app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="qbank",
    help=(
        "Curate a bank of interview questions: read articles, split questions from answers, merge\n"
        "near-duplicates, tag topics, and keep it all in a DuckDB warehouse you query with SQL.\n\n"
        "\b\n"
        "  qbank ingest examples/articles       read files, folders or URLs into the warehouse\n"
        "  qbank query \"select * from bank\"     run read-only SQL (views: bank, questions, sources, topics, audit)\n"
        "  qbank export --out exports/          write the bank as JSON, JSONL, CSV, Parquet + JSON Schema\n"
        "  qbank stats                          what is in the warehouse\n"
        "  qbank explain CLUSTER_ID             why questions were merged\n"
        "  qbank ui                             browse and curate the bank in a web browser\n"
        "  qbank review                         decide the pairs the deduper could not\n\n"
        "Every command takes --warehouse PATH (or QBANK_WAREHOUSE); default warehouse/qbank.duckdb.\n"
        "Run 'qbank COMMAND --help' for each command's options and examples."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: a \b line keeps the example block below it as written
)

# Importing the command modules registers their commands on `app`.
from qbank.cli import commands  # noqa: E402,F401
