"""Load-test `kg serve` against Oxigraph's own SPARQL server, both serving the same graph.

`hey` sends GET requests for a fixed time per query and concurrency level, after a warm-up
per server and query. Both servers hold the union of the graph's named graphs plus the
ontology that kg serve adds, and get the same query text: the trivial query and canned
questions with their default parameters inlined as kg does it. The Oxigraph server comes
from the `oxigraph` PyPI package, in a virtualenv of its own made on first use. When kg
serve has `--no-cache`, it is measured with its response cache and without. Prints req/s,
p50, p99 and failed requests (non-200 or no answer) per server, and the ratios Oxigraph/kg
for req/s and kg/Oxigraph for p50: above 1, kg is the slower. hey, the servers and kg's
query workers share the machine's cores (two here), so compare the columns; the absolute
figures understate what a server alone on the machine would do.

    python benchmarks/bench_endpoint.py [--graph FILE.nq] [--queries 02,06|all]
        [--concurrency 1,8,32] [--duration 10] [--json FILE] [--oxigraph-venv DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote

from kg import paths
from kg.api import ONTOLOGY_GRAPH, KnowledgeGraph
from kg.catalog import CannedQuery, load_catalog
from kg.sparql import bind_values, check_query

ROOT = Path(__file__).resolve().parent.parent
HEY = "hey"
TRIVIAL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
# media type asked for, by query form
ACCEPT = {
    "SELECT": "application/sparql-results+json",
    "ASK": "application/sparql-results+json",
    "CONSTRUCT": "application/n-triples",
    "DESCRIBE": "application/n-triples",
}
KG_CLI = "import sys; from kg.cli import main; sys.exit(main())"
STARTUP_SECONDS = 180.0


@dataclass
class Server:
    """A server process started by this script and the URL of its query service."""

    name: str
    url: str
    process: subprocess.Popen


@dataclass
class Run:
    """What hey measured in one run."""

    rps: float
    p50_ms: float | None
    p99_ms: float | None
    statuses: dict[int, int] = field(default_factory=dict)
    transport: dict[str, int] = field(default_factory=dict)  # errors without an HTTP status

    @property
    def errors(self) -> int:
        bad = sum(n for code, n in self.statuses.items() if code != 200)
        return bad + sum(self.transport.values())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, accept: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """Status and body of a GET; status 0 when nothing answered."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:  # refused, reset, timed out
        return 0, str(error).encode()


def oxigraph_binary(venv: Path) -> Path:
    """The `oxigraph` command of ``venv``; creates the venv and installs it if missing."""
    binary = venv / "bin" / "oxigraph"
    if binary.is_file():
        return binary
    print(f"installing the oxigraph server into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # keep the venv out of git without touching the project's .gitignore
    (venv / ".gitignore").write_text("*\n", encoding="utf-8")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    try:  # same engine version as kg's pyoxigraph, when the registry has it
        wanted = [f"oxigraph=={version('pyoxigraph')}"]
    except PackageNotFoundError:
        wanted = ["oxigraph"]
    if subprocess.run(pip + wanted).returncode != 0 and wanted != ["oxigraph"]:
        subprocess.run([*pip, "oxigraph"], check=True)
    return binary


def start(
    name: str, command: list[str], url: str, probe: str, logs: Path, servers: list[Server]
) -> None:
    """Start a server in a session of its own, add it to ``servers``, wait for ``probe``."""
    log = logs / f"{re.sub(r'[^a-z]+', '-', name).strip('-')}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    servers.append(Server(name, url, process))
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")
        if fetch(probe, "*/*", timeout=5)[0] == 200:
            return
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not answer {probe} within {STARTUP_SECONDS:.0f} s")


def stop(server: Server) -> None:
    """Stop the server and whatever it started (its process group), politely then not."""
    if server.process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(server.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def choose(wanted: str) -> list[CannedQuery]:
    """The canned questions named in ``wanted``: names or numbers (``02``), or ``all``."""
    catalog = load_catalog()
    tokens = [t.strip() for t in wanted.split(",") if t.strip()]
    if "all" in tokens:
        return list(catalog.values())

    def named(name: str, token: str) -> bool:
        return name == token or name.startswith(f"{token}-")

    unknown = [t for t in tokens if not any(named(n, t) for n in catalog)]
    if unknown:
        sys.exit(f"error: no canned question {', '.join(unknown)} (known: {', '.join(catalog)})")
    return [q for n, q in catalog.items() if any(named(n, t) for t in tokens)]


def query_texts(graph: Path, chosen: list[CannedQuery]) -> dict[str, str]:
    """The text to send, by name: the trivial query, then the canned questions, bound.

    Parameters are resolved against the served graph as kg.api does and inlined as
    kg.engine does, so both servers get exactly the text kg itself would evaluate.
    """
    texts = {"trivial": TRIVIAL}
    if chosen:
        kg = KnowledgeGraph.load(graph)
        for query in chosen:
            bindings = kg.bindings(query.parameters, {})
            texts[query.name] = bind_values(query.text, {n: str(t) for n, t in bindings.items()})
    return texts


def answers(body: bytes, accept: str) -> int | None:
    """How many rows (or triples) an answer holds; None if it cannot be read."""
    try:
        if accept == "application/n-triples":
            return sum(1 for line in body.decode().splitlines() if line.strip())
        data = json.loads(body)
        return len(data["results"]["bindings"]) if "results" in data else 1
    except (ValueError, KeyError, TypeError):
        return None


def parse_hey(output: str) -> Run:
    """Requests/sec, the 50th and 99th percentile and the status counts from hey's summary."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentile = {
        m[1]: float(m[2]) * 1000 for m in re.finditer(r"^\s*(\d+)% in ([\d.]+) secs", output, re.M)
    }
    # hey leaves out the 99% line below 100 responses; the 99th percentile (nearest rank)
    # of at most 100 samples is the slowest one, which hey does print
    slowest = re.search(r"Slowest:\s+([\d.]+) secs", output)
    if "99" not in percentile and slowest:
        percentile["99"] = float(slowest[1]) * 1000
    statuses = {
        int(m[1]): int(m[2])
        for m in re.finditer(r"^\s*\[(\d{3})\]\s+(\d+) responses", output, re.M)
    }
    transport: dict[str, int] = {}
    errors = output.split("Error distribution:", 1)
    if len(errors) == 2:
        for m in re.finditer(r"^\s*\[(\d+)\]\s+(.*)$", errors[1], re.M):
            transport[m[2].strip()] = transport.get(m[2].strip(), 0) + int(m[1])
    return Run(
        rps=float(rate[1]) if rate else 0.0,
        p50_ms=percentile.get("50"),
        p99_ms=percentile.get("99"),
        statuses=statuses,
        transport=transport,
    )


def hey(url: str, accept: str, concurrency: int, seconds: float) -> Run:
    command = [
        HEY,
        "-z",
        f"{round(seconds * 1000)}ms",
        "-c",
        str(concurrency),
        "-H",
        f"Accept: {accept}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"hey failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return parse_hey(done.stdout)


def ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def report(rows: list[dict], servers: list[str], kgs: list[str]) -> None:
    """The results table: one row per query and concurrency, a column group per server."""
    width = max(len(row["query"]) for row in rows)
    cell = "{:>8} {:>7} {:>7} {:>5}"
    pair = "{:>9} {:>9}"
    lead = " " * (width + 6)
    groups = [f"{name:^29}" for name in servers]
    groups += [f"{'vs ' + name:^19}" for name in kgs]
    print(lead + " | ".join(groups))
    heads = [cell.format("req/s", "p50 ms", "p99 ms", "err") for _ in servers]
    heads += [pair.format("ox/kg r/s", "kg/ox p50") for _ in kgs]
    print(f"{'query':{width}} {'conc':>5}" + " " + " | ".join(heads))
    for row in rows:
        cells = []
        for name in servers:
            run = row["servers"][name]
            cells.append(
                cell.format(
                    _num(run["rps"]), _num(run["p50_ms"]), _num(run["p99_ms"]), run["errors"]
                )
            )
        for name in kgs:
            got = row["ratios"][name]
            cells.append(pair.format(_num(got["rps"], 2), _num(got["p50"], 2)))
        print(f"{row['query']:{width}} {row['concurrency']:>5}" + " " + " | ".join(cells))


def seed_graph(folder: Path) -> Path:
    """Build the seed graph without reasoning into ``folder``; its N-Quads file."""
    print("building the seed graph ...", file=sys.stderr, flush=True)
    command = [sys.executable, str(ROOT / "build_graph.py"), "--reasoner", "none"]
    subprocess.run([*command, "--out", str(folder), "--quiet"], check=True)
    return folder / "graph.nq"


def load_store(oxigraph: Path, graph: Path, store: Path) -> None:
    """An Oxigraph store holding ``graph`` and, like kg serve, the ontology's named graph."""
    load = [str(oxigraph), "load", "--location", str(store), "--file"]
    subprocess.run([*load, str(graph)], check=True, capture_output=True)
    ontology = [*load, str(paths.ONTOLOGY / "cdek.ttl"), "--graph", ONTOLOGY_GRAPH]
    subprocess.run(ontology, check=True, capture_output=True)


def start_servers(graph: Path, store: Path, oxigraph: Path, servers: list[Server]) -> None:
    """kg serve (with and without its cache when it can turn it off), then Oxigraph.

    Each server goes into ``servers`` as soon as it is started, for the caller to stop.
    """
    kg_serve = [sys.executable, "-c", KG_CLI, "serve"]
    usage = subprocess.run([*kg_serve, "--help"], capture_output=True, text=True, check=True)
    variants = [("kg", [])]
    if "--no-cache" in usage.stdout:
        variants = [("kg (cache)", []), ("kg (no cache)", ["--no-cache"])]
    logs = store.parent
    for name, extra in variants:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [*kg_serve, "--graph", str(graph), "--port", str(port), "--workers", "2"]
        start(name, [*command, *extra], f"{base}/sparql", f"{base}/health", logs, servers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(oxigraph), "serve-read-only", "--location", str(store)]
    command += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    probe = f"{base}/query?query={quote('ASK {}')}"
    start("oxigraph", command, f"{base}/query", probe, logs, servers)


def measure(
    jobs: dict[str, str], servers: list[Server], levels: list[int], seconds: float, warmup: float
) -> tuple[list[dict], list[str]]:
    """One row per query and concurrency level, and notes on anything that failed."""
    rows: list[dict] = []
    notes: list[str] = []
    for query, text in jobs.items():
        accept = ACCEPT[check_query(text).form]
        urls = {s.name: f"{s.url}?query={quote(text, safe='')}" for s in servers}
        # one request each first: both must answer, and with as many rows
        sizes: dict[str, int | None] = {}
        for name, url in urls.items():
            status, body = fetch(url, accept)
            sizes[name] = answers(body, accept) if status == 200 else None
            if status != 200:
                message = body.decode(errors="replace").strip()[:300]
                notes.append(f"{query} on {name}: a single request got {status}: {message}")
        if len(set(sizes.values())) > 1:
            notes.append(f"{query}: the servers' answers differ in size: {sizes}")
        mine = {
            level: {"query": query, "concurrency": level, "answers": sizes, "servers": {}}
            for level in levels
        }
        for name, url in urls.items():
            hey(url, accept, levels[0], warmup)
            for level in levels:
                print(f"  {query} c={level} {name} ...", file=sys.stderr, flush=True)
                run = hey(url, accept, level, seconds)
                mine[level]["servers"][name] = {**asdict(run), "errors": run.errors}
                if run.errors:
                    bad = {code: n for code, n in run.statuses.items() if code != 200}
                    other = {error[:150]: n for error, n in run.transport.items()}
                    notes.append(
                        f"{query} c={level} on {name}: {run.errors} failed "
                        f"(HTTP statuses {bad}, transport errors {other})"
                    )
        rows.extend(mine.values())
    for row in rows:
        ox = row["servers"]["oxigraph"]
        row["ratios"] = {
            name: {"rps": ratio(ox["rps"], got["rps"]), "p50": ratio(got["p50_ms"], ox["p50_ms"])}
            for name, got in row["servers"].items()
            if name != "oxigraph"
        }
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--graph", type=Path, help="N-Quads to serve (default: build the seed)")
    parser.add_argument(
        "--queries", default="02,06", help="canned questions by name or number, or all"
    )
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds per server and query")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--oxigraph-venv",
        type=Path,
        default=ROOT / "benchmarks" / ".venv-oxigraph",
        help="virtualenv holding the oxigraph server (made on first use)",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    chosen = choose(args.queries)
    if shutil.which(HEY) is None:
        print("error: the load generator `hey` is missing; install it with", file=sys.stderr)
        print("    apt-get install hey", file=sys.stderr)
        sys.exit(2)
    # let a SIGTERM unwind like Ctrl-C, through the finally that stops the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    oxigraph = oxigraph_binary(args.oxigraph_venv)
    ox_version = subprocess.run(
        [str(oxigraph), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()

    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bench-endpoint-") as tmp:
        folder = Path(tmp)
        try:
            graph = args.graph.resolve() if args.graph else seed_graph(folder / "seed")
            jobs = query_texts(graph, chosen)
            store = folder / "oxigraph-store"
            load_store(oxigraph, graph, store)
            start_servers(graph, store, oxigraph, servers)
            print(
                f"graph {graph}; {ox_version}; pyoxigraph {version('pyoxigraph')}; "
                f"{os.cpu_count()} cores shared by hey and the servers; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            print(
                f"{args.duration:g} s per run after a {args.warmup:g} s warm-up per server "
                f"and query; concurrency {', '.join(map(str, levels))}\n",
                flush=True,
            )
            rows, notes = measure(jobs, servers, levels, args.duration, args.warmup)
        finally:
            for server in servers:
                stop(server)
    names = [s.name for s in servers]
    report(rows, names, [n for n in names if n != "oxigraph"])
    if notes:
        print("\nnotes:")
        for note in notes:
            print(f"  {note}")
    if args.json:
        figures = {
            "graph": str(graph),
            "oxigraph": ox_version,
            "pyoxigraph": version("pyoxigraph"),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": levels,
            "servers": names,
            "queries": jobs,
            "results": rows,
            "notes": notes,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
