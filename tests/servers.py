"""Starting `kg serve` as a real subprocess for the endpoint tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Server:
    """A running `kg serve`: its base URL, process and log file."""

    base: str
    process: subprocess.Popen
    log_file: Path

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")[-4000:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def health(self) -> dict:
        return httpx.get(f"{self.base}/health", timeout=5, trust_env=False).json()


def local_env() -> dict[str, str]:
    """This environment without proxy settings (a proxy would hide a fetch from a listener)."""
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in proxies}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(graph: Path, log_dir: Path, *options: str) -> Iterator[Server]:
    """`kg serve --graph GRAPH` with ``options``, up and answering /health, then stopped."""
    port = free_port()
    # the output goes to a file: a pipe nobody reads could fill up and stall the server
    log_file = log_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "kg.cli", "serve", "--graph", str(graph)]
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=local_env(),
        )
    running = Server(f"http://127.0.0.1:{port}", process, log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{running.base}/health", timeout=1, trust_env=False).is_success:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{running.output()}")
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
