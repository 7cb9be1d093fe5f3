"""Imports every command module so that each registers itself on `app`. Add new modules here."""

from qbank.cli import ingest  # noqa: F401
from qbank.cli import query, export, stats, shell  # noqa: F401,E401
from qbank.cli import retag  # noqa: F401
from qbank.cli import explain  # noqa: F401
from qbank.cli import ui  # noqa: F401
from qbank.cli import review  # noqa: F401
from qbank.cli import remove  # noqa: F401
