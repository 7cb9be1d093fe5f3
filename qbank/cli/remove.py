"""`qbank remove`: retire sources, e.g. files deleted from a folder, and their questions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbank.canonical import CanonicalRule
from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError
from qbank.report import render_summary
from qbank.sources import normalize_url


def stored_uri(source: str) -> str:
    """The URI a source is stored under: a normalized URL, or an absolute resolved path (it may be gone)."""
    if source.lower().startswith(("http://", "https://")):
        return normalize_url(source) or source
    return str(Path(source).expanduser().resolve())


@app.command()
def remove(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Sources to retire: file paths or URLs, as ingested.", show_default=False),
    ] = None,
    gone: Annotated[
        bool, typer.Option("--gone", help="Also every file source that no longer exists on disk.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Retire sources: their questions leave the bank, recorded as a run, in one transaction.

    A question that other sources also ask stays in the bank with their variants. Ingesting a removed
    source again brings it back.

    Example: qbank remove articles/old-questions.md    or    qbank remove --gone
    """
    settings = load_settings(warehouse)
    wh = existing_warehouse(warehouse)
    uris = [stored_uri(s) for s in sources or []]
    try:
        if gone:
            uris += [uri for uri in sorted(wh.known_sources()) if "://" not in uri and not Path(uri).exists()]
        uris = list(dict.fromkeys(uris))
        if not uris:
            raise fail("nothing to remove: name sources, or --gone for files no longer on disk", 2)
        from qbank.pipeline import new_run  # imported late: it loads the parsing stages

        summary = wh.remove_sources(new_run(settings), uris, CanonicalRule.of(settings.dedupe))
    except QbankError as error:
        raise fail(str(error)) from None
    typer.echo(render_summary(summary).lstrip("\n"))
