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


def test_threads_are_cores_for_local_files_and_the_fetch_limit_for_urls() -> None:
    import os

    from qbank.runners import thread_count
    from qbank.settings import FetchSettings

    fetch = FetchSettings(concurrency=8)
    assert thread_count(["articles/", "a.md"], False, fetch) == min(8, os.cpu_count() or 1)
    assert thread_count(["articles/", "https://example.org/q"], False, fetch) == 8
    assert thread_count(["articles/"], True, fetch) == 8  # a --from list may name URLs
