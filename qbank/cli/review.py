"""`qbank review`: decide, one pair at a time, the pairs the deduper could not (same / related / different)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.dedupe.curation import DECISIONS, CurationError, add_decision, load_curation
from qbank.dedupe.semantic import load_model
from qbank.errors import QbankError
from qbank.rules import RuleFiles
from warehouse.links import GrayPair, gray_pairs
from warehouse.store import Warehouse

KEYS = {"s": "same", "r": "related", "d": "different", "k": "skip", "q": "quit"}
PROMPT = "[s]ame  [r]elated  [d]ifferent  s[k]ip  [q]uit"


def _decided(curation_path: Path) -> set[frozenset[str]]:
    """Pairs (of ids or texts) the curation file already decides in any section."""
    curation = load_curation(curation_path)
    return {frozenset(p) for p in (*curation.must_link, *curation.cannot_link, *curation.related)}


def _show(n: int, total: int, pair: GrayPair) -> str:
    return (
        f"\n[{n}/{total}] P(same) {pair.score:.0f}%  ({pair.rule}; {pair.sources} sources)\n"
        f"  A  {pair.question}\n     {pair.question_id}  in {pair.cluster_id}\n"
        f"  B  {pair.other_question}\n     {pair.other_id}  in {pair.other_cluster_id}"
    )


@app.command("review")
def review_command(
    warehouse: WarehouseOption = None,
    curation: Annotated[Path | None, typer.Option(
        "--curation", help="Curation file the decisions go to. Default: data/curation.yaml.", show_default=False,
    )] = None,  # fmt: skip
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most pairs to show.")] = 50,
) -> None:
    """Review the pairs the deduper could not decide (its gray zone), most valuable first.

    Each pair shows both questions; answer s (same: merge them), r (related: link them), d (different:
    never merge them), k (skip) or q (quit). Answers are appended to the curation file as must_link,
    related or cannot_link pairs of question ids, and apply from the next `qbank ingest` on (an
    unchanged re-run applies them too).

    Example: qbank review --limit 20
    """
    settings = load_settings(warehouse)
    path = settings.warehouse
    files = RuleFiles.of(settings)
    curation_path = curation or files.curation
    if not path.exists():
        raise fail(f"no warehouse at {path}; run `qbank ingest` first or pass --warehouse")
    model = load_model(files.pair_model)
    try:
        decided = _decided(curation_path)
        with Warehouse(path).open(read_only=True) as con:
            pairs = gray_pairs(con, 100 * model.review, 100 * model.accept, limit + len(decided))
    except (QbankError, CurationError) as exc:
        raise fail(str(exc)) from exc
    pairs = [p for p in pairs if frozenset((p.question_id, p.other_id)) not in decided][:limit]
    if not pairs:
        typer.echo("nothing to review: no undecided pair in the gray zone")
        return
    counts = dict.fromkeys(DECISIONS, 0)
    for n, pair in enumerate(pairs, 1):
        typer.echo(_show(n, len(pairs), pair))
        answer = ""
        while answer not in KEYS:
            answer = typer.prompt(PROMPT, default="q", show_default=False).strip().lower()[:1]
        decision = KEYS[answer]
        if decision == "quit":
            break
        if decision in DECISIONS:
            add_decision(curation_path, decision, pair.question_id, pair.other_id,
                         f"{pair.question} ~ {pair.other_question}")  # fmt: skip
            counts[decision] += 1
    written = ", ".join(f"{n} {DECISIONS[d]}" for d, n in counts.items() if n) or "nothing"
    typer.echo(f"wrote {written} to {curation_path}; the next `qbank ingest` applies them")
