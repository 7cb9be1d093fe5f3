"""Options and helpers shared by every `qbank` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbank.settings import Settings

WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        envvar="QBANK_WAREHOUSE",
        help="DuckDB warehouse file. Default: warehouse/qbank.duckdb.",
        show_default=False,
    ),
]


def load_settings(warehouse: Path | None = None, **overrides: object) -> Settings:
    """Settings from defaults, qbank.toml and QBANK_* env, with CLI flags on top."""
    settings = Settings()
    updates = {k: v for k, v in overrides.items() if v is not None}
    if warehouse is not None:
        updates["warehouse"] = warehouse
    return settings.model_copy(update=updates) if updates else settings


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
