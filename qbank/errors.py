"""Named errors. Each message is one line a user can act on; the CLI prints it and exits 1."""

from __future__ import annotations


class QbankError(Exception):
    """Base class: str(error) is the one-line message shown to the user."""


class SourceError(QbankError):
    """One source cannot be read or parsed. Recorded as a failed source; the run goes on."""


class WarehouseBusy(QbankError):
    """Another process holds the DuckDB file."""


class SchemaVersionError(QbankError):
    """The warehouse was made by a newer qbank than this one."""


class QueryError(QbankError):
    """A user's SQL failed; the message is DuckDB's own text."""
