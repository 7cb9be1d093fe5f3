"""The SQL behind `qbank ui` and the bank filters `qbank export` shares with it.

Every function takes an open (read-only) DuckDB connection; nothing here writes. The Bank page does not
scan the `bank` view per request (its variants aggregate takes seconds on 100k clusters): `bank_index`
reads one lean row per cluster once per warehouse version, the UI keeps it as an Arrow table, and
`register_index` exposes it to a request's connection as `ui_bank`, where DuckDB does the paging and the
facet counting in milliseconds.

Filters (`qbank.export.ExportFilters`) have one meaning everywhere: `filter_sql` turns them into a WHERE
clause over the `bank` view (export) or over `ui_bank` (the UI), through the column expressions of each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    from qbank.export import ExportFilters

MAX_SEARCH_TERMS = 8


@dataclass(frozen=True, slots=True)
class BankColumns:
    """SQL expressions for the facts a filter needs, over one relation with the `bank` view's columns."""

    relation: str
    search: str  # lower-cased wordings of every variant, separated by spaces
    sources: str  # list of the sources of the variants
    answered: str  # true when some variant has an answer


BANK_VIEW = BankColumns(
    relation="bank",
    search="lower(array_to_string(list_transform(variants, lambda v: v.question), ' '))",
    sources="list_transform(variants, lambda v: v.source_uri)",
    answered="(answer IS NOT NULL)",
)
UI_INDEX = BankColumns(relation="ui_bank", search="search", sources="sources", answered="answered")

# One lean row per cluster: the `bank` view's own columns (kind, level and topics by its rules) without
# its costly answer and variants aggregates; sources, search text and answered from the occurrences.
INDEX_SQL = """
SELECT b.cluster_id, b.question, b.topics, b.kind, b.level, b.source_count, b.variant_count,
       o.answered, o.sources, o.search, b.first_run_id, b.last_run_id
FROM (SELECT cluster_id, question, topics, kind, level, source_count, variant_count, first_run_id, last_run_id
      FROM bank) b
JOIN (SELECT cluster_id, bool_or(answer IS NOT NULL) AS answered, list(DISTINCT source_uri ORDER BY source_uri) AS sources,
             lower(string_agg(question, ' ')) AS search
      FROM occurrences GROUP BY cluster_id) o ON o.cluster_id = b.cluster_id
"""

SORTS = {
    "sources": "source_count DESC, cluster_id",  # the export's order
    "question": "question, cluster_id",
    "variants": "variant_count DESC, source_count DESC, cluster_id",
    "recent": "last_run_id DESC, source_count DESC, cluster_id",
}
PAGE_COLUMNS = "cluster_id, question, topics, kind, level, source_count, variant_count, answered"
SOURCE_COUNT_STEPS = (2, 3, 5, 10)  # the "asked by at least N sources" facet


def search_terms(text: str | None) -> list[str]:
    """The words of a search box: lower-cased, each must appear in some wording of the question."""
    return list(dict.fromkeys((text or "").lower().split()))[:MAX_SEARCH_TERMS]


def filter_sql(filters: ExportFilters, columns: BankColumns = BANK_VIEW) -> tuple[str, list[object]]:
    """The WHERE condition (never empty) and its parameters selecting the bank rows `filters` names."""
    where, params = ["source_count >= ?"], [filters.min_sources]
    if filters.topic:  # the topic or a child of it (per taxonomy.parent)
        where.append(
            "(list_contains(topics, ?) OR list_has_any(topics, "
            "coalesce((SELECT list(topic) FROM taxonomy WHERE parent = ?), []::VARCHAR[])))"
        )
        params += [filters.topic, filters.topic]
    for name in ("kind", "level"):
        if getattr(filters, name):
            where.append(f"{name} = ?")
            params.append(getattr(filters, name))
    for term in search_terms(filters.search):
        where.append(f"contains({columns.search}, ?)")
        params.append(term)
    if filters.source:
        where.append(f"list_contains({columns.sources}, ?)")
        params.append(filters.source)
    if filters.answered is not None:
        where.append(f"{columns.answered} = ?")
        params.append(filters.answered)
    if filters.since:
        where.append(
            f"(SELECT started_at FROM runs WHERE run_id = {columns.relation}.last_run_id) >= "
            "(SELECT started_at FROM runs WHERE run_id = ?)"
        )
        params.append(filters.since)
    return " AND ".join(where), params


def run_exists(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    return con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None


# -- the Bank page ---------------------------------------------------------------------------------------


def bank_index(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per cluster with what the Bank page lists, filters and counts."""
    return con.sql(INDEX_SQL).to_arrow_table()


def register_index(con: duckdb.DuckDBPyConnection, index: pa.Table) -> None:
    """Expose a cached `bank_index` to this connection as `ui_bank`."""
    con.register(UI_INDEX.relation, index)


def bank_page(
    con: duckdb.DuckDBPyConnection, filters: ExportFilters, sort: str, limit: int, offset: int
) -> tuple[int, list[dict]]:
    """(matching clusters, one page of them as dicts) from `ui_bank`."""
    where, params = filter_sql(filters, UI_INDEX)
    total = con.execute(f"SELECT count(*) FROM ui_bank WHERE {where}", params).fetchone()[0]
    cursor = con.execute(
        f"SELECT {PAGE_COLUMNS} FROM ui_bank WHERE {where} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, _dicts(cursor)


def facet_counts(con: duckdb.DuckDBPyConnection, filters: ExportFilters, top_sources: int = 12) -> dict[str, list]:
    """Counts per value of each facet, each under every current filter but its own (so alternatives show)."""

    def without(**cleared: object) -> tuple[str, list[object]]:
        return filter_sql(dataclasses.replace(filters, **cleared), UI_INDEX)

    where, params = without(topic=None)
    topics = con.execute(
        f"""SELECT f.topic, any_value(x.label), count(DISTINCT b.cluster_id) AS n
            FROM (SELECT cluster_id, unnest(topics) AS tag FROM ui_bank WHERE {where}) b
            JOIN (SELECT topic, topic AS tag FROM taxonomy
                  UNION ALL SELECT parent, topic FROM taxonomy WHERE parent IS NOT NULL) f ON f.tag = b.tag
            JOIN taxonomy x ON x.topic = f.topic
            GROUP BY f.topic ORDER BY n DESC, f.topic""",
        params,
    ).fetchall()
    out: dict[str, list] = {"topic": topics}
    for name in ("kind", "level"):
        where, params = without(**{name: None})
        out[name] = con.execute(
            f"SELECT {name}, count(*) AS n FROM ui_bank WHERE {where} AND {name} IS NOT NULL "
            f"GROUP BY 1 ORDER BY n DESC, 1",
            params,
        ).fetchall()
    where, params = without(source=None)
    out["source"] = con.execute(
        f"SELECT s, count(*) AS n FROM (SELECT unnest(sources) AS s FROM ui_bank WHERE {where}) "
        "GROUP BY s ORDER BY n DESC, s LIMIT ?",
        [*params, top_sources],
    ).fetchall()
    if filters.source and filters.source not in {s for s, _ in out["source"]}:
        out["source"].append((filters.source, con.execute(
            f"SELECT count(*) FROM ui_bank WHERE {where} AND list_contains(sources, ?)", [*params, filters.source]
        ).fetchone()[0]))  # fmt: skip
    where, params = without(answered=None)
    out["answered"] = con.execute(
        f"SELECT answered, count(*) FROM ui_bank WHERE {where} GROUP BY 1 ORDER BY 1 DESC", params
    ).fetchall()
    where, params = without(min_sources=1)
    steps = ", ".join(f"count(*) FILTER (WHERE source_count >= {n})" for n in SOURCE_COUNT_STEPS)
    row = con.execute(f"SELECT {steps} FROM ui_bank WHERE {where}", params).fetchone()
    out["min_sources"] = list(zip(SOURCE_COUNT_STEPS, row, strict=True))
    return out


# -- the Cluster page ------------------------------------------------------------------------------------


def cluster_row(con: duckdb.DuckDBPyConnection, cluster_id: str) -> dict | None:
    """The cluster's `bank` row without its variants."""
    cursor = con.execute(
        "SELECT cluster_id, question, answer, answer_source_uri, topics, kind, level, source_count, variant_count, "
        "canonical_question_id, first_run_id, last_run_id FROM bank WHERE cluster_id = ?",
        [cluster_id],
    )
    rows = _dicts(cursor)
    return rows[0] if rows else None


def cluster_variants(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[dict]:
    """Every occurrence of the cluster with its source, section, answer and topics, canonical first."""
    return _dicts(con.execute(
        """SELECT question_id, question, source_uri, section, answer, kind, level, topics, is_canonical,
                  cluster_reason, first_run_id
           FROM questions WHERE cluster_id = ? ORDER BY is_canonical DESC, source_uri, position, question_id""",
        [cluster_id],
    ))  # fmt: skip


def cluster_merges(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[dict]:
    """Clusters merged into this one: absorbed id, reason, run."""
    return _dicts(con.execute(
        "SELECT absorbed_id, reason, run_id FROM cluster_merges WHERE into_id = ? ORDER BY run_id, absorbed_id",
        [cluster_id],
    ))  # fmt: skip


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone() is not None


def related_clusters(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[dict]:
    """Clusters linked to this one in a `related` table, when the warehouse has one (a later schema adds it):
    its two columns naming clusters are read either way round, with a `score` column when there is one."""
    if not has_table(con, "related"):
        return []
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'related' ORDER BY column_index").fetchall()]
    ends = [c for c in columns if "cluster" in c]
    if len(ends) != 2:
        return []
    a, b = (f'"{c}"' for c in ends)
    score = '"score"' if "score" in columns else "NULL"
    return _dicts(con.execute(
        f"""SELECT r.other AS cluster_id, bk.question, r.score
            FROM (SELECT CASE WHEN {a} = $1 THEN {b} ELSE {a} END AS other, {score} AS score
                  FROM related WHERE $1 IN ({a}, {b})) r
            LEFT JOIN bank bk ON bk.cluster_id = r.other
            ORDER BY r.score DESC NULLS LAST, r.other""",
        [cluster_id],
    ))  # fmt: skip


# -- the Review page -------------------------------------------------------------------------------------

# Pairs the deduper scored (exact-key pairs are certain and left out). `margin` is how far the decision was
# from flipping: an accepted pair's score above the threshold; a rejected pair's distance below it, 0 when a
# guard (not the score) kept it apart. Most valuable first: priority = sources of both clusters / (1 + margin).
REVIEW_SQL = """
WITH sizes AS (SELECT cluster_id, count(DISTINCT source_uri) AS sources FROM occurrences GROUP BY cluster_id),
pairs AS (
    SELECT m.question_id AS a_id, m.other_id AS b_id, max(m.score) AS score, arg_max(m.rule, m.score) AS rule,
           arg_max(m.scorer, m.score) AS scorer, bool_or(m.accepted) AS accepted
    FROM matches m
    WHERE m.scorer <> 'exact' AND m.question_id <> m.other_id
      AND least(m.question_id, m.other_id) || ' ' || greatest(m.question_id, m.other_id) NOT IN (SELECT unnest($2::VARCHAR[]))
    GROUP BY 1, 2
),
scored AS (
    SELECT p.*, a.cluster_id AS a_cluster, b.cluster_id AS b_cluster, sa.sources + sb.sources AS sources,
           CASE WHEN p.accepted THEN p.score - $1 ELSE greatest($1 - p.score, 0) END AS margin
    FROM pairs p
    JOIN occurrences a ON a.question_id = p.a_id
    JOIN occurrences b ON b.question_id = p.b_id
    JOIN sizes sa ON sa.cluster_id = a.cluster_id
    JOIN sizes sb ON sb.cluster_id = b.cluster_id
)
SELECT *, sources / (1 + margin) AS priority FROM scored
"""


def review_queue(
    con: duckdb.DuckDBPyConnection, threshold: float, decided: list[str], offset: int
) -> tuple[int, dict | None]:
    """(pairs left to review, the pair at `offset` in priority order with both sides). `decided` holds the
    pairs already in curation as "id id" keys, smaller id first."""
    params = [threshold, decided]
    total = con.execute(f"SELECT count(*) FROM ({REVIEW_SQL})", params).fetchone()[0]
    pairs = _dicts(con.execute(
        f"SELECT * FROM ({REVIEW_SQL}) ORDER BY priority DESC, margin, a_id, b_id LIMIT 1 OFFSET $3",
        [*params, offset],
    ))  # fmt: skip
    if not pairs:
        return total, None
    pair = pairs[0]
    sides = {r["question_id"]: r for r in _dicts(con.execute(
        """SELECT q.question_id, q.question, q.answer, q.source_uri, q.section, q.cluster_id, q.is_canonical,
                  b.question AS cluster_question, b.source_count
           FROM questions q JOIN bank b ON b.cluster_id = q.cluster_id WHERE q.question_id IN (?, ?)""",
        [pair["a_id"], pair["b_id"]],
    ))}  # fmt: skip
    pair["a"], pair["b"] = sides.get(pair["a_id"]), sides.get(pair["b_id"])
    return total, pair


def placement(con: duckdb.DuckDBPyConnection, question_ids: list[str]) -> dict[str, tuple[str, bool]]:
    """question_id -> (its cluster, whether it is the canonical) for the ids that are in the warehouse."""
    if not question_ids:
        return {}
    rows = con.execute(
        "SELECT question_id, cluster_id, is_canonical FROM questions WHERE question_id IN (SELECT unnest(?))",
        [question_ids],
    ).fetchall()
    return {qid: (cid, canon) for qid, cid, canon in rows}


def question_texts(con: duckdb.DuckDBPyConnection, question_ids: list[str]) -> dict[str, str]:
    if not question_ids:
        return {}
    return dict(con.execute(
        "SELECT question_id, question FROM occurrences WHERE question_id IN (SELECT unnest(?))", [question_ids]
    ).fetchall())  # fmt: skip


# -- the Overview page -----------------------------------------------------------------------------------


def overview(con: duckdb.DuckDBPyConnection, runs: int = 10) -> dict[str, object]:
    """Totals, charts' data, failed sources and recent runs (needs `ui_bank` registered)."""
    totals = _dicts(con.execute("""
        SELECT (SELECT count(*) FROM ui_bank)                                  AS clusters,
               (SELECT count(*) FROM occurrences)                              AS questions,
               (SELECT count(*) FROM ui_bank WHERE answered)                   AS answered,
               (SELECT count(*) FROM ui_bank WHERE source_count > 1)           AS multi_source,
               (SELECT count(*) FROM source_docs WHERE status = 'ok')          AS sources_ok,
               (SELECT count(*) FROM source_docs WHERE status = 'failed')      AS sources_failed,
               (SELECT count(*) FROM source_docs WHERE status = 'skipped')     AS sources_skipped
    """))[0]  # fmt: skip
    histogram = con.execute(
        "SELECT least(source_count, 10) AS sources, count(*) FROM ui_bank GROUP BY 1 ORDER BY 1"
    ).fetchall()
    per_source = con.execute(
        "SELECT source_uri, question_count FROM source_docs WHERE question_count > 0 "
        "ORDER BY question_count DESC, source_uri LIMIT 15"
    ).fetchall()
    failed = _dicts(con.execute(
        "SELECT source_uri, status, error_stage, error, last_run_id FROM source_docs WHERE status <> 'ok' "
        "ORDER BY last_run_id DESC, source_uri LIMIT 200"
    ))  # fmt: skip
    recent = _dicts(con.execute(
        """SELECT run_id, status, started_at, finished_at, sources_seen, sources_ok, sources_unchanged,
                  sources_failed, sources_skipped, questions_added, questions_removed, questions_total,
                  clusters_total FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?""",
        [runs],
    ))  # fmt: skip
    return {"totals": totals, "histogram": histogram, "per_source": per_source, "failed": failed, "runs": recent}


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def topic_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Taxonomy id -> label."""
    return dict(con.execute("SELECT topic, label FROM taxonomy").fetchall())
