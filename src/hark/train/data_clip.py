"""Clip supervision: each recording is one example with one label (whale upcalls, bird species).

A clip's label is the one requested label among its annotations; a clip annotated with
several takes the label whose event spans the whole file (hark's demo and most clip data
sets mark a clip with one event ``[0, frames]``). With overlapped classes a clip may carry
several labels: each ``x`` annotation makes output ``x`` positive, each ``not_x`` negative,
and the outputs it says nothing about are masked out.

Clips may differ in length. A batch is ``window.length`` samples long (by default the
longest clip): shorter clips are zero-padded at the end, longer ones cropped, at a random
offset for training and in the middle for validation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from hark.errors import HarkError
from hark.train.data_load import Annotation
from hark.train.data_types import Batch, ExampleRef, Window, cut_window
from hark.train.examples import Classes, Example, ExamplePool, count_labels

# How a validation clip with several overlapped labels is named in ExampleRef.label.
LABEL_JOINER = "|"


def clip_examples(
    annotations: Sequence[Annotation], classes: Classes, frames_of: dict[str, int]
) -> tuple[list[Example], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The clips' examples, and for overlapped classes each clip's target and mask vectors."""
    by_clip: dict[str, list[Annotation]] = {}
    for annotation in annotations:
        if classes.target_of(annotation.event.label) is not None:
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
            labels = [_exclusive_label(found, frames)]
        for label in labels:
            output, positive = classes.target_of(label)
            examples.append(Example(recording, 0, frames, label, output, positive))
    return examples, targets


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


class ClipSource:
    """Batches of whole clips."""

    def __init__(
        self,
        training: list[Example],
        validation: list[Example],
        targets: dict[str, tuple[np.ndarray, np.ndarray]],
        audio: dict[str, np.ndarray],
        classes: Classes,
        equalize: bool,
    ):
        self.training = ExamplePool(training, equalize)
        self.validation = validation
        # One validation row per clip, however many labels it carries.
        self.validation_clips = sorted({e.recording for e in validation})
        self.targets = targets
        self.audio = audio
        self.classes = classes
        used = [e.recording for e in training] + self.validation_clips
        self.longest = max((len(audio[name]) for name in used), default=0)
        self._output_of = {e.recording: e.output for e in [*training, *validation]}

    @property
    def n_training(self) -> int:
        return len(self.training)

    def _length(self, window: Window | None) -> int:
        return self.longest if window is None or window.length == 0 else window.length

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window | None) -> Batch:
        length = self._length(window)
        chosen = self.training.draw(rng, batch_size)
        offsets = [int(rng.integers(0, max(len(self.audio[e.recording]) - length, 0) + 1)) for e in chosen]
        return self._batch([e.recording for e in chosen], offsets, length, [e.label for e in chosen])

    def validation_batches(self, batch_size: int, window: Window | None) -> Iterator[Batch]:
        length = self._length(window)
        labels_of: dict[str, list[str]] = {}
        for example in self.validation:
            labels_of.setdefault(example.recording, []).append(example.label)
        for first in range(0, len(self.validation_clips), batch_size):
            clips = self.validation_clips[first : first + batch_size]
            offsets = [max(len(self.audio[c]) - length, 0) // 2 for c in clips]
            yield self._batch(clips, offsets, length, [LABEL_JOINER.join(labels_of[c]) for c in clips])

    def _batch(self, clips: Sequence[str], offsets: Sequence[int], length: int, labels: Sequence[str]) -> Batch:
        x = np.stack([cut_window(self.audio[c], offset, length) for c, offset in zip(clips, offsets)])
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
