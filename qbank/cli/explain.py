"""`qbank explain ID`: why the questions of a cluster were merged, what it is related to, and what nearly joined it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.errors import QbankError
from warehouse.links import related_clusters
from qbank.terminal import safe


class UnknownId(QbankError):
    """The id names no cluster, question or absorbed cluster in the warehouse."""


@dataclass(frozen=True, slots=True)
class MemberRow:
    question_id: str
    source_uri: str
    question: str
    reason: str | None  # occurrences.cluster_reason
    score: float | None  # best accepted match of this question, when one is recorded
    scorer: str | None
    rule: str | None


@dataclass(frozen=True, slots=True)
class NearMiss:
    question_id: str
    other_id: str
    question: str | None
    score: float
    rule: str


@dataclass(frozen=True, slots=True)
class RelatedRow:
    cluster_id: str
    question: str | None  # the related cluster's canonical question
    score: float
    rule: str


@dataclass(frozen=True, slots=True)
class Explanation:
    cluster_id: str
    canonical_id: str | None
    canonical: str | None
    members: tuple[MemberRow, ...]
    near_misses: tuple[NearMiss, ...]
    absorbed: tuple[str, ...]  # clusters merged into this one
    merged_into: str | None = None  # set when the id asked for was absorbed
    related: tuple[RelatedRow, ...] = ()  # linked clusters: same concept, another ask


def resolve_cluster(con: duckdb.DuckDBPyConnection, ref: str) -> tuple[str, str | None]:
    """The cluster id for a cluster or question id; an absorbed cluster leads to its survivor."""
    row = con.execute("SELECT cluster_id FROM clusters WHERE cluster_id = ?", [ref]).fetchone()
    if row:
        return row[0], None
    row = con.execute("SELECT cluster_id FROM occurrences WHERE question_id = ?", [ref]).fetchone()
    if row:
        return row[0], None
    absorbed, seen = ref, set()
    while (row := con.execute(
        "SELECT into_id FROM cluster_merges WHERE absorbed_id = ? ORDER BY run_id DESC LIMIT 1", [absorbed]
    ).fetchone()) and row[0] not in seen:
        seen.add(absorbed := row[0])
    if seen:
        return absorbed, ref
    raise UnknownId(f"no cluster or question with id {ref!r} (ids look like c_… or q_…; try `qbank query`)")


def explain(con: duckdb.DuckDBPyConnection, ref: str) -> Explanation:
    """Canonical, members with the reason each joined, near misses and merges of one cluster."""
    cluster_id, absorbed_ref = resolve_cluster(con, ref)
    canon = con.execute(
        "SELECT c.canonical_question_id, o.question FROM clusters c "
        "LEFT JOIN occurrences o ON o.question_id = c.canonical_question_id WHERE c.cluster_id = ?",
        [cluster_id],
    ).fetchone() or (None, None)
    members = con.execute(
        """
        SELECT o.question_id, o.source_uri, o.question, o.cluster_reason, m.score, m.scorer, m.rule
        FROM occurrences o
        LEFT JOIN (SELECT question_id, score, scorer, rule,
                          row_number() OVER (PARTITION BY question_id ORDER BY score DESC, run_id DESC) AS rn
                   FROM matches WHERE accepted) m ON m.question_id = o.question_id AND m.rn = 1
        WHERE o.cluster_id = ?
        ORDER BY o.question_id = ? DESC, o.source_uri, o.position
        """,
        [cluster_id, canon[0]],
    ).fetchall()
    near = con.execute(
        """
        SELECT m.question_id, m.other_id, o.question, max(m.score) AS score, arg_max(m.rule, m.score) AS rule
        FROM matches m
        JOIN occurrences me ON me.question_id IN (m.question_id, m.other_id) AND me.cluster_id = ?
        LEFT JOIN occurrences o ON o.question_id = CASE WHEN me.question_id = m.question_id
                                                        THEN m.other_id ELSE m.question_id END
        WHERE NOT m.accepted AND coalesce(o.cluster_id, '') <> ?
        GROUP BY ALL ORDER BY score DESC LIMIT 20
        """,
        [cluster_id, cluster_id],
    ).fetchall()
    absorbed = [r[0] for r in con.execute(
        "SELECT DISTINCT absorbed_id FROM cluster_merges WHERE into_id = ? ORDER BY 1", [cluster_id]).fetchall()]
    return Explanation(
        cluster_id=cluster_id, canonical_id=canon[0], canonical=canon[1],
        members=tuple(MemberRow(*r) for r in members), near_misses=tuple(NearMiss(*r) for r in near),
        absorbed=tuple(absorbed), merged_into=cluster_id if absorbed_ref else None,
        related=tuple(RelatedRow(*r) for r in related_clusters(con, cluster_id)),
    )



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
    path: Path = load_settings(warehouse).warehouse
    if not path.exists():
        raise fail(f"no warehouse at {path}; run `qbank ingest` first or pass --warehouse")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise fail(f"cannot open {path} read-only: {str(exc).splitlines()[0]}") from exc
    try:
        typer.echo(render(explain(con, ref)), nl=False)
    except QbankError as exc:
        raise fail(str(exc)) from exc
    finally:
        con.close()
