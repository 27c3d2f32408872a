"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The real recordings: $HARK_SHARED_DIR, else ../shared/data beside the checkout."""
    override = os.environ.get("HARK_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips the test when absent, except in CI where that is a failure."""
    root = shared_data_dir()
    if not (root / "fly").is_dir():
        reason = f"real recordings not found at {root} (set HARK_SHARED_DIR to their folder)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must have them")
        pytest.skip(reason)
    return root
