"""The overview page of a store drawn by a process of its own, started early: it imports what
drawing needs (about half a second) while the build goes on, and draws once told the store
is ready. The quick rebuild uses it, so that neither the imports nor the drawing wait for the
rest of the rebuild on a machine with a second core.

Run as ``python -m kg.views.beside STORE PAGE``, it imports, then reads a line from its
standard input: ``draw`` draws ``PAGE`` from the store folder ``STORE``; anything else (or the
end of the input) ends it without drawing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["PageProcess"]


class PageProcess:
    """A process that draws one overview page when :meth:`draw` says the store is ready."""

    def __init__(self, store: Path, page: Path) -> None:
        self.page = page
        command = [sys.executable, "-m", "kg.views.beside", str(store), str(page)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def draw(self) -> None:
        """Start drawing: the store holds what the page should show."""
        self._say(b"draw\n")

    def wait(self) -> Path:
        """The page, once drawn; raises what the drawing process said if it failed."""
        self._say(b"")
        error = self._process.stderr.read() if self._process.stderr is not None else b""
        if self._process.wait() != 0:
            lines = error.decode("utf-8", "replace").strip().splitlines() or ["?"]
            raise RuntimeError(f"drawing {self.page} failed: {lines[-1]}")
        return self.page

    def cancel(self) -> None:
        """End the process without drawing (when the build goes another way)."""
        self._say(b"")
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process.wait()

    def _say(self, line: bytes) -> None:
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            try:
                if line:
                    stdin.write(line)
                    stdin.flush()
                else:
                    stdin.close()
            except BrokenPipeError:  # it ended already; wait() reports how
                pass


def _main(store: Path, page: Path) -> None:
    # the imports this process is started early for: what _store_view imports when it runs
    import kg.api
    import kg.engine
    import kg.store  # noqa: F401
    from kg.pipeline import _store_view
    from kg.views import overview_view, write_view  # noqa: F401 (kg.views loads on first use)

    if sys.stdin.readline().strip() == "draw":
        _store_view(store, page)


if __name__ == "__main__":
    _main(Path(sys.argv[1]), Path(sys.argv[2]))
