"""`qbank explain ID`: why the questions of a cluster were merged, what it is related to, and what nearly joined it."""

from __future__ import annotations

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError
from qbank.terminal import safe

# The queries live in warehouse/explain.py; re-exported for the UI's Cluster page (qbank/ui/app.py).
from warehouse.explain import Explanation, UnknownId, explain, resolve_cluster

__all__ = ["Explanation", "UnknownId", "explain", "explain_command", "render", "resolve_cluster"]


def render(ex: Explanation) -> str:
    """The explanation as plain text for a terminal (stored text with its control characters escaped)."""
    lines = [f"cluster {ex.cluster_id}"]
    if ex.merged_into:
        lines[0] += " (the id you asked for was merged into it)"
    lines.append(f"canonical: {safe(ex.canonical or '(none)')}  [{ex.canonical_id or '-'}]")
    lines.append(f"members ({len(ex.members)}):")
    for m in ex.members:
        why = m.reason or "?"
        if m.rule and m.score is not None and why.startswith(("fuzzy", "model")):
            why += f" ({m.scorer} {m.score:.1f})"
        lines.append(f"  {m.question_id}  {safe(why)}")
        lines.append(f"      {safe(m.source_uri)}: {safe(m.question)}")
    if ex.absorbed:
        lines.append("merged in: " + ", ".join(ex.absorbed))
    if ex.related:
        lines.append("related (same concept, another question; linked, not merged):")
        for r in ex.related:
            lines.append(f"  {r.cluster_id}  {r.score:5.1f} {r.rule}: {r.question or '?'}")
    if ex.near_misses:
        lines.append("near misses (kept apart):")
        for n in ex.near_misses:
            lines.append(f"  {n.score:5.1f} {n.rule}: {safe(n.question or n.other_id)}")
    return "\n".join(lines) + "\n"


@app.command("explain")
def explain_command(
    ref: str = typer.Argument(..., metavar="ID", help="A cluster id (c_…) or a question id (q_…)."),
    warehouse: WarehouseOption = None,
) -> None:
    """Show a cluster's canonical question, each member with why it joined, related clusters, and near misses.

    Example: qbank explain c_1a2b3c4d5e6f7a8b
    """
    try:
        with existing_warehouse(warehouse).open(read_only=True) as con:
            explanation = explain(con, ref)
    except QbankError as exc:
        raise fail(str(exc)) from exc
    typer.echo(render(explanation), nl=False)
