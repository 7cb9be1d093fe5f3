"""`qbank retag`: tag every question already in the warehouse again, with the current taxonomy.

Nothing is fetched or re-split: the questions, answers and sections stored in `occurrences` are read,
tagged, and `taxonomy` + `question_topics` are replaced in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError
from qbank.rules import RuleFiles
from qbank.tag import Tagger


@app.command()
def retag(
    warehouse: WarehouseOption = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", help="Taxonomy YAML. Default: data/taxonomy.yaml.", show_default=False),
    ] = None,
) -> None:
    """Tag the questions in the warehouse again after editing the taxonomy; nothing is fetched.

    Example: qbank retag --taxonomy my_taxonomy.yaml
    """
    settings = load_settings(warehouse)
    wh = existing_warehouse(warehouse)
    from qbank.pipeline import retag_warehouse  # imported late: it loads the parsing stages

    try:
        tagger = Tagger.from_taxonomy(taxonomy or RuleFiles.of(settings).taxonomy, settings.tag)
        summary = retag_warehouse(wh, tagger)
    except QbankError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"tagged {summary.tagged} of {summary.questions} questions ({summary.coverage:.1%} coverage) "
        f"with {summary.tags} tags; {summary.topics_used} of {summary.topics} topics used"
    )
