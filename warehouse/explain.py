"""Read-only queries behind `qbank explain ID` and the UI's Cluster page: a cluster's canonical question, its
members with the reason each joined, near misses, merges and related clusters."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qbank.errors import QbankError
from warehouse.links import related_clusters


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


_MEMBERS_SQL = """
SELECT o.question_id, o.source_uri, o.question, o.cluster_reason, m.score, m.scorer, m.rule
FROM occurrences o
LEFT JOIN (SELECT question_id, score, scorer, rule,
                  row_number() OVER (PARTITION BY question_id ORDER BY score DESC, run_id DESC) AS rn
           FROM matches WHERE accepted) m ON m.question_id = o.question_id AND m.rn = 1
WHERE o.cluster_id = ?
ORDER BY o.question_id = ? DESC, o.source_uri, o.position
"""
_NEAR_MISSES_SQL = """
SELECT m.question_id, m.other_id, o.question, max(m.score) AS score, arg_max(m.rule, m.score) AS rule
FROM matches m
JOIN occurrences me ON me.question_id IN (m.question_id, m.other_id) AND me.cluster_id = ?
LEFT JOIN occurrences o ON o.question_id = CASE WHEN me.question_id = m.question_id
                                                THEN m.other_id ELSE m.question_id END
WHERE NOT m.accepted AND coalesce(o.cluster_id, '') <> ?
GROUP BY ALL ORDER BY score DESC LIMIT 20
"""


def explain(con: duckdb.DuckDBPyConnection, ref: str) -> Explanation:
    """Canonical, members with the reason each joined, near misses and merges of one cluster."""
    cluster_id, absorbed_ref = resolve_cluster(con, ref)
    canon = con.execute(
        "SELECT c.canonical_question_id, o.question FROM clusters c "
        "LEFT JOIN occurrences o ON o.question_id = c.canonical_question_id WHERE c.cluster_id = ?",
        [cluster_id],
    ).fetchone() or (None, None)
    members = con.execute(_MEMBERS_SQL, [cluster_id, canon[0]]).fetchall()
    near = con.execute(_NEAR_MISSES_SQL, [cluster_id, cluster_id]).fetchall()
    absorbed = con.execute(
        "SELECT DISTINCT absorbed_id FROM cluster_merges WHERE into_id = ? ORDER BY 1", [cluster_id]
    ).fetchall()
    return Explanation(
        cluster_id=cluster_id, canonical_id=canon[0], canonical=canon[1],
        members=tuple(MemberRow(*r) for r in members), near_misses=tuple(NearMiss(*r) for r in near),
        absorbed=tuple(r[0] for r in absorbed), merged_into=cluster_id if absorbed_ref else None,
        related=tuple(RelatedRow(*r) for r in related_clusters(con, cluster_id)),
    )  # fmt: skip
