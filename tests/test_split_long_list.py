"""A plain-text list of 100,000 questions, one per line under a title line (generated here, not stored): read as
text, every line a question whatever its first word, none swallowed as the "answer" of the line before it.

The speed target (end to end, load included) is measured by `bench/extraction/long_list.py`; the bound here
only keeps a regression from hanging CI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.extraction.long_list import write_list
from qbank.pipeline import process_source
from qbank.settings import Settings


@pytest.mark.slow
def test_a_100000_line_list_is_100000_questions(tmp_path: Path) -> None:
    path = write_list(tmp_path / "questions.txt", 100_000)
    settings = Settings(warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw")
    started = time.monotonic()
    result = process_source(str(path), settings)
    elapsed = time.monotonic() - started
    assert result.failure is None and result.doc.format == "text"
    assert len(result.items) >= 0.99 * 100_000
    assert sum(i.answer_text is not None for i in result.items) <= 0.01 * 100_000  # no line is another's answer
    assert result.warning is None
    assert elapsed < 300, elapsed
