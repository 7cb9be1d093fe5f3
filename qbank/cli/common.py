"""Options and helpers shared by every `qbank` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from qbank.settings import Settings
from qbank.terminal import safe

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
    """Settings from defaults, qbank.toml and QBANK_* env, with CLI flags on top; a bad file or variable
    is a one-line error (exit 2)."""
    try:
        settings = Settings()
    except ValueError as error:  # tomllib.TOMLDecodeError and pydantic's ValidationError are ValueErrors
        raise fail(f"bad settings: {_settings_error(error)}", code=2) from None
    updates = {k: v for k, v in overrides.items() if v is not None}
    if warehouse is not None:
        updates["warehouse"] = warehouse
    return settings.model_copy(update=updates) if updates else settings


def _settings_error(error: ValueError) -> str:
    """Where the settings are wrong, on one line: the TOML syntax error, or the first invalid field."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        return f"{where}: {first['msg']} (got {first.get('input')!r}){more}; see qbank.toml and QBANK_* variables"
    return f"qbank.toml: {' '.join(str(error).split())}"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    typer.secho(f"error: {safe(message)}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
