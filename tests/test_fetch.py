"""``kg fetch`` against a local HTTP server serving the fixtures: nothing leaves the machine."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kg.cli import main
from kg.sources.fetch import Fetcher, RateLimit, fetch_ctgov, fetch_pubmed
from tests.sources_helpers import fixtures


class _Server:
    """Answers like API v2 and efetch; ``fail`` maps a path prefix to failures left."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        self.fail: dict[str, int] = {}
        self.times: list[float] = []

    def answer(self, path: str) -> tuple[int, bytes]:
        import time

        self.requests.append(path)
        self.times.append(time.monotonic())
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        for prefix, left in self.fail.items():
            if path.startswith(prefix) and left:
                self.fail[prefix] = left - 1
                return 503, b"busy"
        v2 = self.root / "ctgov-v2"
        if url.path.startswith("/api/v2/studies/"):
            file = v2 / f"{url.path.rsplit('/', 1)[1]}.json"
            return (200, file.read_bytes()) if file.is_file() else (404, b"no such study")
        if url.path == "/api/v2/studies":
            pages = [["NCT02552212", "NCT00763412"], ["NCT05594173"]]
            index = int(query.get("pageToken", "p0")[1:])
            page = {
                "studies": [json.loads((v2 / f"{n}.json").read_bytes()) for n in pages[index]],
                "totalCount": 3,
            }
            if index + 1 < len(pages):
                page["nextPageToken"] = f"p{index + 1}"
            return 200, json.dumps(page).encode()
        if url.path == "/eutils/efetch.fcgi":
            data = (self.root / "pubmed" / "biopython_pubmed2.xml").read_bytes()
            data += (self.root / "pubmed" / "pubmed-29768149.xml").read_bytes()
            return 200, data
        return 404, b"?"


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    state = _Server(fixtures())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code, body = state.answer(self.path)
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("KG_CTGOV_BASE", f"{base}/api/v2")
    monkeypatch.setenv("KG_EUTILS_BASE", f"{base}/eutils")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    yield state
    httpd.shutdown()
    httpd.server_close()


def quick(**kwargs: object) -> Fetcher:
    return Fetcher(backoff=0.01, timeout=5, **kwargs)  # type: ignore[arg-type]


def test_ids_are_saved_by_name_and_skipped_on_a_rerun(server: _Server, tmp_path: Path) -> None:
    report = fetch_ctgov(tmp_path, ids=["NCT02552212"], fetcher=quick())
    saved = tmp_path / "NCT02552212.json"
    assert report.saved == [saved]
    assert saved.read_bytes() == (fixtures() / "ctgov-v2" / "NCT02552212.json").read_bytes()
    again = fetch_ctgov(tmp_path, ids=["NCT02552212"], fetcher=quick())
    assert again.skipped == [saved] and len(server.requests) == 1


def test_a_query_pages_with_page_tokens(server: _Server, tmp_path: Path) -> None:
    report = fetch_ctgov(tmp_path, query="certolizumab", with_results=True, fetcher=quick())
    assert sorted(p.name for p in report.saved) == [
        "NCT00763412.json",
        "NCT02552212.json",
        "NCT05594173.json",
    ]
    assert (
        "pageToken=p1" in server.requests[1] and "aggFilters=results%3Awith" in server.requests[0]
    )
    assert not (tmp_path / ".fetch-state.json").exists()


def test_retries_with_backoff(server: _Server, tmp_path: Path) -> None:
    server.fail["/api/v2/studies/NCT00763412"] = 2
    waits: list[float] = []
    report = fetch_ctgov(tmp_path, ids=["NCT00763412"], fetcher=quick(sleep=waits.append))
    assert report.saved and waits == [0.01, 0.02]


def test_an_interrupted_query_resumes_at_its_page(server: _Server, tmp_path: Path) -> None:
    server.fail["/api/v2/studies?"] = 0
    first = fetch_ctgov(tmp_path, query="x", fetcher=quick(retries=0))
    assert len(first.saved) == 3
    for path in first.saved:
        path.unlink()
    server.fail["/api/v2/studies?"] = 0
    # the second page fails for good: two files and the token of the next page stay
    server.requests.clear()
    original = server.answer

    def second_page_down(path: str) -> tuple[int, bytes]:
        return (503, b"") if "pageToken=p1" in path else original(path)

    server.answer = second_page_down  # type: ignore[method-assign]
    broken = fetch_ctgov(tmp_path, query="x", fetcher=quick(retries=1, sleep=lambda _: None))
    assert len(broken.saved) == 2 and broken.failed
    assert json.loads((tmp_path / ".fetch-state.json").read_text())["nextPageToken"] == "p1"
    server.answer = original  # type: ignore[method-assign]
    server.requests.clear()
    resumed = fetch_ctgov(tmp_path, query="x", fetcher=quick())
    assert [p.name for p in resumed.saved] == ["NCT05594173.json"]
    assert len(server.requests) == 1 and "pageToken=p1" in server.requests[0]


def test_pubmed_efetch_saves_one_file_per_pmid_within_the_rate_limit(
    server: _Server, tmp_path: Path
) -> None:
    report = fetch_pubmed(tmp_path, ["29768149", "11748933"], fetcher=quick())
    assert sorted(p.name for p in report.saved) == ["pubmed-11748933.xml", "pubmed-29768149.xml"]
    assert b'<PMID Version="1">29768149</PMID>' in (tmp_path / "pubmed-29768149.xml").read_bytes()
    assert "id=29768149%2C11748933" in server.requests[0]
    limit = RateLimit(3)
    fetcher = quick(limit=limit)
    for pmid in ("1", "2", "3"):
        fetch_pubmed(tmp_path / pmid, [pmid], fetcher=fetcher)
    gaps = [b - a for a, b in zip(server.times[-3:], server.times[-2:], strict=False)]
    assert all(gap >= 0.3 for gap in gaps)


def test_api_key_raises_the_limit_and_is_sent(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", "k123")
    fetcher = quick()
    fetch_pubmed(tmp_path, ["29768149"], fetcher=fetcher)
    assert fetcher.limit is not None and fetcher.limit.interval == pytest.approx(0.1)
    assert "api_key=k123" in server.requests[0]


def test_the_command_is_quiet_when_piped_and_fails_on_a_missing_study(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["fetch", "ctgov", "NCT02552212", "NCT99999999", "--out", str(tmp_path), "--retries", "0"]
    )
    out, err = capsys.readouterr()
    assert code == 1 and "HTTP 404" in err and "━" not in err
    assert out.strip().startswith("saved 1, already there 0, failed 1")
