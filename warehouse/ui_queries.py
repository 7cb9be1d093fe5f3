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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from qbank.errors import QbankError, WarehouseBusy
from warehouse import links
from warehouse.store import busy_message

if TYPE_CHECKING:
    from qbank.export import ExportFilters

MAX_SEARCH_TERMS = 8


@dataclass(frozen=True, slots=True)
class BankColumns:
    """SQL for the facts a filter needs, over one relation with the `bank` view's columns."""

    relation: str
    topic: str  # true when the row has topic ? or a child of topic ? (per taxonomy.parent); two parameters
    search: str  # lower-cased wordings of every variant, separated by spaces
    sources: str  # list of the sources of the variants
    answered: str  # true when some variant has an answer


BANK_VIEW = BankColumns(
    relation="bank",
    topic="(list_contains(topics, ?) OR list_has_any(topics, "
    "coalesce((SELECT list(topic) FROM taxonomy WHERE parent = ?), []::VARCHAR[])))",
    search="lower(array_to_string(list_transform(variants, lambda v: v.question), ' '))",
    sources="list_transform(variants, lambda v: v.source_uri)",
    answered="(answer IS NOT NULL)",
)
# the index keeps each row's topics with their parents (`topic_set`): "topic T or a child of T" is then
# "T in topic_set" (the second parameter is unused, so both relations take the same parameters)
UI_INDEX = BankColumns(relation="ui_bank", topic="(list_contains(topic_set, ?) OR ? IS NULL)", search="search",
                       sources="sources", answered="answered")  # fmt: skip

# Orders of the Bank page; the index stores each as a rank, so a page is a top-N over one integer.
SORTS = {
    "sources": "source_count DESC, cluster_id",  # the export's order
    "question": "question, cluster_id",
    "variants": "variant_count DESC, source_count DESC, cluster_id",
    "recent": "last_run_id DESC, source_count DESC, cluster_id",
}

# One lean row per cluster: the `bank` view's own columns (kind, level and topics by its rules) without
# its costly answer and variants aggregates; answered, sources and search text from the occurrences;
# the topics with their parents; a rank per sort order.
INDEX_SQL = f"""
WITH b AS (SELECT cluster_id, question, topics, kind, level, source_count, variant_count, first_run_id, last_run_id
           FROM bank),
o AS (SELECT cluster_id, bool_or(answer IS NOT NULL) AS answered,
             list(DISTINCT source_uri ORDER BY source_uri) AS sources, lower(string_agg(question, ' ')) AS search
      FROM occurrences GROUP BY cluster_id),
p AS (SELECT u.cluster_id, list(DISTINCT t.parent) AS parents
      FROM (SELECT cluster_id, unnest(topics) AS tag FROM b) u
      JOIN taxonomy t ON t.topic = u.tag AND t.parent IS NOT NULL
      GROUP BY u.cluster_id)
SELECT *, {", ".join(f"row_number() OVER (ORDER BY {order}) AS rank_{name}" for name, order in SORTS.items())}
FROM (SELECT b.*, o.answered, o.sources, o.search,
             list_distinct(list_concat(b.topics, coalesce(p.parents, []::VARCHAR[]))) AS topic_set
      FROM b JOIN o ON o.cluster_id = b.cluster_id LEFT JOIN p ON p.cluster_id = b.cluster_id)
"""

PAGE_COLUMNS = "cluster_id, question, topics, kind, level, source_count, variant_count, answered"
SOURCE_COUNT_STEPS = (2, 3, 5, 10)  # the "asked by at least N sources" facet


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, busy_timeout: float) -> None:
    """Attach the warehouse read-only as `alias` (cheaper than a new connection: no new database instance),
    retrying while a writer holds its lock, then raising WarehouseBusy."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            con.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(path)])
            return
        except duckdb.Error as error:
            text = str(error)
            if "lock" not in text.lower():
                raise QbankError(f"cannot open warehouse {path}: {text.splitlines()[0]}") from None
            if time.monotonic() >= deadline:
                raise WarehouseBusy(busy_message(path, text)) from None
            time.sleep(0.2)


def detach(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    con.execute(f"DETACH {alias}")


def use(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Make the attached warehouse the default database of this connection (unqualified names go there)."""
    con.execute(f"USE {alias}")


def search_terms(text: str | None) -> list[str]:
    """The words of a search box: lower-cased, each must appear in some wording of the question."""
    return list(dict.fromkeys((text or "").lower().split()))[:MAX_SEARCH_TERMS]


Condition = tuple[str, list[object]]  # SQL and its parameters


def conditions(filters: ExportFilters, columns: BankColumns = BANK_VIEW) -> dict[str, Condition]:
    """One condition per filter that is set, keyed by the filter's name (search may add several words)."""
    out: dict[str, Condition] = {}
    if filters.min_sources > 1:
        out["min_sources"] = ("source_count >= ?", [filters.min_sources])
    if filters.topic:  # the topic or a child of it
        out["topic"] = (columns.topic, [filters.topic, filters.topic])
    for name in ("kind", "level"):
        if getattr(filters, name):
            out[name] = (f"{name} = ?", [getattr(filters, name)])
    terms = search_terms(filters.search)
    if terms:
        out["search"] = (" AND ".join([f"contains({columns.search}, ?)"] * len(terms)), list(terms))
    if filters.source:
        out["source"] = (f"list_contains({columns.sources}, ?)", [filters.source])
    if filters.answered is not None:
        out["answered"] = (f"{columns.answered} = ?", [filters.answered])
    if filters.since:
        out["since"] = (
            f"(SELECT started_at FROM runs WHERE run_id = {columns.relation}.last_run_id) >= "
            "(SELECT started_at FROM runs WHERE run_id = ?)",
            [filters.since],
        )
    return out


def _all(found: list[Condition]) -> Condition:
    return " AND ".join(["TRUE", *(sql for sql, _ in found)]), [p for _, params in found for p in params]


def filter_sql(filters: ExportFilters, columns: BankColumns = BANK_VIEW) -> Condition:
    """The WHERE condition (never empty) and its parameters selecting the bank rows `filters` names."""
    return _all(list(conditions(filters, columns).values()))


def run_exists(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    return con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is not None


# -- the Bank page ---------------------------------------------------------------------------------------


def bank_index(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """One row per cluster with what the Bank page lists, filters and counts."""
    return con.sql(INDEX_SQL).to_arrow_table()


def bank_page(
    con: duckdb.DuckDBPyConnection, filters: ExportFilters, sort: str, limit: int, offset: int
) -> tuple[int, list[dict]]:
    """(matching clusters, one page of them as dicts) from `ui_bank`."""
    where, params = filter_sql(filters, UI_INDEX)
    total = con.execute(f"SELECT count(*) FROM ui_bank WHERE {where}", params).fetchone()[0]
    cursor = con.execute(
        f"SELECT {PAGE_COLUMNS} FROM ui_bank WHERE {where} ORDER BY rank_{sort} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return total, _dicts(cursor)


FACETS = ("topic", "kind", "level", "source", "answered", "min_sources")


def facet_counts(con: duckdb.DuckDBPyConnection, filters: ExportFilters, top_sources: int = 12) -> dict[str, list]:
    """Counts per value of each facet, each under every current filter but its own (so that the other
    choices of a facet keep their counts): {facet: [(value, count), ...]}, largest first (min_sources by
    step). Rows failing a non-facet filter (search words) are dropped once, before the six counts."""
    found = conditions(filters, UI_INDEX)
    rest = [c for name, c in found.items() if name not in FACETS]
    relation = "ui_bank"
    if rest:
        where, params = _all(rest)
        con.register("ui_selection", con.sql(f"SELECT * FROM ui_bank WHERE {where}", params=params).to_arrow_table())
        relation = "ui_selection"

    def count(name: str, sql: str, extra: Sequence[object] = ()) -> list[tuple]:
        """Run `sql` over the rows passing every facet filter but `name`'s."""
        where, params = _all([c for other, c in found.items() if other in FACETS and other != name])
        return [tuple(row) for row in con.execute(sql.format(rows=relation, where=where), [*params, *extra]).fetchall()]

    tally = "GROUP BY 1 ORDER BY 2 DESC, 1"
    steps = ", ".join(f"count(*) FILTER (WHERE source_count >= {n})" for n in SOURCE_COUNT_STEPS)
    sources = "SELECT source, count(*) FROM (SELECT unnest(sources) AS source FROM {rows} WHERE {where})"
    out = {
        "topic": count("topic", "SELECT topic, count(*) FROM (SELECT unnest(topic_set) AS topic FROM {rows} "
                       f"WHERE {{where}}) {tally}"),
        "kind": count("kind", f"SELECT kind, count(*) FROM {{rows}} WHERE {{where}} AND kind IS NOT NULL {tally}"),
        "level": count("level", f"SELECT level, count(*) FROM {{rows}} WHERE {{where}} AND level IS NOT NULL {tally}"),
        "answered": count("answered", "SELECT CASE WHEN answered THEN 'yes' ELSE 'no' END, count(*) FROM {rows} "
                          "WHERE {where} GROUP BY 1 ORDER BY 1 DESC"),
        "min_sources": list(zip(map(str, SOURCE_COUNT_STEPS),
                                count("min_sources", f"SELECT {steps} FROM {{rows}} WHERE {{where}}")[0], strict=True)),
        "source": count("source", f"{sources} {tally} LIMIT ?", [top_sources]),
    }  # fmt: skip
    if filters.source and filters.source not in {value for value, _ in out["source"]}:
        out["source"] += count("source", f"{sources} WHERE source = ? GROUP BY 1", [filters.source])
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
    """Every occurrence of the cluster with its source, section, answer and topics, canonical first (the
    `questions` view's columns, read from the tables so that only this cluster's rows are touched)."""
    return _dicts(con.execute(
        """SELECT o.question_id, o.question, o.source_uri, o.section, o.answer, o.kind, o.level,
                  coalesce((SELECT list(qt.topic ORDER BY qt.topic) FROM question_topics qt
                            WHERE qt.question_id = o.question_id), []::VARCHAR[]) AS topics,
                  o.question_id = c.canonical_question_id AS is_canonical, o.cluster_reason, o.first_run_id
           FROM occurrences o JOIN clusters c ON c.cluster_id = o.cluster_id
           WHERE o.cluster_id = $1 AND c.cluster_id = $1
           ORDER BY is_canonical DESC, o.source_uri, o.position, o.question_id""",
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
    if {"question_id", "other_id"} <= set(columns):  # schema v5: pairs of questions (warehouse/links.py)
        return [{"cluster_id": c, "question": q, "score": score} for c, q, score, _ in links.related_clusters(con, cluster_id)]
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
# Built once per warehouse version, with the bank index (`ui_bank`) registered for the cluster sizes.
REVIEW_PAIRS_SQL = """
WITH pairs AS (
    SELECT question_id AS a_id, other_id AS b_id, max(score) AS score, arg_max(rule, score) AS rule,
           arg_max(scorer, score) AS scorer, bool_or(accepted) AS accepted
    FROM matches WHERE scorer <> 'exact' AND question_id <> other_id
    GROUP BY 1, 2
)
SELECT *, sources / (1 + margin) AS priority FROM (
    SELECT p.*, least(p.a_id, p.b_id) || ' ' || greatest(p.a_id, p.b_id) AS pair_key,
           a.cluster_id AS a_cluster, b.cluster_id AS b_cluster, sa.source_count + sb.source_count AS sources,
           CASE WHEN p.accepted THEN p.score - $threshold ELSE greatest($threshold - p.score, 0) END AS margin
    FROM pairs p
    JOIN occurrences a ON a.question_id = p.a_id
    JOIN occurrences b ON b.question_id = p.b_id
    JOIN ui_bank sa ON sa.cluster_id = a.cluster_id
    JOIN ui_bank sb ON sb.cluster_id = b.cluster_id
)
"""
REVIEW_SIDE_SQL = """
SELECT o.question_id, o.question, o.answer, o.source_uri, o.section, o.cluster_id,
       o.question_id = c.canonical_question_id AS is_canonical, canon.question AS cluster_question, b.source_count
FROM occurrences o
JOIN clusters c ON c.cluster_id = o.cluster_id
JOIN occurrences canon ON canon.question_id = c.canonical_question_id
JOIN ui_bank b ON b.cluster_id = o.cluster_id
WHERE o.question_id IN (?, ?)
"""


def review_pairs(con: duckdb.DuckDBPyConnection, threshold: float) -> pa.Table:
    """Every scored pair worth a look, with its priority (needs `ui_bank`); the UI caches it as `ui_pairs`."""
    return con.sql(REVIEW_PAIRS_SQL, params={"threshold": threshold}).to_arrow_table()


def review_queue(con: duckdb.DuckDBPyConnection, decided: list[str], offset: int) -> tuple[int, dict | None]:
    """(pairs left to review, the pair at `offset` in priority order with both sides, or None past the end).
    `decided`: the pairs already in curation as "id id" keys, smaller id first. Needs `ui_pairs`, `ui_bank`."""
    left_sql = "FROM ui_pairs WHERE pair_key NOT IN (SELECT unnest($decided::VARCHAR[]))"
    pairs = _dicts(con.execute(
        f"SELECT *, count(*) OVER () AS pairs_left {left_sql} "
        "ORDER BY priority DESC, margin, a_id, b_id LIMIT 1 OFFSET $offset",
        {"decided": decided, "offset": offset},
    ))  # fmt: skip
    if not pairs:
        return con.execute(f"SELECT count(*) {left_sql}", {"decided": decided}).fetchone()[0], None
    pair = pairs[0]
    sides = {r["question_id"]: r for r in _dicts(con.execute(REVIEW_SIDE_SQL, [pair["a_id"], pair["b_id"]]))}
    pair["a"], pair["b"] = sides.get(pair["a_id"]), sides.get(pair["b_id"])
    return pair["pairs_left"], pair


def placement(con: duckdb.DuckDBPyConnection, question_ids: list[str]) -> dict[str, tuple[str, bool]]:
    """question_id -> (its cluster, whether it is the canonical) for the ids that are in the warehouse."""
    if not question_ids:
        return {}
    rows = con.execute(
        "SELECT o.question_id, o.cluster_id, o.question_id = c.canonical_question_id FROM occurrences o "
        "JOIN clusters c ON c.cluster_id = o.cluster_id WHERE o.question_id IN (SELECT unnest(?))",
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
