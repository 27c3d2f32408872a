"""Chunk-parallel classify (hark.infer.parallel_chunks): the same rows as the serial run, in order, bounded."""

import threading
import time

import numpy as np
import pytest
import soundfile as sf

from hark.audio.recording import open_recording
from hark.errors import ParameterError
from hark.infer.classify import chunk_samples_for, classify_recordings, stream_frames
from hark.infer.engines import open_engine
from hark.infer.parallel_chunks import chunks_in_flight, engine_for_chunks, in_order
from hark.infer.probabilities import read_probabilities
from tests.infer.helpers import write_recording

# 0.05 s at 8 kHz: 400 new samples per chunk; 3.1 s + 7 samples is 62.0175 chunks, and its last
# frame is partial: neither the recording nor its frames are a multiple of the chunk
CHUNK_SECONDS = 0.05


@pytest.fixture(scope="module")
def odd_recording(tmp_path_factory):
    path = write_recording(tmp_path_factory.mktemp("audio") / "odd.wav", 3.1 + 7 / 8000, seed=4)
    assert sf.info(path).frames % 400 != 0
    return path


def rows_of(engine, recording, in_flight):
    """Every row of ``stream_frames``, and where each block begins."""
    chunk = chunk_samples_for(engine.spec, CHUNK_SECONDS)
    blocks = list(stream_frames(engine, open_recording(recording), chunk, in_flight=in_flight))
    return [first for first, _ in blocks], np.concatenate([rows for _, rows in blocks])


@pytest.mark.parametrize("which", ["torch", "onnx"])
def test_parallel_chunks_give_the_serial_rows_bit_for_bit(which, tiny_model, frozen_model, odd_recording):
    model = tiny_model if which == "torch" else frozen_model
    engine = open_engine(model, engine=which, device="cpu")
    serial_starts, serial = rows_of(engine, odd_recording, 1)
    parallel_starts, parallel = rows_of(engine, odd_recording, 2)
    three_starts, three = rows_of(engine, odd_recording, 3)
    assert parallel_starts == serial_starts == three_starts == sorted(serial_starts)
    assert serial.shape == (engine.spec.frames(sf.info(odd_recording).frames), len(engine.spec.output_names))
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_array_equal(three, serial)
    # and the serial rows are those of one pass over the whole recording
    audio = sf.read(odd_recording, dtype="float32")[0]
    np.testing.assert_allclose(serial, engine(audio[None, :])[0].T, atol=1e-5)


@pytest.mark.parametrize("which", ["torch", "onnx"])
def test_classify_writes_the_same_probabilities_in_parallel(which, tiny_model, frozen_model, odd_recording, tmp_path):
    """The whole command: serial (the engine's own threads) against two chunks in flight (a thread each)."""
    model = tiny_model if which == "torch" else frozen_model
    outputs = {}
    for in_flight in (1, 2):
        out = tmp_path / f"in-flight-{in_flight}"
        [result] = classify_recordings(model, [odd_recording], out, engine=which, device="cpu", chunk_seconds=CHUNK_SECONDS, in_flight=in_flight)
        assert result.ok, result.error
        outputs[in_flight] = read_probabilities(odd_recording, out)
    (times1, probs1, meta1), (times2, probs2, meta2) = outputs[1], outputs[2]
    assert meta1.frames == meta2.frames == len(probs1) > 0 and meta2.engine == which
    np.testing.assert_array_equal(times1, times2)
    np.testing.assert_allclose(probs2, probs1, atol=1e-5)  # other thread counts: rounding only


def test_engine_for_chunks_restores_torch_threads_and_reopens_onnx(tiny_model, frozen_model):
    import torch

    before = torch.get_num_threads()
    engine = open_engine(tiny_model, engine="torch", device="cpu")
    with engine_for_chunks(engine, 2, threads=2) as shared:
        assert shared is engine and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    onnx = open_engine(frozen_model, engine="onnx", device="cpu", threads=2)
    with engine_for_chunks(onnx, 2, threads=2) as shared:
        assert shared.threads == 1 and shared is not onnx
        audio = np.random.default_rng(0).standard_normal((3, 500)).astype(np.float32)
        np.testing.assert_allclose(shared(audio), onnx(audio), atol=1e-6)
    assert onnx.with_threads(2) is onnx
    with engine_for_chunks(onnx, 1, threads=2) as shared:
        assert shared is onnx


def test_chunks_in_flight_by_device_and_cores():
    assert chunks_in_flight("cpu", threads=1) == 1
    assert chunks_in_flight("cpu", threads=2) == 2
    assert chunks_in_flight("cpu", threads=16) == 2  # memory: at most two chunks
    assert chunks_in_flight("cuda", threads=16) == 1
    assert chunks_in_flight("cuda", wanted=3) == 3
    with pytest.raises(ParameterError, match="in_flight -1"):
        chunks_in_flight("cpu", wanted=-1)


def test_in_order_keeps_order_and_bounds_the_items_in_flight():
    running, most, taken = [0], [0], []
    lock = threading.Lock()

    def slow(i):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02 if i % 3 == 0 else 0.001)  # early items finish last
        with lock:
            running[0] -= 1
        return i * i

    def items():
        for i in range(12):
            taken.append(i)
            yield i

    results = []
    for value in in_order(slow, items(), 2):
        results.append(value)
        assert len(taken) <= len(results) + 2  # never more than two items read ahead of the consumer
    assert results == [i * i for i in range(12)]
    assert most[0] == 2


def test_in_order_raises_at_the_failing_items_turn():
    def fails_on_three(i):
        if i == 3:
            raise ParameterError("chunk_seconds", "{param} too long")
        return i

    got = []
    with pytest.raises(ParameterError, match="chunk_seconds too long"):
        for value in in_order(fails_on_three, range(10), 2):
            got.append(value)
    assert got == [0, 1, 2]
    stopped = in_order(lambda i: i, range(100), 2)
    assert next(stopped) == 0
    stopped.close()  # a consumer that stops early leaves no thread behind
