"""Soak check: 200 sources, a quarter of them slow, broken or hostile, ingested twice with kill -9 at a
random moment in between; the bank afterwards must equal a clean run's.

    .venv/bin/python -m bench.soak.run                       # 200 sources, seed 0
    .venv/bin/python -m bench.soak.run --sources 200 --seed 3 --keep /tmp/soak

Every run is `qbank ingest --from sources.txt` in a child process, as cron runs it. Phases:
    clean    a fresh warehouse, one run: the reference bank
    killed   a fresh warehouse, a run killed -9 at a random moment of the clean run's duration
    again    the same run, to the end, on the killed run's warehouse
    re-run   once more: nothing may change
Printed per phase: wall time, exit status, sources by status, questions and clusters; then whether the
bank, the questions and the sources' statuses equal the clean run's, which processes the killed run left
behind, and what parsing in the budget's worker processes costs per document (qbank/sandbox.py).

Three quarters of the sources are generated articles (bench/ingest/generate.py), half as files, half
served on 127.0.0.1. The rest cycle through hostile kinds: bodies and headers trickled a byte at a time,
a server that never answers, 404, 500, bodies shorter than their Content-Length, a gzip bomb, an image
served as HTML, a redirect loop, named pipes, sockets, 10,000 nested divs, a 100,000-item list, empty
files, invalid UTF-8, escape codes, a login page. Time limits are shrunk (max_seconds 3 s, parse_seconds
3 s) so the bench takes about a minute per phase.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

from bench.ingest.generate import write_corpus
from warehouse.bench_reads import content_snapshot
from warehouse.store import Warehouse

REPO = Path(__file__).resolve().parents[2]
HOSTILE_KINDS = (
    "trickle_body", "trickle_headers", "silent", "http_404", "http_500", "short_body", "gzip_bomb",
    "image_as_html", "redirect_loop", "fifo", "socket", "nested_divs", "huge_list", "empty", "bad_utf8",
    "escape_codes", "login_page",
)  # fmt: skip
CHILD_ENV = {
    "QBANK_FETCH__MAX_SECONDS": "3",
    "QBANK_FETCH__READ_TIMEOUT": "2",
    "QBANK_FETCH__CONNECT_TIMEOUT": "2",
    "QBANK_FETCH__RETRIES": "1",
    "QBANK_FETCH__BACKOFF_MAX": "0.2",
    "QBANK_FETCH__MAX_BYTES": str(8 * 1024 * 1024),
    "QBANK_PARSE_SECONDS": "3",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}
ARTICLE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"


class Server:
    """One loopback server for every served source: a good article's bytes or a hostile behaviour, by path.

    Raw sockets, so it can misbehave as no framework would; each connection runs in a daemon thread that
    gives up after 60 s."""

    def __init__(self, articles: dict[str, bytes]) -> None:
        self.articles = articles
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        self.sock.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(60)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1].decode()
            self._respond(conn, path)
        except OSError:
            pass
        finally:
            conn.close()

    def _respond(self, conn: socket.socket, path: str) -> None:
        kind = path.strip("/").split("/")[0]
        page = b"<html><body><h1>Questions</h1><h2>1. What is a hash map and how does it work?</h2></body></html>"
        if path == "/robots.txt":
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        elif kind == "good":
            body = self.articles[path]
            media = b"text/html" if path.endswith(".html") else b"text/plain"
            conn.sendall(ARTICLE_HEAD % (media, len(body)) + body)
        elif kind in ("trickle_body", "trickle_headers"):
            data = ARTICLE_HEAD % (b"text/html", len(page)) + page
            start = data.index(b"\r\n\r\n") + 4 if kind == "trickle_body" else 0
            conn.sendall(data[:start])
            for i in range(start, len(data)):
                if self.stop.wait(0.5):
                    return
                conn.sendall(data[i : i + 1])
        elif kind == "silent":
            self.stop.wait(60)
        elif kind in ("http_404", "http_500"):
            code = kind[-3:].encode()
            conn.sendall(b"HTTP/1.1 " + code + b" Oops\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops")
        elif kind == "short_body":
            conn.sendall(ARTICLE_HEAD % (b"text/html", len(page) + 500) + page)
        elif kind == "gzip_bomb":
            bomb = gzip.compress(b"<p>" + b"a" * (64 * 1024 * 1024))
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
            conn.sendall(head % len(bomb) + bomb)
        elif kind == "image_as_html":
            image = b"\x89PNG\r\n\x1a\n" + bytes(4096)
            conn.sendall(ARTICLE_HEAD % (b"text/html", len(image)) + image)
        elif kind == "redirect_loop":
            other = path.replace("/a", "/b") if "/a" in path else path.replace("/b", "/a")
            conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + other.encode() + b"\r\nContent-Length: 0\r\n\r\n")
        elif kind == "login_page":
            login = b"<html><body><h1>Sign in to continue</h1><form><input name=email></form></body></html>"
            conn.sendall(ARTICLE_HEAD % (b"text/html", len(login)) + login)


def write_local_hostile(kind: str, folder: Path, n: int) -> str:
    """A hostile local source of `kind`; returns its path."""
    path = folder / f"{kind}-{n}.{'html' if kind in ('nested_divs', 'huge_list') else 'md'}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        holder = socket.socket(socket.AF_UNIX)
        holder.bind(str(path))  # kept bound for the bench's life: closing it leaves the socket file
        _SOCKETS.append(holder)
    elif kind == "nested_divs":
        path.write_text("<html><body>" + "<div>" * 10_000 + "<h2>What is a tensor?</h2>" + "</div>" * 10_000)
    elif kind == "huge_list":
        items = "".join(f"<li>What is item number {i} of this list?</li>" for i in range(100_000))
        path.write_text(f"<html><body><h1>Questions</h1><ul>{items}</ul></body></html>")
    elif kind == "empty":
        path.write_text("\n \n")
    elif kind == "bad_utf8":
        text = "".join(f"{i}. **What is the naïve assumption of café model {i} in statistics?**\n\n" for i in range(1, 4))
        data = f"# Questions — café\n\n{text}".encode()
        path.write_bytes(data[:30] + b"\xff" + data[30:])
    elif kind == "escape_codes":
        text = "".join(f"{i}. **What is escape sequence number {i} in a terminal emulator?**\n\n" for i in range(1, 12))
        path.write_text(f"# Escapes \x1b]0;pwned\x07 \x1b[2J\n\n1. **What does \x1b[31mred\x1b[0m mean here?**\n\n{text}")
    return str(path)


_SOCKETS: list[socket.socket] = []


def build(root: Path, total: int, seed: int) -> tuple[Path, Server, list[str]]:
    """The list file, the server, and the good local files (for the sandbox figure)."""
    rng = random.Random(seed)
    hostile = total // 4
    good = total - hostile
    corpus = root / "corpus"
    articles = write_corpus(corpus, docs=good, seed=seed)
    served: dict[str, bytes] = {}
    sources, local_good = [], []
    for i, article in enumerate(articles):
        path = corpus / article.name
        if i % 2:
            served[f"/good/{article.name}"] = path.read_bytes()
            sources.append(f"served:/good/{article.name}")
        else:
            sources.append(str(path))
            local_good.append(str(path))
    server = Server(served)
    local_kinds = {"fifo", "socket", "nested_divs", "huge_list", "empty", "bad_utf8", "escape_codes"}
    bad = root / "hostile"
    bad.mkdir()
    for n in range(hostile):
        kind = HOSTILE_KINDS[n % len(HOSTILE_KINDS)]
        if kind in local_kinds:
            sources.append(write_local_hostile(kind, bad, n))
        else:
            sources.append(f"served:/{kind}/a{n}")
    rng.shuffle(sources)
    listing = root / "sources.txt"
    lines = [server.url(s.removeprefix("served:")) if s.startswith("served:") else s for s in sources]
    listing.write_text("".join(f"{line}\n" for line in lines))
    return listing, server, local_good


def ingest(root: Path, listing: Path, warehouse: Path, kill_after: float | None = None) -> dict:
    """One `qbank ingest` child; killed -9 after `kill_after` seconds when given."""
    env = {**os.environ, **CHILD_ENV, "QBANK_RAW_DIR": str(root / f"raw-{warehouse.stem}")}
    env.pop("PREFECT_API_URL", None)
    started = time.monotonic()
    with open(root / f"{warehouse.stem}.log", "a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qbank", "ingest", "--from", str(listing), "--warehouse", str(warehouse)],
            cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        left: list[str] = []
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                family = psutil.Process(proc.pid).children(recursive=True)
                proc.kill()
                proc.wait()
                time.sleep(3)  # the kernel's parent-death signal and pipes closing take a moment
                left = [f"{p.pid} {' '.join(p.cmdline()[:3])[:80]}" for p in family if _alive(p)]
                for p in family:  # ours to clean up: the killed run's own children
                    if _alive(p):
                        p.kill()
        status = proc.wait(timeout=900)
    return {"wall": time.monotonic() - started, "status": status, "left_behind": left}


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """What must match between two warehouses (run ids and times left out)."""
    if not warehouse.exists():
        return {"bank": [], "questions": [], "sources": []}
    return content_snapshot(Warehouse(warehouse))


def describe(name: str, result: dict, warehouse: Path) -> None:
    snap = snapshot(warehouse)
    statuses = Counter(status for _, status, _ in snap["sources"])
    print(
        f"{name:<8} {result['wall']:6.1f}s  exit {result['status']:>3}  sources {dict(sorted(statuses.items()))}  "
        f"questions {len(snap['questions'])}  clusters {len(snap['bank'])}"
    )


def sandbox_cost(root: Path, files: list[str]) -> tuple[float, float]:
    """ms per document for process_source on good local files: parsing in worker processes vs in-process."""
    from qbank import pipeline
    from qbank.settings import Settings

    settings = Settings(warehouse=root / "unused.duckdb", raw_dir=root / "raw-sandbox")
    timings = []
    for inline in (False, True, False, True):
        original = pipeline.run_with_budget
        if inline:
            pipeline.run_with_budget = lambda seconds, what, function, *args: function(*args)
        try:
            started = time.perf_counter()
            for uri in files:
                pipeline.process_source(uri, settings)
            timings.append((inline, (time.perf_counter() - started) * 1000 / len(files)))
        finally:
            pipeline.run_with_budget = original
    # the second of each pair: the first warms up (imports, the worker pool)
    return timings[2][1], timings[3][1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)

    root = args.keep or Path(tempfile.mkdtemp(prefix="qbank-soak-"))
    root.mkdir(parents=True, exist_ok=True)
    listing, server, local_good = build(root, args.sources, args.seed)
    print(f"{args.sources} sources ({args.sources // 4} hostile) in {listing}; logs in {root}")
    try:
        clean = ingest(root, listing, root / "clean.duckdb")
        describe("clean", clean, root / "clean.duckdb")
        kill_after = random.Random(args.seed).uniform(1.0, clean["wall"])
        killed = ingest(root, listing, root / "soak.duckdb", kill_after=kill_after)
        describe("killed", killed, root / "soak.duckdb")
        print(f"         killed -9 after {kill_after:.1f}s; processes left behind 3 s later: {killed['left_behind'] or 'none'}")
        again = ingest(root, listing, root / "soak.duckdb")
        describe("again", again, root / "soak.duckdb")
        after = snapshot(root / "soak.duckdb")
        rerun = ingest(root, listing, root / "soak.duckdb")
        describe("re-run", rerun, root / "soak.duckdb")
    finally:
        server.close()
    reference = snapshot(root / "clean.duckdb")
    same = {part: after[part] == reference[part] for part in reference}
    unchanged = snapshot(root / "soak.duckdb") == after
    print(f"bank after kill -9 and a second run equals the clean run's: {json.dumps(same)}")
    print(f"re-run changed nothing: {unchanged}")
    sandboxed, inline = sandbox_cost(root, local_good)
    print(f"parse budget: {sandboxed:.1f} ms/doc in worker processes vs {inline:.1f} ms/doc in-process "
          f"({len(local_good)} good local documents, one thread)")  # fmt: skip
    return 0 if all(same.values()) and unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
