"""A read-only SPARQL 1.1 Protocol endpoint over the built graph (Starlette + uvicorn).

Safe by default: SPARQL Update is refused; SERVICE, FROM/FROM NAMED and the protocol's
dataset parameters are refused unless the operator allows remote access (pyoxigraph would
fetch them); each query runs in a worker process that is killed past the time limit;
answers larger than the cap are refused; every bad request gets a 4xx with a message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from kg import paths
from kg.api import display_prefixes
from kg.catalog import load_catalog
from kg.engine import ResultTooLarge
from kg.results import GRAPH_FORMATS, QueryResult
from kg.sparql import QueryError, QueryRefused
from kg.workers import QueryFailed, QueryTimeout, WorkerPool

__all__ = ["EndpointSettings", "create_app"]

log = logging.getLogger("kg.endpoint")

# media type (and wildcards) -> results format, for SELECT and for ASK
_ROW_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "*/*": "json",
    "application/*": "json",
    "text/*": "csv",
    "text/html": "json",  # a browser following a link
}
_ASK_TYPES = {k: v for k, v in _ROW_TYPES.items() if v not in ("csv", "tsv")} | {"text/*": "json"}
_GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "*/*": "turtle",
    "text/*": "turtle",
    "application/*": "nt",
    "text/html": "turtle",
}
# short names accepted in the non-standard but common ?format= parameter
_SHORT = {
    "json": "json",
    "xml": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "turtle": "turtle",
    "ttl": "turtle",
    "nt": "nt",
    "jsonld": "jsonld",
    "rdfxml": "rdfxml",
}
_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    **{
        name: f"{media}; charset=utf-8" if media.startswith("text/") else media
        for name, media in GRAPH_FORMATS.items()
    },
}
_PAGE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass
class EndpointSettings:
    """What the operator chose; the defaults are the safe ones."""

    graph_files: list[Path]
    timeout: float = 10.0
    max_results: int = 10_000
    max_chars: int = 16_000_000  # characters in all terms of one answer
    memory_mb: int | None = 4096  # address space of each worker
    max_query_bytes: int = 64 * 1024
    workers: int = 2
    allow_remote: bool = False
    queries: Path = paths.QUERIES
    ontology: bool = True


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


def _accept(header: str, table: dict[str, str]) -> str | None:
    """The format for an Accept header, by q-value then order; None if nothing fits."""
    if not header.strip():
        return table["*/*"]
    choices: list[tuple[float, int, str]] = []
    for order, part in enumerate(header.split(",")[:64]):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param[:2].lower() == "q=":
                try:
                    q = min(max(float(param[2:]), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        choices.append((-q, order, media.lower()))
    for negative_q, _, media in sorted(choices):
        if negative_q == 0:
            break
        if media in table:
            return table[media]
    return None


async def _read_query(request: Request, settings: EndpointSettings) -> tuple[str | None, dict]:
    """The query text and the protocol parameters of a GET or POST request."""
    if request.method == "GET":
        try:
            params = parse_qs(request.url.query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise _HttpError(400, "the query string is not valid UTF-8") from None
        if "update" in params:
            raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
        queries = params.get("query", [])
    else:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await _bounded_body(request, settings.max_query_bytes * 3)
        if ctype == "application/sparql-update":
            raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
        if ctype == "application/sparql-query":
            try:
                return body.decode("utf-8"), parse_qs(request.url.query)
            except UnicodeDecodeError:
                raise _HttpError(400, "the query is not valid UTF-8") from None
        if ctype != "application/x-www-form-urlencoded":
            raise _HttpError(
                415,
                "send the query as application/sparql-query or "
                "application/x-www-form-urlencoded (query=...)",
            )
        try:
            form = body.decode("ascii")  # URL-encoded: anything else is not a form
            params = parse_qs(form, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise _HttpError(400, "the form is not valid UTF-8") from None
        params = {**parse_qs(request.url.query), **params}
        if "update" in params:
            raise _HttpError(403, "SPARQL Update is not accepted: this endpoint is read-only")
        queries = params.get("query", [])
    if len(queries) > 1:
        raise _HttpError(400, "give exactly one query parameter")
    return (queries[0] if queries else None), params


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _HttpError(413, f"the request is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _HttpError(413, f"the request is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: EndpointSettings, pool: WorkerPool | None = None) -> Starlette:
    """The ASGI app; starts its worker processes unless a ``pool`` is given."""
    pool = pool or WorkerPool(
        settings.graph_files,
        size=settings.workers,
        ontology=settings.ontology,
        memory_mb=settings.memory_mb,
    )
    prefixes = display_prefixes()
    catalog = load_catalog(settings.queries)

    async def sparql(request: Request) -> Response:
        try:
            text, params = await _read_query(request, settings)
            if text is None:
                if "text/html" in request.headers.get("accept", ""):
                    return _page()
                return Response(_service_description(request), media_type="text/turtle")
            return await _answer(request, text, params)
        except _HttpError as error:
            return PlainTextResponse(error.message + "\n", status_code=error.status)
        except Exception:  # never let a request take the server down
            log.exception("unexpected error answering a query")
            return PlainTextResponse("internal error; see the server log\n", status_code=500)

    async def _answer(request: Request, text: str, params: dict) -> Response:
        if not text.strip():
            raise _HttpError(400, "the query is empty")
        if len(text.encode("utf-8")) > settings.max_query_bytes:
            raise _HttpError(413, f"the query is longer than {settings.max_query_bytes} bytes")
        if (params.get("default-graph-uri") or params.get("named-graph-uri")) and not (
            settings.allow_remote
        ):
            raise _HttpError(400, "default-graph-uri / named-graph-uri are not supported here")
        # all checking happens in the worker, under its time limit; the format is chosen
        # once the query form is known
        try:
            outcome = await run_in_threadpool(
                pool.run,
                text,
                timeout=settings.timeout,
                max_results=settings.max_results,
                max_chars=settings.max_chars,
                allow_remote=settings.allow_remote,
            )
        except QueryTimeout as error:
            raise _HttpError(503, str(error)) from None
        except ResultTooLarge as error:
            raise _HttpError(400, str(error)) from None
        except QueryError as error:
            raise _HttpError(400, f"query syntax error: {error}") from None
        except QueryRefused as error:
            raise _HttpError(403, str(error)) from None
        except QueryFailed as error:
            raise _HttpError(400, f"the query failed: {error}") from None
        table = {"ASK": _ASK_TYPES, "SELECT": _ROW_TYPES}.get(outcome.form, _GRAPH_TYPES)
        wanted = params.get("format", [None])[0]
        if wanted:
            fmt = _SHORT.get(wanted.lower()) or table.get(wanted.lower())
        else:
            fmt = _accept(request.headers.get("accept", ""), table)
        if fmt is None or fmt not in table.values():
            offered = ", ".join(sorted(k for k in table if "*" not in k and k != "text/html"))
            raise _HttpError(
                406,
                f"cannot answer this {outcome.form} query in the requested type; "
                f"offered: {offered}",
            )
        body = QueryResult(outcome, prefixes).serialize(fmt)
        return Response(body, media_type=_MEDIA[fmt])

    async def queries(request: Request) -> Response:
        listed = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "parameters": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "default": p.default,
                        "description": p.description,
                    }
                    for p in q.parameters
                ],
                "text": q.text,
            }
            for q in catalog.values()
        ]
        return JSONResponse(listed)

    async def home(request: Request) -> Response:
        return _page()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "triples": pool.triples})

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/sparql", sparql, methods=["GET", "POST"]),
            Route("/queries", queries),
            Route("/health", health),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type", "Accept"],
                max_age=600,
            )
        ],
        lifespan=_closing(pool),
    )
    return app


def _closing(pool: WorkerPool) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    return lifespan


def _service_description(request: Request) -> str:
    endpoint = str(request.url.replace(query=""))
    formats = " ,\n        ".join(
        f"<http://www.w3.org/ns/formats/{name}>"
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "JSON-LD",
        )
    )
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
        f"[] a sd:Service ;\n    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"    sd:resultFormat {formats} .\n"
    )


def _page() -> HTMLResponse:
    html = (Path(__file__).parent / "templates" / "sparql.html").read_text(encoding="utf-8")
    return HTMLResponse(
        html,
        headers={"Content-Security-Policy": _PAGE_CSP, "X-Content-Type-Options": "nosniff"},
    )
