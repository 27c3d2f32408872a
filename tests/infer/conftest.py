"""Model folders and recordings shared by the inference tests (built once per session)."""

from __future__ import annotations

import pytest

from tests.infer.helpers import make_model, tiny_architectures, write_recording

__all__ = ["tiny_architectures"]  # a fixture: every test here builds models of the test architectures


@pytest.fixture(autouse=True, scope="module")
def _registered(tiny_architectures):
    yield


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, tiny_architectures):
    """A frame model (context 25, stride 4) at 8 kHz with outputs song and ambient."""
    return make_model(tmp_path_factory.mktemp("models") / "tiny", steps=(100, 200))


@pytest.fixture(scope="module")
def frozen_model(tmp_path_factory, tiny_architectures):
    """Another tiny model, frozen (the export takes seconds: once per session)."""
    from hark.infer.freeze import freeze_model

    folder = make_model(tmp_path_factory.mktemp("models") / "frozen", outputs=("a", "b", "c"), overlapped=True, seed=3)
    freeze_model(folder)
    return folder


@pytest.fixture(scope="session")
def recording(tmp_path_factory):
    """3.1 s at 8 kHz."""
    return write_recording(tmp_path_factory.mktemp("audio") / "song.wav", 3.1)
