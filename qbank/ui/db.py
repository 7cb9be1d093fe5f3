"""Reading the warehouse from the UI: a read-only connection per request, and the cached bank index.

DuckDB lets one process write a file, and any process holding it open (even read-only) blocks that writer,
so a connection lives only as long as one request. While an ingest holds the file, `read` raises
WarehouseBusy after a short wait and the page says so (and retries) instead of failing.

The bank index (one lean row per cluster, `warehouse.ui_queries.bank_index`) is built once per version of
the file: the version is the size and modification time of the file and of its write-ahead log, which
every committed write changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import ui_queries
from warehouse.store import connect

BUSY_WAIT_SECONDS = 1.0  # how long a request waits for an ingest to release the file before saying so


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


class BankIndex:
    """The bank index of one warehouse file, rebuilt when the file changed since it was read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._version: tuple[int, ...] | None = None
        self._table: pa.Table | None = None

    def get(self, con: duckdb.DuckDBPyConnection) -> pa.Table:
        """The index, read through `con` when stale. Concurrent requests wait for one rebuild."""
        with self._lock:
            version = file_version(self.path)
            if self._table is None or version != self._version:
                self._table = ui_queries.bank_index(con)
                self._version = version
            return self._table


class Reader:
    """Per-request read-only connections to one warehouse, with its bank index registered as `ui_bank`."""

    def __init__(self, path: Path, busy_wait: float = BUSY_WAIT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_wait = busy_wait
        self.index = BankIndex(self.path)

    @contextmanager
    def read(self, *, with_index: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, closed on exit; raises WarehouseBusy while a writer holds the file."""
        con = connect(self.path, read_only=True, busy_timeout=self.busy_wait)
        try:
            if with_index:
                ui_queries.register_index(con, self.index.get(con))
            yield con
        finally:
            con.close()
