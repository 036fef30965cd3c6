"""Download ClinicalTrials.gov studies (API v2) and PubMed records (E-utilities efetch).

Files are named by identifier (``NCT01234567.json``, ``pubmed-12345678.xml``) and written
atomically, so an interrupted run leaves only whole files; a rerun skips the files it has and
goes on from the last page it saved (``.fetch-state.json``). E-utilities requests keep to
NCBI's published limit: 3 per second, 10 with an API key (``$NCBI_API_KEY``). Failed requests
are retried with exponential backoff, honouring ``Retry-After``. Base URLs can be changed
(``$KG_CTGOV_BASE``, ``$KG_EUTILS_BASE``), which is how the tests point at a local server.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg import __version__
from kg.export import atomic_write

__all__ = [
    "CTGOV_BASE",
    "EUTILS_BASE",
    "FetchError",
    "Fetcher",
    "RateLimit",
    "fetch_ctgov",
    "fetch_pubmed",
]

CTGOV_BASE = "https://clinicaltrials.gov/api/v2"
EUTILS_BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
_PAGE_SIZE = 100
_EFETCH_BATCH = 200
_ARTICLE = re.compile(rb"<PubmedArticle[\s>].*?</PubmedArticle>", re.S)
_PMID = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")
STATE = ".fetch-state.json"


class FetchError(RuntimeError):
    """A request that failed for good (after its retries)."""


class RateLimit:
    """At most ``per_second`` requests a second, spaced evenly."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                time.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


@dataclass
class Fetcher:
    """HTTP GET with retries and backoff; ``sleep`` is replaceable for tests."""

    retries: int = 4
    backoff: float = 1.0
    timeout: float = 60.0
    limit: RateLimit | None = None
    sleep: Callable[[float], None] = time.sleep
    requests: int = field(default=0, init=False)

    def get(self, url: str) -> bytes:
        headers = {"User-Agent": f"cdekg/{__version__} (kg fetch)"}
        for attempt in range(self.retries + 1):
            if self.limit is not None:
                self.limit.wait()
            self.requests += 1
            try:
                request = urllib.request.Request(url, headers=headers)
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return bytes(response.read())
            except urllib.error.HTTPError as error:
                retry = error.code == 429 or error.code >= 500
                if not retry or attempt == self.retries:
                    raise FetchError(f"{url}: HTTP {error.code} {error.reason}") from None
                delay = _retry_after(error.headers.get("Retry-After")) or self._delay(attempt)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if attempt == self.retries:
                    raise FetchError(f"{url}: {error}") from None
                delay = self._delay(attempt)
            self.sleep(delay)
        raise FetchError(f"{url}: no answer")  # not reached

    def _delay(self, attempt: int) -> float:
        return self.backoff * 2**attempt


def _retry_after(value: str | None) -> float | None:
    return float(value) if value and value.strip().isdigit() else None


def _ctgov_base() -> str:
    return os.environ.get("KG_CTGOV_BASE", CTGOV_BASE).rstrip("/")


def _eutils_base() -> str:
    return os.environ.get("KG_EUTILS_BASE", EUTILS_BASE).rstrip("/")


@dataclass
class Report:
    """What a fetch saved, skipped (already there) and could not get."""

    saved: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _have(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def fetch_ctgov(
    out: Path,
    *,
    ids: Iterable[str] = (),
    query: str | None = None,
    with_results: bool = False,
    fetcher: Fetcher | None = None,
    progress: Callable[[str, int | None], None] = lambda _msg, _total: None,
) -> Report:
    """Save each study as ``out/NCT….json``: the ids given, or every study a query finds."""
    fetcher = fetcher or Fetcher()
    base = _ctgov_base()
    out.mkdir(parents=True, exist_ok=True)
    report = Report()
    for nct in ids:
        path = out / f"{nct}.json"
        if _have(path):
            report.skipped.append(path)
            progress(nct, None)
            continue
        try:
            atomic_write(path, fetcher.get(f"{base}/studies/{urllib.parse.quote(nct)}"))
            report.saved.append(path)
        except FetchError as error:
            report.failed.append(str(error))
        progress(nct, None)
    if query is not None:
        _query(out, base, query, with_results, fetcher, report, progress)
    return report


def _query(
    out: Path,
    base: str,
    query: str,
    with_results: bool,
    fetcher: Fetcher,
    report: Report,
    progress: Callable[[str, int | None], None],
) -> None:
    """Page through a search; the next page token is saved after each page (for a resume)."""
    params: dict[str, str] = {
        "query.term": query,
        "pageSize": str(_PAGE_SIZE),
        "countTotal": "true",
        "format": "json",
    }
    if with_results:
        params["aggFilters"] = "results:with"
    state_path = out / STATE
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    token = state.get("nextPageToken") if state.get("params") == params else None
    while True:
        url = f"{base}/studies?" + urllib.parse.urlencode(
            {**params, **({"pageToken": token} if token else {})}
        )
        try:
            page = json.loads(fetcher.get(url))
        except (FetchError, json.JSONDecodeError) as error:
            report.failed.append(str(error))
            return
        total = page.get("totalCount")
        for study in page.get("studies", []):
            nct = study.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
            if not nct:
                continue
            path = out / f"{nct}.json"
            if _have(path):
                report.skipped.append(path)
            else:
                atomic_write(path, json.dumps(study, ensure_ascii=False, indent=1).encode())
                report.saved.append(path)
            progress(nct, total)
        token = page.get("nextPageToken")
        if not token:
            state_path.unlink(missing_ok=True)
            return
        atomic_write(state_path, json.dumps({"params": params, "nextPageToken": token}).encode())


def fetch_pubmed(
    out: Path,
    pmids: Iterable[str],
    *,
    fetcher: Fetcher | None = None,
    api_key: str | None = None,
    progress: Callable[[str, int | None], None] = lambda _msg, _total: None,
) -> Report:
    """Save each PubMed record as ``out/pubmed-PMID.xml`` (efetch, in batches of 200)."""
    api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY")
    fetcher = fetcher or Fetcher()
    fetcher.limit = fetcher.limit or RateLimit(10 if api_key else 3)
    out.mkdir(parents=True, exist_ok=True)
    report = Report()
    wanted = []
    for pmid in dict.fromkeys(pmids):
        path = out / f"pubmed-{pmid}.xml"
        if _have(path):
            report.skipped.append(path)
            progress(pmid, None)
        else:
            wanted.append(pmid)
    for batch in _batches(wanted, _EFETCH_BATCH):
        params = {"db": "pubmed", "id": ",".join(batch), "retmode": "xml"}
        if api_key:
            params["api_key"] = api_key
        try:
            data = fetcher.get(f"{_eutils_base()}/efetch.fcgi?" + urllib.parse.urlencode(params))
        except FetchError as error:
            report.failed.append(str(error))
            continue
        found = set()
        for pmid, article in _articles(data):
            if pmid in batch:
                atomic_write(out / f"pubmed-{pmid}.xml", article)
                report.saved.append(out / f"pubmed-{pmid}.xml")
                found.add(pmid)
                progress(pmid, None)
        report.failed += [f"PMID {p}: not in the efetch answer" for p in batch if p not in found]
    return report


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _articles(data: bytes) -> Iterator[tuple[str, bytes]]:
    """Each ``PubmedArticle`` of an efetch answer, verbatim, in a set of its own."""
    for match in _ARTICLE.finditer(data):
        pmid = _PMID.search(match.group())
        if pmid:
            body = b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + match.group()
            yield pmid[1].decode(), body + b"\n</PubmedArticleSet>\n"
