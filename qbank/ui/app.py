"""The `qbank ui` web app (Starlette, Jinja2 templates, no JavaScript needed): Bank, Cluster, Review, Overview.

Pages read the warehouse through a read-only connection per request (qbank/ui/db.py); the only writes go to
data/curation.yaml (qbank/ui/decisions.py), from forms carrying the server's token. All SQL lives in
warehouse/ui_queries.py. Errors become a page with one line; a warehouse held by an ingest becomes a page
that says so and reloads itself.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qsl

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from qbank.cli.explain import UnknownId, explain, resolve_cluster
from qbank.errors import QbankError, WarehouseBusy
from qbank.export import export_bank
from qbank.settings import Settings
from qbank.ui import decisions, render
from qbank.ui.db import Reader
from qbank.ui.params import PAGE_SIZE, BankQuery
from warehouse import ui_queries

log = logging.getLogger("qbank.ui")
BUSY_RETRY_SECONDS = 3
MAX_FORM_BYTES = 16_384
EXPORT_FORMATS = ("csv", "json")
BANK, REVIEW = ("ui_bank",), ("ui_bank", "ui_pairs")  # the derived tables a page reads (qbank/ui/db.py)


@dataclass
class UiConfig:
    warehouse: Path
    curation: Path  # the data/curation.yaml every ingest applies
    threshold: float  # the dedupe threshold, to rank review pairs by how close they came to it
    token: str  # form token: a page of this server carries it, another site cannot read it


def _templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("qbank.ui", "templates"), autoescape=select_autoescape(default=True))
    env.filters.update(markdown=render.markdown, num=lambda n: f"{n:,}" if isinstance(n, int) else n)
    env.globals.update(source_href=render.source_href, page_size=PAGE_SIZE)
    return Jinja2Templates(env=env)


TEMPLATES = _templates()


def _page(request: Request, name: str, status: int = 200, headers: dict | None = None, **context: object) -> Response:
    config: UiConfig = request.app.state.config
    context.update(token=config.token, warehouse=config.warehouse, curation=config.curation)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    """The posted urlencoded form, after checking its token (and Origin, when the browser sends one)."""
    config: UiConfig = request.app.state.config
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise HTTPException(403, "form posted from another site")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    if not hmac.compare_digest(form.get("token", ""), config.token):
        raise HTTPException(403, "missing or stale form token; reload the page and try again")
    return form


def _reader(request: Request) -> Reader:
    return request.app.state.reader


# -- Bank ------------------------------------------------------------------------------------------------


FACET_TITLES = {"topic": "Topic", "kind": "Kind", "level": "Level", "answered": "Answered",
                "min_sources": "Asked by", "source": "Source"}  # fmt: skip


def facet_sections(facets: dict[str, list], query: BankQuery, labels: dict[str, str]) -> list[tuple]:
    """(title, URL parameter, [(value, label, count)], selected value) per facet, in page order."""
    label = {
        "topic": lambda v: labels.get(v, v),
        "answered": lambda v: "answered" if v == "yes" else "not answered",
        "min_sources": lambda v: f"{v}+ sources",
        "source": lambda v: v.rstrip("/").rsplit("/", 1)[-1] or v,  # the full URI is the link's title
    }
    selected = query.params()
    return [
        (title, name, [(value, label.get(name, str)(value), n) for value, n in facets[name]],
         selected.get(name))
        for name, title in FACET_TITLES.items()
    ]  # fmt: skip


def bank(request: Request) -> Response:
    query = BankQuery.from_params(request.query_params)
    with _reader(request).read(BANK) as con:
        total, rows = ui_queries.bank_page(con, query.filters, query.sort, PAGE_SIZE, query.offset)
        facets = ui_queries.facet_counts(con, query.filters)
        labels = ui_queries.topic_labels(con)
    pages = max(1, -(-total // PAGE_SIZE))
    return _page(request, "bank.html", query=query, total=total, rows=rows, sections=facet_sections(facets, query, labels),
                 labels=labels, pages=pages, formats=EXPORT_FORMATS)  # fmt: skip


def export(request: Request) -> Response:
    """The files `qbank export` writes for this view's filters, in one zip."""
    query = BankQuery.from_params(request.query_params)
    fmt = request.query_params.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise HTTPException(400, f"unknown format {fmt!r}; choose {' or '.join(EXPORT_FORMATS)}")
    config: UiConfig = request.app.state.config
    with tempfile.TemporaryDirectory() as tmp:
        paths = export_bank(config.warehouse, Path(tmp), [fmt], query.filters)
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.relative_to(tmp).as_posix())
    headers = {"Content-Disposition": f'attachment; filename="qbank-export-{fmt}.zip"'}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


# -- Cluster ---------------------------------------------------------------------------------------------


def _decision_rows(con, config: UiConfig, only: set[str] | None = None) -> list[dict]:
    """Decisions in curation.yaml (those naming a question in `only`, when given), each with its status."""
    found = decisions.read_decisions(config.curation)
    if only is not None:
        found = [d for d in found if only & set(d.refs)]
    refs = sorted({r for d in found for r in d.refs if r.startswith("q_")})
    placed = ui_queries.placement(con, refs)
    texts = ui_queries.question_texts(con, refs)
    related = None
    if ui_queries.has_table(con, "related"):
        clusters = {placed[r][0] for r in refs if r in placed}
        related = {tuple(sorted((c, r["cluster_id"]))) for c in clusters for r in ui_queries.related_clusters(con, c)}
    rows = [
        {"kind": d.kind, "refs": [(r, texts.get(r, r), placed.get(r, (None,))[0]) for r in d.refs],
         "status": decisions.status(d, placed, related)}
        for d in found
    ]  # fmt: skip
    return sorted(rows, key=lambda row: row["status"] != "pending")


def cluster(request: Request) -> Response:
    ref = request.path_params["ref"]
    config: UiConfig = request.app.state.config
    with _reader(request).read() as con:
        try:
            cluster_id, _ = resolve_cluster(con, ref)
        except UnknownId as error:
            raise HTTPException(404, str(error)) from None
        if cluster_id != ref:
            return RedirectResponse(f"/cluster/{cluster_id}", status_code=303)
        row = ui_queries.cluster_row(con, cluster_id)
        variants = ui_queries.cluster_variants(con, cluster_id)
        why = explain(con, cluster_id)
        merges = ui_queries.cluster_merges(con, cluster_id)
        related = ui_queries.related_clusters(con, cluster_id)
        pending = _decision_rows(con, config, {v["question_id"] for v in variants})
        labels = ui_queries.topic_labels(con)
    joined = {m.question_id: m for m in why.members}
    return _page(request, "cluster.html", row=row, variants=variants, joined=joined, near=why.near_misses,
                 merges=merges, related=related, decisions=pending, labels=labels)  # fmt: skip


async def choose_canonical(request: Request) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_choose_canonical, request, form)


def _choose_canonical(request: Request, form: dict[str, str]) -> Response:
    cluster_id, question_id = request.path_params["cluster_id"], form.get("question_id", "")
    config: UiConfig = request.app.state.config
    with _reader(request).read() as con:
        members = [v["question_id"] for v in ui_queries.cluster_variants(con, cluster_id)]
        texts = ui_queries.question_texts(con, members)
    if question_id not in members:
        raise HTTPException(400, f"{question_id} is not a member of {cluster_id}")
    decisions.record_canonical(config.curation, question_id, members, texts)
    return RedirectResponse(f"/cluster/{cluster_id}#decisions", status_code=303)


async def split_member(request: Request) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_split_member, request, form)


def _split_member(request: Request, form: dict[str, str]) -> Response:
    """Split a member out: it must never share a cluster with the canonical question again."""
    cluster_id, question_id = request.path_params["cluster_id"], form.get("question_id", "")
    config: UiConfig = request.app.state.config
    with _reader(request).read() as con:
        variants = ui_queries.cluster_variants(con, cluster_id)
    canonical = next((v["question_id"] for v in variants if v["is_canonical"]), None)
    texts = {v["question_id"]: v["question"] for v in variants}
    if question_id not in texts or question_id == canonical or canonical is None:
        raise HTTPException(400, "split out a member other than the canonical question (choose another canonical first)")
    decisions.record_pair(config.curation, "different", canonical, question_id, texts)
    return RedirectResponse(f"/cluster/{cluster_id}#decisions", status_code=303)


# -- Review ----------------------------------------------------------------------------------------------


def review(request: Request) -> Response:
    config: UiConfig = request.app.state.config
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    with _reader(request).read(REVIEW) as con:
        recorded = decisions.read_decisions(config.curation)
        left, pair = ui_queries.review_queue(con, decisions.decided_pairs(recorded), offset)
        if pair is None and offset and left:  # skipped past the end: start again from the top
            return RedirectResponse("/review", status_code=303)
        rows = _decision_rows(con, config)
    return _page(request, "review.html", pair=pair, left=left, offset=offset, decisions=rows,
                 threshold=config.threshold)  # fmt: skip


async def decide(request: Request) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_decide, request, form)


def _decide(request: Request, form: dict[str, str]) -> Response:
    config: UiConfig = request.app.state.config
    a, b, kind = form.get("a", ""), form.get("b", ""), form.get("decision", "")
    offset = form.get("offset", "0")
    if kind == "skip":
        return RedirectResponse(f"/review?offset={int(offset) + 1 if offset.isdigit() else 1}", status_code=303)
    if kind not in decisions.PAIR_LISTS:
        raise HTTPException(400, f"unknown decision {kind!r}")
    with _reader(request).read() as con:
        texts = ui_queries.question_texts(con, [a, b])
    if len(texts) != 2:
        raise HTTPException(400, "both questions must be in the bank")
    decisions.record_pair(config.curation, kind, a, b, texts)
    return RedirectResponse(f"/review?offset={offset if offset.isdigit() else 0}", status_code=303)


# -- Overview --------------------------------------------------------------------------------------------


def overview(request: Request) -> Response:
    with _reader(request).read(BANK) as con:
        facts = ui_queries.overview(con)
        topics = ui_queries.facet_counts(con, BankQuery().filters)["topic"]
        labels = ui_queries.topic_labels(con)
    everything = BankQuery()
    topic_chart = render.bar_chart([(labels.get(t, t), n, everything.url(topic=t)) for t, n in topics])
    source_chart = render.bar_chart([(uri, n, everything.url(source=uri)) for uri, n in facts["per_source"]])
    histogram = render.column_chart([("10+" if s >= 10 else str(s), n) for s, n in facts["histogram"]])
    totals = facts["totals"]
    answered = render.share_bar(totals["answered"], totals["clusters"])
    return _page(request, "overview.html", facts=facts, totals=totals, topic_chart=topic_chart,
                 source_chart=source_chart, histogram=histogram, answered=answered)  # fmt: skip


# -- errors ----------------------------------------------------------------------------------------------


def _busy(request: Request, error: Exception) -> Response:
    return _page(request, "busy.html", status=503, headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
                 message=str(error), retry=BUSY_RETRY_SECONDS, posted=request.method == "POST")  # fmt: skip


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return _page(request, "error.html", status=error.status_code, message=error.detail)


def _qbank_error(request: Request, error: Exception) -> Response:
    return _page(request, "error.html", status=400, message=str(error))


def _crash(request: Request, error: Exception) -> Response:
    log.exception("qbank ui: %s %s failed", request.method, request.url.path)
    first = (str(error).splitlines() or [error.__class__.__name__])[0]
    return _page(request, "error.html", status=500, message=f"{error.__class__.__name__}: {first}")


def warm_up(app: Starlette) -> None:
    """Read the bank index now (seconds on a bank of 100k questions), so that the first page is quick.
    A busy warehouse is left for the pages to report."""
    try:
        with app.state.reader.read(BANK):
            pass
    except WarehouseBusy:
        pass


def create_app(settings: Settings, token: str | None = None) -> Starlette:
    """The app over `settings.warehouse`, writing decisions to `settings.data_dir / "curation.yaml"`."""
    config = UiConfig(
        warehouse=Path(settings.warehouse), curation=Path(settings.data_dir) / "curation.yaml",
        threshold=settings.dedupe.threshold, token=token or secrets.token_urlsafe(32),
    )  # fmt: skip
    app = Starlette(
        routes=[
            Route("/", bank),
            Route("/export", export),
            Route("/cluster/{ref}", cluster),
            Route("/cluster/{cluster_id}/canonical", choose_canonical, methods=["POST"]),
            Route("/cluster/{cluster_id}/split", split_member, methods=["POST"]),
            Route("/review", review),
            Route("/review", decide, methods=["POST"]),
            Route("/overview", overview),
            Mount("/static", StaticFiles(packages=[("qbank.ui", "static")]), name="static"),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])],
        exception_handlers={
            WarehouseBusy: _busy, HTTPException: _http_error, QbankError: _qbank_error, Exception: _crash,
        },  # fmt: skip
    )
    app.state.config = config
    app.state.reader = Reader(config.warehouse, config.threshold)
    return app
