"""Real-time classification: audio in chunks of any length in, events out as soon as they end.

:class:`StreamingClassifier` keeps the last ``context - stride`` samples (plus whatever part
of a stride is left over) between chunks, so each chunk yields exactly the frames it
completes: concatenated, they are the frames of one pass over the whole signal (the frame
contract of :mod:`hark.models.base`), whatever the chunk size. :class:`EventTracker` turns
those frames into events online with the thresholds and timing rules of ``hark ethogram``
(:func:`hark.evaluate.events.probability_runs` and ``frames_to_samples``; for a dense
model, :class:`SyllableTracker`'s sound-then-label rule): an event is known, and reported,
once its first frame below threshold arrives.

Latency per chunk is the time from when its last sample is available (recorded, or read
from standard input) to when its results have been handed on (:func:`run_stream`). For
single small inputs the fastest engine is onnxruntime on one intra-op thread: a second
thread saves little on a few thousand samples and, with other work on the machine, mostly
waits for a core (docs/streaming.md has the measurements); so that is the default where
``MODEL/frozen.onnx`` is up to date.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
import torch

from hark.audio.recording import Recording
from hark.errors import HarkError, ParameterError
from hark.evaluate.events import frames_to_samples, probability_runs
from hark.infer.engines import Engine, EngineName, ModelSpec, activated, choose_engine, open_engine
from hark.models.base import FrameModel, IncrementalStream
from hark.train.supervisions import supervision_of

SampleFormat = Literal["int16", "float32"]
RAW_DTYPES: dict[str, np.dtype] = {"int16": np.dtype("<i2"), "float32": np.dtype("<f4")}
LOW_LATENCY_THREADS = 1


def open_streaming_engine(
    model: str | Path, engine: EngineName = "auto", threads: int = LOW_LATENCY_THREADS, chunk_samples: int | None = None
) -> Engine:
    """The engine for small chunks on the CPU.

    ``auto``: the frozen model when it is up to date, else torch; but where the architecture
    also streams incrementally through torch (``tcn``, ``calls``: each layer keeps its past, so
    each frame is computed once, :mod:`hark.models.tcn_stream`) and a frozen model exists, the
    two are timed on chunks of ``chunk_samples`` (default 25.6 ms) of quiet noise and the faster
    is used: incremental torch wins where the context is long (the finch ``tcn``'s 886 ms),
    onnxruntime recomputing the context where it is short (the USV ``calls`` model's 25 ms).

    Always the CPU: for a few milliseconds of audio, copying to a GPU and launching its kernels
    costs more than the convolutions themselves.
    """
    from hark.models.channels import trained_channels
    from hark.models.store import load_config

    channels = trained_channels(load_config(model))
    if channels is not None:  # a stream pushes one channel's samples (docs/channels.md)
        raise HarkError(f"{model}: reads channels {','.join(map(str, channels))} at once; hark stream feeds one channel: classify the recording with hark classify")
    chosen = choose_engine(model, engine, None, "cpu")
    opened = open_engine(model, None, chosen, "cpu", threads)
    if opened.spec.kind != "frame":
        raise HarkError(f"{model}: is a clip model (one label per clip); streaming needs a frame model")
    if getattr(getattr(opened, "model", None), "needs_video", False):  # docs/video.md, "Video models"
        raise HarkError(f"{model}: is a video model (it reads the movie beside a recording); hark stream feeds audio alone: classify the recording with hark classify")
    if engine == "auto":
        incremental = opened if chosen == "torch" else open_engine(model, None, "torch", "cpu", threads)
        if incremental is not opened and incremental_stream_of(incremental) is not None:
            chunk = chunk_samples or max(1, round(0.0256 * opened.spec.samplerate))
            opened = min((opened, incremental), key=lambda candidate: _median_push_seconds(candidate, chunk))
    return opened


def _median_push_seconds(engine: Engine, chunk_samples: int, timed: int = 15) -> float:
    """The median time of a chunk once the stream is older than the context (seeded quiet noise)."""
    classifier = StreamingClassifier(engine, chunk_samples)
    noise = np.random.default_rng(0).normal(0, 0.01, chunk_samples).astype(np.float32)
    for _ in range(-(-engine.spec.context // chunk_samples) + 1):
        classifier.push(noise)
    times = []
    for _ in range(timed):
        start = time.perf_counter()
        classifier.push(noise)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def incremental_stream_of(engine: Engine) -> IncrementalStream | None:
    """A fresh incremental stream of the torch engine's model, where its architecture has one."""
    model = getattr(engine, "model", None)
    return model.incremental_stream() if isinstance(model, FrameModel) else None


class StreamingClassifier:
    """Feeds chunks of audio through a frame model; :meth:`push` returns the frames each completes.

    With a torch engine whose architecture streams incrementally, each layer keeps its past
    between chunks and each frame is computed once; otherwise the held-back context is
    classified again with each chunk. Both give the frames of one pass over the whole signal.
    """

    def __init__(self, engine: Engine, chunk_hint: int = 4096):
        self.engine = engine
        self.spec: ModelSpec = engine.spec
        self._incremental = incremental_stream_of(engine)
        self.incremental = self._incremental is not None
        # One buffer for the whole stream, grown only when a chunk does not fit, so that a
        # chunk costs no allocation here beyond the engine's own.
        self._buffer = np.zeros(self.spec.context + max(chunk_hint, 1), np.float32)
        self._filled = 0
        self._empty = np.zeros((0, len(self.spec.output_names)), np.float32)
        self.frames_done = 0  # frames returned so far: the global index of the next one
        self.samples_seen = 0

    def warm_up(self, chunk_samples: int) -> None:
        """Run silence of a chunk's size through the engine, leaving the stream as it was: the first
        run of a session allocates and plans, which should not fall on the first chunk of audio."""
        silence = np.zeros(self.spec.context + max(chunk_samples - self.spec.stride, 0), np.float32)
        if self._incremental is not None:
            stream = incremental_stream_of(self.engine)  # a stream of its own: this one's past stays empty
            stream.push(torch.from_numpy(silence[: self.spec.context]))
            stream.push(torch.from_numpy(silence[:chunk_samples]))
            return
        self.engine(silence[None])

    def push(self, samples: np.ndarray) -> np.ndarray:
        """``(new_frames, outputs)`` probabilities: the frames whose context ``samples`` completes."""
        if self._incremental is not None:
            return self._push_incremental(samples)
        spec, n = self.spec, len(samples)
        needed = self._filled + n
        if needed > len(self._buffer):
            grown = np.zeros(max(needed, 2 * len(self._buffer)), np.float32)
            grown[: self._filled] = self._buffer[: self._filled]
            self._buffer = grown
        self._buffer[self._filled : needed] = samples
        self._filled, self.samples_seen = needed, self.samples_seen + n
        frames = spec.frames(needed)
        if frames == 0:
            return self._empty
        rows = self.engine(self._buffer[None, : (frames - 1) * spec.stride + spec.context])[0].T
        # keep what the next frame starts with: the overlap plus any part of a stride
        consumed = frames * spec.stride
        self._buffer[: needed - consumed] = self._buffer[consumed:needed]
        self._filled = needed - consumed
        self.frames_done += frames
        return rows

    def _push_incremental(self, samples: np.ndarray) -> np.ndarray:
        self.samples_seen += len(samples)
        with torch.inference_mode():
            logits = self._incremental.push(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)))
            if logits.shape[-1] == 0:
                return self._empty
            rows = activated(logits, self.spec.overlapped, self.spec.temperature, dim=0).T.numpy()
        self.frames_done += len(rows)
        return rows


@dataclass(frozen=True)
class StreamEvent:
    """A predicted event in samples from the start of the stream; ``stop`` is None for an onset message.

    ``score`` is what ``hark ethogram`` gives: the run's highest probability, or for a syllable
    of a dense model the mean probability of its label (NaN for an onset).
    """

    label: str
    start: int
    stop: int | None
    score: float

    @property
    def is_onset(self) -> bool:
        return self.stop is None


class EventTracker:
    """Turns streamed frames into events: ``update`` with each block of rows, ``finish`` at the end.

    Per label, the same runs as :func:`hark.evaluate.events.probability_runs` over the whole
    stream (a run cut by a block's edge is carried over), placed by ``frames_to_samples``.
    Subclasses find runs of something else (:class:`SyllableTracker`): a run is a channel's
    ``[start, stop)`` frames with a summary (here the peak) that merges across blocks.
    """

    def __init__(
        self,
        output_names: Sequence[str],
        thresholds: Mapping[str, float],
        *,
        stride: int,
        offset: int,
        overlapped: bool = False,
        onsets: bool = False,
    ):
        unknown = sorted(set(thresholds) - set(output_names))
        if unknown:
            raise HarkError(f"threshold for {unknown[0]!r}, which the model does not output ({', '.join(output_names)})")
        self.labels = list(self._labelled(output_names))
        self._limits = [thresholds.get(label, math.nan) for label in self.labels]  # no threshold: no events
        self._limit_vector = np.array(self._limits)
        self._exclusive = not overlapped
        self.stride, self.offset, self.onsets = stride, offset, onsets
        self._open: list = [None] * self._channels()  # (first frame, summary) of each channel's open run
        self._frames = 0

    @classmethod
    def for_model(cls, spec: ModelSpec, supervision: str, thresholds: Mapping[str, float], onsets: bool = False) -> EventTracker:
        """The tracker of ``hark ethogram``'s rules for the model: syllables for dense supervision."""
        tracker = SyllableTracker if supervision_of(supervision).dense else EventTracker
        return tracker(
            spec.output_names, thresholds, stride=spec.stride, offset=spec.context // 2, overlapped=spec.overlapped, onsets=onsets
        )

    def _labelled(self, output_names: Sequence[str]) -> Sequence[str]:
        return output_names

    def _channels(self) -> int:
        return len(self.labels)

    def _runs(self, rows: np.ndarray) -> list[list[tuple[int, int, object]]]:
        """Per channel, its runs in ``rows``: ``(start, stop, summary)``."""
        runs = probability_runs(rows, self.labels, self._limits, exclusive=self._exclusive)
        return [list(zip(r.starts.tolist(), r.stops.tolist(), r.peaks.tolist())) for r in runs]

    def _merged(self, earlier, later):
        return max(earlier, later)

    def _label_and_score(self, channel: int, summary) -> tuple[str, float]:
        return self.labels[channel], summary

    def _quiet(self, rows: np.ndarray) -> bool:
        """Whether no frame of ``rows`` can begin a run (a cheap test for most chunks)."""
        return not (rows >= self._limit_vector).any()

    def update(self, rows: np.ndarray) -> list[StreamEvent]:
        """Onsets (if asked for) and the events that ended within ``rows``, the next frames of the stream."""
        n, first = len(rows), self._frames
        self._frames += n
        if n == 0 or (self._open.count(None) == len(self._open) and self._quiet(rows)):
            return []  # nothing going on or beginning: most chunks, at a tenth of the cost of finding runs
        ended: list[tuple[int, int, int, object]] = []  # (channel, start frame, stop frame, summary)
        onsets: list[StreamEvent] = []
        for c, runs in enumerate(self._runs(rows)):
            carried = self._open[c]
            if carried is not None and not (runs and runs[0][0] == 0):
                # this block opens with a frame outside any run: the run ended with the previous block
                ended.append((c, carried[0], first, carried[1]))
                self._open[c] = carried = None
            for start, stop, summary in runs:
                if start == 0 and carried is not None:  # the run goes on from the previous block
                    start, summary = carried[0] - first, self._merged(carried[1], summary)
                    self._open[c] = carried = None
                elif self.onsets:
                    sample = max(0, self.offset + (first + start) * self.stride - self.stride // 2)
                    onsets.append(StreamEvent(self._label_and_score(c, summary)[0], sample, None, math.nan))
                if stop == n:
                    self._open[c] = (first + start, summary)
                else:
                    ended.append((c, first + start, first + stop, summary))
        onsets.sort(key=lambda e: (e.start, e.label))
        return onsets + self._events(ended, None)

    def finish(self, length: int | None = None) -> list[StreamEvent]:
        """The events still open at the end of the stream of ``length`` samples (which clips them)."""
        ended = [(c, run[0], self._frames, run[1]) for c, run in enumerate(self._open) if run is not None]
        self._open = [None] * len(self._open)
        return self._events(ended, length)

    def _events(self, ended: list[tuple[int, int, int, object]], length: int | None) -> list[StreamEvent]:
        if not ended:
            return []
        ended.sort(key=lambda e: (e[2], e[1], e[0]))  # in the order they ended
        spans = frames_to_samples(np.array([e[1] for e in ended]), np.array([e[2] for e in ended]), self.stride, self.offset, length)
        events = []
        for (c, _, _, summary), (start, stop) in zip(ended, spans.tolist()):
            if stop > start:  # else frames wholly past the end of the stream
                label, score = self._label_and_score(c, summary)
                events.append(StreamEvent(label, start, stop, score))
        return events


class SyllableTracker(EventTracker):
    """Events of a dense model (output 0 the background): sound first, then which label.

    As :mod:`hark.evaluate.segments` decides it: a frame is sound where any label other than
    the background reaches its threshold, runs of sound frames are syllables, and a syllable's
    label is the one with the largest summed probability over its frames (its score the mean
    of that probability). The boundaries follow ``frames_to_samples``; filling short gaps,
    dropping short syllables and placing boundaries between frames are left to ``hark ethogram``.
    """

    def _labelled(self, output_names: Sequence[str]) -> Sequence[str]:
        return output_names[1:]

    def _channels(self) -> int:
        return 1  # one run of sound at a time, whatever its label

    def _sound(self, rows: np.ndarray) -> np.ndarray:
        # a label without a threshold never makes sound (NaN compares False)
        return (rows[:, 1:] >= self._limit_vector).any(axis=1)

    def _quiet(self, rows: np.ndarray) -> bool:
        return not self._sound(rows).any()

    def _runs(self, rows: np.ndarray) -> list[list[tuple[int, int, object]]]:
        edges = np.diff(self._sound(rows).astype(np.int8), prepend=0, append=0)
        starts, stops = np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()
        # summary: the summed probability of each label over the run's frames, then their count
        return [[(a, b, np.append(rows[a:b, 1:].sum(axis=0, dtype=np.float64), b - a)) for a, b in zip(starts, stops)]]

    def _merged(self, earlier, later):
        return earlier + later

    def _label_and_score(self, channel: int, summary) -> tuple[str, float]:
        best = int(np.argmax(summary[:-1]))  # ties go to the first label
        return self.labels[best], float(summary[best] / summary[-1])


@dataclass(frozen=True)
class AudioChunk:
    """New samples (float32, one channel) and when the last of them became available (``time.perf_counter``)."""

    samples: np.ndarray
    available: float


def chunk_samples_for(samplerate: int, chunk_ms: float) -> int:
    if not chunk_ms > 0 or not math.isfinite(chunk_ms):
        raise ParameterError("chunk_ms", f"{{param}} {chunk_ms:g} must be a positive number of milliseconds")
    samples = int(round(chunk_ms * samplerate / 1000))
    if samples < 1:
        raise ParameterError("chunk_ms", f"{{param}} {chunk_ms:g} is less than one sample at {samplerate} Hz")
    return samples


def file_chunks(recording: Recording, chunk_samples: int, speed: float = 1.0) -> Iterator[AudioChunk]:
    """A recording played at ``speed`` times real time (0: as fast as it can be read).

    Each chunk is read ahead, then held back until the moment its last sample would have been
    recorded, so latency is measured as for a live source; a slow consumer makes later chunks late.
    """
    if speed < 0 or not math.isfinite(speed):
        raise ParameterError("speed", f"{{param}} {speed:g} must be 0 (as fast as possible) or positive")
    start = time.perf_counter()
    for chunk in recording.chunks(chunk_samples):
        if speed == 0:
            yield AudioChunk(chunk.data, time.perf_counter())
            continue
        available = start + chunk.stop / (recording.samplerate * speed)
        wait = available - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        yield AudioChunk(chunk.data, available)


def raw_chunks(
    stream: BinaryIO, chunk_samples: int, sample_format: SampleFormat = "int16", channels: int = 1, channel: int = 0
) -> Iterator[AudioChunk]:
    """Raw little-endian interleaved samples from ``stream`` (standard input), ``chunk_samples`` per channel at a time.

    Reads block until a whole chunk has arrived or the stream ends; the last chunk may be
    shorter, and bytes of an incomplete last sample frame are dropped.
    """
    if sample_format not in RAW_DTYPES:
        raise ParameterError("sample_format", f"{{param}} {sample_format!r}: expected int16 or float32")
    if channels < 1 or not 0 <= channel < channels:
        raise ParameterError("channel", f"{{param}} {channel} does not exist in {channels} channel(s), numbered from 0")
    dtype = RAW_DTYPES[sample_format]
    frame_bytes = dtype.itemsize * channels
    block = bytearray(chunk_samples * frame_bytes)
    view = memoryview(block)
    scale = np.float32(1 / 32768) if sample_format == "int16" else None
    while True:
        got = 0
        while got < len(block):
            n = stream.readinto(view[got:])
            if not n:
                break
            got += n
        whole = got // frame_bytes
        if whole:
            data = np.frombuffer(block, dtype, whole * channels)[channel::channels]
            samples = data * scale if scale is not None else data.astype(np.float32)
            yield AudioChunk(samples, time.perf_counter())
        if got < len(block):  # the end of the stream
            return


def run_stream(
    chunks: Iterable[AudioChunk],
    classifier: StreamingClassifier,
    tracker: EventTracker,
    emit: Callable[[list[StreamEvent]], None],
    latencies: list[float] | None = None,
) -> list[float]:
    """Classify each chunk and ``emit`` its onsets and ended events (possibly none), then the events
    open at the end; returns each chunk's latency in seconds (appended to ``latencies`` as they come,
    so a caller interrupted part-way still has them)."""
    latencies = [] if latencies is None else latencies
    for chunk in chunks:
        emit(tracker.update(classifier.push(chunk.samples)))
        latencies.append(time.perf_counter() - chunk.available)
    emit(tracker.finish(classifier.samples_seen))
    return latencies


def latency_percentiles(latencies: Sequence[float], percents: Sequence[float] = (50, 90, 99)) -> dict[float, float]:
    """Percentiles of latencies, in milliseconds (NaN for none)."""
    if not len(latencies):
        return {p: math.nan for p in percents}
    values = np.percentile(np.asarray(latencies) * 1000, percents)
    return dict(zip(percents, values.tolist()))
