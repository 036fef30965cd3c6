"""Shared fixtures: the seed graph is built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import paths
from kg.iris import DEFAULT_BASE
from kg.pipeline import BuildReport, run_build


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
