"""Helpers of the `qbank ui` tests (and bench/ui): small articles to ingest, the app served on a free
127.0.0.1 port in a thread, and the OS's headless Chromium driven by Playwright. Every wait is bounded."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from qbank.pipeline import finalize, known_sources, new_run, process_source
from qbank.records import RunSummary
from qbank.settings import DATA_DIR, Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Three small articles: two ask about overfitting and missing data in other words (one pair merges, the
# other is a near miss the review queue offers), one is hostile (script, event handler, javascript: links).
ARTICLES = {
    "ml-basics.md": """# Machine learning interview questions

## Basics

### What is overfitting?

The model learns **noise** in the training data. See [the guide](https://example.org/overfitting).

### How would you handle missing values in a dataset?

Impute them or drop the rows.

### What is a convolutional neural network?

A network with convolution layers.
""",
    "dl-guide.md": """# Deep learning questions

## Training

### Explain overfitting.

It fits the training set too closely.

### How do you deal with missing data in a dataset?

Use imputation.

### How does dropout work?

It zeroes random activations.
""",
    "hostile.txt": """Web security interview questions

1. What does <script>window.__pwned = "question"</script> do when a page shows it?
Answer: It runs code: <script>window.__pwned = "answer"</script> and <img src="x" onerror="window.__pwned = 'img'">. \
Never follow [this link](javascript:window.__pwned='link') or <a href="javascript:window.__pwned='a'">that one</a>.

2. Why is an onerror= attribute or a javascript: link in a comment box dangerous?
Answer: <a href="javascript:window.__pwned='answer-link'" onclick="window.__pwned='click'">Event handlers</a> run \
script: <svg onload="window.__pwned='svg'"></svg>
""",
}


def write_articles(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(folder / name for name in ARTICLES)


def ui_settings(tmp: Path) -> Settings:
    """Settings on temporary paths, with a copy of data/ so that curation.yaml is the test's own."""
    data = tmp / "data"
    if not data.exists():
        shutil.copytree(DATA_DIR, data)
    return Settings(warehouse=tmp / "wh.duckdb", raw_dir=tmp / "raw", exports_dir=tmp / "exports", data_dir=data)


def ingest(paths: list[Path], settings: Settings) -> RunSummary:
    """A real ingest run (fetch, extract, split, dedupe with data/curation.yaml, tag, load), without Prefect."""
    known = known_sources(settings)
    results = [process_source(str(p), settings, known.get(str(p))) for p in paths]
    return finalize(results, settings, new_run(settings))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: object, timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its base URL; stops it on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the ui server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium of the OS packages (never a downloaded browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()
