"""Background mixing: another stretch of training audio, with no annotation near it, added at a random SNR.

A new recording brings its own background (other flies, the cage, the room, the amplifier);
``background`` teaches the model to ignore the kinds it has heard in training. Its pool is
built once from the training data (:class:`TrainingAudio`, which
:class:`~hark.train.data.TrainingData` hands over through
:meth:`~hark.train.augment.Augmentation.prepare`):

* only audio that training may see: recordings held out whole for validation or testing never
  contribute, nor do validation or test blocks or regions (dense, or sparse held out by blocks);
* only stretches with no annotation of any label (of the kinds read) within ``margin_ms``, so
  no annotated sound, and no held-out example's surroundings, is ever mixed in;
* only stretches at least ``min_stretch_ms`` long.

With sparse labels the unannotated stretches may still hold unlabelled calls: mixing them in
at a high SNR keeps them faint, but prefer dense (fully annotated) recordings for this.
Where a stretch is shorter than the example it continues mirrored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from hark.errors import HarkError
from hark.params import Params
from hark.train.augment import Augmentation, _chosen, _probability, _RangeParams, register_augmentation
from hark.train.augment_signal import reflect_index

Span = tuple[int, int]  # [start, stop) in samples


@dataclass(frozen=True)
class TrainingAudio:
    """What augmentations may know of the training data.

    ``audio``: every recording in memory; ``held_out``: per recording the spans validation or
    testing uses (a recording held out whole: ``[(0, len)]``); ``annotated``: per recording
    every annotation of any label as a span (a point: one sample).
    """

    samplerate: int
    audio: Mapping[str, np.ndarray]
    held_out: Mapping[str, Sequence[Span]] = field(default_factory=dict)
    annotated: Mapping[str, Sequence[Span]] = field(default_factory=dict)

    def unannotated(self, margin: int, min_length: int) -> list[tuple[str, int, int]]:
        """``(recording, start, stop)`` of every stretch at least ``min_length`` long that lies ``margin``
        samples or more from any annotation and any held-out span."""
        stretches = []
        for name in sorted(self.audio):
            length = len(self.audio[name])
            excluded = sorted((max(lo - margin, 0), min(hi + margin, length)) for lo, hi in [*self.held_out.get(name, ()), *self.annotated.get(name, ())])
            cursor = 0
            for lo, hi in [*excluded, (length, length)]:
                if lo - cursor >= min_length:
                    stretches.append((name, cursor, lo))
                cursor = max(cursor, hi)
        return stretches


def training_audio_of(data: Any, annotations: Sequence[Any]) -> TrainingAudio:
    """The :class:`TrainingAudio` of a :class:`~hark.train.data.TrainingData` and the annotations read with it.

    Events supervision keeps only the events' crops in memory: its ``audio`` is empty.
    """
    source = getattr(data.source, "dense", data.source)  # unsupervised data wraps a dense source
    audio = getattr(source, "audio", None)
    if audio is None:
        return TrainingAudio(int(data.samplerate), {})
    annotated: dict[str, list[Span]] = {}
    for annotation in annotations:
        event = annotation.event
        annotated.setdefault(event.recording, []).append((event.start, max(event.stop, event.start + 1)))
    held_out: dict[str, list[Span]] = {}
    if hasattr(source, "validation_regions"):  # dense and unsupervised: the split is in regions
        for regions in (source.validation_regions, getattr(source, "test_regions", {})):
            for name, spans in regions.items():
                held_out.setdefault(name, []).extend((int(lo), int(hi)) for lo, hi in spans)
    else:
        summary, manifest = data.summary(), data.split_manifest()
        whole = set(summary["recordings"]["test"]) if data.params.test_recordings else set()
        from hark.train.supervisions import supervision_of  # the supervisions' builders import the augmentations

        whole_clips = supervision_of(data.params.supervision).whole_clips  # a clip is held out whole
        if summary["split"] == "recordings" or whole_clips:
            whole |= set(summary["recordings"]["validation"])
        if whole_clips:
            whole |= set(summary["recordings"]["test"])
        for name in whole & set(audio):
            held_out[name] = [(0, len(audio[name]))]
        for name, spans in (manifest.get("validation_blocks") or {}).items():
            held_out.setdefault(name, []).extend((int(lo), int(hi)) for lo, hi in spans)
    return TrainingAudio(int(data.samplerate), audio, held_out, annotated)


class BackgroundParams(_RangeParams):
    _range_fields: ClassVar[tuple[str, str]] = ("min_snr_db", "max_snr_db")
    min_snr_db: float = Field(3.0, ge=-30, le=80, description="lowest signal-to-noise ratio: the example's RMS over the background's (dB)")
    max_snr_db: float = Field(20.0, ge=-30, le=80, description="highest signal-to-noise ratio (dB)")
    margin_ms: float = Field(100.0, ge=0, le=60_000, description="background is taken at least this far from any annotation or held-out audio (ms)")
    min_stretch_ms: float = Field(20.0, gt=0, le=60_000, description="unannotated stretches shorter than this are not used (ms)")
    probability: float = _probability(1.0)
    if_no_pool: Literal["refuse", "skip"] = Field(
        "refuse",
        description="when the training data hold no unannotated audio to mix in: refuse to train, or skip background (and say so); "
        "a supervision's default background skips, since fully annotated recordings have none",
    )


@register_augmentation("background")
class Background(Augmentation):
    """Adds a random stretch of unannotated training audio, scaled to a signal-to-noise ratio drawn uniformly in dB.

    Needs the training data's pool (:meth:`prepare`, which training data does). An example or
    a stretch that is silent is left as it is.
    """

    Params = BackgroundParams

    def __init__(self, params: Params | dict[str, Any] | None = None):
        super().__init__(params)
        self._audio: Mapping[str, np.ndarray] = {}
        self.stretches: list[tuple[str, int, int]] = []
        self._cumulative = np.zeros(0)
        self.note: str | None = None  # why background is skipped (if_no_pool="skip" and no pool), for training's report

    def prepare(self, training: Any) -> None:
        p = self.params
        margin = int(round(p.margin_ms / 1000 * training.samplerate))
        min_length = max(int(round(p.min_stretch_ms / 1000 * training.samplerate)), 1)
        if not training.audio:
            self._no_pool("the training data holds no whole recordings in memory (events supervision reads only the events' crops)")
            return
        self.stretches = training.unannotated(margin, min_length)
        if not self.stretches:
            self._no_pool(
                f"no training audio of {p.min_stretch_ms:g} ms or more lies {p.margin_ms:g} ms from every "
                "annotation and held-out stretch; lower margin_ms or min_stretch_ms, or add unannotated training audio"
            )
            return
        self._audio = training.audio
        self._cumulative = np.cumsum([hi - lo for _, lo, hi in self.stretches]).astype(np.float64)

    def _no_pool(self, why: str) -> None:
        if self.params.if_no_pool == "refuse":
            raise HarkError(f"augmentation background: {why}")
        self.note = f"augmentation background skipped: {why}"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.note is not None:  # skipped: no pool to draw from
            return x
        if not self.stretches:
            raise HarkError("augmentation background needs a pool of training audio: prepare it with the training data first")
        p = self.params
        n, length = x.shape
        snr_db = rng.uniform(p.min_snr_db, p.max_snr_db, size=n)
        chosen = _chosen(rng, n, p.probability)
        which, where = rng.random(n), rng.random(n)
        out = np.array(x, dtype=np.float32, copy=True)
        for row in np.flatnonzero(chosen):
            # a stretch with probability proportional to its length, so every pool sample is equally likely
            stretch = min(int(np.searchsorted(self._cumulative, which[row] * self._cumulative[-1], side="right")), len(self.stretches) - 1)
            noise = self._snippet(stretch, float(where[row]), length)
            signal_rms = np.sqrt(np.mean(np.square(x[row], dtype=np.float64)))
            noise_rms = np.sqrt(np.mean(np.square(noise)))
            if signal_rms > 0 and noise_rms > 0:
                out[row] = x[row] + noise * (signal_rms / noise_rms * 10.0 ** (-snr_db[row] / 20.0))
        return out

    def _snippet(self, stretch: int, where: float, length: int) -> np.ndarray:
        name, lo, hi = self.stretches[stretch]
        span = hi - lo
        if span >= length:
            start = lo + int(where * (span - length + 1))
            return np.asarray(self._audio[name][start : start + length], dtype=np.float64)
        start = int(where * span)
        return np.asarray(self._audio[name][lo:hi], dtype=np.float64)[reflect_index(np.arange(length) + start, span)]
