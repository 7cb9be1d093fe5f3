"""A generated web site on 127.0.0.1 for the discovery tests and the crawl benchmark.

    with serve_site(articles=12, big=10_000) as site:
        site.url("/interview-questions/")     # http://127.0.0.1:PORT/interview-questions/
        site.requests()                       # every request: path, status, whether it was conditional

What it holds (every page answers a matching If-None-Match with 304 Not Modified):

    /robots.txt                   disallows /private/; names /sitemap_index.xml
    /sitemap_index.xml            a sitemap index: sitemaps/articles.xml, sitemaps/more.xml.gz (gzip file),
                                  sitemaps/missing.xml (404)
    /sitemaps/articles.xml        the first half of the articles, /about, /private/notes, image entries
    /sitemaps/more.xml.gz         the other half, /tags/python (served as application/gzip)
    /sitemaps/loop.xml            an index listing itself and /sitemap_index.xml
    /feed.xml                     RSS: the first five articles and /blog/hello
    /atom.xml                     Atom: the last three articles, relative links under xml:base
    /interview-questions/         the crawl's start: pages ?page=2 and ?page=3 (pagination, linking back),
                                  three articles each, /private/draft, /big, a link to `other` (another
                                  host), an image, a mailto: and an anchor (`per_page` and `hub_pages`
                                  make the listing larger, for the benchmark)
    /questions/K                  an article with two interview questions; links back to the start (a loop)
                                  and on to /questions/K+1
    /big                          links to /big/0 ... /big/{big-1}
    /awesome/README.md            an awesome list (Markdown): two articles, a page on `other`, a private
                                  page, an image, a relative link and a link back to itself
    /private/...                  pages robots.txt disallows (a polite crawler never asks for them)

Nothing here comes from /work/shared: the questions are made up from the word lists below.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_SUBJECTS = ("a hash map", "gradient descent", "a database index", "the CAP theorem", "a closure", "TCP slow start",
             "a bloom filter", "dropout", "a Kubernetes pod", "the GIL", "a B-tree", "backpropagation",
             "consistent hashing", "a race condition", "regularization", "a load balancer")  # fmt: skip
_ASKS = ("What is {s} and when would you use it?", "How would you explain {s} to a junior engineer?",
         "What are the trade-offs of {s} in production?", "Describe a bug you met that involved {s}.")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Request:
    path: str  # with its query string
    status: int
    conditional: bool  # sent If-None-Match or If-Modified-Since
    at: float  # time.monotonic() when it arrived


class Site:
    """The pages of the generated site, by path; `other` is the origin of the off-host link."""

    def __init__(
        self, articles: int, big: int, other: str, slow: float = 0.0, per_page: int = 3, hub_pages: int = 3
    ) -> None:
        self.articles = articles
        self.per_page = per_page  # articles linked from each page of the listing
        self.hub_pages = hub_pages  # pages of the listing; more than 3: page 1 links to every page
        self.big = big
        self.other = other
        self.slow = slow  # seconds each page takes to answer (for the time-limit test)
        self.base = ""  # set once the server listens
        self.other_site: Site | None = None  # the host `other` names, when served by serve_site
        self.log: list[Request] = []
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base + path

    def requests(self, prefix: str = "/") -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

    def record(self, request: Request) -> None:
        with self._lock:
            self.log.append(request)

    def article_paths(self) -> list[str]:
        return [f"/questions/{k}" for k in range(1, self.articles + 1)]

    # -- pages ---------------------------------------------------------------------------------------

    def page(self, path: str) -> tuple[int, str, bytes] | None:
        """(status, content type, body) of a path (with its query), or None for 404."""
        parts = urlsplit(path)
        route, query = parts.path, parts.query
        if route == "/robots.txt":
            text = f"User-agent: *\nDisallow: /private/\n\nSitemap: {self.base}/sitemap_index.xml\n"
            return 200, "text/plain", text.encode()
        if route == "/sitemap_index.xml":
            return 200, "application/xml", self._index()
        if route == "/sitemaps/loop.xml":  # an index that lists itself and the real index: a loop
            return 200, "text/xml", self._index(("loop.xml", "../sitemap_index.xml"))
        if route == "/sitemaps/articles.xml":
            half = self.article_paths()[: self.articles // 2]
            return 200, "application/xml", _urlset([*half, "/about", "/private/notes"], self.base, images=True)
        if route == "/sitemaps/more.xml.gz":
            rest = self.article_paths()[self.articles // 2 :]
            return 200, "application/gzip", gzip.compress(_urlset([*rest, "/tags/python"], self.base), mtime=0)
        if route == "/feed.xml":
            return 200, "application/rss+xml", self._rss()
        if route == "/atom.xml":
            return 200, "application/atom+xml", self._atom()
        if route == "/interview-questions/":
            page = int(query.removeprefix("page=")) if query.removeprefix("page=").isdigit() else 1
            listed = query in ("", f"page={page}") and page <= self.hub_pages
            return (200, "text/html", self._hub(page)) if listed else None
        if route.startswith("/questions/") and route.removeprefix("/questions/").isdigit():
            k = int(route.removeprefix("/questions/"))
            return (200, "text/html", self._article(k)) if 1 <= k <= self.articles else None
        if route == "/big":
            links = "".join(f'<li><a href="/big/{i}">Page {i}</a></li>' for i in range(self.big))
            return 200, "text/html", _html("A page with many links", f"<ul>{links}</ul>")
        if route.startswith("/big/") and route.removeprefix("/big/").isdigit():
            i = int(route.removeprefix("/big/"))
            body = f'<p>Filler page {i}.</p><p><a href="/big">back</a></p>'
            return (200, "text/html", _html(f"Page {i}", body)) if i < self.big else None
        if route == "/awesome/README.md":
            return 200, "text/markdown", self._readme()
        if route in ("/about", "/blog/hello", "/tags/python") or route.startswith("/private/"):
            return 200, "text/html", _html(route.strip("/").title(), "<p>Nothing to ask here.</p>")
        return None

    def _index(self, names: tuple[str, ...] = ("articles.xml", "more.xml.gz", "missing.xml")) -> bytes:
        entries = "".join(f"<sitemap><loc>{self.base}/sitemaps/{name}</loc></sitemap>" for name in names)
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>').encode()  # fmt: skip

    def _rss(self) -> bytes:
        paths = [*self.article_paths()[:5], "/blog/hello"]
        items = "".join(f"<item><title>Post {p}</title><link>{self.base}{p}</link></item>" for p in paths)
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Questions</title>'
                f"<link>{self.base}/</link>{items}</channel></rss>").encode()  # fmt: skip

    def _atom(self) -> bytes:
        entries = "".join(
            f'<entry><title>Q{k}</title><link rel="alternate" href="questions/{k}"/>'
            f'<link rel="replies" href="/comments/{k}"/></entry>'
            for k in range(max(1, self.articles - 2), self.articles + 1)
        )
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
                f'xml:base="{self.base}/"><title>Questions</title>{entries}</feed>').encode()  # fmt: skip

    def _hub(self, page: int) -> bytes:
        per_page = self.per_page
        first = (page - 1) * per_page + 1
        articles = "".join(
            f'<li><a href="/questions/{k}">Questions {k}</a></li>'
            for k in range(first, min(first + per_page, self.articles + 1))
        )
        nav = []
        if page > 1:
            previous = "/interview-questions/" + (f"?page={page - 1}" if page > 2 else "")
            nav.append(f'<a href="{previous}" rel="prev">previous</a>')
        if page < self.hub_pages:
            nav.append(f'<a href="/interview-questions/?page={page + 1}">next</a>')
        if page == 1 and self.hub_pages > 3:
            nav += [f'<a href="/interview-questions/?page={n}">{n}</a>' for n in range(2, self.hub_pages + 1)]
        extras = ""
        if page == 1:
            extras = (f'<p><a href="/private/draft">draft</a> <a href="/big">all pages</a> '
                      f'<a href="{self.other}/elsewhere">elsewhere</a> <img src="/logo.png"> '
                      f'<a href="/logo.png">logo</a> <a href="mailto:a@example.org">mail</a> '
                      f'<a href="#top">top</a></p>')  # fmt: skip
        return _html(f"Interview questions, page {page}", f"<ul>{articles}</ul><nav>{' '.join(nav)}</nav>{extras}")

    def _readme(self) -> bytes:
        return (f"# Awesome interview questions\n\n![logo]({self.base}/logo.png)\n\n"
                f"- [Hash maps]({self.base}/questions/1) - the classic.\n"
                f"- [Gradient descent](/questions/2)\n- [Elsewhere]({self.other}/elsewhere)\n"
                f"- [Drafts]({self.base}/private/drafts)\n- [Contributing](CONTRIBUTING.md)\n"
                f"- [Logo]({self.base}/logo.png)\n- [Top](#awesome-interview-questions)\n").encode()  # fmt: skip

    def _article(self, k: int) -> bytes:
        subject = _SUBJECTS[k % len(_SUBJECTS)]
        first = _ASKS[k % len(_ASKS)].format(s=f"{subject} (case {k})")
        second = _ASKS[(k + 1) % len(_ASKS)].format(s=f"{subject} in system number {k}")
        onward = f'<a href="/questions/{k + 1}">next article</a>' if k < self.articles else ""
        body = (f"<h2>1. {first}</h2><p>It depends on the workload; measure first.</p>"
                f"<h2>2. {second}</h2><p>Start from the failure modes.</p>"
                f'<p><a href="/interview-questions/">all questions</a> {onward}</p>')  # fmt: skip
        return _html(f"Interview questions {k}", body)


def _html(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><main><h1>{title}</h1>{body}</main></body></html>").encode()  # fmt: skip


def _urlset(paths: list[str], base: str, images: bool = False) -> bytes:
    image_ns = ' xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"' if images else ""
    image = f"<image:image><image:loc>{base}/logo.png</image:loc></image:image>" if images else ""
    urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>2024-01-01</lastmod>{image}</url>" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            f"{image_ns}>{urls}</urlset>").encode()  # fmt: skip


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the body back
        # until the client's delayed ACK (40 ms on Linux), which would make every page take 40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            arrived = time.monotonic()
            found = site.page(self.path)
            conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
            if found is None:
                status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
            else:
                status, content_type, body = found
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers = {"Content-Type": content_type, "ETag": etag}
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            site.record(Request(self.path, status, conditional, arrived))
            if site.slow and not self.path.startswith("/robots.txt"):
                time.sleep(site.slow)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    return Handler


@contextmanager
def serve_site(
    articles: int = 12, big: int = 10_000, slow: float = 0.0, per_page: int = 3, hub_pages: int = 3
) -> Iterator[Site]:
    """The generated site on 127.0.0.1 (a free port) and an `other` host beside it, both stopped on exit.
    `site.other_site` is the other host's Site, whose log shows whether a crawl strayed to it."""
    other = Site(articles=0, big=0, other="")
    with _listening(other) as other_base:
        site = Site(articles, big, other_base, slow=slow, per_page=per_page, hub_pages=hub_pages)
        site.other_site = other
        with _listening(site):
            yield site


@contextmanager
def _listening(site: Site) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
