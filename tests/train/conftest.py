"""Demo ground-truth folders with known answers, generated once per test session (about 0.3 s)."""

from __future__ import annotations

import pytest

from hark.demo import generate_fly, generate_whale


@pytest.fixture(scope="session")
def fly_demo(tmp_path_factory):
    """Two 30 s fly recordings: ``(folder, [DemoRecording, ...])``."""
    folder = tmp_path_factory.mktemp("fly")
    return folder, generate_fly(folder, n_recordings=2, duration_s=30.0, seed=0)


@pytest.fixture(scope="session")
def whale_demo(tmp_path_factory):
    """Twenty 2 s whale clips, half with an upcall: ``(folder, [DemoRecording, ...])``."""
    folder = tmp_path_factory.mktemp("whale")
    return folder, generate_whale(folder, n_clips=20, seed=0)
