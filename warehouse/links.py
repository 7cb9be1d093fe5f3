"""Read-only queries over pair links: related clusters (`qbank explain`) and gray-zone pairs (`qbank review`)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


def related_clusters(con: duckdb.DuckDBPyConnection, cluster_id: str, limit: int = 20) -> list[tuple]:
    """Clusters linked to this one by a related pair: (cluster id, its canonical question, best score, rule)."""
    return con.execute(
        """
        SELECT other.cluster_id, canon.question, max(r.score) AS score, arg_max(r.rule, r.score) AS rule
        FROM related r
        JOIN occurrences a ON a.question_id IN (r.question_id, r.other_id) AND a.cluster_id = ?
        JOIN occurrences other ON other.question_id = CASE WHEN a.question_id = r.question_id
                                                           THEN r.other_id ELSE r.question_id END
        LEFT JOIN clusters c ON c.cluster_id = other.cluster_id
        LEFT JOIN occurrences canon ON canon.question_id = c.canonical_question_id
        WHERE other.cluster_id <> ?
        GROUP BY ALL ORDER BY score DESC, other.cluster_id LIMIT ?
        """,
        [cluster_id, cluster_id, limit],
    ).fetchall()


@dataclass(frozen=True, slots=True)
class GrayPair:
    """A scored pair the pair model could not decide: P(same) between its review and accept thresholds."""

    question_id: str
    question: str
    cluster_id: str
    other_id: str
    other_question: str
    other_cluster_id: str
    score: float  # P(same) x 100
    rule: str
    sources: int  # distinct sources of the two clusters together: what a decision affects


def gray_pairs(con: duckdb.DuckDBPyConnection, low: float, high: float, limit: int = 1000) -> list[GrayPair]:
    """Pairs in two different clusters scored in [low, high) by the pair model and not linked as related,
    highest value first: the most sources affected, then the score closest to accepting."""
    rows = con.execute(
        """
        WITH pairs AS (
            SELECT m.question_id, m.other_id, max(m.score) AS score, arg_max(m.rule, m.score) AS rule
            FROM matches m
            WHERE m.scorer = 'pair_model' AND NOT m.accepted AND m.score >= ? AND m.score < ?
            GROUP BY ALL
        ),
        sources AS (SELECT cluster_id, count(DISTINCT source_uri) AS n FROM occurrences GROUP BY cluster_id)
        SELECT p.question_id, a.question, a.cluster_id, p.other_id, b.question, b.cluster_id, p.score, p.rule,
               sa.n + sb.n AS sources
        FROM pairs p
        JOIN occurrences a ON a.question_id = p.question_id
        JOIN occurrences b ON b.question_id = p.other_id
        JOIN sources sa ON sa.cluster_id = a.cluster_id
        JOIN sources sb ON sb.cluster_id = b.cluster_id
        WHERE a.cluster_id <> b.cluster_id
          AND NOT EXISTS (SELECT 1 FROM related r WHERE (r.question_id, r.other_id) IN
                              ((p.question_id, p.other_id), (p.other_id, p.question_id)))
        ORDER BY sources DESC, p.score DESC, p.question_id, p.other_id
        LIMIT ?
        """,
        [low, high, limit],
    ).fetchall()
    return [GrayPair(*row) for row in rows]
