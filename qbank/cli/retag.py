"""`qbank retag`: tag every question already in the warehouse again, with the current taxonomy.

Nothing is fetched or re-split: the questions, answers and sections stored in `occurrences` are read,
tagged, and `taxonomy` + `question_topics` are replaced in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError
from qbank.tag import Tagger
from warehouse.store import Warehouse

@dataclass(frozen=True, slots=True)
class RetagSummary:
    questions: int
    tagged: int  # questions with at least one topic
    tags: int
    topics: int  # topics in the taxonomy
    topics_used: int

    @property
    def coverage(self) -> float:
        return self.tagged / self.questions if self.questions else 0.0


def retag_warehouse(wh: Warehouse, tagger: Tagger) -> RetagSummary:
    """Re-tag all stored questions and replace the taxonomy and tags in one write transaction."""
    questions = wh.stored_questions()
    tags = tagger.tag(questions)
    rows = tagger.taxonomy_rows()
    wh.replace_tags(tags, rows)
    return RetagSummary(
        questions=len(questions),
        tagged=len({t.question_id for t in tags}),
        tags=len(tags),
        topics=len(rows),
        topics_used=len({t.topic for t in tags}),
    )


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
    try:
        tagger = Tagger.from_taxonomy(taxonomy or settings.data_dir / "taxonomy.yaml", settings.tag)
        summary = retag_warehouse(wh, tagger)
    except QbankError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"tagged {summary.tagged} of {summary.questions} questions ({summary.coverage:.1%} coverage) "
        f"with {summary.tags} tags; {summary.topics_used} of {summary.topics} topics used"
    )
