"""Clip supervision: each recording is one example with one label (whale upcalls, bird species).

A clip's label is the one requested label among its annotations; a clip annotated with
several takes the label whose event spans the whole file (hark's demo and most clip data
sets mark a clip with one event ``[0, frames]``). With overlapped classes a clip may carry
several labels: each ``x`` annotation makes output ``x`` positive, each ``not_x`` negative,
and the outputs it says nothing about are masked out. A rejected ``x`` event says "not x":
with overlapped classes a negative of ``x``, with exclusive ones the clip's label only when
no accepted event names one (:meth:`~hark.train.examples.Classes.rejected_as`).

Clips may differ in length; the model reads windows of one length (:mod:`hark.dsp.clip_windows`).
The window is ``window.length`` samples when the trainer gives one, else ``clip_window_s``
(at most the longest clip, so clips that all fit in it are read whole, as before windows
existed). Training draws one window of each clip it picks, at a random offset each time;
validation reads every clip as windows ``clip_overlap`` apart covering all of it, each row
labelled with its clip (``hark accuracy`` aggregates a clip's rows, ``clip_aggregation``).
A clip shorter than the window is padded (``clip_padding``: repeated, or zeros).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Status
from hark.dsp.clip_windows import Padding, cut_clip_window, hop_of, random_start, window_starts
from hark.errors import HarkError
from hark.train.data_load import Annotation
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.examples import Classes, Example, ExamplePool, count_labels

# How a validation clip with several overlapped labels is named in ExampleRef.label.
LABEL_JOINER = "|"


def clip_examples(
    annotations: Sequence[Annotation], classes: Classes, frames_of: dict[str, int]
) -> tuple[list[Example], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The clips' examples, and for overlapped classes each clip's target and mask vectors."""
    by_clip: dict[str, list[Annotation]] = {}
    for annotation in annotations:
        taught = classes.taught_label(annotation.event)  # a rejected x: not x (Classes.rejected_as)
        if taught is not None and classes.target_of(taught) is not None:
            if taught != annotation.event.label:
                annotation = Annotation(annotation.event.with_(label=taught), annotation.csv)
            by_clip.setdefault(annotation.event.recording, []).append(annotation)
    examples: list[Example] = []
    targets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for recording in sorted(by_clip):
        frames = frames_of[recording]
        found = by_clip[recording]
        if classes.overlapped:
            clip_targets, labels = _overlapped_targets(found, classes)
            targets[recording] = clip_targets
        else:
            # what a clip is beats what it is not: a rejected event's fallback only labels a clip with no other
            positives = [a for a in found if a.event.status is not Status.REJECTED]
            labels = [_exclusive_label(positives or found, frames)]
        for label in labels:
            output, positive = classes.target_of(label)
            examples.append(Example(recording, 0, frames, label, output, positive))
    return examples, targets


def clip_key(groups: Mapping[str, str] | None = None) -> Callable[[Example], tuple]:
    """How the split keys a clip: by its group when it has one (all clips of a group, so all
    their windows, go the same way), else by the clip itself (all its labels and windows together)."""
    known = dict(groups or {})

    def key(example: Example) -> tuple:
        group = known.get(example.recording)
        return ("group", group) if group else ("clip", example.recording)

    return key


def _exclusive_label(found: list[Annotation], frames: int) -> str:
    labels = sorted({a.event.label for a in found})
    if len(labels) == 1:
        return labels[0]
    spanning = sorted({a.event.label for a in found if a.event.start <= 0 and a.event.stop >= frames - 1})
    if len(spanning) == 1:
        return spanning[0]
    raise HarkError(
        f"{found[0].csv}: clip {found[0].event.recording} is annotated {', '.join(labels)}; clip supervision "
        "needs one label per clip (or a single label whose event spans the whole file)"
    )


def _overlapped_targets(found: list[Annotation], classes: Classes) -> tuple[tuple[np.ndarray, np.ndarray], list[str]]:
    y = np.zeros(len(classes.labels), dtype=np.float32)
    mask = np.zeros(len(classes.labels), dtype=np.float32)
    labels = sorted({a.event.label for a in found})
    for label in labels:
        output, positive = classes.target_of(label)
        if mask[output] and y[output] != float(positive):
            raise HarkError(
                f"{found[0].csv}: clip {found[0].event.recording} is annotated both {classes.labels[output]!r} "
                f"and {classes.not_prefix + classes.labels[output]!r}"
            )
        y[output], mask[output] = float(positive), 1.0
    return (y, mask), labels


@dataclass(frozen=True)
class ClipWindows:
    """How clips become windows: ``window`` samples (0: the longest clip), validation windows
    overlapping by ``overlap``, short clips padded by ``padding``."""

    window: int = 0
    overlap: float = 0.5
    padding: Padding = "repeat"


def clip_window_samples(clip_window_s: float, samplerate: int, longest: int) -> int:
    """The window of ``clip_window_s`` seconds, at most the longest clip (and at least one sample)."""
    return max(1, min(int(round(clip_window_s * samplerate)), longest))


class ClipSource:
    """Batches of clip windows: random crops for training, every window of a clip for validation."""

    def __init__(
        self,
        training: list[Example],
        validation: list[Example],
        targets: dict[str, tuple[np.ndarray, np.ndarray]],
        audio: dict[str, np.ndarray],
        classes: Classes,
        equalize: bool,
        windows: ClipWindows = ClipWindows(),
    ):
        self.training = ExamplePool(training, equalize)
        self.validation = validation
        # One validation row per clip window, however many labels the clip carries.
        self.validation_clips = sorted({e.recording for e in validation})
        self.targets = targets
        self.audio = audio
        self.classes = classes
        used = [e.recording for e in training] + self.validation_clips
        self.longest = max((len(audio[name]) for name in used), default=0)
        self.windows = windows
        self._output_of = {e.recording: e.output for e in [*training, *validation]}

    @property
    def n_training(self) -> int:
        return len(self.training)

    @property
    def window(self) -> int:
        """Samples in the window the model reads when the trainer gives none."""
        return self.windows.window if self.windows.window > 0 else self.longest

    def _length(self, window: Window | None) -> int:
        return self.window if window is None or window.length == 0 else window.length

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window | None) -> Batch:
        length = self._length(window)
        chosen = self.training.draw(rng, batch_size)
        offsets = [random_start(len(self.audio[e.recording]), length, rng) for e in chosen]
        return self._batch([e.recording for e in chosen], offsets, length, [e.label for e in chosen])

    def validation_windows(self, window: Window | None = None) -> list[tuple[str, int]]:
        """``(clip, start)`` of every validation window, clip by clip, in a fixed order."""
        length = self._length(window)
        hop = hop_of(length, self.windows.overlap)
        return [(c, int(start)) for c in self.validation_clips for start in window_starts(len(self.audio[c]), length, hop)]

    def validation_batches(self, batch_size: int, window: Window | None) -> Iterator[Batch]:
        length = self._length(window)
        labels_of: dict[str, list[str]] = {}
        for example in self.validation:
            labels_of.setdefault(example.recording, []).append(example.label)
        windows = self.validation_windows(window)
        for first in range(0, len(windows), batch_size):
            part = windows[first : first + batch_size]
            clips = [c for c, _ in part]
            yield self._batch(clips, [s for _, s in part], length, [LABEL_JOINER.join(labels_of[c]) for c in clips])

    def _batch(self, clips: Sequence[str], offsets: Sequence[int], length: int, labels: Sequence[str]) -> Batch:
        padding = self.windows.padding
        x = np.stack([cut_clip_window(self.audio[c], offset, length, padding) for c, offset in zip(clips, offsets)])
        where = [
            ExampleRef(c, offset + min(length, len(self.audio[c]) - offset) // 2, label)
            for c, offset, label in zip(clips, offsets, labels)
        ]
        if not self.classes.overlapped:
            return Batch(x, np.array([self._output_of[c] for c in clips], dtype=np.int64), None, where)
        y = np.stack([self.targets[c][0] for c in clips])
        mask = np.stack([self.targets[c][1] for c in clips])
        return Batch(x, y, mask, where)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"training": count_labels(self.training.examples), "validation": count_labels(self.validation)}

    def manifest(self) -> dict:
        def clips(examples: Sequence[Example]) -> list[dict]:
            labels_of: dict[str, list[str]] = {}
            for example in examples:
                labels_of.setdefault(example.recording, []).append(example.label)
            return [{"recording": name, "labels": labels} for name, labels in sorted(labels_of.items())]

        return {"training": clips(self.training.examples), "validation": clips(self.validation)}
