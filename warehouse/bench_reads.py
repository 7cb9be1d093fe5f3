"""Read-only queries the scripts in bench/ run on warehouses they built: what two warehouses must share
(bench/soak), sample values for the pages to time and screenshot (bench/ui), and row counts.

Every function takes a `Warehouse` and reads through `Warehouse.open(read_only=True)`, with its busy and
schema checks, like the commands do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warehouse.store import Warehouse

_SNAPSHOT = {
    "bank": "SELECT cluster_id, question, answer, topics, kind, level, source_count, variant_count, "
    "canonical_question_id FROM bank ORDER BY cluster_id",
    "questions": "SELECT question_id, cluster_id, source_uri, position, question, answer, is_canonical, "
    "cluster_reason FROM questions ORDER BY question_id",
    "sources": "SELECT source_uri, status, question_count FROM sources ORDER BY source_uri",
}


def content_snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    """The bank, its questions and its sources, without run ids or times: equal for two warehouses that
    hold the same content however they got there."""
    with wh.open(read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in _SNAPSHOT.items()}


def row_counts(wh: Warehouse) -> tuple[int, int]:
    """(clusters, questions) stored."""
    with wh.open(read_only=True) as con:
        return con.execute("SELECT (SELECT count(*) FROM clusters), (SELECT count(*) FROM occurrences)").fetchone()


def largest_cluster(wh: Warehouse) -> str:
    """The id of the cluster most sources ask (then most variants)."""
    with wh.open(read_only=True) as con:
        return con.execute(
            "SELECT cluster_id FROM bank ORDER BY source_count DESC, variant_count DESC, cluster_id LIMIT 1"
        ).fetchone()[0]


def page_samples(wh: Warehouse) -> dict[str, str]:
    """Values to put in UI page URLs: the most used topic, an ok source, a cluster, a word of a question."""
    with wh.open(read_only=True) as con:
        return {
            "topic": con.execute("SELECT topic FROM topics ORDER BY cluster_count DESC LIMIT 1").fetchone()[0],
            "source": con.execute("SELECT source_uri FROM sources WHERE status = 'ok' LIMIT 1").fetchone()[0],
            "cluster": con.execute("SELECT cluster_id FROM clusters LIMIT 1 OFFSET 500").fetchone()[0],
            "word": con.execute("SELECT split_part(question, ' ', 4) FROM occurrences LIMIT 1").fetchone()[0],
        }
