"""qbank.pipeline.process_source: what a worker hands to the single loader."""

from __future__ import annotations

from pathlib import Path

from qbank.pipeline import process_source
from qbank.settings import Settings


def test_a_processed_source_carries_its_questions_not_its_bytes(settings: Settings, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# ML\n\n## What is overfitting?\n\nFitting noise.\n", encoding="utf-8")
    result = process_source(str(page), settings)
    assert [i.question for i in result.items] == ["What is overfitting?"]
    assert result.raw.content == b"" and result.doc.blocks == ()  # not shipped from workers to the loader
    assert result.doc.title == "ML" and result.raw.sha256
    stored = settings.raw_dir / result.raw.sha256[:2] / result.raw.sha256
    assert stored.read_bytes() == page.read_bytes()  # the bytes are kept under raw/
