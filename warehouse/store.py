"""The DuckDB warehouse: open (creating or migrating the schema), read what the pipeline needs, load a run.

Every public method opens the file, does its work and closes it: DuckDB allows one writing process, so a
connection is never kept between calls. A file held by another process raises `WarehouseBusy` after a short
retry window; a file made by a newer qbank raises `SchemaVersionError`.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from qbank.canonical import CanonicalRule
from qbank.errors import QbankError, QueryError, SchemaVersionError, WarehouseBusy
from qbank.ids import question_ids
from qbank.records import (
    ClusterAssignment,
    DedupeResult,
    ExistingMember,
    QAItem,
    KnownSource,
    RelatedLink,
    Question,
    RunInfo,
    RunSummary,
    SourceResult,
    SourceSummary,
    StageStats,
    TopicRow,
    TopicTag,
)
from warehouse.checks import question_counts, run_checks

SCHEMA_PATH = Path(__file__).with_name("schema.sql")


def _rekey_question_ids(con: duckdb.DuckDBPyConnection) -> None:
    """v3: question ids come from the question's words (qbank.ids.id_text), no longer its match key."""
    rows = con.execute(
        "SELECT question_id, source_uri, question FROM occurrences ORDER BY source_uri, position, question_id"
    ).fetchall()
    new_ids = question_ids((uri, question) for _, uri, question in rows)
    mapping = [(old, new) for (old, _, _), new in zip(rows, new_ids, strict=True) if old != new]
    if not mapping:
        return
    with _rows(con, ("old_id", "new_id"), mapping) as relation:
        con.execute(f"CREATE TEMP TABLE _qbank_ids AS SELECT * FROM {relation}")
    for table in ("occurrences", "question_topics"):  # question_id is (part of) the key: rewrite the rows
        con.execute(
            f"CREATE TEMP TABLE _qbank_copy AS SELECT t.* REPLACE (coalesce(m.new_id, t.question_id) AS question_id) "
            f"FROM {table} t LEFT JOIN _qbank_ids m ON m.old_id = t.question_id"
        )
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} SELECT * FROM _qbank_copy")
        con.execute("DROP TABLE _qbank_copy")
    for table, column in (("matches", "question_id"), ("matches", "other_id"), ("clusters", "canonical_question_id")):
        con.execute(f"UPDATE {table} SET {column} = m.new_id FROM _qbank_ids m WHERE {table}.{column} = m.old_id")
    con.execute("DROP TABLE _qbank_ids")


# Step N brings a version N-1 warehouse to version N: SQL statements, or functions of the connection.
# Views are dropped before the steps and re-created from schema.sql after them, so steps only change tables.
MIGRATIONS: dict[int, tuple[str | Callable[[duckdb.DuckDBPyConnection], None], ...]] = {
    2: (
        "ALTER TABLE topics RENAME TO taxonomy",  # the name `topics` is now the view users query
        "ALTER TABLE runs ADD COLUMN sources_skipped INTEGER DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN questions_kept INTEGER DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN questions_total INTEGER DEFAULT 0",
    ),
    3: (_rekey_question_ids,),
    4: (
        "ALTER TABLE occurrences ADD COLUMN IF NOT EXISTS parent VARCHAR",
        "ALTER TABLE occurrences ADD COLUMN IF NOT EXISTS answer_kind VARCHAR",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS blocks INTEGER",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS blocks_question INTEGER",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS blocks_answer INTEGER",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS blocks_rejected INTEGER",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS warning VARCHAR",
    ),
    5: (),  # tables `related` and `embeddings` are new: schema.sql creates them, the bank view gains `related`
    6: (  # how each source was found (qbank/discover.py); every source before was named by the user
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS found_by VARCHAR",
        "ALTER TABLE source_docs ADD COLUMN IF NOT EXISTS found_from VARCHAR",
        "UPDATE source_docs SET found_by = 'given' WHERE found_by IS NULL",
    ),
    7: (  # what each stage of a run did and how long it took (qbank/stages.py); NULL for earlier runs
        "ALTER TABLE runs ADD COLUMN IF NOT EXISTS stages JSON",
    ),
}

# Statements a query may run: reading ones. (SELECT covers FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE;
# MULTI is PIVOT.) Everything else (COPY, EXPORT, ATTACH, DETACH, INSTALL/LOAD, SET, CREATE...) is refused.
_READING_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI"})
_LOCKDOWN = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
)


def _lock_down(con: duckdb.DuckDBPyConnection, allow_files: bool) -> None:
    """Settings that keep a user's SQL inside the warehouse; locked, so the SQL cannot undo them."""
    for statement in _LOCKDOWN:
        con.execute(statement)
    if not allow_files:
        con.execute("SET enable_external_access = false")  # no file or URL reads, no ATTACH, no COPY TO
    con.execute("SET lock_configuration = true")


def _only_reading(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse SQL with a statement that is not a reading one (QueryError naming it)."""
    for statement in con.extract_statements(sql):
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind not in _READING_STATEMENTS:
            word = {"LOAD": "INSTALL/LOAD", "SET": "SET/USE"}.get(kind, kind)
            raise QueryError(
                f"qbank query is read-only: {word} statements are not allowed (`qbank export` writes files)"
            )


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<proc>.+?) \(PID (?P<pid>\d+)\)")


def schema_sql() -> str:
    """The DDL of the current schema (tables, views, schema_version row)."""
    return SCHEMA_PATH.read_text(encoding="utf-8")


def current_schema_version() -> int:
    """The version schema.sql declares in its schema_info row."""
    found = re.search(r"VALUES \('schema_version', '(\d+)'\)", schema_sql())
    if found is None:
        raise RuntimeError(f"{SCHEMA_PATH} does not set schema_version")
    return int(found.group(1))


def busy_message(path: Path, error: str) -> str:
    """One line naming the process that holds the warehouse, from DuckDB's lock error text."""
    holder = _LOCK_HOLDER.search(error)
    who = f"{holder['proc']} (PID {holder['pid']})" if holder else "another process"
    return f"warehouse {path} is in use by {who}; wait for it to finish and retry"


def connect(path: Path, *, read_only: bool = False, busy_timeout: float = 5.0) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying while another process holds its lock, then raising WarehouseBusy."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            text = str(error)
            # same process, other mode: DuckDB refuses a read-only and a read-write connection side by side
            same_process = "different configuration" in text
            if "lock" not in text.lower() and not same_process:
                raise QbankError(f"cannot open warehouse {path}: {text.splitlines()[0]}") from None
            if time.monotonic() >= deadline:
                if same_process:
                    message = f"warehouse {path} is open in this process in another mode; close it first"
                    raise WarehouseBusy(message) from None
                raise WarehouseBusy(busy_message(path, text)) from None
            time.sleep(0.2)


def _stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """Schema version of an open warehouse; None for an empty file. Version 1 files have no version row."""
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "occurrences" not in tables:
        return None
    row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit what the block did, or roll all of it back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _migrate(con: duckdb.DuckDBPyConnection, version: int | None) -> None:
    """Create the schema in an empty file, or apply the numbered steps after `version`, in one transaction."""
    with _transaction(con):
        if version is not None:
            for (view,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
                con.execute(f'DROP VIEW "{view}"')
            for step in range(version + 1, current_schema_version() + 1):
                for statement in MIGRATIONS[step]:
                    if callable(statement):
                        statement(con)
                    else:
                        con.execute(statement)
        con.execute(schema_sql())


@contextmanager
def _rows(con: duckdb.DuckDBPyConnection, columns: Sequence[str], rows: Sequence[tuple]) -> Iterator[str]:
    """Rows registered as a relation (through Arrow: executemany is row-at-a-time in DuckDB); yields its name."""
    data = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    con.register("_qbank_rows", data)
    try:
        yield "_qbank_rows"
    finally:
        con.unregister("_qbank_rows")


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[tuple], conflict: str = ""
) -> None:
    """Bulk insert; `conflict` is an optional ON CONFLICT clause."""
    if not rows:
        return
    names = ", ".join(columns)
    with _rows(con, columns, rows) as relation:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {relation} {conflict}")


def _where_in(
    con: duckdb.DuckDBPyConnection, sql: str, values: Sequence[str], params: Sequence[object] = ()
) -> list[tuple]:
    """Run `sql`, whose `{values}` stands for a subquery over `values` (a semi-join, not a long IN list)."""
    if not values:
        return []
    with _rows(con, ("v",), [(v,) for v in values]) as relation:
        return con.execute(sql.format(values=f"(SELECT v FROM {relation})"), list(params)).fetchall()


OCCURRENCE_COLUMNS = (
    "question_id", "source_uri", "position", "section", "section_path", "kind", "level", "question",
    "question_raw", "answer", "answer_text", "follow_ups", "rule", "match_key", "cluster_id",
    "cluster_reason", "first_run_id", "last_run_id", "parent", "answer_kind",
)  # fmt: skip

SOURCE_COLUMNS = (
    "source_uri", "status", "error", "error_stage", "content_sha256", "media_type", "format", "title", "metadata",
    "etag", "last_modified", "fetched_at", "question_count", "first_run_id", "last_run_id",
    "blocks", "blocks_question", "blocks_answer", "blocks_rejected", "warning",
)  # fmt: skip


def _source_row(result: SourceResult, question_count: int, run_id: str) -> tuple:
    """The source_docs row of a source loaded in this run (status ok; error holds a read warning, if any)."""
    raw, doc, fates = result.raw, result.doc, result.fates
    return (
        result.source_uri, "ok", _warning(result), None,
        raw.sha256 if raw else (doc.sha256 if doc else None),
        raw.media_type if raw else None,
        doc.format if doc else None,
        doc.title if doc else None,
        json.dumps(doc.metadata, sort_keys=True, ensure_ascii=False) if doc else None,
        raw.etag if raw else None,
        raw.last_modified if raw else None,
        raw.fetched_at if raw else None,
        question_count, run_id, run_id,
        fates.blocks if fates else None, fates.question if fates else None,
        fates.answer if fates else None, fates.rejected if fates else None, result.warning,
    )  # fmt: skip


def _warning(result: SourceResult) -> str | None:
    """The one-line warning of a source read with trouble (invalid bytes replaced, ...), or None."""
    warnings = result.raw.warnings if result.raw is not None else ()
    return " ".join("; ".join(warnings).split()) or None


class Warehouse:
    """The qbank DuckDB file. Cheap to construct; each method opens and closes the file."""

    def __init__(self, path: Path, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._ready = False

    # -- opening ---------------------------------------------------------------------------------

    def ensure_schema(self) -> int:
        """Create the file or migrate it to the current schema; return the version. Refuses newer files."""
        if self._ready:
            return current_schema_version()
        current = current_schema_version()
        version: int | None = None
        if self.path.exists():
            con = connect(self.path, read_only=True, busy_timeout=self.busy_timeout)
            try:
                version = _stored_version(con)
            finally:
                con.close()
        if version is not None and version > current:
            raise SchemaVersionError(
                f"warehouse {self.path} has schema version {version}, newer than this qbank's {current}; "
                "upgrade qbank to open it"
            )
        if version != current:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = connect(self.path, busy_timeout=self.busy_timeout)
            try:
                _migrate(con, version)
            finally:
                con.close()
        self._ready = True
        return current

    @contextmanager
    def open(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the up-to-date warehouse, closed on exit."""
        self.ensure_schema()
        con = connect(self.path, read_only=read_only, busy_timeout=self.busy_timeout)
        try:
            yield con
        finally:
            con.close()

    # -- what the pipeline reads -----------------------------------------------------------------

    def known_sources(self) -> dict[str, KnownSource]:
        """Every recorded source with its content hash and HTTP validators, for change detection."""
        with self.open(read_only=True) as con:
            rows = con.execute(
                "SELECT source_uri, content_sha256, etag, last_modified, status, question_count, media_type "
                "FROM source_docs"
            ).fetchall()
        return {row[0]: KnownSource(*row) for row in rows}

    def has_run(self, run_id: str) -> bool:
        """Whether the run was committed."""
        with self.open(read_only=True) as con:
            return con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0] > 0

    def question_counts(self) -> dict[str, int]:
        """Questions stored per source."""
        with self.open(read_only=True) as con:
            return question_counts(con)

    def existing_members(self) -> list[ExistingMember]:
        """Every loaded question with its cluster, for incremental dedupe."""
        with self.open(read_only=True) as con:
            rows = con.execute(
                "SELECT question_id, cluster_id, match_key, question, source_uri, answer IS NOT NULL, parent "
                "FROM occurrences ORDER BY first_run_id, question_id"  # oldest first: see qbank/dedupe/cluster.py
            ).fetchall()
        return [ExistingMember(*row) for row in rows]

    def stored_questions(self) -> list[Question]:
        """Every loaded question as a record, for work that needs no fetching (re-tagging).

        With what the tagger reads besides the text: headings, the stem of a sub-question, kind and level.
        """
        with self.open(read_only=True) as con:
            rows = con.execute(
                "SELECT question_id, source_uri, position, question, question_raw, answer, answer_text, section, "
                "coalesce(section_path, []::VARCHAR[]), match_key, parent, kind, level FROM occurrences "
                "ORDER BY question_id"
            ).fetchall()
        return [
            Question(qid, QAItem(uri, pos, q, raw, answer, text, section, tuple(path), parent=parent, kind=kind,
                                 level=level), key)  # fmt: skip
            for qid, uri, pos, q, raw, answer, text, section, path, key, parent, kind, level in rows
        ]

    def replace_tags(self, tags: Sequence[TopicTag], topics: Sequence[TopicRow]) -> None:
        """Replace the taxonomy and every question's topics in one transaction."""
        with self.open() as con, _transaction(con):
            con.execute("DELETE FROM question_topics")
            con.execute("DELETE FROM taxonomy")
            _insert(con, "taxonomy", ("topic", "label", "description", "parent"),
                    [(r.topic, r.label, r.description, r.parent) for r in topics])  # fmt: skip
            _insert(con, "question_topics", ("question_id", "topic", "score", "evidence"),
                    [(t.question_id, t.topic, t.score, t.evidence) for t in tags])  # fmt: skip

    def stored_vectors(self, model: str, digests: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored embeddings of `model` for these key digests (qbank.dedupe.vectors.key_digest)."""
        if not digests:
            return {}
        with self.open(read_only=True) as con:
            with _rows(con, ("v",), [(d,) for d in digests]) as relation:
                table = con.sql(
                    f"SELECT key_sha256, vector FROM embeddings WHERE model = $model AND key_sha256 IN (SELECT v FROM {relation})",
                    params={"model": model},
                ).to_arrow_table()
        if not table.num_rows:
            return {}
        vectors = table.column("vector").combine_chunks()
        dim = len(vectors[0])
        matrix = np.asarray(vectors.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(-1, dim)
        return dict(zip(table.column("key_sha256").to_pylist(), matrix, strict=True))

    def related_pairs(self) -> list[tuple[str, str]]:
        """Every stored related pair of question ids."""
        with self.open(read_only=True) as con:
            return con.execute("SELECT question_id, other_id FROM related ORDER BY 1, 2").fetchall()

    def query(
        self, sql: str, params: Sequence[object] = (), *, allow_files: bool = False
    ) -> tuple[list[str], list[tuple]]:
        """Run a user's SQL: (column names, rows). DuckDB's error text becomes QueryError.

        The SQL cannot change anything or reach outside the warehouse: the connection is read-only, only
        reading statements run (no COPY, EXPORT, ATTACH, INSTALL/LOAD, SET), DuckDB's external access is
        off (no file or network read, no extension download) unless `allow_files`, which lets it read
        local files, and the configuration is locked so the SQL cannot turn any of that back on.
        """
        with self.open(read_only=True) as con:
            try:
                _lock_down(con, allow_files)
                _only_reading(con, sql)
                cursor = con.execute(sql, list(params))
                if cursor.description is None:
                    return [], []
                return [d[0] for d in cursor.description], cursor.fetchall()
            except duckdb.Error as error:
                raise QueryError(str(error)) from None

    # -- loading ---------------------------------------------------------------------------------

    def load_run(
        self,
        run: RunInfo,
        results: Sequence[SourceResult],
        questions: Sequence[Question],
        dedupe: DedupeResult,
        tags: Sequence[TopicTag],
        topics: Sequence[TopicRow],
        embeddings: StoredVectors | None = None,
        canonical: CanonicalRule = CanonicalRule(),
        stages: Sequence[StageStats] = (),
    ) -> RunSummary:
        """Load one run in ONE transaction; any error rolls back and leaves the warehouse as it was.

        `questions` are the occurrences of the changed sources (results that are neither failed nor
        unchanged); each such source's rows are replaced by them. Failed sources keep what they loaded
        before; unchanged sources only get `last_run_id` bumped. `canonical`: the rule (the run's
        dedupe settings) for a cluster `dedupe.canonical` does not cover that needs a canonical.
        `stages`: what the stages before did (qbank/stages.py); the load adds its own, and all are stored
        in `runs.stages` and returned in the summary.
        """
        clock = _LoadClock(stages, len(questions))
        with self.open() as con, _transaction(con):
            if embeddings is not None:
                _store_vectors(con, embeddings)
            return _Load(con, run, canonical, clock).load(results, questions, dedupe, tags, topics)

    def remove_sources(self, run: RunInfo, uris: Sequence[str], canonical: CanonicalRule = CanonicalRule()) -> RunSummary:
        """Retire sources in ONE transaction, recorded as run `run`: their questions leave the bank (a cluster
        only they held disappears; a shared one keeps its other variants and may get a new canonical, chosen
        by `canonical`; the next ingest applies the curated canonicals again), and their rows in `sources` go.
        Raises QbankError, changing nothing, when a URI is not in the warehouse."""
        with self.open() as con, _transaction(con):
            return _Load(con, run, canonical).remove(uris)


@dataclass(frozen=True, slots=True)
class StoredVectors:
    """Embeddings to keep: the model's name and version, and vectors by key digest."""

    model: str
    vectors: dict[str, np.ndarray]


def _store_vectors(con: duckdb.DuckDBPyConnection, stored: StoredVectors) -> None:
    if not stored.vectors:
        return
    digests = list(stored.vectors)
    matrix = np.stack([stored.vectors[d] for d in digests]).astype(np.float32)
    data = pa.table({
        "model": [stored.model] * len(digests),
        "key_sha256": digests,
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(matrix.ravel()), matrix.shape[1]).cast(pa.list_(pa.float32())),
    })  # fmt: skip
    con.register("_qbank_vectors", data)
    try:
        con.execute("INSERT INTO embeddings SELECT model, key_sha256, vector FROM _qbank_vectors ON CONFLICT DO NOTHING")
    finally:
        con.unregister("_qbank_vectors")


def _replace_related(
    con: duckdb.DuckDBPyConnection, rescored: Sequence[str], links: Sequence[RelatedLink], run_id: str
) -> None:
    """Related links of the questions scored again are replaced; curated links are the curation file's now;
    links to questions that left the warehouse go."""
    _where_in(con, "DELETE FROM related WHERE question_id IN {values} AND rule <> 'curation'", rescored)
    con.execute("DELETE FROM related WHERE rule = 'curation'")
    _insert(con, "related", ("question_id", "other_id", "score", "rule", "run_id"),
            sorted({(r.question_id, r.other_id, r.score, r.rule, run_id) for r in links}))  # fmt: skip
    con.execute(
        "DELETE FROM related WHERE question_id NOT IN (SELECT question_id FROM occurrences) "
        "OR other_id NOT IN (SELECT question_id FROM occurrences)"
    )


class _LoadClock:
    """Times a load from its start (connecting, migrating, waiting for the file included) to the record of its
    run; the commit after that, a few milliseconds, is not counted."""

    def __init__(self, before: Sequence[StageStats], questions: int) -> None:
        self.before = tuple(before)
        self.questions = questions
        self.wall, self.cpu = time.perf_counter(), time.process_time()  # DuckDB works in threads of its own

    def stages(self) -> tuple[StageStats, ...]:
        """The run's stages, the load last."""
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return (*self.before, StageStats("load", self.questions, self.questions, (), wall, cpu, 1))


class _Load:
    """The steps of one load_run, on a connection inside an open transaction. Statements are batched over
    all sources: a per-source statement costs milliseconds, which adds up over hundreds of sources."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, run: RunInfo, canonical: CanonicalRule, clock: _LoadClock | None = None
    ) -> None:
        self.con = con
        self.run = run
        self.canonical = canonical
        self.clock = clock  # None: a run of no stages (`qbank remove`)
        self.touched_clusters: set[str] = set()

    def load(
        self,
        results: Sequence[SourceResult],
        questions: Sequence[Question],
        dedupe: DedupeResult,
        tags: Sequence[TopicTag],
        topics: Sequence[TopicRow],
    ) -> RunSummary:
        con, run_id = self.con, self.run.run_id
        previous = question_counts(con)
        changed = {r.source_uri: r for r in results if r.failure is None and not r.unchanged}
        for question in questions:
            if question.item.source_uri not in changed:
                raise ValueError(f"question {question.question_id} belongs to no changed source in this run")
        assignments = {a.question_id: a for a in dedupe.assignments}
        summaries = [
            *self._record_failures([r for r in results if r.failure is not None], previous),
            *self._bump_unchanged([r.source_uri for r in results if r.failure is None and r.unchanged]),
            *self._replace_sources(changed, questions, assignments),
        ]
        self._move_stored(assignments, {q.question_id for q in questions})
        self._apply_clusters(dedupe)
        # questions the deduper scored again get their matches replaced; the others keep theirs
        rescored = sorted({m.question_id for m in dedupe.matches} | set(assignments))
        _where_in(con, "DELETE FROM matches WHERE question_id IN {values}", rescored)
        _insert(
            con, "matches", ("question_id", "other_id", "score", "scorer", "accepted", "rule", "run_id"),
            [(m.question_id, m.other_id, m.score, m.scorer, m.accepted, m.rule, run_id) for m in dedupe.matches],
        )  # fmt: skip
        _replace_related(con, rescored, dedupe.related, run_id)
        self._replace_tags([q.question_id for q in questions], tags)
        if topics:  # the taxonomy is given whole: replace it
            con.execute("DELETE FROM taxonomy")
            _insert(con, "taxonomy", ("topic", "label", "description", "parent"),
                    [(t.topic, t.label, t.description, t.parent) for t in topics])  # fmt: skip

        self._record_origins(results)
        checks = run_checks(con, previous)
        return self._record_run(results, summaries, checks)

    def _record_origins(self, results: Sequence[SourceResult]) -> None:
        """How this run found each of its sources: named by the user, or discovered (and where)."""
        origins = [(r.source_uri, r.found_by, r.found_from) for r in results]
        if not origins:
            return
        with _rows(self.con, ("source_uri", "found_by", "found_from"), origins) as relation:
            self.con.execute(
                f"UPDATE source_docs SET found_by = r.found_by, found_from = r.found_from FROM {relation} r "
                "WHERE source_docs.source_uri = r.source_uri"
            )

    def remove(self, uris: Sequence[str]) -> RunSummary:
        con = self.con
        previous = question_counts(con)
        unknown = [uri for uri in uris if uri not in previous]
        if unknown:
            raise QbankError(f"no source {unknown[0]!r} in the warehouse (`qbank stats` lists the sources)")
        rows = _where_in(con, "SELECT question_id, source_uri, cluster_id FROM occurrences WHERE source_uri IN {values}", uris)
        removed = Counter(uri for _, uri, _ in rows)
        ids = sorted(qid for qid, _, _ in rows)
        self.touched_clusters.update(cluster for _, _, cluster in rows)
        _where_in(con, "DELETE FROM question_topics WHERE question_id IN {values}", ids)
        _where_in(con, "DELETE FROM matches WHERE question_id IN {values} OR other_id IN {values}", ids)
        for table in ("occurrences", "rejected", "source_docs"):
            _where_in(con, f"DELETE FROM {table} WHERE source_uri IN {{values}}", uris)
        self._apply_clusters(DedupeResult(assignments=()))
        checks = run_checks(con, {})
        summaries = [SourceSummary(uri, "removed", removed=removed[uri]) for uri in uris]
        return self._record_run((), summaries, checks)

    def _record_failures(self, failed: Sequence[SourceResult], previous: dict[str, int]) -> list[SourceSummary]:
        """Failed or skipped sources: record the error, keep whatever each loaded before."""
        rows, summaries = [], []
        for result in failed:
            failure = result.failure
            assert failure is not None
            reason = " ".join(failure.reason.split())  # one line, whatever the stage gave us
            rows.append((result.source_uri, failure.status, reason, failure.stage, self.run.run_id, self.run.run_id))
            summaries.append(SourceSummary(result.source_uri, failure.status, reason,
                                           kept=previous.get(result.source_uri, 0)))  # fmt: skip
        _insert(
            self.con, "source_docs", ("source_uri", "status", "error", "error_stage", "first_run_id", "last_run_id"),
            rows,
            "ON CONFLICT (source_uri) DO UPDATE SET status = excluded.status, error = excluded.error, "
            "error_stage = excluded.error_stage, last_run_id = excluded.last_run_id",
        )
        return summaries

    def _bump_unchanged(self, uris: Sequence[str]) -> list[SourceSummary]:
        run_id = [self.run.run_id]
        _where_in(self.con, "UPDATE source_docs SET last_run_id = ? WHERE source_uri IN {values}", uris, run_id)
        _where_in(self.con, "UPDATE occurrences SET last_run_id = ? WHERE source_uri IN {values}", uris, run_id)
        kept = dict(_where_in(
            self.con, "SELECT source_uri, count(*) FROM occurrences WHERE source_uri IN {values} GROUP BY 1", uris
        ))  # fmt: skip
        return [SourceSummary(uri, "unchanged", kept=kept.get(uri, 0)) for uri in uris]

    def _replace_sources(
        self, changed: dict[str, SourceResult], questions: Sequence[Question], assignments: dict
    ) -> list[SourceSummary]:
        """Make each changed source's occurrences exactly its `questions`, keeping first_run_id of rows that stay."""
        con, run_id, uris = self.con, self.run.run_id, sorted(changed)
        old_rows = _where_in(
            con,
            "SELECT question_id, source_uri, first_run_id, cluster_id, cluster_reason, question, answer "
            "FROM occurrences WHERE source_uri IN {values}",
            uris,
        )
        old = {row[0]: row[2:] for row in old_rows}
        old_by_source: dict[str, set[str]] = defaultdict(set)
        for row in old_rows:
            old_by_source[row[1]].add(row[0])
        rows, new_by_source = [], defaultdict(set)
        for q in questions:
            item = q.item
            assignment = assignments.get(q.question_id)
            if assignment is not None:
                cluster_id, reason = assignment.cluster_id, assignment.reason
            elif q.question_id in old:
                cluster_id, reason = old[q.question_id][1], old[q.question_id][2]
            else:
                raise ValueError(f"new question {q.question_id} of {item.source_uri} has no cluster assignment")
            first_run = old[q.question_id][0] if q.question_id in old else run_id
            rows.append((
                q.question_id, item.source_uri, item.position, item.section, list(item.section_path), item.kind,
                item.level, item.question, item.question_raw, item.answer_markdown, item.answer_text,
                list(item.follow_ups), item.rule, q.match_key, cluster_id, reason, first_run, run_id,
                item.parent, item.answer_kind,
            ))  # fmt: skip
            new_by_source[item.source_uri].add(q.question_id)
            if old.get(q.question_id, ())[1:] != (cluster_id, reason, item.question, item.answer_markdown):
                self.touched_clusters.add(cluster_id)  # new, moved or reworded: the bank row changed
        removed = sorted(set(old) - {q.question_id for q in questions})
        self.touched_clusters.update(old[qid][1] for qid in removed)
        _where_in(con, "DELETE FROM occurrences WHERE source_uri IN {values}", uris)
        _where_in(con, "DELETE FROM question_topics WHERE question_id IN {values}", removed)
        _where_in(con, "DELETE FROM matches WHERE question_id IN {values} OR other_id IN {values}", removed)
        _insert(con, "occurrences", OCCURRENCE_COLUMNS, rows)

        _where_in(con, "DELETE FROM rejected WHERE source_uri IN {values}", uris)
        _insert(
            con, "rejected", ("source_uri", "block_order", "text", "reason", "section", "run_id"),
            [(r.source_uri, r.block_order, r.text, r.reason, r.section, run_id)
             for uri in uris for r in changed[uri].rejected],
        )  # fmt: skip
        updated = [c for c in SOURCE_COLUMNS if c not in ("source_uri", "first_run_id")]
        _insert(con, "source_docs", SOURCE_COLUMNS,
                [_source_row(changed[uri], len(new_by_source[uri]), run_id) for uri in uris],
                "ON CONFLICT (source_uri) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updated))  # fmt: skip
        summaries = []
        for uri in uris:
            kept = len(new_by_source[uri] & old_by_source[uri])
            summaries.append(SourceSummary(uri, "ok", _warning(changed[uri]), added=len(new_by_source[uri]) - kept,
                                           kept=kept, removed=len(old_by_source[uri] - new_by_source[uri]),
                                           warning=changed[uri].warning))  # fmt: skip
        return summaries

    def _move_stored(self, assignments: dict[str, ClusterAssignment], loaded: set[str]) -> None:
        """Stored questions the deduper moved to another cluster (a cannot_link split of a cluster); the
        cluster they left is among the deduper's touched clusters, so its canonical is chosen again."""
        moves = sorted((a.question_id, a.cluster_id, a.reason) for qid, a in assignments.items() if qid not in loaded)
        for question_id, cluster_id, reason in moves:  # few: one per cannot_link pair that was together
            moved = self.con.execute(
                "UPDATE occurrences SET cluster_id = ?, cluster_reason = ? WHERE question_id = ? RETURNING 1",
                [cluster_id, reason, question_id],
            ).fetchall()
            if not moved:
                raise ValueError(f"moved question {question_id} is not in the warehouse")
            self.touched_clusters.add(cluster_id)

    def _apply_clusters(self, dedupe: DedupeResult) -> None:
        """New clusters, merges, canonical choices; drop clusters left empty."""
        con, run_id = self.con, self.run.run_id
        for merge in dedupe.merges:  # few per run
            con.execute(
                "UPDATE occurrences SET cluster_id = ? WHERE cluster_id = ?", [merge.into_id, merge.absorbed_id]
            )
            con.execute("DELETE FROM clusters WHERE cluster_id = ?", [merge.absorbed_id])
            self.touched_clusters.add(merge.into_id)
        _insert(con, "cluster_merges", ("absorbed_id", "into_id", "reason", "run_id"),
                [(m.absorbed_id, m.into_id, m.reason, run_id) for m in dedupe.merges])  # fmt: skip
        given = dedupe.canonical
        if given:
            with _rows(con, ("cluster_id", "question_id"), sorted(given.items())) as relation:
                wrong = con.execute(
                    f"SELECT c.question_id, c.cluster_id FROM {relation} c LEFT JOIN occurrences o "
                    "ON o.question_id = c.question_id WHERE o.cluster_id IS DISTINCT FROM c.cluster_id LIMIT 1"
                ).fetchone()
            if wrong:
                raise ValueError(f"canonical question {wrong[0]} is not a member of cluster {wrong[1]}")
        canonical = sorted({**self._choose_canonicals(set(given)), **given}.items())
        if canonical:
            with _rows(con, ("cluster_id", "question_id"), canonical) as relation:
                con.execute(
                    f"""INSERT INTO clusters (cluster_id, canonical_question_id, first_run_id, last_run_id)
                        SELECT cluster_id, question_id, ?, ? FROM {relation}
                        WHERE cluster_id NOT IN (SELECT cluster_id FROM clusters)""",
                    [run_id, run_id],
                )
                con.execute(
                    f"""UPDATE clusters SET canonical_question_id = c.question_id FROM {relation} c
                        WHERE clusters.cluster_id = c.cluster_id AND clusters.canonical_question_id <> c.question_id"""
                )
        con.execute("DELETE FROM clusters WHERE cluster_id NOT IN (SELECT DISTINCT cluster_id FROM occurrences)")
        _where_in(con, "UPDATE clusters SET last_run_id = ? WHERE cluster_id IN {values}",
                  sorted(self.touched_clusters | set(dedupe.canonical)), [run_id])  # fmt: skip

    def _choose_canonicals(self, given: set[str]) -> dict[str, str]:
        """A canonical, by the one rule (qbank/canonical.py), for each cluster that needs one and was not
        `given` one: a new cluster, or a stored one whose canonical question left it."""
        # "" names no cluster: it keeps the relation typed when nothing is given
        with _rows(self.con, ("cluster_id",), [(c,) for c in sorted(given)] or [("",)]) as named:
            rows = self.con.execute(
                f"""SELECT o.cluster_id, o.question_id, o.question, o.answer IS NOT NULL FROM occurrences o
                    LEFT JOIN clusters c ON c.cluster_id = o.cluster_id
                    WHERE o.cluster_id NOT IN (SELECT cluster_id FROM {named})
                      AND (c.cluster_id IS NULL OR NOT EXISTS (
                          SELECT 1 FROM occurrences k WHERE k.question_id = c.canonical_question_id
                          AND k.cluster_id = c.cluster_id))"""
            ).fetchall()
        members: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
        for cluster_id, question_id, question, has_answer in rows:
            members[cluster_id].append((question_id, question, has_answer))
        return {cluster_id: self.canonical.choose(entries) for cluster_id, entries in members.items()}

    def _replace_tags(self, new_ids: list[str], tags: Sequence[TopicTag]) -> None:
        tagged = sorted({t.question_id for t in tags} | set(new_ids))
        _where_in(self.con, "DELETE FROM question_topics WHERE question_id IN {values}", tagged)
        unique = {(t.question_id, t.topic): t for t in tags}  # one row per (question, topic): the last wins
        _insert(self.con, "question_topics", ("question_id", "topic", "score", "evidence"),
                [(t.question_id, t.topic, t.score, t.evidence) for t in unique.values()])  # fmt: skip
        missing = _where_in(
            self.con,
            "SELECT DISTINCT question_id FROM question_topics WHERE question_id IN {values} "
            "AND question_id NOT IN (SELECT question_id FROM occurrences) ORDER BY 1",
            tagged,
        )
        if missing:
            raise ValueError(f"topic tags for unknown questions: {', '.join(m[0] for m in missing[:5])}")

    def _record_run(self, results: Sequence[SourceResult], summaries: list[SourceSummary], checks: tuple) -> RunSummary:
        con, run = self.con, self.run
        stages = self.clock.stages() if self.clock is not None else ()
        failed = sum(s.status == "failed" for s in summaries)
        held = sum(s.status == "suspect" for s in summaries)
        status = "failed" if results and failed == len(results) else "partial" if failed or held else "ok"
        if run.interrupted:
            status = "interrupted"
        total = con.execute("SELECT count(*) FROM occurrences").fetchone()[0]
        clusters = con.execute("SELECT count(*) FROM clusters").fetchone()[0]
        summary = RunSummary(
            run_id=run.run_id,
            status=status,
            sources=tuple(sorted(summaries, key=lambda s: s.source_uri)),
            questions_added=sum(s.added for s in summaries),
            questions_kept=sum(s.kept for s in summaries),
            questions_removed=sum(s.removed for s in summaries),
            questions_total=total,
            clusters_total=clusters,
            checks=checks,
            interrupted=run.interrupted,
            stages=stages,
        )
        checks_json = json.dumps(
            [{"name": c.name, "ok": c.ok, "message": c.message, "rows": list(c.rows)} for c in checks]
        )
        con.execute(
            """INSERT INTO runs (run_id, started_at, finished_at, status, settings_hash, sources_seen, sources_ok,
                   sources_unchanged, sources_failed, sources_skipped, questions_added, questions_kept,
                   questions_removed, questions_total, clusters_total, checks, stages)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                run.run_id, run.started_at, datetime.now(run.started_at.tzinfo), status, run.settings_hash,
                len(summaries), sum(s.status == "ok" for s in summaries),
                sum(s.status == "unchanged" for s in summaries), failed + held,
                sum(s.status == "skipped" for s in summaries), summary.questions_added, summary.questions_kept,
                summary.questions_removed, total, clusters, checks_json, _stages_json(stages),
            ],
        )  # fmt: skip
        return summary


def _stages_json(stages: Sequence[StageStats]) -> str | None:
    """`runs.stages`: one object per stage (docs/warehouse.md); NULL for a run without stages (`qbank remove`)."""
    if not stages:
        return None
    return json.dumps([
        {"stage": s.stage, "records_in": s.records_in, "records_out": s.records_out, "dropped": s.dropped,
         "drops": dict(s.drops), "wall": round(s.wall, 4), "cpu": round(s.cpu, 4), "calls": s.calls}
        for s in stages
    ])  # fmt: skip
