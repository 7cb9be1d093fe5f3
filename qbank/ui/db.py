"""Reading the warehouse from the UI: a read-only connection per request, and tables cached per file version.

DuckDB lets one process write a file, and any process holding it open (even read-only) blocks that writer,
so the file is open only while requests are being answered. Each request gets its own connection (a cursor)
of one in-memory DuckDB instance to which the warehouse is attached read-only by the first request in flight
and detached by the last one: attaching costs a few milliseconds where a new connection costs ~40 ms of
instance start-up. While an ingest holds the file, `read` raises WarehouseBusy after a short wait and the
page says so (and retries) instead of failing.

Two derived tables are read once per version of the file and kept in memory as Arrow tables, then exposed
to each request's connection: `ui_bank` (one lean row per cluster, for the Bank page's paging and facet
counts) and `ui_pairs` (the scored pairs of the review queue). The version is the size and modification
time of the file and of its write-ahead log, which every committed write changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import ui_queries

BUSY_WAIT_SECONDS = 1.0  # how long a request waits for an ingest to release the file before saying so
ALIAS = "qbank_warehouse"  # the attached warehouse's name in the in-memory instance
Build = Callable[[duckdb.DuckDBPyConnection], pa.Table]


def file_version(path: Path) -> tuple[int, ...]:
    """Changes whenever a write to the DuckDB file is committed (main file or its .wal)."""
    version: list[int] = []
    for part in (path, path.with_name(path.name + ".wal")):
        try:
            stat = part.stat()
            version += [stat.st_size, stat.st_mtime_ns]
        except FileNotFoundError:
            version += [-1, -1]
    return tuple(version)


class Derived:
    """Tables derived from one warehouse file, each built on first use and dropped when the file changes."""

    def __init__(self, path: Path, builders: dict[str, Build]) -> None:
        self.path = path
        self.builders = builders
        self._lock = threading.Lock()
        self._version: tuple[int, ...] | None = None
        self._tables: dict[str, pa.Table] = {}

    def get(self, con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
        """The table `name`, built through `con` when missing or stale. Concurrent requests wait for one build."""
        with self._lock:
            version = file_version(self.path)
            if version != self._version:
                self._tables.clear()
                self._version = version
            if name not in self._tables:
                self._tables[name] = self.builders[name](con)
            return self._tables[name]


class Reader:
    """Per-request read-only connections to one warehouse, with the derived tables a page asks for."""

    def __init__(self, path: Path, threshold: float, busy_wait: float = BUSY_WAIT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_wait = busy_wait
        self.derived = Derived(self.path, {
            "ui_bank": ui_queries.bank_index,
            "ui_pairs": lambda con: ui_queries.review_pairs(con, threshold),  # needs ui_bank registered
        })  # fmt: skip
        self._db = duckdb.connect()  # in memory; holds no file
        self._lock = threading.Lock()  # guards attach, detach and the count of requests in flight
        self._in_flight = 0

    def _open(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._in_flight == 0:
                ui_queries.attach(self._db, self.path, ALIAS, self.busy_wait)
            self._in_flight += 1
            con = self._db.cursor()
        ui_queries.use(con, ALIAS)
        return con

    def _close(self, con: duckdb.DuckDBPyConnection) -> None:
        con.close()
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                ui_queries.detach(self._db, ALIAS)  # the file is free for the next ingest

    @contextmanager
    def read(self, tables: Sequence[str] = ()) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection with `tables` registered (in order), closed on exit; raises WarehouseBusy
        while a writer holds the file."""
        con = self._open()
        try:
            for name in tables:
                con.register(name, self.derived.get(con, name))
            yield con
        finally:
            self._close(con)
