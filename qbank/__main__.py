"""`python -m qbank ...` is the same as the `qbank` command."""

from qbank.cli import app

app()
