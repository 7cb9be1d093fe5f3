"""Fault suite for fetching: real HTTP on 127.0.0.1 (pytest-httpserver), tiny timeouts and backoff.

Each test asserts what a user sees for one bad source: the returned status and the one-line reason.
`fetch` must never raise for a bad source.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extractors.detect import decode
from qbank.fetch import Fetcher
from qbank.records import Failure, KnownSource, NotModified, RawDocument
from qbank.settings import FetchSettings
from qbank.sources import expand_sources

FAST = FetchSettings(
    connect_timeout=2.0,  # generous: the machine is shared and a loaded server must not look dead
    read_timeout=2.0,
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    max_bytes=256 * 1024,
    max_seconds=5.0,
    concurrency=4,
)
# For the tests that wait for a timeout: short, and one retry, so they stay under a second each.
IMPATIENT = FAST.model_copy(update={"read_timeout": 0.3, "retries": 1})
PAGE = b"<html><head><title>Questions</title></head><body><h2>1. What is overfitting?</h2></body></html>"


@pytest.fixture(scope="module")
def loopback() -> Iterator[HTTPServer]:
    """One threaded loopback server for the module (stopping one takes half a second)."""
    httpserver = HTTPServer(host="127.0.0.1", threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.stop()


@pytest.fixture
def server(loopback: HTTPServer) -> Iterator[HTTPServer]:
    """The loopback server, cleared, with robots.txt absent (404) unless a test says otherwise.

    Tests that need a robots.txt register it with `expect_oneshot_request`, which wins over this
    permanent handler.
    """
    loopback.clear()
    loopback.expect_request("/robots.txt").respond_with_data("not here", status=404)
    yield loopback
    loopback.clear()


@pytest.fixture
def waits() -> list[float]:
    """The waits a Fetcher asked for (retries, per-host delays), in order."""
    return []


@pytest.fixture
def fetcher(waits: list[float]) -> Iterator[Fetcher]:
    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with Fetcher(FAST, sleep=sleep) as f:
        yield f


def hits(server: HTTPServer, path: str) -> int:
    """How many requests the server received for `path`."""
    return sum(1 for request, _ in server.log if request.path == path)


def failure(result: object) -> Failure:
    assert isinstance(result, Failure), result
    assert result.stage == "fetch"
    assert "\n" not in result.reason
    return result


# -- HTTP status codes ------------------------------------------------------------------------------


def test_404_fails_without_retry(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/gone").respond_with_data("nothing", status=404)
    result = failure(fetcher.fetch(server.url_for("/gone")))
    assert (result.status, result.reason) == ("failed", "HTTP 404 Not Found")
    assert hits(server, "/gone") == 1


def test_410_fails_without_retry(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/old").respond_with_data("", status=410)
    result = failure(fetcher.fetch(server.url_for("/old")))
    assert (result.status, result.reason) == ("failed", "HTTP 410 Gone")
    assert hits(server, "/old") == 1


def test_500_then_success_on_retry(server: HTTPServer, fetcher: Fetcher, waits: list[float]) -> None:
    server.expect_oneshot_request("/flaky").respond_with_data("oops", status=500)
    server.expect_request("/flaky").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    result = fetcher.fetch(server.url_for("/flaky"))
    assert isinstance(result, RawDocument)
    assert (result.content, result.http_status, result.media_type) == (PAGE, 200, "text/html")
    assert hits(server, "/flaky") == 2
    assert len(waits) == 1 and 0 < waits[0] <= FAST.backoff_base  # first backoff: base/2..base, jittered


def test_500_every_time_gives_up_after_the_retries(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/down").respond_with_data("oops", status=500)
    result = failure(fetcher.fetch(server.url_for("/down")))
    assert result.reason == "HTTP 500 Internal Server Error (gave up after 2 retries)"
    assert hits(server, "/down") == 3


def test_503_with_retry_after_waits_capped_by_backoff_max(
    server: HTTPServer, fetcher: Fetcher, waits: list[float]
) -> None:
    server.expect_oneshot_request("/busy").respond_with_data("later", status=503, headers={"Retry-After": "120"})
    server.expect_request("/busy").respond_with_data(PAGE, content_type="text/html")
    result = fetcher.fetch(server.url_for("/busy"))
    assert isinstance(result, RawDocument)
    assert waits == [FAST.backoff_max]  # asked for 120 s, capped


def test_429_is_retried_then_reported(server: HTTPServer, fetcher: Fetcher, waits: list[float]) -> None:
    server.expect_request("/limited").respond_with_data("slow down", status=429, headers={"Retry-After": "0"})
    result = failure(fetcher.fetch(server.url_for("/limited")))
    assert result.reason == "HTTP 429 Too Many Requests (gave up after 2 retries)"
    assert hits(server, "/limited") == 3
    assert waits == [0.0, 0.0]  # Retry-After: 0 honoured instead of the backoff


def test_empty_200_is_a_failure(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/empty").respond_with_data(b"", content_type="text/html")
    result = failure(fetcher.fetch(server.url_for("/empty")))
    assert (result.status, result.reason) == ("failed", "empty response (HTTP 200 with no body)")


def test_conditional_get_304_is_not_modified(server: HTTPServer, fetcher: Fetcher) -> None:
    etag, modified = '"v1"', "Mon, 02 Nov 2026 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag and request.headers.get("If-Modified-Since") == modified:
            return Response(status=304)
        return Response(PAGE, content_type="text/html", headers={"ETag": etag, "Last-Modified": modified})

    server.expect_request("/q").respond_with_handler(handler)
    url = server.url_for("/q")
    first = fetcher.fetch(url)
    assert isinstance(first, RawDocument)
    assert (first.etag, first.last_modified) == (etag, modified)
    known = KnownSource(url, first.sha256, etag=first.etag, last_modified=first.last_modified)
    assert fetcher.fetch(url, known) == NotModified(url)


# -- the network misbehaving ------------------------------------------------------------------------


def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and now has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = failure(fetcher.fetch(f"http://127.0.0.1:{port}/page"))
    assert (result.status, result.reason) == ("failed", f"connection refused by 127.0.0.1:{port} (gave up after 2 retries)")


def test_server_that_never_answers_times_out() -> None:
    with socket.socket() as sock:  # accepts connections (the kernel's backlog) but never replies
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/page"
        with Fetcher(IMPATIENT) as fetcher:
            result = failure(fetcher.fetch(url))
    # The first request to a host is for its robots.txt, so that is where the wait shows.
    robots = url.replace("/page", "/robots.txt")
    assert result.reason == f"timed out after 0.3s reading {robots} (gave up after 1 retry)"


def test_body_that_stalls_halfway_times_out(server: HTTPServer) -> None:
    release = threading.Event()

    def stalling(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield PAGE[:40]
            release.wait(3)  # hold the connection open, sending nothing more

        return Response(body(), content_type="text/html", headers={"Content-Length": str(len(PAGE))})

    server.expect_request("/stall").respond_with_handler(stalling)
    url = server.url_for("/stall")
    try:
        with Fetcher(IMPATIENT) as fetcher:
            result = failure(fetcher.fetch(url))
    finally:
        release.set()
    assert result.reason == f"timed out after 0.3s reading {url} (gave up after 1 retry)"


def test_redirect_loop(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=301, headers={"Location": server.url_for("/a")})
    result = failure(fetcher.fetch(server.url_for("/a")))
    assert result.reason == f"redirect loop: {server.url_for('/a')} redirects back to itself"


def test_too_many_redirects(server: HTTPServer, fetcher: Fetcher) -> None:
    for n in range(10):
        server.expect_request(f"/r{n}").respond_with_data("", status=307, headers={"Location": f"/r{n + 1}"})
    result = failure(fetcher.fetch(server.url_for("/r0")))
    assert result.reason == "too many redirects (more than 5)"
    assert hits(server, "/r6") == 0


def test_redirect_is_followed(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/moved").respond_with_data("", status=301, headers={"Location": "/new.md"})
    server.expect_request("/new.md").respond_with_data("# Questions\n", content_type="text/plain")
    result = fetcher.fetch(server.url_for("/moved"))
    assert isinstance(result, RawDocument)
    assert (result.source_uri, result.media_type) == (server.url_for("/moved"), "text/markdown")


# -- robots.txt -------------------------------------------------------------------------------------


def test_robots_disallow_skips_without_requesting_the_page(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: qbank\nDisallow: /private\n")
    server.expect_request("/private/q").respond_with_data(PAGE, content_type="text/html")
    result = failure(fetcher.fetch(server.url_for("/private/q")))
    assert (result.status, result.reason) == ("skipped", "disallowed by robots.txt")
    assert hits(server, "/private/q") == 0


def test_redirect_to_a_robots_disallowed_url_is_skipped(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /private/\n")
    server.expect_request("/public").respond_with_data("", status=302, headers={"Location": "/private/q"})
    server.expect_request("/private/q").respond_with_data(PAGE, content_type="text/html")
    result = failure(fetcher.fetch(server.url_for("/public")))
    assert (result.status, result.reason) == ("skipped", "disallowed by robots.txt")
    assert hits(server, "/public") == 1
    assert hits(server, "/private/q") == 0


def test_robots_txt_500_treats_the_site_as_disallowed(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_ordered_request("/robots.txt").respond_with_data("oops", status=500)
    server.expect_ordered_request("/robots.txt").respond_with_data("oops", status=500)
    server.expect_ordered_request("/robots.txt").respond_with_data("oops", status=500)
    server.expect_request("/q").respond_with_data(PAGE, content_type="text/html")
    for _ in range(2):  # the verdict is cached: the second page does not fetch robots.txt again
        result = failure(fetcher.fetch(server.url_for("/q")))
        assert result.status == "skipped"
        assert result.reason == "robots.txt answered HTTP 500, so the site is treated as disallowed (RFC 9309)"
    assert hits(server, "/robots.txt") == 3  # one fetch with its 2 retries
    assert hits(server, "/q") == 0


def test_a_failed_robots_txt_verdict_expires(
    server: HTTPServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long-lived process (a worker reused across runs) must not remember a host's outage forever."""
    monkeypatch.setattr("qbank.fetch._ROBOTS_FAILURE_TTL", 0.0)
    for _ in range(FAST.retries + 1):
        server.expect_oneshot_request("/robots.txt").respond_with_data("oops", status=503)
    server.expect_request("/q").respond_with_data(PAGE, content_type="text/html")
    assert failure(fetcher.fetch(server.url_for("/q"))).status == "skipped"
    assert isinstance(fetcher.fetch(server.url_for("/q")), RawDocument)  # robots.txt now 404: allowed


def test_robots_txt_is_fetched_once_and_crawl_delay_spaces_requests(
    server: HTTPServer, fetcher: Fetcher, waits: list[float]
) -> None:
    server.expect_oneshot_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 0.2\n")
    server.expect_request("/one").respond_with_data(PAGE, content_type="text/html")
    server.expect_request("/two").respond_with_data(PAGE, content_type="text/html")
    assert isinstance(fetcher.fetch(server.url_for("/one")), RawDocument)
    assert isinstance(fetcher.fetch(server.url_for("/two")), RawDocument)
    assert hits(server, "/robots.txt") == 1
    assert len(waits) == 1 and 0.1 < waits[0] <= 0.2  # /two waited for the rest of the crawl delay


# -- bodies: size, compression, type, charset -------------------------------------------------------


def test_huge_body_with_content_length_is_refused(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/big").respond_with_data(b"a" * (FAST.max_bytes + 1), content_type="text/plain")
    result = failure(fetcher.fetch(server.url_for("/big")))
    assert result.reason == "response of 262,145 bytes is over the 256 KB limit (max_bytes)"


def test_huge_streamed_body_without_length_is_refused(server: HTTPServer, fetcher: Fetcher) -> None:
    def endless(request: Request) -> Response:
        return Response((b"question? " * 1000 for _ in range(100)), content_type="text/plain")  # ~1 MB, chunked

    server.expect_request("/stream").respond_with_handler(endless)
    result = failure(fetcher.fetch(server.url_for("/stream")))
    assert result.reason == "response is over the 256 KB size limit (max_bytes)"


def test_gzip_bomb_stops_at_the_size_cap(server: HTTPServer, fetcher: Fetcher) -> None:
    bomb = gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9)  # 32 MB of zeros in ~32 KB
    assert len(bomb) < FAST.max_bytes
    server.expect_request("/bomb").respond_with_data(bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    result = failure(fetcher.fetch(server.url_for("/bomb")))
    assert result.reason == "gzip-decompressed response is over the 256 KB size limit (max_bytes)"


@pytest.mark.parametrize(("encoding", "compress"), [("gzip", gzip.compress), ("br", brotli.compress)])
def test_compressed_bodies_are_decoded_and_hashed_decoded(
    server: HTTPServer, fetcher: Fetcher, encoding: str, compress: object
) -> None:
    server.expect_request("/z").respond_with_data(
        compress(PAGE), content_type="text/html", headers={"Content-Encoding": encoding}  # type: ignore[operator]
    )
    result = fetcher.fetch(server.url_for("/z"))
    assert isinstance(result, RawDocument)
    assert result.content == PAGE
    assert result.sha256 == hashlib.sha256(PAGE).hexdigest()


def test_pdf_is_fetched_for_its_text_layer(server: HTTPServer, fetcher: Fetcher) -> None:
    """Issue 13: a PDF is read by the extract stage (extractors/pdf.py), whatever type it is served as."""
    server.expect_request("/q.pdf").respond_with_data(b"%PDF-1.7 ...", content_type="application/pdf")
    server.expect_request("/download").respond_with_data(b"%PDF-1.4 ...", content_type="text/html")
    for path in ("/q.pdf", "/download"):
        result = fetcher.fetch(server.url_for(path))
        assert isinstance(result, RawDocument)
        assert (result.media_type, result.charset) == ("application/pdf", None)


def test_binary_served_as_text_html_is_skipped(server: HTTPServer, fetcher: Fetcher) -> None:
    """A PNG mislabelled text/html is refused here rather than passed to the HTML extractor as garbage."""
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    server.expect_request("/logo").respond_with_data(png, content_type="text/html")
    result = failure(fetcher.fetch(server.url_for("/logo")))
    assert (result.status, result.reason) == (
        "skipped",
        "unsupported content: the body is image/png though served as text/html",
    )


def test_unknown_binary_served_as_text_html_is_skipped(server: HTTPServer, fetcher: Fetcher) -> None:
    noise = bytes((i * 7919) % 256 for i in range(4096))  # no known magic number, full of control bytes
    server.expect_request("/blob").respond_with_data(noise, content_type="text/html")
    result = failure(fetcher.fetch(server.url_for("/blob")))
    assert (result.status, result.reason) == (
        "skipped",
        "unsupported content: the body is binary data, not text (served as text/html)",
    )


def test_wrong_header_charset_loses_to_the_meta_tag(server: HTTPServer, fetcher: Fetcher) -> None:
    text = "<html><head><meta charset='windows-1252'></head><body><p>Café – “naïve” Bayes?</p></body></html>"
    server.expect_request("/w").respond_with_data(text.encode("cp1252"), content_type="text/html; charset=utf-8")
    result = fetcher.fetch(server.url_for("/w"))
    assert isinstance(result, RawDocument)
    assert result.charset == "cp1252"
    assert "Café – “naïve” Bayes?" in decode(result)


def test_latin1_header_on_a_utf8_page_decodes_as_utf8(server: HTTPServer, fetcher: Fetcher) -> None:
    text = "What is the naïve Bayes assumption – and why does it work in café reviews?"  # valid cp1252 too
    server.expect_request("/u").respond_with_data(text.encode("utf-8"), content_type="text/plain; charset=ISO-8859-1")
    result = fetcher.fetch(server.url_for("/u"))
    assert isinstance(result, RawDocument)
    assert (result.charset, decode(result)) == ("utf-8", text)


def test_undeclared_charset_is_detected(server: HTTPServer, fetcher: Fetcher) -> None:
    text = "Что такое переобучение модели и как с ним бороться? Объясните регуляризацию L1 и L2.\n" * 5
    server.expect_request("/ru.txt").respond_with_data(text.encode("cp1251"), content_type="text/plain")
    result = fetcher.fetch(server.url_for("/ru.txt"))
    assert isinstance(result, RawDocument)
    assert decode(result) == text


def test_notebook_served_as_json_is_accepted(server: HTTPServer, fetcher: Fetcher) -> None:
    notebook = b'{"cells": [{"cell_type": "markdown", "source": ["# Q1"]}], "metadata": {}, "nbformat": 4}'
    server.expect_request("/nb").respond_with_data(notebook, content_type="application/json")
    result = fetcher.fetch(server.url_for("/nb"))
    assert isinstance(result, RawDocument)
    assert (result.media_type, result.charset) == ("application/x-ipynb+json", "utf-8")


def test_other_json_is_skipped(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/api").respond_with_data(b'{"items": []}', content_type="application/json")
    result = failure(fetcher.fetch(server.url_for("/api")))
    assert result.status == "skipped"
    assert result.reason.startswith("unsupported content type application/json (")


def test_user_agent_and_accept_encoding_are_sent(server: HTTPServer, fetcher: Fetcher) -> None:
    server.expect_request("/ua", headers={"User-Agent": FAST.user_agent}).respond_with_data(PAGE, content_type="text/html")
    assert isinstance(fetcher.fetch(server.url_for("/ua")), RawDocument)
    request = next(req for req, _ in server.log if req.path == "/ua")
    assert request.headers["Accept-Encoding"] == "gzip, deflate, br"


def test_per_host_concurrency_is_limited(server: HTTPServer, fetcher: Fetcher) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(request: Request) -> Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Response(PAGE, content_type="text/html")

    server.expect_request("/p").respond_with_handler(slow)
    urls = [server.url_for(f"/p?n={n}") for n in range(6)]
    results = fetcher.fetch_all(urls)
    assert all(isinstance(r, RawDocument) for r in results)
    assert [r.source_uri for r in results] == urls
    assert state["peak"] == FAST.per_host_concurrency


def test_unsupported_scheme_is_a_failure(fetcher: Fetcher) -> None:
    result = failure(fetcher.fetch("ftp://example.org/questions.md"))
    assert result.reason == "unsupported scheme ftp: only http(s) URLs and local files"


# -- local files ------------------------------------------------------------------------------------


def test_local_file_is_read_with_its_media_type(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "q.rst"
    path.write_text("Questions\n=========\n\n1. What is a tensor?\n", encoding="utf-8")
    result = fetcher.fetch(str(path))
    assert isinstance(result, RawDocument)
    assert (result.media_type, result.charset, result.http_status) == ("text/x-rst", "utf-8", None)


def test_local_file_vanishing_between_listing_and_reading(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "q.md"
    path.write_text("# Q\n")
    uris, _ = expand_sources([str(tmp_path)])
    path.unlink()
    result = failure(fetcher.fetch(uris[0]))
    assert (result.status, result.reason) == ("failed", f"file no longer exists: {path}")


def test_empty_local_file_is_a_failure(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n")
    assert failure(fetcher.fetch(str(path))).reason == f"empty file: {path}"


def test_local_file_over_the_limit_is_refused(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * (FAST.max_bytes + 1))
    assert failure(fetcher.fetch(str(path))).reason == f"file of 262,145 bytes is over the 256 KB limit (max_bytes): {path}"


# -- the per-source deadline ------------------------------------------------------------------------


def test_time_queued_behind_the_same_host_does_not_count_against_the_deadline(server: HTTPServer) -> None:
    """Two 1.2 s answers from one host that serves one request at a time: the second source waits 1.2 s
    for its turn, and still finishes within its own 2 s (max_seconds) because waiting is off its clock."""

    def slow(request: Request) -> Response:
        time.sleep(1.2)
        return Response(PAGE, content_type="text/html")

    server.expect_request("/one").respond_with_handler(slow)
    server.expect_request("/two").respond_with_handler(slow)
    patient = FAST.model_copy(update={"max_seconds": 2.0, "per_host_concurrency": 1, "retries": 0})
    with Fetcher(patient) as fetcher:
        started = time.monotonic()
        results = fetcher.fetch_all([server.url_for("/one"), server.url_for("/two")])
    assert all(isinstance(r, RawDocument) for r in results), results
    assert time.monotonic() - started >= 2.4  # one after the other


def test_a_stop_request_ends_a_trickling_download_at_once(server: HTTPServer) -> None:
    from qbank.interrupt import STOP, Interrupted

    release = threading.Event()

    def stalling(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield PAGE[:40]
            release.wait(10)

        return Response(body(), content_type="text/html", headers={"Content-Length": str(len(PAGE))})

    server.expect_request("/stall").respond_with_handler(stalling)
    timer = threading.Timer(0.5, STOP.request, args=("SIGTERM",))
    timer.start()
    try:
        with Fetcher(FAST.model_copy(update={"max_seconds": 30.0, "read_timeout": 30.0})) as fetcher:
            started = time.monotonic()
            with pytest.raises(Interrupted):
                fetcher.fetch(server.url_for("/stall"))
        assert time.monotonic() - started < 2
    finally:
        timer.cancel()
        STOP.clear()
        release.set()
