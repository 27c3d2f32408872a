import io
import math

import numpy as np
import pytest
import soundfile as sf
import torch
from torch import nn

from hark.audio.recording import open_recording
from hark.errors import HarkError
from hark.evaluate.events import frames_to_samples, probabilities_to_events
from hark.infer.engines import ModelSpec, open_engine
from hark.infer.stream import (
    EventTracker, StreamingClassifier, chunk_samples_for, file_chunks, latency_percentiles, open_streaming_engine,
    raw_chunks, run_stream,
)
from hark.models.base import Architecture, FrameModel, architectures
from hark.models.store import load_config, save_config
from hark.params import Params
from tests.infer.helpers import CLIP_ARCH, make_model, write_recording

LOUDNESS_ARCH = "test-loudness"


class LoudnessParams(Params):
    loud_output: int = 0


class Loudness(FrameModel):
    """Test only: an output is sure when 3 or more of a window's 8 samples are 1.0 (context 8, stride 4)."""

    def __init__(self, loud_output: int):
        super().__init__()
        self.context, self.stride, self.n_outputs, self.loud_output = 8, 4, 2, loud_output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        level = nn.functional.avg_pool1d(x.abs(), 8, 4)
        logit = 40 * (level - 0.25)  # softmax: sigmoid(80 * (level - 1/4)): 0.5 at 2 loud samples, ~1 at 3
        pair = [logit, -logit] if self.loud_output == 0 else [-logit, logit]
        return torch.cat(pair, dim=1)


class LoudnessArchitecture(Architecture):
    """Test only: the loudness of windows of 8 samples, every 4."""

    kind = "frame"
    Params = LoudnessParams

    @classmethod
    def build(cls, params, samplerate, n_outputs):
        return Loudness(params.loud_output)


@pytest.fixture(scope="module")
def loudness_architecture():
    """Registers the loudness architecture for one test module (see tests.infer.helpers.tiny_architectures)."""
    added = LOUDNESS_ARCH not in architectures
    if added:
        LoudnessArchitecture.name = LOUDNESS_ARCH
        architectures.add(LOUDNESS_ARCH, LoudnessArchitecture)
    yield
    if added:
        architectures._items.pop(LOUDNESS_ARCH, None)  # the registry has no public removal; tests only


def loudness_model(folder, thresholds: str, outputs=("song", "ambient"), dense: bool = False):
    model = make_model(folder, outputs=outputs, samplerate=1000, architecture=LOUDNESS_ARCH, params={"loud_output": int(dense)})
    if dense:
        save_config(model, load_config(model).model_copy(update={"supervision": "dense"}))
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text("label,ratio,threshold,precision,recall\n" + thresholds)
    return model


def loud_recording(path):
    """3000 samples at 1 kHz, silent but for bursts of 1.0 at [401, 799), [1500, 1520) and [2990, 3000)."""
    audio = np.zeros(3000, np.float32)
    for start, stop in ((401, 799), (1500, 1520), (2990, 3000)):
        audio[start:stop] = 1.0
    sf.write(path, audio, 1000, subtype="FLOAT")
    return path


def one_pass(model, audio):
    return open_engine(model, engine="torch", device="cpu")(audio[None, :])[0].T


def stream_rows(engine, audio, chunk):
    classifier = StreamingClassifier(engine, chunk)
    rows = [classifier.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    assert classifier.frames_done == sum(len(r) for r in rows) and classifier.samples_seen == len(audio)
    return np.concatenate(rows)


# the tiny model has context 25, stride 4: chunks shorter than a stride, not multiples of it,
# shorter than the context, and longer than the recording (whose last chunk is partial)
@pytest.mark.parametrize("chunk", [1, 3, 7, 25, 64, 333, 5000])
def test_streamed_frames_equal_one_pass(tiny_model, tmp_path, chunk):
    audio = sf.read(write_recording(tmp_path / "short.wav", 0.15 + 3 / 8000), dtype="float32")[0]  # 1203 samples
    expected = one_pass(tiny_model, audio)
    got = stream_rows(open_streaming_engine(tiny_model, "torch"), audio, chunk)
    assert got.shape == expected.shape == ((len(audio) - 25) // 4 + 1, 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_streaming_through_the_frozen_model(frozen_model, tmp_path):
    audio = sf.read(write_recording(tmp_path / "short.wav", 0.1), dtype="float32")[0]
    engine = open_streaming_engine(frozen_model)  # auto: the up-to-date frozen model
    assert engine.name == "onnx" and engine.device == "cpu"
    np.testing.assert_allclose(stream_rows(engine, audio, 13), one_pass(frozen_model, audio), atol=1e-5)


@pytest.mark.parametrize("overlapped", [False, True])
def test_a_tcn_streams_incrementally_by_default_with_the_frames_of_one_pass(tmp_path, overlapped):
    small = {"n_filters": 8, "n_dilations": 3, "kernel_size": 3}
    model = make_model(tmp_path / "tcn", outputs=("a", "b", "c"), architecture="tcn", params=small, overlapped=overlapped)
    audio = sf.read(write_recording(tmp_path / "short.wav", 0.3), dtype="float32")[0]
    engine = open_streaming_engine(model)  # auto: torch, each frame computed once
    expected = one_pass(model, audio)
    for chunk in (1, 37, 205, 5000):
        classifier = StreamingClassifier(engine, chunk)
        assert engine.name == "torch" and classifier.incremental
        classifier.warm_up(chunk)  # leaves the stream as it was
        got = np.concatenate([classifier.push(audio[i : i + chunk]) for i in range(0, len(audio), chunk)])
        assert classifier.frames_done == len(got) and classifier.samples_seen == len(audio)
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert StreamingClassifier(open_streaming_engine(model, "torch"), 64).incremental  # torch asked: the same way


def test_with_a_frozen_tcn_auto_streams_through_the_faster_engine_with_the_same_frames(tmp_path):
    from hark.infer.freeze import freeze_model

    model = make_model(tmp_path / "tcn", architecture="tcn", params={"n_filters": 8, "n_dilations": 3, "kernel_size": 3})
    freeze_model(model)
    audio = sf.read(write_recording(tmp_path / "short.wav", 0.3), dtype="float32")[0]
    expected = one_pass(model, audio)
    onnx = open_streaming_engine(model, "onnx")
    assert not StreamingClassifier(onnx, 64).incremental  # onnxruntime recomputes each chunk's context
    chosen = open_streaming_engine(model, "auto", chunk_samples=64)  # timed against incremental torch
    assert chosen.name in ("onnx", "torch") and StreamingClassifier(chosen, 64).incremental == (chosen.name == "torch")
    for engine in (onnx, chosen):
        np.testing.assert_allclose(stream_rows(engine, audio, 64), expected, atol=1e-5)


def test_a_clip_model_cannot_stream(tmp_path):
    model = make_model(tmp_path / "clip", architecture=CLIP_ARCH)
    with pytest.raises(HarkError, match="is a clip model"):
        open_streaming_engine(model, "torch")


def test_tracked_events_equal_the_events_of_one_pass():
    rng = np.random.default_rng(1)
    for _ in range(60):
        n, outputs, overlapped = int(rng.integers(1, 200)), int(rng.integers(1, 4)), bool(rng.integers(2))
        p = 0.5 * (rng.random((n, outputs)) > 0.5) + 0.5 * rng.random((n, outputs))  # long runs
        if not overlapped:
            p /= p.sum(axis=1, keepdims=True)
        labels = [f"l{i}" for i in range(outputs)]
        thresholds = {label: float(rng.uniform(0.2, 0.7)) for label in labels}
        stride, offset = int(rng.integers(1, 20)), int(rng.integers(0, 40))
        length = offset + n * stride + int(rng.integers(-stride, stride))
        expected = probabilities_to_events(
            p, labels, thresholds, recording="r", hop=stride, offset=offset, length=length, exclusive=not overlapped
        )
        tracker = EventTracker(labels, thresholds, stride=stride, offset=offset, overlapped=overlapped)
        got, first = [], 0
        while first < n:
            size = int(rng.integers(0, 8))
            got += tracker.update(p[first : first + size])
            first += size
        got += tracker.finish(length)
        assert sorted((e.start, e.stop, e.label) for e in got) == sorted((e.start, e.stop, e.label) for e in expected)
        assert sorted(e.score for e in got) == pytest.approx(sorted(e.score for e in expected))


def test_a_dense_model_gives_one_event_per_syllable_labelled_by_its_summed_probabilities():
    spec = ModelSpec("m", "frame", 1000, ("background", "a", "b"), False, 8, 4, 1, "digest")
    rng = np.random.default_rng(2)
    for _ in range(30):
        n = int(rng.integers(1, 150))
        p = rng.random((n, 3))
        p[:, 0] += 1.5 * (rng.random(n) > 0.3)  # background most of the time, in runs
        p /= p.sum(axis=1, keepdims=True)
        thresholds = {"background": 0.01, "a": 0.3, "b": 0.35}  # the background's is not a sound's
        sound = (p[:, 1] >= 0.3) | (p[:, 2] >= 0.35)
        edges = np.diff(sound.astype(int), prepend=0, append=0)
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        spans = frames_to_samples(starts, stops, 4, 4, 4 * n + 4)
        sums = [p[a:b, 1:].sum(axis=0) for a, b in zip(starts, stops)]
        expected = [("ab"[int(np.argmax(s))], *span, s.max() / (b - a)) for s, span, a, b in zip(sums, spans.tolist(), starts, stops)]
        tracker = EventTracker.for_model(spec, "dense", thresholds, onsets=True)
        got, first = [], 0
        while first < n:
            size = int(rng.integers(0, 9))
            got += tracker.update(p[first : first + size])
            first += size
        got += tracker.finish(4 * n + 4)
        assert [(e.label, e.start, e.stop) for e in got if not e.is_onset] == [e[:3] for e in expected]
        assert [e.score for e in got if not e.is_onset] == pytest.approx([e[3] for e in expected])
        assert [e.start for e in got if e.is_onset] == [e[1] for e in expected]


def test_events_of_a_hand_made_model_at_known_times(loudness_architecture, tmp_path):
    model = loudness_model(tmp_path / "model", "song,1.0,0.9,1,1\n")  # ambient has no threshold: no events
    recording = open_recording(loud_recording(tmp_path / "loud.wav"))
    engine = open_streaming_engine(model)
    # frame j sees [4j, 4j + 8) and stands for [4j + 2, 4j + 6); [401, 799) is loud in frames 99-199
    expected = [("song", 398, 802), ("song", 1498, 1522), ("song", 2990, 2998)]  # the last is open at the end
    for chunk in (7, 64, 1000):
        tracker = EventTracker.for_model(engine.spec, "sparse", {"song": 0.9}, onsets=True)
        emitted: list[list] = []
        latencies = run_stream(file_chunks(recording, chunk, speed=0), StreamingClassifier(engine, chunk), tracker, emitted.append)
        assert len(latencies) == math.ceil(3000 / chunk) and len(emitted) == len(latencies) + 1
        events = [e for block in emitted for e in block]
        assert [(e.label, e.start, e.stop) for e in events if not e.is_onset] == expected
        assert [(e.label, e.start) for e in events if e.is_onset] == [(label, start) for label, start, _ in expected]
        # each event is emitted with the chunk holding the frame after it (the first quiet one)
        ends_with = [i for i, block in enumerate(emitted) for e in block if not e.is_onset]
        assert ends_with[:2] == [(4 * 200 + 8 - 1) // chunk, (4 * 380 + 8 - 1) // chunk]
        assert ends_with[2] == len(emitted) - 1 and emitted[-1][0].score == pytest.approx(1.0)


def test_a_dense_model_gives_no_background_events(loudness_architecture, tmp_path):
    model = loudness_model(tmp_path / "model", "background,1.0,0.1,1,1\nsong,1.0,0.9,1,1\n", ("background", "song"), dense=True)
    engine = open_streaming_engine(model)
    tracker = EventTracker.for_model(engine.spec, "dense", {"background": 0.1, "song": 0.9})
    events: list = []
    recording = open_recording(loud_recording(tmp_path / "loud.wav"))
    run_stream(file_chunks(recording, 64, speed=0), StreamingClassifier(engine, 64), tracker, events.extend)
    assert [(e.label, e.start, e.stop) for e in events] == [("song", 398, 802), ("song", 1498, 1522), ("song", 2990, 2998)]
    with pytest.raises(HarkError, match="'bird', which the model does not output"):
        EventTracker.for_model(engine.spec, "dense", {"bird": 0.5})


def test_raw_chunks_read_whole_chunks_and_a_partial_last_one():
    left = np.arange(10, dtype=np.int16) * 1000
    right = -left
    data = np.stack([left, right], axis=1).astype("<i2").tobytes() + b"\x01"  # and a stray byte
    chunks = list(raw_chunks(io.BytesIO(data), 4, "int16", channels=2, channel=1))
    assert [len(c.samples) for c in chunks] == [4, 4, 2]
    np.testing.assert_allclose(np.concatenate([c.samples for c in chunks]), right / 32768)
    assert all(c.samples.dtype == np.float32 for c in chunks)
    floats = np.linspace(-1, 1, 9, dtype="<f4")
    chunks = list(raw_chunks(io.BytesIO(floats.tobytes()), 3, "float32"))
    assert [len(c.samples) for c in chunks] == [3, 3, 3]  # an exact multiple: no empty chunk at the end
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), floats)
    assert list(raw_chunks(io.BytesIO(b""), 3)) == []


def test_a_recording_plays_at_its_speed(tmp_path):
    recording = open_recording(write_recording(tmp_path / "a.wav", 0.1, samplerate=8000))  # 800 samples
    chunks = list(file_chunks(recording, 300, speed=10))
    assert [len(c.samples) for c in chunks] == [300, 300, 200]
    gaps = np.diff([c.available for c in chunks])
    np.testing.assert_allclose(gaps, [300 / 80_000, 200 / 80_000], rtol=1e-6)


def test_chunk_sizes_and_percentiles():
    assert chunk_samples_for(2500, 25.6) == 64 and chunk_samples_for(32000, 25.6) == 819
    for bad in (0, -1, 0.1, math.nan):
        with pytest.raises(HarkError, match=r"^chunk_ms ") as caught:  # named as Python callers name it, not as a flag
            chunk_samples_for(2500, bad)
        assert caught.value.param == "chunk_ms"
    assert latency_percentiles([0.001, 0.002, 0.003], (50, 100)) == pytest.approx({50: 2.0, 100: 3.0})
    assert math.isnan(latency_percentiles([])[50])
