"""The fault suite: slow, odd and hostile sources, end to end, on 127.0.0.1 and local files (issue 14).

Each case runs the real stages (`process_source`: fetch, store, parse in the budgeted worker process;
`finalize`: dedupe, tag, load in one transaction) on a real DuckDB file that already holds a good article,
with that article named again in the same run, and asserts four things: the bad source's status and
one-line reason, what loaded from it, that the good article is still there in full, and that the
warehouse is intact (unique ids, every data-quality check of the run clean). The command-line cases
(query, export, remove, settings) assert exit status and output instead of a run.

Time limits are shrunk (max_seconds 2 s, parse_seconds 3 s) so a hang shows as a slow test, not a stuck one;
every server thread gives up on its own after 20 s.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from qbank import pipeline
from qbank.cli import app
from qbank.records import RunSummary, SourceResult, SourceSummary
from qbank.settings import FetchSettings, Settings
from qbank.sources import expand_sources
from tests.conftest import REPO

FAST = FetchSettings(
    connect_timeout=2.0,
    read_timeout=2.0,  # a byte every 0.5 s never trips it: only the deadline can stop a trickle
    retries=1,
    backoff_base=0.01,
    backoff_max=0.05,
    max_seconds=2.0,
    max_bytes=256 * 1024,
)
PARSE_SECONDS = 3.0

GOOD = """# Python interview questions

1. **What is a Python generator and when would you use one?**

   A function that yields values lazily, one at a time.

2. **Explain the difference between a list and a tuple.**

   Lists are mutable; tuples are not.
"""
GOOD_QUESTIONS = 2

ARTICLE = """<html><head><title>Machine learning questions</title></head><body><main>
<h1>Machine learning interview questions</h1>
<h2>1. What is overfitting in a machine learning model?</h2><p>The model memorises noise in the training data.</p>
<h2>2. How does L2 regularisation reduce variance?</h2><p>It shrinks the weights towards zero.</p>
<h2>3. What is the difference between bagging and boosting?</h2><p>Bagging averages; boosting corrects errors.</p>
<h2>4. Why do we split data into training and test sets?</h2><p>To estimate how the model generalises.</p>
</main></body></html>"""
ARTICLE_QUESTIONS = 4
LOGIN = """<html><head><title>Sign in</title></head><body><main><h1>Sign in to continue</h1>
<form><label>Email</label><input name="email"><button>Continue</button></form></main></body></html>"""


def article(*questions: str) -> str:
    items = "".join(f"<h2>{i}. {q}</h2><p>Because.</p>" for i, q in enumerate(questions, 1))
    return f"<html><head><title>Questions</title></head><body><main><h1>Interview questions</h1>{items}</main></body></html>"


# -- servers ----------------------------------------------------------------------------------------


class RawServer:
    """A bare TCP server on 127.0.0.1 for what a well-behaved server framework will not send: headers a
    byte at a time, a body shorter than its Content-Length. robots.txt gets a 404; every other request
    goes to `respond(connection, stop)`. Handlers run in daemon threads and stop when the test ends."""

    def __init__(self, respond: Callable[[socket.socket, threading.Event], None]) -> None:
        self._respond = respond
        self.stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        self._sock.close()

    def _serve(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(20)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            if b"/robots.txt" in head.split(b"\r\n", 1)[0]:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            self._respond(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()


def trickle(data: bytes, every: float = 0.5) -> Callable[[socket.socket, threading.Event], None]:
    """Send `data` a byte at a time, `every` seconds apart (at most 20 s)."""

    def respond(conn: socket.socket, stop: threading.Event) -> None:
        for i in range(min(len(data), int(20 / every))):
            conn.sendall(data[i : i + 1])
            if stop.wait(every):
                return

    return respond


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n"


@pytest.fixture(scope="module")
def loopback() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(loopback: HTTPServer) -> Iterator[HTTPServer]:
    loopback.clear()
    loopback.expect_request("/robots.txt").respond_with_data("", status=404)
    yield loopback
    loopback.clear()


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[socket.socket, threading.Event], None]], RawServer]]:
    started: list[RawServer] = []

    def start(respond: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        started.append(RawServer(respond))
        return started[-1]

    yield start
    for s in started:
        s.close()


# -- the warehouse every case starts from -----------------------------------------------------------


@dataclass(frozen=True)
class Env:
    settings: Settings
    folder: Path  # where a case writes its files
    good: str  # the good article, loaded before the case

    @property
    def db(self) -> Path:
        return self.settings.warehouse


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse holding the good article, built once; each case works on a copy."""
    root = tmp_path_factory.mktemp("baseline")
    (root / "good.md").write_text(GOOD, encoding="utf-8")
    settings = Settings(warehouse=root / "wh.duckdb", raw_dir=root / "raw", parse_seconds=PARSE_SECONDS, parse_seconds_per_mb=0, fetch=FAST)
    summary = ingest(settings, [str(root / "good.md")])
    assert summary.questions_total == GOOD_QUESTIONS
    return root / "wh.duckdb", root / "good.md"


@pytest.fixture
def env(baseline: tuple[Path, Path], tmp_path: Path) -> Env:
    db, good = baseline
    shutil.copy(db, tmp_path / "wh.duckdb")
    pipeline.shared_fetcher.cache_clear()  # a fresh Fetcher: no robots.txt verdict cached from another case
    settings = Settings(
        warehouse=tmp_path / "wh.duckdb", raw_dir=tmp_path / "raw", parse_seconds=PARSE_SECONDS, parse_seconds_per_mb=0, fetch=FAST
    )
    folder = tmp_path / "sources"
    folder.mkdir()
    return Env(settings, folder, str(good))


def ingest(settings: Settings, sources: list[str], accept_changes: bool = False) -> RunSummary:
    """One run of the real stages, as the flow runs them (without Prefect)."""
    uris, listed = expand_sources(sources)
    known = pipeline.known_sources(settings)
    results = [SourceResult(f.source_uri, None, failure=f) for f in listed]
    results += [pipeline.process_source(uri, settings, known.get(uri)) for uri in uris]
    run = replace(pipeline.new_run(settings), accept_changes=accept_changes)
    return pipeline.finalize(results, settings, run)


def run(env: Env, *sources: str, accept_changes: bool = False, **fetch: object) -> RunSummary:
    """Ingest `sources` and the good article; `fetch` overrides fetch settings for this run."""
    settings = env.settings.model_copy(update={"fetch": FAST.model_copy(update=fetch)}) if fetch else env.settings
    return ingest(settings, [*sources, env.good], accept_changes)


def stored(db: Path) -> dict[str, int]:
    """Questions per source in the warehouse."""
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT source_uri, count(*) FROM questions GROUP BY 1").fetchall())


def intact(db: Path) -> None:
    """The file opens; ids are unique; every bank row has its canonical question and a recorded source;
    the last run's data-quality checks found nothing (a count drop is a warning we may cause on purpose)."""
    with duckdb.connect(str(db), read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT question_id) FROM questions").fetchone()
        assert total == distinct
        assert con.execute("SELECT count(*) FROM bank").fetchone()[0] == con.execute(
            "SELECT count(DISTINCT cluster_id) FROM questions"
        ).fetchone()[0]
        (checks,) = con.execute("SELECT checks FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1").fetchone()
    failed = [c for c in json.loads(checks) if not c["ok"] and c["name"] != "question_count_drop"]
    assert failed == []


def source_row(db: Path, uri: str) -> tuple[str, str | None]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, error FROM sources WHERE source_uri = ?", [uri]).fetchone()


def expect(env: Env, summary: RunSummary, uri: str, status: str, reason: str | None, loaded: int) -> SourceSummary:
    """The four assertions of a case: `uri`'s status and reason (a regex; None: no reason), the questions
    stored from it, the good article untouched, the warehouse intact."""
    [outcome] = [s for s in summary.sources if s.source_uri == uri]
    assert outcome.status == status, outcome
    if reason is None:
        assert outcome.reason is None
    else:
        assert outcome.reason is not None and re.search(reason, outcome.reason), outcome.reason
        assert "\n" not in outcome.reason
    counts = stored(env.db)
    assert counts.get(uri, 0) == loaded
    assert counts[env.good] == GOOD_QUESTIONS
    assert [s.status for s in summary.sources if s.source_uri == env.good] == ["unchanged"]
    db_status, db_error = source_row(env.db, uri)
    assert db_status == status
    assert (db_error is None) == (reason is None)
    intact(env.db)
    return outcome


def took(started: float) -> float:
    return time.monotonic() - started


# -- 1. hangs: a hard deadline per source, regular files only --------------------------------------


def test_hang_body_trickled_a_byte_every_half_second_stops_at_the_deadline(env: Env, raw) -> None:
    body = ARTICLE.encode()
    slow = raw(lambda conn, stop: (conn.sendall(HEAD % len(body)), trickle(body)(conn, stop)))
    started = time.monotonic()
    summary = run(env, slow.url("/body"))
    assert took(started) < 15
    expect(env, summary, slow.url("/body"), "failed", r"^download took longer than 2s \(max_seconds\)", 0)


def test_hang_headers_trickled_a_byte_every_half_second_stop_at_the_deadline(env: Env, raw) -> None:
    slow = raw(trickle(HEAD % 10 + b"<p>hi</p>!"))
    started = time.monotonic()
    summary = run(env, slow.url("/headers"))
    assert took(started) < 15
    expect(env, summary, slow.url("/headers"), "failed", r"^download took longer than 2s \(max_seconds\)", 0)


def test_hang_named_pipe_in_a_folder_is_skipped_and_the_folder_loads(env: Env) -> None:
    (env.folder / "a.html").write_text(ARTICLE, encoding="utf-8")
    os.mkfifo(env.folder / "pipe.md")
    started = time.monotonic()
    summary = run(env, str(env.folder))
    assert took(started) < 15
    pipe = str((env.folder / "pipe.md").resolve())
    expect(env, summary, pipe, "skipped", r"^not a regular file: .*pipe\.md is a named pipe \(FIFO\)$", 0)
    assert stored(env.db)[str((env.folder / "a.html").resolve())] == ARTICLE_QUESTIONS


def test_hang_named_pipe_named_explicitly_is_skipped(env: Env) -> None:
    os.mkfifo(env.folder / "questions.md")
    uri = str((env.folder / "questions.md").resolve())
    expect(env, run(env, uri), uri, "skipped", r"is a named pipe \(FIFO\)$", 0)


def test_hang_unix_socket_in_a_folder_is_skipped(env: Env) -> None:
    path = env.folder / "s.md"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        expect(env, run(env, str(path)), str(path.resolve()), "skipped", r"is a socket$", 0)


def test_hang_character_device_is_skipped(env: Env) -> None:
    expect(env, run(env, "/dev/zero"), "/dev/zero", "skipped", r"^not a regular file: /dev/zero is a character device$", 0)


def test_hang_retry_wait_past_the_deadline_gives_up_at_once(env: Env, server: HTTPServer) -> None:
    server.expect_request("/busy").respond_with_data("busy", status=503, headers={"Retry-After": "30"})
    started = time.monotonic()
    summary = run(env, server.url_for("/busy"), backoff_max=30.0)
    assert took(started) < 10
    expect(env, summary, server.url_for("/busy"), "failed", r"^gave up on .*/busy: waiting 30\.0s to retry would pass the 2s limit", 0)


def test_hang_slow_source_holds_up_neither_its_neighbours_nor_the_load(env: Env, raw, server: HTTPServer) -> None:
    body = ARTICLE.encode()
    slow = raw(lambda conn, stop: (conn.sendall(HEAD % len(body)), trickle(body)(conn, stop)))
    server.expect_request("/fine").respond_with_data(ARTICLE, content_type="text/html")
    summary = run(env, slow.url("/slow"), server.url_for("/fine"))
    expect(env, summary, slow.url("/slow"), "failed", r"max_seconds", 0)
    assert stored(env.db)[server.url_for("/fine")] == ARTICLE_QUESTIONS


class Ingest:
    """`qbank ingest` in a child process (its own temporary Prefect server), its stderr read as it comes."""

    def __init__(self, env: Env, *sources: str, group: bool = False) -> None:
        environ = {
            **os.environ,
            "QBANK_RAW_DIR": str(env.settings.raw_dir),
            "QBANK_FETCH__MAX_SECONDS": "60",  # without a stop the trickling sources would hold the run a minute
            "QBANK_FETCH__READ_TIMEOUT": "30",
            "PREFECT_API_URL": "",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qbank", "ingest", *sources, env.good, "--warehouse", str(env.db)],
            cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=group,  # a process group of its own, like a terminal's, for Ctrl-C
        )  # fmt: skip
        self.lines: list[str] = []  # stderr: progress, warnings, errors
        self.out: list[str] = []  # stdout: the summary
        self._readers = [
            threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True),
            threading.Thread(target=lambda: self.out.extend(self.proc.stdout), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(self.lines)):
            assert self.proc.poll() is None and time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)

    def finish(self, timeout: float) -> tuple[int, str]:
        """Exit status and stdout; fails if the process is not gone within `timeout` seconds."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        for reader in self._readers:
            reader.join(5)
        return self.proc.returncode, "".join(self.out)


def _stuck_run(env: Env, raw) -> tuple[list[str], list[str]]:
    """Two trickling URLs, a named pipe and two good files: what a cron run hangs on today."""
    body = ARTICLE.encode()
    slow = raw(lambda conn, stop: (conn.sendall(HEAD % len(body)), trickle(body, every=1.0)(conn, stop)))
    for name in ("a.html", "b.html"):
        (env.folder / name).write_text(ARTICLE.replace("Machine learning", f"Machine learning {name}"))
    os.mkfifo(env.folder / "pipe.md")
    return [slow.url("/slow1"), slow.url("/slow2"), str(env.folder)], [str(env.folder / n) for n in ("a.html", "b.html")]


@pytest.mark.slow
def test_hang_sigterm_stops_within_seconds_loads_what_finished_and_exits_143(env: Env, raw) -> None:
    sources, files = _stuck_run(env, raw)
    ingest_ = Ingest(env, *sources)
    ingest_.wait_for("b.html")  # the files are done; the URLs trickle on
    ingest_.proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    status, out = ingest_.finish(timeout=60)
    assert took(started) < 30
    assert status == 143, "".join(ingest_.lines)
    assert "interrupted by SIGTERM: loaded the" in out and "/slow1" in out
    counts = stored(env.db)
    assert [counts.get(f, 0) for f in files] == [ARTICLE_QUESTIONS, ARTICLE_QUESTIONS]
    assert counts[env.good] == GOOD_QUESTIONS and not any("slow" in uri for uri in counts)
    assert source_row(env.db, str(env.folder / "pipe.md"))[0] == "skipped"
    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == ("interrupted",)
    intact(env.db)


@pytest.mark.slow
def test_hang_ctrl_c_twice_to_the_process_group_stops_at_once_loads_nothing_exits_130(env: Env, raw) -> None:
    sources, _ = _stuck_run(env, raw)
    # 1,500 questions: dedupe and tagging take the load a few seconds, time for the second signal to land in it
    (env.folder / "big.md").write_text("# Questions\n\n" + "".join(
        f"{n}. **What is the role of configuration parameter number {n} in service {n % 37}?**\n\n" for n in range(1, 1501)
    ))  # fmt: skip
    before = stored(env.db)
    ingest_ = Ingest(env, *sources, group=True)
    ingest_.wait_for("big.md")
    os.killpg(ingest_.proc.pid, signal.SIGINT)  # as a terminal does: every process of the group, workers too
    ingest_.wait_for("SIGINT: loading the", timeout=30)
    os.killpg(ingest_.proc.pid, signal.SIGINT)
    started = time.monotonic()
    status, out = ingest_.finish(timeout=60)
    assert took(started) < 30
    assert status == 130, "".join(ingest_.lines)
    said = "".join(ingest_.lines)
    assert "interrupted by SIGINT: stopped at once; nothing of this run was loaded" in said, said + out
    assert "Traceback" not in said, said
    assert stored(env.db) == before
    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)  # the baseline's only
    intact(env.db)


# -- 2. a time budget per document ------------------------------------------------------------------


def test_budget_ten_thousand_nested_divs_fail_with_a_reason_within_the_budget(env: Env) -> None:
    path = env.folder / "nested.html"
    path.write_text("<html><body>" + "<div>" * 10_000 + "<h2>What is a tensor?</h2>" + "</div>" * 10_000 + "</body></html>")
    started = time.monotonic()
    summary = run(env, str(path))
    assert took(started) < 20
    reason = r"^(gave up parsing after 3s \(parse_seconds\)|the document is nested too deeply to parse)"
    expect(env, summary, str(path), "failed", reason, 0)


def test_budget_html_list_of_100000_items_ends_with_a_reason_or_loads_quickly(env: Env) -> None:
    path = env.folder / "list.html"
    items = "".join(f"<li>What is item number {i} of this list?</li>" for i in range(100_000))
    path.write_text(f"<html><body><h1>Questions</h1><ul>{items}</ul></body></html>")
    settings = env.settings.model_copy(update={"fetch": FAST.model_copy(update={"max_bytes": 10 * 1024 * 1024})})
    started = time.monotonic()
    summary = ingest(settings, [str(path), env.good])
    assert took(started) < 30
    expect(env, summary, str(path), "failed", r"^gave up parsing after 3s \(parse_seconds\)", 0)


def test_budget_a_document_over_budget_leaves_the_workers_usable(env: Env) -> None:
    nested = env.folder / "nested.html"
    nested.write_text("<html><body>" + "<div>" * 10_000 + "</div>" * 10_000 + "</body></html>")
    fine = env.folder / "fine.html"
    fine.write_text(ARTICLE)
    summary = run(env, str(nested), str(fine))
    expect(env, summary, str(fine), "ok", None, ARTICLE_QUESTIONS)


# -- 4. a login wall must not delete good data -----------------------------------------------------


def _serve_then(server: HTTPServer, path: str, first: str, then: str) -> None:
    server.expect_oneshot_request(path).respond_with_data(first, content_type="text/html")
    server.expect_request(path).respond_with_data(then, content_type="text/html")


def test_login_wall_keeps_the_stored_questions_as_suspect(env: Env, server: HTTPServer) -> None:
    _serve_then(server, "/qa", ARTICLE, LOGIN)
    url = server.url_for("/qa")
    run(env, url)
    summary = run(env, url)
    outcome = expect(env, summary, url, "suspect", r"^now yields 0 of its 4 stored questions .*--accept-changes", 4)
    assert (outcome.kept, outcome.removed) == (4, 0) and summary.questions_removed == 0
    assert summary.status == "partial"


def test_login_wall_accepted_with_accept_changes_applies_the_drop(env: Env, server: HTTPServer) -> None:
    _serve_then(server, "/qa", ARTICLE, LOGIN)
    url = server.url_for("/qa")
    run(env, url)
    run(env, url)  # held as suspect
    summary = run(env, url, accept_changes=True)
    outcome = expect(env, summary, url, "ok", None, 0)
    assert outcome.removed == 4


def test_login_wall_losing_most_questions_is_suspect(env: Env, server: HTTPServer) -> None:
    many = [f"What is storage engine number {n} about databases?" for n in range(1, 11)]
    _serve_then(server, "/many", article(*many), article(*many[:3]))
    url = server.url_for("/many")
    run(env, url)
    expect(env, run(env, url), url, "suspect", r"^now yields 3 of its 10 stored questions", 10)


def test_login_wall_a_small_loss_is_applied(env: Env, server: HTTPServer) -> None:
    four = [f"What is routing protocol number {n} about networks?" for n in range(1, 5)]
    _serve_then(server, "/four", article(*four), article(*four[:3]))
    url = server.url_for("/four")
    run(env, url)
    outcome = expect(env, run(env, url), url, "ok", None, 3)
    assert outcome.removed == 1


def test_login_wall_page_back_to_normal_is_ok_again(env: Env, server: HTTPServer) -> None:
    server.expect_oneshot_request("/back").respond_with_data(ARTICLE, content_type="text/html")
    server.expect_oneshot_request("/back").respond_with_data(LOGIN, content_type="text/html")
    server.expect_request("/back").respond_with_data(ARTICLE, content_type="text/html")
    url = server.url_for("/back")
    run(env, url)
    run(env, url)
    outcome = expect(env, run(env, url), url, "ok", None, ARTICLE_QUESTIONS)
    assert (outcome.added, outcome.kept, outcome.removed) == (0, 4, 0)


def test_login_wall_via_the_command_exits_3_and_accept_changes_exits_0(prefect_harness, env: Env, server: HTTPServer) -> None:
    _serve_then(server, "/cli", ARTICLE, LOGIN)
    url = server.url_for("/cli")
    args = ["ingest", url, "--warehouse", str(env.db)]
    environ = {"QBANK_RAW_DIR": str(env.settings.raw_dir)}
    assert CliRunner().invoke(app, args, env=environ).exit_code == 0
    held = CliRunner().invoke(app, args, env=environ)
    assert held.exit_code == 3, held.output
    assert "suspect" in held.output and stored(env.db)[url] == ARTICLE_QUESTIONS
    applied = CliRunner().invoke(app, [*args, "--accept-changes"], env=environ)
    assert applied.exit_code == 0, applied.output
    assert url not in stored(env.db)
    assert source_row(env.db, url) == ("ok", None)
    intact(env.db)


# -- 7. the smaller ones ----------------------------------------------------------------------------


def test_small_invalid_utf8_byte_is_replaced_with_a_warning_not_skipped(env: Env) -> None:
    path = env.folder / "café.md"
    text = "# Questions about café statistics — naïve Bayes\n\n" + "".join(
        f"{n}. **What is the naïve assumption of model number {n}?**\n\n   Independence, café or not.\n\n" for n in (1, 2, 3)
    )
    data = text.encode("utf-8")
    path.write_bytes(data[:60] + b"\xff" + data[60:])
    expect(env, run(env, str(path)), str(path), "ok", r"^1 invalid utf-8 byte sequence replaced with U\+FFFD$", 3)


def test_small_body_shorter_than_its_content_length_fails(env: Env, raw) -> None:
    body = ARTICLE.encode()
    short = raw(lambda conn, stop: conn.sendall(HEAD % (len(body) + 100) + body))
    url = short.url("/short")
    reason = rf"^truncated response: {len(body):,} of the {len(body) + 100:,} bytes its Content-Length announced"
    expect(env, run(env, url), url, "failed", reason, 0)


def test_small_redirect_from_a_public_address_to_loopback_is_refused(env: Env, server: HTTPServer, monkeypatch) -> None:
    # "localhost" is made to look public; the redirect goes to the loopback address 127.0.0.1
    monkeypatch.setattr("qbank.fetch._resolve_host", lambda host: ["93.184.216.34"])
    server.expect_request("/secret").respond_with_data(ARTICLE, content_type="text/html")
    server.expect_request("/start").respond_with_data("", status=302, headers={"Location": server.url_for("/secret")})
    url = server.url_for("/start").replace("127.0.0.1", "localhost")
    reason = r"^refused a redirect from a public address to a private one: http://127\.0\.0\.1:\d+/secret$"
    expect(env, run(env, url), url, "failed", reason, 0)
    assert not any(r.path == "/secret" for r, _ in server.log)


def test_small_redirect_within_loopback_is_followed(env: Env, server: HTTPServer) -> None:
    server.expect_request("/moved").respond_with_data("", status=301, headers={"Location": "/here"})
    server.expect_request("/here").respond_with_data(ARTICLE, content_type="text/html")
    url = server.url_for("/moved")
    expect(env, run(env, url), url, "ok", None, ARTICLE_QUESTIONS)


def test_small_dot_segments_name_one_source(env: Env, server: HTTPServer) -> None:
    server.expect_request("/ok.html").respond_with_data(ARTICLE, content_type="text/html")
    summary = run(env, server.url_for("/a/b/../../ok.html"), server.url_for("/ok.html"))
    expect(env, summary, server.url_for("/ok.html"), "ok", None, ARTICLE_QUESTIONS)
    assert len(summary.sources) == 2  # the article and the good one


def test_small_newline_in_a_file_name_keeps_progress_on_one_line(env: Env) -> None:
    from qbank.report import render_summary

    path = env.folder / "two\nlines.html"
    path.write_text(ARTICLE)
    summary = run(env, str(env.folder))
    outcome = expect(env, summary, str(path), "ok", None, ARTICLE_QUESTIONS)
    result = SourceResult(outcome.source_uri, None)
    from qbank.cli.ingest import _SafeFormatter
    import logging

    line = _SafeFormatter("%(message)s").format(
        logging.LogRecord("qbank.progress", 20, "", 0, pipeline.Progress(1, 1, result).line(), None, None)
    )
    assert "\n" not in line and "two\\nlines.html" in line
    assert all("lines.html" not in row or "two\\n" in row for row in render_summary(summary).splitlines())


def test_small_file_gone_from_a_folder_is_reported_and_its_questions_kept(env: Env) -> None:
    (env.folder / "keep.html").write_text(ARTICLE)
    gone = env.folder / "gone.md"
    gone.write_text(GOOD.replace("Python", "Rust"))
    run(env, str(env.folder))
    gone.unlink()
    from flows.ingest import gone_from_folders  # the flow reports what the folder lost

    known = pipeline.known_sources(env.settings)
    uris, _ = expand_sources([str(env.folder)])
    [failure] = gone_from_folders([str(env.folder)], known, uris)
    results = [SourceResult(failure.source_uri, None, failure=failure)]
    results += [pipeline.process_source(u, env.settings, known.get(u)) for u in [*uris, env.good]]
    summary = pipeline.finalize(results, env.settings, pipeline.new_run(env.settings))
    uri = str(gone.resolve())
    outcome = expect(env, summary, uri, "failed", r"^file is gone from .*: its 2 questions are kept; `qbank remove` retires it$", 2)
    assert outcome.kept == 2


def test_small_qbank_remove_retires_a_source_and_keeps_shared_questions(env: Env) -> None:
    twin = env.folder / "twin.md"
    twin.write_text(GOOD.replace("# Python interview questions", "# More questions"))
    run(env, str(twin))
    assert stored(env.db)[str(twin)] == GOOD_QUESTIONS
    result = CliRunner().invoke(app, ["remove", str(twin), "--warehouse", str(env.db)])
    assert result.exit_code == 0, result.output
    assert "removed" in result.output
    counts = stored(env.db)
    assert str(twin) not in counts and counts[env.good] == GOOD_QUESTIONS
    assert source_row(env.db, str(twin)) is None
    intact(env.db)


def test_small_qbank_remove_gone_retires_files_no_longer_on_disk(env: Env) -> None:
    gone = env.folder / "gone.md"
    gone.write_text(GOOD.replace("Python", "Rust"))
    run(env, str(gone))
    gone.unlink()
    result = CliRunner().invoke(app, ["remove", "--gone", "--warehouse", str(env.db)])
    assert result.exit_code == 0, result.output
    assert "gone.md" in result.output and str(gone) not in stored(env.db)
    assert stored(env.db)[env.good] == GOOD_QUESTIONS
    intact(env.db)


def test_small_qbank_remove_of_an_unknown_source_changes_nothing(env: Env) -> None:
    before = stored(env.db)
    result = CliRunner().invoke(app, ["remove", "/no/such/article.md", "--warehouse", str(env.db)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "no source '/no/such/article.md'" in result.output
    assert stored(env.db) == before
    intact(env.db)


def test_small_empty_from_file_is_a_usage_error_and_creates_nothing(tmp_path: Path) -> None:
    listing = tmp_path / "sources.txt"
    listing.write_text("# nothing yet\n\n")
    result = CliRunner().invoke(app, ["ingest", "--from", str(listing), "--warehouse", str(tmp_path / "wh.duckdb")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "lists no sources" in result.output
    assert not (tmp_path / "wh.duckdb").exists()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[fetch\nmax_seconds = 3\n", r"^error: bad settings: qbank\.toml: Expected '\]'"),
        ('[fetch]\nmax_seconds = "soon"\n', r"^error: bad settings: fetch\.max_seconds: Input should be a valid number"),
    ],
    ids=["syntax", "type"],
)
def test_small_malformed_qbank_toml_is_one_line(env: Env, monkeypatch, toml: str, message: str) -> None:
    monkeypatch.chdir(env.folder)
    (env.folder / "qbank.toml").write_text(toml)
    result = CliRunner().invoke(app, ["stats", "--warehouse", str(env.db)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and re.search(message, result.output), result.output
    intact(env.db)


def test_small_export_out_a_file_is_one_line(env: Env) -> None:
    target = env.folder / "exports.txt"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["export", "--out", str(target), "--warehouse", str(env.db)])
    assert result.exit_code == 1
    assert result.output == f"error: cannot export to {target}: it is a file, not a folder\n"
    assert target.read_text() == "not a folder"
    intact(env.db)


# -- today's faults, end to end: a bad re-fetch keeps what loaded before ---------------------------


def test_known_404_on_refetch_keeps_the_questions(env: Env, server: HTTPServer) -> None:
    server.expect_oneshot_request("/once").respond_with_data(ARTICLE, content_type="text/html")
    server.expect_request("/once").respond_with_data("gone", status=404)
    url = server.url_for("/once")
    run(env, url)
    outcome = expect(env, run(env, url), url, "failed", r"^HTTP 404 Not Found$", ARTICLE_QUESTIONS)
    assert outcome.kept == ARTICLE_QUESTIONS


def test_known_connection_refused(env: Env) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/page"
    expect(env, run(env, url), url, "failed", r"^connection refused by 127\.0\.0\.1:\d+", 0)


def test_known_gzip_bomb_stops_at_the_size_cap(env: Env, server: HTTPServer) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * (4 * 1024 * 1024) + b"</p>")
    server.expect_request("/bomb").respond_with_data(bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    url = server.url_for("/bomb")
    expect(env, run(env, url), url, "failed", r"gzip-decompressed response is over the 256 KB size limit", 0)


def test_known_binary_served_as_html_is_skipped(env: Env, server: HTTPServer) -> None:
    server.expect_request("/img").respond_with_data(b"\x89PNG\r\n\x1a\n" + bytes(2000), content_type="text/html")
    url = server.url_for("/img")
    expect(env, run(env, url), url, "skipped", r"image/png", 0)


def test_known_broken_pdf_fails_with_its_reason(env: Env, server: HTTPServer) -> None:
    # PDFs are read through their text layer (extractors/pdf.py); a truncated one fails, saying so
    server.expect_request("/doc.pdf").respond_with_data(b"%PDF-1.7\n" + bytes(100), content_type="application/pdf")
    url = server.url_for("/doc.pdf")
    expect(env, run(env, url), url, "failed", r"^unreadable PDF: ", 0)


def test_known_robots_disallow_is_skipped(env: Env, server: HTTPServer) -> None:
    server.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private")
    url = server.url_for("/private/qa")
    expect(env, run(env, url), url, "skipped", r"^disallowed by robots\.txt$", 0)


def test_known_redirect_loop(env: Env, server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    url = server.url_for("/a")
    expect(env, run(env, url), url, "failed", r"^redirect loop: ", 0)


def test_known_empty_file(env: Env) -> None:
    path = env.folder / "blank.md"
    path.write_text("\n\n  \n")
    expect(env, run(env, str(path)), str(path), "failed", r"^empty file: ", 0)


def test_known_oversized_file(env: Env) -> None:
    path = env.folder / "huge.txt"
    path.write_bytes(b"What is a question?\n" * 20_000)
    expect(env, run(env, str(path)), str(path), "failed", r"over the 256 KB limit \(max_bytes\)", 0)


def test_known_file_that_is_binary_is_skipped(env: Env) -> None:
    path = env.folder / "blob.txt"
    path.write_bytes(bytes(range(256)) * 16)
    expect(env, run(env, str(path)), str(path), "skipped", r"binary", 0)


def test_known_missing_file(env: Env) -> None:
    path = str(env.folder / "nope.md")
    expect(env, run(env, path), path, "failed", r"^no such file or folder: ", 0)


# -- 5. qbank query cannot write or reach outside the warehouse ------------------------------------


def query(env: Env, sql: str, *extra: str):
    return CliRunner().invoke(app, ["query", sql, "--warehouse", str(env.db), *extra])


def test_query_copy_to_the_warehouse_path_is_refused(env: Env) -> None:
    before = env.db.read_bytes()
    result = query(env, f"COPY (SELECT 1) TO '{env.db}'")
    assert result.exit_code == 1 and "read-only: COPY statements are not allowed" in result.output
    assert env.db.read_bytes() == before
    intact(env.db)


def test_query_attach_another_database_read_write_is_refused(env: Env) -> None:
    other = env.folder / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    result = query(env, f"ATTACH '{other}' AS o (READ_WRITE); DELETE FROM o.t")
    assert result.exit_code == 1 and "ATTACH statements are not allowed" in result.output
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)
    intact(env.db)


def test_query_reading_a_local_file_needs_allow_files(env: Env) -> None:
    data = env.folder / "people.csv"
    data.write_text("name\nada\n")
    refused = query(env, f"SELECT * FROM read_csv('{data}')")
    assert refused.exit_code == 1 and "file system operations are disabled" in refused.output
    passwd = query(env, "SELECT * FROM read_csv('/etc/passwd')")
    assert passwd.exit_code == 1 and "root" not in passwd.output
    allowed = query(env, f"SELECT * FROM read_csv('{data}')", "--allow-files", "--format", "json")
    assert allowed.exit_code == 0 and json.loads(allowed.output) == [{"name": "ada"}]
    copy = query(env, f"COPY (SELECT 1) TO '{env.folder / 'x.csv'}'", "--allow-files")
    assert copy.exit_code == 1 and not (env.folder / "x.csv").exists()


def test_query_install_and_load_are_refused_without_a_download(env: Env) -> None:
    for sql in ("INSTALL httpfs", "LOAD httpfs", "SELECT * FROM read_parquet('https://example.org/x.parquet')"):
        result = query(env, sql)
        assert result.exit_code == 1 and "Traceback" not in result.output, sql
        assert result.output.count("\n") == 1


def test_query_cannot_turn_external_access_back_on(env: Env) -> None:
    result = query(env, "SET enable_external_access = true")
    assert result.exit_code == 1 and "SET/USE statements are not allowed" in result.output
    ok = query(env, "SELECT count(*) AS n FROM questions", "--format", "json")
    assert json.loads(ok.output) == [{"n": GOOD_QUESTIONS}]


def test_query_export_database_is_refused(env: Env) -> None:
    result = query(env, f"EXPORT DATABASE '{env.folder / 'dump'}'")
    assert result.exit_code == 1 and not (env.folder / "dump").exists()


# -- 6. terminal and spreadsheet injection ---------------------------------------------------------

HOSTILE = "What is \x1b[2J\x1b]0;pwned\x07a clear screen and \u202eevil\u202c title attack?"


@pytest.fixture
def hostile(env: Env) -> Env:
    """The warehouse with a question carrying escape codes, and answers that start like formulas."""
    path = env.folder / "hostile.md"
    plain = "".join(  # ordinary questions around the hostile ones: a page of mostly text
        f"{n}. **What is the purpose of database index number {n} in a query plan?**\n\n   It speeds up lookups.\n\n"
        for n in range(3, 12)
    )
    path.write_text(
        f"# Hostile \x1b[31mred\x1b[0m questions\n\n1. **{HOSTILE}**\n\n   =HYPERLINK(\"http://x\",\"y\")\n\n"
        f"2. **How do you add two numbers in a spreadsheet cell?**\n\n   +1+2 and then @SUM(A1)\n\n{plain}",
        encoding="utf-8",
    )
    summary = run(env, str(path))
    assert [s.status for s in summary.sources if s.source_uri == str(path)] == ["ok"]
    return env


def _no_controls(text: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), repr(text)


def test_terminal_query_table_and_markdown_show_escape_codes_escaped(hostile: Env) -> None:
    for fmt in ("table", "markdown", "csv"):
        result = query(hostile, "SELECT question FROM questions ORDER BY question", "--format", fmt)
        assert result.exit_code == 0
        _no_controls(result.output)
        assert "\\x1b[2J" in result.output and "\\u202e" in result.output


def test_terminal_query_json_escapes_but_keeps_the_data(hostile: Env) -> None:
    result = query(hostile, "SELECT question || chr(155) AS q FROM questions WHERE question LIKE '%clear screen%'", "--format", "json")
    _no_controls(result.output)
    [row] = json.loads(result.output)
    assert "\x1b[2J" in row["q"] and row["q"].endswith("\x9b")


def test_terminal_explain_and_stats_show_escape_codes_escaped(hostile: Env) -> None:
    with duckdb.connect(str(hostile.db), read_only=True) as con:
        (cluster,) = con.execute("SELECT cluster_id FROM questions WHERE question LIKE '%clear screen%'").fetchone()
    explained = CliRunner().invoke(app, ["explain", cluster, "--warehouse", str(hostile.db)])
    assert explained.exit_code == 0 and "\\x1b]0;pwned\\x07" in explained.output
    _no_controls(explained.output)
    stats = CliRunner().invoke(app, ["stats", "--warehouse", str(hostile.db)])
    assert stats.exit_code == 0
    _no_controls(stats.output)


def test_terminal_csv_export_neutralises_formulas_unless_raw(hostile: Env) -> None:
    out = hostile.folder / "out"
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--format", "csv,json", "--warehouse", str(hostile.db)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "questions.csv").open(encoding="utf-8")))
    answers = {r["answer"] for r in rows}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in answers and "'+1+2 and then @SUM(A1)" in answers
    assert not any(cell[:1] in "=+-@" for row in rows for cell in row.values() if cell)
    records = json.loads((out / "questions.json").read_text(encoding="utf-8"))
    assert '=HYPERLINK("http://x","y")' in {r["answer"] for r in records}  # other formats keep the text
    raw_out = hostile.folder / "raw"
    CliRunner().invoke(app, ["export", "--out", str(raw_out), "--format", "csv", "--csv-raw", "--warehouse", str(hostile.db)])
    raw_rows = list(csv.DictReader((raw_out / "questions.csv").open(encoding="utf-8")))
    assert '=HYPERLINK("http://x","y")' in {r["answer"] for r in raw_rows}
