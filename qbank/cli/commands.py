"""Imports every command module so that each registers itself on `app`. Add new modules here."""

from qbank.cli import ingest  # noqa: F401
