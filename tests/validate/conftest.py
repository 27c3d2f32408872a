"""A small fly ground-truth folder of three recordings, generated once per session."""

from __future__ import annotations

import pytest

from hark.demo import generate_fly


@pytest.fixture(scope="session")
def fly_three(tmp_path_factory):
    """Three 20 s fly recordings: ``(folder, [DemoRecording, ...])``."""
    folder = tmp_path_factory.mktemp("fly3")
    return folder, generate_fly(folder, n_recordings=3, duration_s=20.0, seed=6)
