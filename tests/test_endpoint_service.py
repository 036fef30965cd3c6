"""The endpoint as a service: big answers, dying workers, idle and slow clients, no network.

A second server with the production defaults but 1.5 GB of memory per worker, so that a
query can exhaust it quickly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from servers import Server, running_server

from kg.pipeline import BuildReport

TRIVIAL = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
# both cross products are materialised for the sort: past 1.5 GB within a second or two
GREEDY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f LIMIT 1"


@pytest.fixture(scope="module")
def service(seed_build: BuildReport, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    graph = seed_build.outputs["turtle"]
    options = ("--workers", "2", "--timeout", "8", "--memory-mb", "1500", "--header-timeout", "1")
    with running_server(graph, tmp_path_factory.mktemp("service"), *options) as server:
        yield server


def _query(server: Server, text: str, accept: str = "application/json", **kw) -> httpx.Response:
    return httpx.post(
        f"{server.base}/sparql",
        content=text,
        headers={"Content-Type": "application/sparql-query", "Accept": accept},
        timeout=kw.pop("timeout", 60),
        trust_env=False,
    )


def _wait_for_workers(server: Server, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while (health := server.health())["workers_alive"] < health["workers"]:
        assert time.monotonic() < deadline, f"workers not back: {health}"
        time.sleep(0.2)
    return health


def _workers(server: Server) -> list[int]:
    """Process ids of the server's query workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.process.pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("accept", ["xml", "tsv", "csv", "json"])
def test_a_13_mb_literal_in_every_results_format(service: Server, accept: str) -> None:
    doubling = "".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1}) " for i in range(13))
    text = f'SELECT ?v13 WHERE {{ BIND("{"x" * 1625}" AS ?v0) {doubling}}}'  # 13,312,000 chars
    media = {
        "xml": "application/sparql-results+xml",
        "tsv": "text/tab-separated-values",
        "csv": "text/csv",
        "json": "application/sparql-results+json",
    }[accept]
    answer = _query(service, text, media)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith(media)
    literal = b"x" * (1625 * 2**13)
    assert literal in answer.content and b"x" + literal not in answer.content


def test_a_large_construct_leaves_the_server_responsive(service: Server) -> None:
    box: dict[str, httpx.Response] = {}
    construct = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 10000"
    thread = threading.Thread(
        target=lambda: box.update(r=_query(service, construct, "text/turtle"))
    )
    thread.start()
    slowest = 0.0
    while thread.is_alive():
        started = time.monotonic()
        assert httpx.get(f"{service.base}/health", timeout=5, trust_env=False).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.02)
    thread.join()
    assert box["r"].status_code == 200
    assert len(rdflib.Graph().parse(data=box["r"].text, format="turtle")) == 10_000
    assert slowest < 0.25


def test_a_killed_worker_is_replaced_and_the_query_retried(service: Server) -> None:
    _wait_for_workers(service)
    victims = _workers(service)
    assert len(victims) == 2
    os.kill(victims[0], signal.SIGKILL)
    for i in range(4):  # one of these lands on the dead worker and is retried
        answer = _query(service, f"{TRIVIAL} OFFSET {i}")
        assert answer.status_code == 200, answer.text
    health = _wait_for_workers(service)
    assert health["workers_alive"] == 2 and victims[0] not in _workers(service)


def test_a_query_that_kills_workers_is_a_server_fault(service: Server) -> None:
    _wait_for_workers(service)
    answer = _query(service, GREEDY)
    assert answer.status_code == 500, answer.text
    assert "stopped two worker processes" in answer.text
    _wait_for_workers(service)
    assert _query(service, TRIVIAL).status_code == 200


def test_workers_have_no_network(service: Server) -> None:
    sandbox = service.health()["sandbox"]
    if sandbox == "none":
        pytest.skip("this system lets no process make a network namespace")
    assert "namespace" in sandbox


def test_isolate_network_cuts_off_loopback_too() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    probe = (
        "import socket, sys\n"
        "from kg.sandbox import isolate_network\n"
        "how = isolate_network()\n"
        "if how == 'none': sys.exit(3)\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
    finally:
        listener.close()
    if done.returncode == 3:
        pytest.skip("this system lets no process make a network namespace")
    assert done.returncode == 1 and b"unreachable" in done.stderr.lower(), done.stderr


def test_a_silent_connection_is_closed_after_the_header_timeout(service: Server) -> None:
    port = int(service.base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
        started = time.monotonic()
        assert idle.recv(1) == b""  # the server closed it
        assert 0.8 < time.monotonic() - started < 6
    with socket.create_connection(("127.0.0.1", port), timeout=10) as dribble:
        dribble.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert dribble.recv(1) == b""
        assert time.monotonic() - started < 6


@pytest.mark.slow
def test_idle_and_slowloris_connections_do_not_starve_queries(service: Server) -> None:
    """100 idle and 100 header-dribbling connections, kept up for 60 s, while real queries run."""
    port = int(service.base.rsplit(":", 1)[1])
    stop = threading.Event()

    def attacker(dribble: bool) -> None:
        sockets: list[socket.socket] = []
        while not stop.is_set():
            while len(sockets) < 100:  # reopen what the server closed
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.setblocking(False)
                if dribble:
                    sock.send(b"GET /sparql HTTP/1.1\r\n")
                sockets.append(sock)
            for sock in list(sockets):
                try:
                    if dribble:
                        sock.send(b"X-a: b\r\n")
                    elif sock.recv(1) == b"":
                        raise ConnectionError
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    sockets.remove(sock)
            stop.wait(0.5)
        for sock in sockets:
            sock.close()

    threads = [threading.Thread(target=attacker, args=(d,)) for d in (False, True)]
    for thread in threads:
        thread.start()
    slow: list[str] = []
    answered = 0
    try:
        time.sleep(2)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = _query(service, f"{TRIVIAL} OFFSET {answered % 50}", timeout=2).status_code
            except httpx.TimeoutException:
                status = 0
            seconds = time.monotonic() - started
            if status != 200 or seconds > 2:
                slow.append(f"status {status} in {seconds:.2f} s")
            answered += 1
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert answered > 100 and slow == [], slow[:10]


def test_health_counts_the_served_file_without_the_ontology(
    service: Server, seed_build: BuildReport
) -> None:
    served = rdflib.Graph().parse(seed_build.outputs["turtle"])
    assert service.health()["triples"] == len(served)
