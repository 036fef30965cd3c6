"""Shared fixtures: the seed graph is built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import paths
from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport, run_build


@pytest.fixture(scope="session", autouse=True)
def reasoner_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder of HermiT answers for the session and the ``kg`` processes it starts.

    Builds in a subprocess then reuse what the session's builds reasoned; a fresh folder keeps
    the run hermetic (the user's own cache is neither read nor filled).
    """
    folder = tmp_path_factory.mktemp("kg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KG_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """The embedded records built into a temporary folder."""
    return run_build(out=tmp_path_factory.mktemp("out"), base=DEFAULT_BASE)


@pytest.fixture()
def seeds() -> Path:
    """The seed documents folder; tests using it skip when it is absent."""
    if not paths.SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {paths.SEEDS} (they sit beside the clone in CI)")
    return paths.SEEDS
