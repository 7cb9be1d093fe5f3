"""Fetch sources: read local files and download http(s) URLs politely and safely.

`Fetcher.fetch` never raises for a bad source: every problem becomes a `Failure` whose reason is one
line a user understands ("HTTP 404 Not Found", "connection refused by example.org").

Politeness: robots.txt per host (RFC 9309, parsed by protego, cached per Fetcher), a per-host
concurrency limit and delay (robots.txt Crawl-delay honoured), retries with exponential backoff and
jitter on connection errors, 429 and 5xx (Retry-After honoured, capped by `backoff_max`), conditional
GET from what the warehouse remembers. Safety: a cap on the body size after decompression (so a gzip
bomb stops at the cap instead of filling memory) and on redirects; a hard wall-clock deadline per source
(`max_seconds`) that every socket read and write is held to, so a server trickling its headers or body a
byte at a time cannot hold a worker; no redirect from a public address into a private network; only
regular files are read (a named pipe, socket or device is skipped without being opened for reading).
A stop request (`qbank.interrupt.STOP`: SIGTERM, Ctrl-C) ends every wait within a fraction of a second.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import random
import re
import socket
import stat
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import httpcore
import httpx
from protego import Protego

from extractors.decode import binary_signature as _binary_signature
from extractors.decode import is_pdf as _is_pdf
from extractors.decode import detect_charset as detect_charset  # re-exported: part of fetch's API
from extractors.decode import invalid_bytes
from extractors.detect import sniff_media_type
from qbank.formats import KNOWN_MEDIA_TYPES, SUPPORTED_MEDIA_TYPES, canonical_media_type, media_type_for_name
from qbank.interrupt import STOP
from qbank.records import Failure, KnownSource, NotModified, RawDocument
from qbank.settings import FetchSettings
from qbank.sources import normalize_url

logger = logging.getLogger(__name__)

FetchResult = RawDocument | NotModified | Failure

# Types we cannot judge from the header alone: decided from the URL's extension or the bytes.
_UNDECIDED_MEDIA_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/json"})
_REFUSAL_NOTES: dict[str, str] = {}
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ACCEPT = "text/html, text/markdown, text/x-rst, text/plain;q=0.9, application/x-ipynb+json;q=0.9, application/pdf;q=0.8, */*;q=0.1"
_CHUNK = 64 * 1024
# h11's words for a body that ended before its Content-Length
_SHORT_BODY = re.compile(r"received (?P<received>\d+) bytes, expected (?P<expected>\d+)")
# How long a robots.txt verdict is kept. RFC 9309 allows a day; a failed fetch is kept only minutes,
# long enough that one run does not hammer a dead host, short enough that a long-lived process recovers.
_ROBOTS_TTL = 24 * 3600.0
_ROBOTS_FAILURE_TTL = 300.0
# What `Fetcher.fetch_listing` reads besides documents: sitemaps (XML, text, gzip) and feeds (RSS, Atom, JSON).
LISTING_MEDIA_TYPES = frozenset({
    "application/xml", "text/xml", "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/feed+json", "application/gzip", "application/x-gzip",
})  # fmt: skip
_listing = threading.local()  # `active` while this thread reads a listing for `fetch_listing`


class _Refused(Exception):
    """Internal: one source cannot be fetched; becomes a Failure at the `fetch` boundary."""

    def __init__(self, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _RedirectRefused(_Refused):
    """Internal: a redirect chain that loops, runs too long or leaves http(s)."""


@dataclass(frozen=True, slots=True)
class _Reply:
    """One HTTP response, its body read only for 2xx answers."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    retries: int  # how many retries it took


@dataclass(frozen=True, slots=True)
class _Robots:
    """What a host's robots.txt says: rules to check (None: allow all), or a refusal for every URL."""

    rules: Protego | None = None
    refusal: _Refused | None = None
    expires: float = 0.0  # time.monotonic() after which robots.txt is fetched again


# How often a blocked socket read or lock wait wakes up to look at the deadline and the stop flag.
_POLL = 0.25


class _Deadline:
    """The wall-clock limit (`max_seconds`) of the source each thread is fetching.

    Kept per thread: a thread fetches one source at a time, and httpx does a request's socket I/O in the
    calling thread. Time spent queued for a host's slot, its crawl delay or its robots.txt does not
    count: the limit is on how long the server takes, not on how busy the host's queue is.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        self._local.expires = time.monotonic() + seconds
        try:
            yield
        finally:
            self._local.expires = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            if getattr(self._local, "expires", None) is not None:
                self._local.expires += time.monotonic() - started

    def remaining(self) -> float | None:
        """Seconds left for this thread's source; None outside a fetch."""
        expires = getattr(self._local, "expires", None)
        return None if expires is None else expires - time.monotonic()

    def out_of_time(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def cap(self, timeout: float | None, timed_out: type[Exception]) -> float | None:
        """`timeout` cut to the time left; raises `timed_out` when none is left or a stop was requested."""
        STOP.check()
        remaining = self.remaining()
        if remaining is None:
            return timeout
        if remaining <= 0:
            raise timed_out("the source's time limit (max_seconds) has passed")
        return remaining if timeout is None else min(timeout, remaining)

    def wait(self, lock: threading.Lock | threading.Semaphore) -> None:
        """Acquire `lock`, off the clock, giving up when a stop is requested."""
        with self.paused():
            while not lock.acquire(timeout=_POLL):
                STOP.check()


class _WatchedStream(httpcore.NetworkStream):
    """A connection whose reads and writes end by the source's deadline, or at once on a stop request.

    A read waits in slices of `_POLL` seconds up to httpx's read timeout, so a server that trickles a byte
    every few seconds still meets the deadline. Writes are not sliced (a send that timed out may have sent
    part of its buffer), only capped: requests are small.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = self._deadline.cap(_POLL, httpcore.ReadTimeout)
            if end is not None:
                if time.monotonic() >= end:
                    raise httpcore.ReadTimeout("timed out")
                wait = min(wait, end - time.monotonic())  # type: ignore[type-var]
            try:
                return self._stream.read(max_bytes, max(wait, 0.001))  # type: ignore[arg-type]
            except httpcore.ReadTimeout:
                continue  # a slice ended: look at the clocks again

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:  # type: ignore[no-untyped-def]
        limit = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _WatchedStream(self._stream.start_tls(ssl_context, server_hostname, limit), self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _WatchedBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every connection held to the source's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend, deadline: _Deadline) -> None:
        self._backend = backend
        self._deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        limit = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, limit, local_address, socket_options)
        return _WatchedStream(stream, self._deadline)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # type: ignore[no-untyped-def]
        limit = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _WatchedStream(self._backend.connect_unix_socket(path, limit, socket_options), self._deadline)

    def sleep(self, seconds: float) -> None:
        STOP.sleep(seconds)


def _watch_network(client: httpx.Client, deadline: _Deadline) -> None:
    """Put every connection pool of `client` (direct, and proxies from the environment) on the deadline.

    httpx does not take a network backend, so the pools' backend is swapped in place; should a new httpx
    lay its pools out differently this fails loudly rather than leave the deadline unenforced.
    """
    pools = [getattr(t, "_pool", None) for t in (client._transport, *client._mounts.values()) if t is not None]
    watched = 0
    for pool in pools:
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _WatchedBackend(pool._network_backend, deadline)
            watched += 1
    if not watched:
        raise RuntimeError("cannot hold httpx connections to a deadline: unexpected httpx transport layout")


class _HostGate:
    """Per-host politeness: at most `limit` requests at once, starts spaced `delay` seconds apart."""

    def __init__(self, limit: int, delay: float, sleep: Callable[[float], None], deadline: _Deadline) -> None:
        self._slots = threading.BoundedSemaphore(max(1, limit))
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._sleep = sleep
        self._deadline = deadline
        self.delay = delay

    @contextmanager
    def slot(self) -> Iterator[None]:
        self._deadline.wait(self._slots)  # queued behind other requests to the host: off the clock
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.delay
            if start > now:
                with self._deadline.paused():
                    self._sleep(start - now)
            yield
        finally:
            self._slots.release()


class Fetcher:
    """Reads files and downloads URLs. One per run; thread-safe, so per-source tasks can share it.

    Use as a context manager so the connection pool is closed:

        with Fetcher(settings.fetch) as fetcher:
            result = fetcher.fetch("https://example.org/questions", known=None)
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Callable[[float], None] = STOP.sleep,
        transport: httpx.BaseTransport | None = None,
        resolve: Callable[[str], list[str]] | None = None,
    ) -> None:
        """Args:
        settings: the fetch group of `Settings`.
        sleep: how to wait between retries and per-host requests (tests record the waits); the default
            wakes up on a stop request.
        transport: an httpx transport, for tests; None for the network.
        resolve: host name -> its IP addresses, to tell private networks from public ones (tests pretend
            a loopback server is public); None: the system resolver.
        """
        self.settings = settings
        self._sleep = sleep
        self._resolve = resolve
        self._deadline = _Deadline()
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout, read=settings.read_timeout, write=settings.read_timeout, pool=None
            ),
            limits=httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency),
            follow_redirects=False,  # followed by hand: each hop is checked against robots.txt and the limit
            transport=transport,
        )
        if transport is None:
            _watch_network(self._client, self._deadline)
        self._lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(self, uri: str, known: KnownSource | None = None) -> FetchResult:
        """Read one source: a local path or an http(s) URL. Never raises for a bad source.

        Returns the document, `NotModified` when a conditional GET answered 304, or a `Failure`.
        """
        try:
            scheme = urlsplit(uri).scheme.lower()
            if scheme in ("http", "https"):
                with self._deadline.running(self.settings.max_seconds):
                    return self._fetch_url(uri, known)
            if len(scheme) > 1:  # one letter is a Windows drive
                raise _Refused(f"unsupported scheme {scheme}: only http(s) URLs and local files")
            return _read_file(uri, self.settings.max_bytes)
        except _Refused as refused:
            return Failure(uri, "fetch", refused.reason, status=refused.status)  # type: ignore[arg-type]
        except httpx.InvalidURL as exc:
            return Failure(uri, "fetch", f"not a valid URL: {_one_line(str(exc))}")
        except Exception as exc:  # a bug must not end the run; the traceback goes to the log
            logger.exception("unexpected error fetching %s", uri)
            return Failure(uri, "fetch", f"unexpected error: {type(exc).__name__}: {_one_line(str(exc))}")

    def fetch_all(
        self, uris: Sequence[str], known: Mapping[str, KnownSource] | None = None
    ) -> list[FetchResult]:
        """Fetch many sources concurrently (`settings.concurrency` threads); results in input order."""
        known = known or {}
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            return list(pool.map(lambda uri: self.fetch(uri, known.get(uri)), uris))

    def fetch_listing(self, url: str) -> RawDocument | Failure:
        """Read a sitemap or feed for discovery (qbank/discover.py): `fetch`, with its robots.txt check, limits,
        retries and time limit, but XML, JSON and gzip bodies are returned as they came (no charset or type
        check: the caller parses them). Never raises for a bad URL."""
        _listing.active = True
        try:
            return self.fetch(url)  # type: ignore[return-value]  # no `known`: never NotModified
        finally:
            _listing.active = False

    def robots_refusal(self, url: str) -> Failure | None:
        """Why robots.txt keeps us from fetching `url` (a disallow rule, or a robots.txt that answers 5xx), or
        None when `fetch` may ask for it. Reads each host's robots.txt once, into the cache `fetch` uses."""
        if not self.settings.obey_robots or urlsplit(url).scheme.lower() not in ("http", "https"):
            return None
        try:
            self._check_robots(url)
        except _Refused as refused:
            return Failure(url, "fetch", refused.reason, status=refused.status)  # type: ignore[arg-type]
        return None

    # -- URLs ---------------------------------------------------------------------------------------

    def _fetch_url(self, uri: str, known: KnownSource | None) -> FetchResult:
        conditional = {}
        if known is not None and known.etag:
            conditional["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            conditional["If-Modified-Since"] = known.last_modified
        reply = self._follow(uri, conditional, check_robots=self.settings.obey_robots)
        if reply.status == 304:
            if conditional:
                return NotModified(uri)
            raise _Refused("HTTP 304 Not Modified, though no cached copy was asked about")
        if not 200 <= reply.status < 300:
            raise _Refused(_status_message(reply))
        media_type = _media_type_of_reply(reply)
        if getattr(_listing, "active", False):
            return _listing_document(uri, reply, media_type)
        content_type = Message()
        content_type["Content-Type"] = reply.headers.get("Content-Type", "")
        return _make_document(
            uri,
            reply.body,
            media_type,
            declared_charset=content_type.get_content_charset(),
            http_status=reply.status,
            etag=reply.headers.get("ETag"),
            last_modified=reply.headers.get("Last-Modified"),
            empty_reason=f"empty response (HTTP {reply.status} with no body)",
        )

    def _follow(self, url: str, headers: dict[str, str], *, check_robots: bool) -> _Reply:
        """GET `url`, following redirects up to the limit; each hop is checked against robots.txt.

        A redirect from a public address into a private network (loopback, RFC 1918, link-local: an
        intranet admin page, a cloud metadata service) is refused unless the starting URL was private too.
        """
        seen = {url}
        start_private: bool | None = None  # resolved at the first redirect only
        for _ in range(self.settings.max_redirects + 1):
            if check_robots:
                self._check_robots(url)
            reply = self._get(url, headers)
            if reply.status not in (301, 302, 303, 307, 308):
                return reply
            location = reply.headers.get("Location")
            if not location:
                raise _RedirectRefused(f"HTTP {reply.status} redirect without a Location header at {url}")
            target = normalize_url(urljoin(url, location.strip()))
            if target is None:
                raise _RedirectRefused(f"redirected to an unsupported address: {_one_line(location)[:200]}")
            if target in seen:
                raise _RedirectRefused(f"redirect loop: {target} redirects back to itself")
            if start_private is None:
                start_private = self._is_private(next(iter(seen)))
            if not start_private and self._is_private(target):
                raise _Refused(f"refused a redirect from a public address to a private one: {target}")
            seen.add(target)
            url = target
        raise _RedirectRefused(f"too many redirects (more than {self.settings.max_redirects})")

    def _get(self, url: str, headers: dict[str, str]) -> _Reply:
        """One GET with retries on connection errors, 429 and 5xx; reads the body of 2xx answers."""
        s = self.settings
        attempt = 0
        while True:
            wait: float | None = None
            try:
                with self._gate(url).slot(), self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in _RETRY_STATUSES and attempt < s.retries:
                        wait = self._backoff(attempt, response.headers.get("Retry-After"))
                    else:
                        body = self._read_body(response, url) if 200 <= response.status_code < 300 else b""
                        return _Reply(url, response.status_code, response.headers, body, attempt)
            except httpx.TransportError as exc:
                if self._deadline.out_of_time():
                    raise _Refused(self._too_slow(url)) from exc
                if attempt >= s.retries:
                    raise _Refused(_transport_message(exc, url, s, attempt)) from exc
                wait = self._backoff(attempt, None)
            remaining = self._deadline.remaining()
            if remaining is not None and wait >= remaining:
                raise _Refused(f"gave up on {url}: waiting {wait:.1f}s to retry would pass the {s.max_seconds:g}s limit (max_seconds)")
            # Sleep outside the host slot and with the connection released.
            logger.info("retrying %s in %.2fs (retry %d of %d)", url, wait, attempt + 1, s.retries)
            self._sleep(wait)
            attempt += 1

    def _read_body(self, response: httpx.Response, url: str) -> bytes:
        """Stream the body, decompressing it ourselves so the size cap applies after decompression."""
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _Refused(f"response of {int(declared):,} bytes is over the {_size(limit)} limit (max_bytes)")
        media = _mime(response.headers.get("Content-Type", ""))
        listing = LISTING_MEDIA_TYPES if getattr(_listing, "active", False) else frozenset()
        if media not in KNOWN_MEDIA_TYPES | _UNDECIDED_MEDIA_TYPES | listing:
            # Refuse before downloading what we could not read anyway.
            raise _Refused(_unsupported_message(media), status="skipped")
        decoder = _BoundedDecoder(response.headers.get("Content-Encoding", ""), limit)
        body = bytearray()
        received = 0
        for chunk in response.iter_raw(_CHUNK):  # every socket read inside is held to the deadline
            received += len(chunk)
            body += decoder.decode(chunk)
        body += decoder.finish()
        if declared.isdigit() and received < int(declared):
            raise _Refused(
                f"truncated response: {received:,} of the {int(declared):,} bytes its Content-Length announced "
                f"arrived from {url}"
            )
        return bytes(body)

    def _too_slow(self, url: str) -> str:
        return f"download took longer than {self.settings.max_seconds:g}s (max_seconds): {url} answers too slowly"

    def _is_private(self, url: str) -> bool:
        """Whether the URL's host is in a private network (loopback, RFC 1918, link-local, ...)."""
        host = urlsplit(url).hostname or ""
        try:
            addresses = [host] if _is_ip(host) else (self._resolve or _resolve_host)(host)
        except OSError:
            return False  # cannot tell: the request itself will fail to connect
        return any(not ipaddress.ip_address(a.split("%", 1)[0]).is_global for a in addresses)

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before retry `attempt + 1`: Retry-After if given, else exponential with jitter."""
        s = self.settings
        asked = _parse_retry_after(retry_after)
        if asked is not None:
            return min(asked, s.backoff_max)
        ceiling = min(s.backoff_base * 2**attempt, s.backoff_max)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": spreads retries of many workers

    def _gate(self, url: str) -> _HostGate:
        key = _origin(url)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                s = self.settings
                gate = _HostGate(s.per_host_concurrency, s.per_host_delay, self._sleep, self._deadline)
                self._gates[key] = gate
            return gate

    # -- robots.txt ---------------------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        robots = self._robots_for(_origin(url))
        if robots.refusal is not None:
            raise robots.refusal
        if robots.rules is not None and not robots.rules.can_fetch(url, self.settings.user_agent):
            raise _Refused("disallowed by robots.txt", status="skipped")

    def _robots_for(self, origin: str) -> _Robots:
        """The host's robots.txt, fetched once per Fetcher and TTL (one thread fetches, the others wait)."""
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        self._deadline.wait(lock)  # another thread is reading it: off this source's clock
        try:
            robots = self._robots.get(origin)
            if robots is None or time.monotonic() > robots.expires:
                robots = self._load_robots(origin)
                ttl = _ROBOTS_FAILURE_TTL if robots.refusal is not None else _ROBOTS_TTL
                robots = self._robots[origin] = replace(robots, expires=time.monotonic() + ttl)
            return robots
        finally:
            lock.release()

    def _load_robots(self, origin: str) -> _Robots:
        """Fetch and parse robots.txt following RFC 9309: 4xx allows all; 5xx or 429 disallows all."""
        try:
            reply = self._follow(f"{origin}/robots.txt", {}, check_robots=False)
        except _RedirectRefused:
            return _Robots()  # RFC 9309 2.3.1.2: too many redirects counts as unavailable (4xx): allow
        except _Refused as refused:
            return _Robots(refusal=refused)  # the host is unreachable: every URL on it fails the same way
        if reply.status == 429 or reply.status >= 500:
            # RFC 9309 2.3.1.4: an unreachable robots.txt means the whole site is disallowed.
            reason = f"robots.txt answered HTTP {reply.status}, so the site is treated as disallowed (RFC 9309)"
            return _Robots(refusal=_Refused(reason, status="skipped"))
        if not 200 <= reply.status < 300:
            return _Robots()
        rules = Protego.parse(reply.body.decode("utf-8", errors="replace"))
        crawl_delay = rules.crawl_delay(self.settings.user_agent)
        if crawl_delay:
            gate = self._gate(origin)
            gate.delay = max(gate.delay, min(float(crawl_delay), self.settings.max_crawl_delay))
        return _Robots(rules=rules)


# -- local files ------------------------------------------------------------------------------------


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int, path: Path) -> _Refused | None:
    """A refusal for anything but a regular file: reading a pipe or device can block forever or never end."""
    if stat.S_ISDIR(mode):
        return _Refused(f"is a folder, not a file: {path}")
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
    return _Refused(f"not a regular file: {path} is {kind}", status="skipped")


def _read_file(uri: str, limit: int) -> RawDocument:
    path = Path(uri)
    try:
        # stat() first: opening a named pipe for reading blocks until a writer shows up.
        refusal = _not_regular(os.stat(path).st_mode, path)
        if refusal is not None:
            raise refusal
        # O_NONBLOCK: should the path become a pipe between stat() and open(), open() still returns.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            refusal = _not_regular(info.st_mode, path)
            if refusal is not None:
                raise refusal
            if info.st_size > limit:
                raise _Refused(f"file of {info.st_size:,} bytes is over the {_size(limit)} limit (max_bytes): {path}")
            content = handle.read(limit + 1)
    except FileNotFoundError:
        raise _Refused(f"file no longer exists: {path}") from None
    except IsADirectoryError:
        raise _Refused(f"is a folder, not a file: {path}") from None
    except OSError as exc:
        raise _Refused(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(content) > limit:  # grew while we read it
        raise _Refused(f"file is over the {_size(limit)} limit (max_bytes): {path}")
    media_type = media_type_for_name(str(path)) or sniff_media_type(content)
    return _make_document(uri, content, media_type, empty_reason=f"empty file: {path}")


# -- documents, media types, charsets ---------------------------------------------------------------


def _make_document(
    uri: str,
    content: bytes,
    media_type: str,
    *,
    empty_reason: str,
    declared_charset: str | None = None,
    http_status: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> RawDocument:
    """Check the bytes are readable text of a supported type, find their charset, and hash them."""
    if not content.strip():
        raise _Refused(empty_reason)
    binary = _binary_signature(content)
    warnings = ()
    if _is_pdf(content):  # read through its text layer by the extract stage, whatever it was served as
        media_type, charset = "application/pdf", None
    else:
        if media_type not in SUPPORTED_MEDIA_TYPES:
            raise _Refused(_unsupported_message(binary or media_type), status="skipped")
        if binary:
            raise _Refused(f"unsupported content: the body is {binary} though served as {media_type}", status="skipped")
        charset = detect_charset(content, declared_charset, media_type)
        if charset is None:
            raise _Refused(f"unsupported content: the body is binary data, not text (served as {media_type})", "skipped")
        if bad := invalid_bytes(content, charset):
            warnings = (f"{bad} invalid {charset} byte sequence{'s' if bad > 1 else ''} replaced with U+FFFD",)
    return RawDocument(
        source_uri=uri,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=media_type,
        content=content,
        fetched_at=datetime.now(UTC),
        charset=charset,
        http_status=http_status,
        etag=etag,
        last_modified=last_modified,
        warnings=warnings,
    )


def _listing_document(uri: str, reply: _Reply, media_type: str) -> RawDocument:
    """A sitemap or feed as it came: its parser (qbank/links.py) judges the bytes."""
    if not reply.body.strip():
        raise _Refused(f"empty response (HTTP {reply.status} with no body)")
    return RawDocument(
        source_uri=uri,
        sha256=hashlib.sha256(reply.body).hexdigest(),
        media_type=media_type,
        content=reply.body,
        fetched_at=datetime.now(UTC),
        http_status=reply.status,
        etag=reply.headers.get("ETag"),
        last_modified=reply.headers.get("Last-Modified"),
    )


def _media_type_of_reply(reply: _Reply) -> str:
    """The media type to record, from the Content-Type header, the URL's extension, then the bytes
    (extractors/detect.py holds the one table of formats and the sniffing)."""
    header = _mime(reply.headers.get("Content-Type", ""))
    by_name = media_type_for_name(reply.url)
    if header == "application/json":  # a notebook served as JSON; other JSON is refused
        notebook = sniff_media_type(reply.body) == "application/x-ipynb+json"
        return "application/x-ipynb+json" if notebook else header
    if header in _UNDECIDED_MEDIA_TYPES:
        return by_name or sniff_media_type(reply.body)
    if header == "text/plain" and by_name:  # raw file hosts serve .md, .rst and .ipynb as text/plain
        return by_name
    return canonical_media_type(header)


def _mime(content_type: str) -> str:
    """"text/HTML; charset=utf-8" -> "text/html"."""
    return content_type.split(";", 1)[0].strip().lower()


def _unsupported_message(media_type: str) -> str:
    note = _REFUSAL_NOTES.get(media_type)
    suffix = f" ({note})" if note else " (qbank reads HTML, Markdown, plain text, reStructuredText, Org, AsciiDoc, PDF and notebooks)"
    return f"unsupported content type {media_type or 'unknown'}{suffix}"


# -- decompression ----------------------------------------------------------------------------------


class _BoundedDecoder:
    """Undoes one Content-Encoding incrementally and refuses once the output passes `limit` bytes.

    httpx would decompress for us, but without a bound per chunk: one 64 KiB gzip chunk can
    inflate to 64 MiB. Here zlib's `max_length` stops one byte past the cap, and brotli's
    `output_buffer_limit` within one internal block (a few hundred KB) of it.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        self.encoding = content_encoding.strip().lower()
        self.limit = limit
        self.produced = 0
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        self._raw_deflate_tried = False
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.encoding == "br":
            self._brotli = brotli.Decompressor()
        elif self.encoding not in ("", "identity"):
            raise _Refused(f"unsupported content encoding {self.encoding}")

    def decode(self, data: bytes) -> bytes:
        """Decompressed bytes of `data`; refuses once the total would exceed the limit."""
        room = self.limit - self.produced
        try:
            if self._zlib is not None:
                out = self._inflate(data, room)
            elif self._brotli is not None:
                out = self._brotli.process(data, output_buffer_limit=room + 1)
                while len(out) <= room and not self._brotli.can_accept_more_data():
                    out += self._brotli.process(b"", output_buffer_limit=room + 1 - len(out))
            else:
                out = data
        except (zlib.error, brotli.error) as exc:
            raise _Refused(f"corrupt {self.encoding}-compressed response: {_one_line(str(exc))}") from None
        return self._count(out)

    def finish(self) -> bytes:
        """Whatever the decompressor still holds once the input has ended."""
        return self._count(self._zlib.flush()) if self._zlib is not None else b""

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            what = "response" if self.encoding in ("", "identity") else f"{self.encoding}-decompressed response"
            raise _Refused(f"{what} is over the {_size(self.limit)} size limit (max_bytes)")
        return out

    def _inflate(self, data: bytes, room: int) -> bytes:
        assert self._zlib is not None
        try:
            return self._zlib.decompress(data, room + 1)  # max_length: stop one byte past the cap
        except zlib.error:
            # Some servers send "deflate" as raw deflate, without the zlib header.
            if self.encoding != "deflate" or self._raw_deflate_tried or self.produced:
                raise
            self._raw_deflate_tried = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._zlib.decompress(data, room + 1)


# -- storage ----------------------------------------------------------------------------------------


def store_raw(raw: RawDocument, raw_dir: Path) -> RawDocument:
    """Write the bytes content-addressed at `raw_dir/<sha[:2]>/<sha>` and return the record with `raw_path`.

    The path comes from the hash only, never from a URL or title. Writing goes to a temporary file
    renamed into place, so a reader never sees half a file; an existing file is left alone.
    """
    digest = hashlib.sha256(raw.content).hexdigest()
    if raw.sha256 != digest:
        raise ValueError(f"sha256 of {raw.source_uri} does not match its content")
    relative = f"{digest[:2]}/{digest}"
    target = Path(raw_dir) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw.content)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    return replace(raw, raw_path=relative)


# -- messages ---------------------------------------------------------------------------------------


def _status_message(reply: _Reply) -> str:
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "(non-standard status)"
    message = f"HTTP {reply.status} {phrase}"
    if reply.retries:
        message += f" (gave up after {reply.retries} {'retry' if reply.retries == 1 else 'retries'})"
    return message


def _transport_message(exc: httpx.TransportError, url: str, settings: FetchSettings, retries: int) -> str:
    """A connection problem as one line: what happened and where."""
    host = urlsplit(url).netloc
    text = _one_line(str(exc))
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"timed out after {settings.connect_timeout:g}s connecting to {host}"
    elif isinstance(exc, httpx.TimeoutException):
        message = f"timed out after {settings.read_timeout:g}s reading {url}"
    elif isinstance(exc, httpx.ConnectError) and "refused" in lowered:
        message = f"connection refused by {host}"
    elif isinstance(exc, httpx.ConnectError) and any(
        hint in lowered for hint in ("name or service", "nodename", "name resolution", "getaddrinfo", "no address")
    ):
        message = f"could not resolve host {urlsplit(url).hostname}"
    elif isinstance(exc, httpx.ConnectError) and ("ssl" in lowered or "certificate" in lowered):
        message = f"TLS error connecting to {host}: {text}"
    elif isinstance(exc, httpx.RemoteProtocolError) and (short := _SHORT_BODY.search(text)):
        received, expected = int(short["received"]), int(short["expected"])
        message = f"truncated response: {received:,} of the {expected:,} bytes its Content-Length announced arrived from {url}"
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        message = f"connection closed before the whole response arrived from {url}"
    else:
        message = f"network error fetching {url}: {text or type(exc).__name__}"
    if retries:
        message += f" (gave up after {retries} {'retry' if retries == 1 else 'retries'})"
    return message


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _resolve_host(host: str) -> list[str]:
    """The IP addresses a host name resolves to (the system resolver)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _size(n: int) -> str:
    """Bytes as a short human figure: 512 B, 3.2 KB, 10 MB."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} B"


def _one_line(text: str) -> str:
    return " ".join(text.split())
