"""Sparse supervision (SongExplorer's): every labelled point and range is one example.

A point is drawn at its time; a range at a uniformly random time inside ``[start, stop)``
each time it is drawn for training, and at its middle for validation. The window is placed
so that its middle output frame describes the drawn time. Windows that run off either end
of a recording are zero-padded rather than dropped, so that sounds near the edges still
count; the model sees silence there, as it does when it classifies the recording's ends.

With overlapped classes each output is a sigmoid: a ``<label>`` annotation is a positive of
that output, a ``not_<label>`` annotation a negative of it, and the other outputs of that
example are unknown (masked out), as in SongExplorer.

A ``rejected`` event (a person's verdict) is never a positive of its label: it teaches what
:meth:`Classes.rejected_as` says, a ``not_<label>`` or fallback example, or nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Event, Status
from hark.errors import HarkError
from hark.train.data_load import Annotation
from hark.train.data_types import Batch, ExampleRef, Window, cut_window


@dataclass(frozen=True)
class Classes:
    """The requested labels, and how an annotated label maps onto the model's outputs."""

    labels: tuple[str, ...]
    overlapped: bool = False
    not_prefix: str = "not_"
    rejected_fallbacks: tuple[str, ...] = ()  # exclusive classes: where a rejected event goes when not_<label> is no label

    def rejected_as(self, label: str) -> str | None:
        """The label a rejected ``label`` event teaches, or None (left out).

        Overlapped classes: ``not_<label>``, a negative of its output. Exclusive classes: the
        first of ``not_<label>`` and the fallbacks (``rejected_label``, ``background_label``)
        that is a label other than its own; none: the event is left out, since a softmax has
        no way to say only "not this one". A rejected event of a label not used teaches nothing.
        """
        if label not in self.labels:
            return None
        if self.overlapped:
            return self.not_prefix + label
        for candidate in (self.not_prefix + label, *self.rejected_fallbacks):
            if candidate != label and candidate in self.labels:
                return candidate
        return None

    def taught_label(self, event: Event) -> str | None:
        """The annotated label ``event`` teaches: its own, or for a rejected one :meth:`rejected_as`'s."""
        return self.rejected_as(event.label) if event.status is Status.REJECTED else event.label

    def target_of(self, label: str) -> tuple[int, bool] | None:
        """``(output index, positive)`` for an annotated label, or None if it is not used."""
        if label in self.labels:
            return self.labels.index(label), True
        if self.overlapped and label.startswith(self.not_prefix):
            positive = label[len(self.not_prefix) :]
            if positive in self.labels:
                return self.labels.index(positive), False
        return None

    @property
    def annotation_labels(self) -> list[str]:
        """The annotated labels that make examples: the labels, and with overlapped classes their negatives."""
        if not self.overlapped:
            return list(self.labels)
        return [name for label in self.labels for name in (label, self.not_prefix + label)]


@dataclass(frozen=True)
class Example:
    """One annotation of a used label: ``[start, stop)`` in ``recording`` (start == stop: a point)."""

    recording: str
    start: int
    stop: int
    label: str  # as annotated: "x", or "not_x" for a negative of an overlapped class
    output: int
    positive: bool = True

    def key(self) -> tuple:
        """What identifies the annotation, for the seeded split."""
        return (self.recording, self.start, self.stop, self.label)

    def as_dict(self) -> dict:
        return {"recording": self.recording, "start": self.start, "stop": self.stop, "label": self.label}


def sparse_examples(annotations: Sequence[Annotation], classes: Classes, frames_of: dict[str, int]) -> list[Example]:
    """The examples of the used labels, in a fixed order; an annotation past a recording's end is an error."""
    examples = []
    for annotation in annotations:
        event = annotation.event
        label = classes.taught_label(event)
        target = None if label is None else classes.target_of(label)
        if target is None:
            continue
        frames = frames_of[event.recording]
        if event.start >= frames:
            raise HarkError(
                f"{annotation.csv}: {event.label!r} at {event.start}..{event.stop} lies beyond the end of "
                f"{event.recording} ({frames} samples)"
            )
        examples.append(Example(event.recording, event.start, min(event.stop, frames), label, *target))
    return sorted(examples, key=Example.key)


class ExamplePool:
    """Draws examples at random: equally often per label (``equalize``) or each example equally often."""

    def __init__(self, examples: Sequence[Example], equalize: bool):
        self.examples = list(examples)
        self.equalize = equalize
        by_label: dict[str, list[int]] = {}
        for i, example in enumerate(self.examples):
            by_label.setdefault(example.label, []).append(i)
        self.group_names = sorted(by_label)
        self._groups = [np.array(by_label[name]) for name in self.group_names]

    def __len__(self) -> int:
        return len(self.examples)

    def draw(self, rng: np.random.Generator, n: int) -> list[Example]:
        if not self.examples:
            raise HarkError("there are no training examples to draw from")
        if not self.equalize:
            return [self.examples[i] for i in rng.integers(0, len(self.examples), size=n)]
        groups = rng.integers(0, len(self._groups), size=n)
        within = rng.random(n)
        return [self.examples[self._groups[g][int(u * len(self._groups[g]))]] for g, u in zip(groups, within)]


def draw_times(examples: Sequence[Example], rng: np.random.Generator | None) -> np.ndarray:
    """A time in each example: uniform in a range (its middle without ``rng``), the point itself."""
    starts = np.array([e.start for e in examples], dtype=np.int64)
    spans = np.array([e.stop - e.start for e in examples], dtype=np.int64)
    if rng is None:
        return starts + spans // 2
    return starts + (rng.random(len(examples)) * spans).astype(np.int64)


class SparseSource:
    """Batches of sparse examples, each window centred on its example's drawn time."""

    def __init__(
        self,
        training: list[Example],
        validation: list[Example],
        audio: dict[str, np.ndarray],
        classes: Classes,
        equalize: bool,
        validation_blocks: dict[str, list[tuple[int, int]]] | None = None,
    ):
        self.training = ExamplePool(training, equalize)
        self.validation = validation
        self.audio = audio
        self.classes = classes
        self.validation_blocks = validation_blocks or {}
        self._pools: dict[Window, ExamplePool] = {}

    @property
    def n_training(self) -> int:
        return len(self.training)

    def training_pool(self, window: Window) -> ExamplePool:
        """The training examples whose every window keeps clear of the validation blocks.

        With a split by blocks, a training example near a held-out block would otherwise put
        validation audio into its windows; such examples are left out (neither side).
        """
        if not self.validation_blocks or not len(self.training):
            return self.training
        if window not in self._pools:
            kept = [e for e in self.training.examples if not _window_meets(e, window, self.validation_blocks.get(e.recording, []))]
            if not kept:
                raise HarkError("every training example's window reaches into a validation block; use fewer or shorter blocks (dense_blocks)")
            self._pools[window] = ExamplePool(kept, self.training.equalize)
        return self._pools[window]

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window) -> Batch:
        chosen = self.training_pool(window).draw(rng, batch_size)
        return self._batch(chosen, draw_times(chosen, rng), window)

    def validation_batches(self, batch_size: int, window: Window) -> Iterator[Batch]:
        for first in range(0, len(self.validation), batch_size):
            chosen = self.validation[first : first + batch_size]
            yield self._batch(chosen, draw_times(chosen, None), window)

    def _batch(self, examples: Sequence[Example], times: np.ndarray, window: Window) -> Batch:
        x = np.stack([cut_window(self.audio[e.recording], int(t) - window.centre_offset, window.length) for e, t in zip(examples, times)])
        where = [ExampleRef(e.recording, int(t), e.label) for e, t in zip(examples, times)]
        if not self.classes.overlapped:
            return Batch(x, np.array([e.output for e in examples], dtype=np.int64), None, where)
        n_outputs = len(self.classes.labels)
        y = np.zeros((len(examples), n_outputs), dtype=np.float32)
        mask = np.zeros((len(examples), n_outputs), dtype=np.float32)
        for row, example in enumerate(examples):
            y[row, example.output] = float(example.positive)
            mask[row, example.output] = 1.0
        return Batch(x, y, mask, where)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"training": count_labels(self.training.examples), "validation": count_labels(self.validation)}

    def manifest(self) -> dict:
        return {
            "training": [e.as_dict() for e in self.training.examples],
            "validation": [e.as_dict() for e in self.validation],
        }


def _window_meets(example: Example, window: Window, blocks: Sequence[tuple[int, int]]) -> bool:
    """Whether any window drawn for ``example`` (its time anywhere in ``[start, stop)``) meets ``blocks``."""
    first = example.start - window.centre_offset
    last = max(example.stop - 1, example.start) - window.centre_offset + window.length
    return any(first < hi and lo < last for lo, hi in blocks)


def count_labels(examples: Sequence[Example]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.label] = counts.get(example.label, 0) + 1
    return dict(sorted(counts.items()))
