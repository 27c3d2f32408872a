"""Classify's chunk sized to the memory there is (hark.infer.classify.fitting_chunk_samples): the
chunks in flight fit, a given chunk that does not is refused in one line, and the rows of a fitted
chunk are the serial run's bit for bit on a recording that is not a multiple of it."""

import numpy as np
import pytest
import soundfile as sf

from hark.audio.recording import open_recording
from hark.errors import HarkError
from hark.infer.classify import DEFAULT_CHUNK_SAMPLES, MIN_CHUNK_OVER_CONTEXT, fitting_chunk_samples, plan_classification, stream_frames
from hark.infer.engines import open_engine
from hark.train.memory import estimate_memory
from tests.infer.helpers import write_recording


def test_fitting_chunk_halves_until_the_chunks_in_flight_fit():
    # 1000 bytes fixed, 4000 bytes for a chunk of 4000 + 40 samples: a chunk of c samples costs c + 40
    fixed, per_chunk, chunk, context, stride = 1000, 4040, 4000, 40, 8
    assert fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 2, 10**9) == 4000  # room: unchanged
    assert fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 2, 1000 + 2 * 4040) == 4000  # exactly fits
    # two chunks of 2000 + 40 need 1000 + 4080 bytes; of 1000 + 40, 1000 + 2080
    assert fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 2, 5079) == 1000
    assert fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 2, 5080) == 2000
    assert fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 1, 5079) == 4000  # one chunk in flight needs half
    # the halvings stay multiples of the stride, and stop at MIN_CHUNK_OVER_CONTEXT contexts
    # (here a chunk of c samples costs 4040 (c + 40) / 3040): 3000 -> 1500 -> 744, 750 rounded down to the stride
    assert fitting_chunk_samples(fixed, per_chunk, 3000, context, 12, 2, 3100) == 744
    shortest = fitting_chunk_samples(fixed, per_chunk, chunk, context, stride, 2, 0)
    assert shortest == MIN_CHUNK_OVER_CONTEXT * context == 320


@pytest.fixture(scope="module")
def odd_recording(tmp_path_factory):
    return write_recording(tmp_path_factory.mktemp("audio") / "odd.wav", 3.1 + 7 / 8000, seed=5)


@pytest.mark.parametrize("which", ["torch", "onnx"])
def test_a_fitted_chunk_gives_the_serial_rows_bit_for_bit(which, tiny_model, frozen_model, odd_recording):
    """The tiny model's own estimate, with memory for two chunks of about a 250th of the default:
    the fitted chunk is a multiple of the stride that does not divide the recording, and two such
    chunks in flight give the rows of one at a time, which are those of one pass over the file."""
    torch_engine = open_engine(tiny_model if which == "torch" else frozen_model, engine="torch", device="cpu")
    spec = torch_engine.spec
    estimate = estimate_memory(torch_engine.module, DEFAULT_CHUNK_SAMPLES + spec.context, training=False)
    wanted = DEFAULT_CHUNK_SAMPLES // 256  # 4096 samples, half a second at 8 kHz
    room = estimate.parameters + 2 * estimate.per_example * (wanted + spec.context) / (DEFAULT_CHUNK_SAMPLES + spec.context)
    chunk = fitting_chunk_samples(estimate.parameters, estimate.per_example, DEFAULT_CHUNK_SAMPLES, spec.context, spec.stride, 2, int(room) + 1)
    assert chunk == wanted and chunk % spec.stride == 0
    frames = sf.info(odd_recording).frames
    assert frames % chunk != 0 and frames > 6 * chunk
    engine = open_engine(tiny_model if which == "torch" else frozen_model, engine=which, device="cpu")
    blocks = {n: list(stream_frames(engine, open_recording(odd_recording), chunk, in_flight=n)) for n in (1, 2)}
    assert [first for first, _ in blocks[2]] == [first for first, _ in blocks[1]] == [i * chunk // spec.stride for i in range(len(blocks[1]))]
    serial, parallel = (np.concatenate([rows for _, rows in blocks[n]]) for n in (1, 2))
    np.testing.assert_array_equal(parallel, serial)
    assert len(serial) == spec.frames(frames)
    audio = sf.read(odd_recording, dtype="float32")[0]
    np.testing.assert_allclose(serial, engine(audio[None, :])[0].T, atol=1e-5)


def test_the_default_chunk_where_memory_allows(tiny_model, odd_recording, tmp_path):
    jobs, engine = plan_classification(tiny_model, [odd_recording], tmp_path / "out", engine="torch", device="cpu")
    assert jobs[0].chunk_samples == DEFAULT_CHUNK_SAMPLES // engine.spec.stride * engine.spec.stride


@pytest.mark.parametrize("chunk_seconds", [None, 0.5])
def test_chunks_that_cannot_fit_are_refused_in_one_line(chunk_seconds, tiny_model, odd_recording, tmp_path, monkeypatch):
    monkeypatch.setenv("HARK_MEMORY_GB", "0.01")  # less than the test process holds already: no chunk fits
    with pytest.raises(HarkError) as refused:
        plan_classification(tiny_model, [odd_recording], tmp_path / "out", engine="torch", device="cpu", chunk_seconds=chunk_seconds, in_flight=2)
    message = str(refused.value)
    assert "\n" not in message and "2 windows" in message and "chunk_seconds" in message and "in_flight 1" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # refused before anything was written
