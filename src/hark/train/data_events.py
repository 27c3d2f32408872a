"""Events supervision (DeepSqueak's denoiser): each reviewed event is one example, seen as its crop.

A denoiser learns to tell real calls from noise among the events a detector found. Its
examples are the events of a ground-truth folder that a person has judged:

- an ``annotated`` event is a person's, so it counts as labelled (its status, if any, applies);
- a ``detected`` or ``predicted`` event counts only once a person has reviewed it, i.e. when it
  carries a status (accepted or rejected); an unreviewed detection is no ground truth;
- a ``rejected`` event counts as ``rejected_label`` (default ``noise``) whatever its label, an
  ``accepted`` one (or one without a status) as its own label;
- the events of ``<rec>-denoised.csv`` files are a denoiser's verdicts, never a person's, and
  are left out.

What the model sees of an event is its **crop**: ``crop_ms`` of audio whose middle is the
event's middle, holding the event's own samples faded in and out over ``margin_ms`` on each
side (a raised cosine) and zeros beyond. Only the event is visible, not its neighbours: a
click next to a call must not look like the call. The crop's length carries the event's
duration (a longer event fills more of it); an event longer than ``crop_ms`` shows its middle
part. ``hark denoise`` cuts exactly the same crops (:class:`EventCropper`), reading only
each event's samples from the recording, however long it is.

The split is by events (a seeded hash of recording, start, stop and label, so that an event's
fate never changes when others are added) or by whole recordings, as for sparse supervision.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.event import Kind, Status
from hark.annotations.naming import parse_annotation_name
from hark.audio.recording import Recording, open_recording
from hark.errors import HarkError, ParameterError
from hark.train.data_load import Annotation
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.examples import Classes, Example, ExamplePool, count_labels

# resnet's own defaults suit whole clips of seconds: 128 ms windows, each frequency's mean
# subtracted to remove steady background, features averaged over the image. A crop of ~100 ms
# needs short windows to show a call's shape; it is silent outside its event, so subtracting
# means only blurs how loud and long the event is; and a real USV is a thin whistle in a mostly
# empty image, which an average dilutes: with rec_1 of ../shared/data/usv held out, the average
# reached 58-75% accuracy in 150-200 steps where the maximum reached 97-100%. Used when events
# supervision trains a resnet, under any value the user gives.
EVENTS_RESNET_DEFAULTS = {"window_ms": 1.0, "stride_ms": 1.0, "equalize": False, "pooling": "max"}


@dataclass(frozen=True)
class EventCropper:
    """Cuts events out of recordings as the model sees them: ``crop`` samples, the event faded
    in and out over ``margin`` samples on each side, zeros elsewhere."""

    crop: int
    margin: int

    @classmethod
    def from_ms(cls, crop_ms: float, margin_ms: float, samplerate: int) -> EventCropper:
        crop = int(round(crop_ms / 1000 * samplerate))
        if crop < 2:
            raise HarkError(f"crop_ms {crop_ms:g} holds fewer than 2 samples at {samplerate} Hz")
        return cls(crop, int(round(margin_ms / 1000 * samplerate)))

    def extent(self, start: int, stop: int, frames: int) -> tuple[int, int, int]:
        """``(lo, hi, offset)``: the samples ``[lo, hi)`` of the recording that the crop of the
        event ``[start, stop]`` holds, and where ``lo`` lies in the crop."""
        first = (start + stop) // 2 - self.crop // 2  # the crop's first sample in the recording
        lo = max(start - self.margin, first, 0)
        hi = min(stop + self.margin + 1, first + self.crop, frames)  # stop is the event's last sample
        return lo, max(hi, lo), lo - first

    def fade(self, samples: np.ndarray, lo: int, start: int, stop: int) -> np.ndarray:
        """``samples`` (the recording from ``lo``) times 1 inside the event and a raised cosine
        falling to 0 over the margin outside it."""
        if self.margin == 0:
            return samples.astype(np.float32, copy=False)
        t = np.arange(lo, lo + len(samples), dtype=np.float64)
        outside = np.maximum(start - t, 0) + np.maximum(t - stop, 0)  # samples from the event
        envelope = 0.5 + 0.5 * np.cos(np.pi * np.clip(outside / (self.margin + 1), 0, 1))
        return (samples * envelope).astype(np.float32)

    def region(self, recording: Recording, start: int, stop: int) -> tuple[int, np.ndarray]:
        """``(offset, samples)``: the faded event, to be placed at ``offset`` of a zero crop.

        Only these samples are read from the recording.
        """
        lo, hi, offset = self.extent(start, stop, recording.frames)
        samples = recording.read(lo, hi) if hi > lo else np.zeros(0, np.float32)
        return offset, self.fade(samples, lo, start, stop)

    def crops(self, regions: Sequence[tuple[int, np.ndarray]], length: int | None = None) -> np.ndarray:
        """``(len(regions), length)`` float32 crops (``length`` default ``crop``), each region's
        event middle at ``length // 2``."""
        length = self.crop if length is None else length
        shift = length // 2 - self.crop // 2  # a longer window keeps the event in its middle
        out = np.zeros((len(regions), length), dtype=np.float32)
        for row, (offset, samples) in enumerate(regions):
            begin = offset + shift
            lo, hi = max(begin, 0), min(begin + len(samples), length)
            if hi > lo:
                out[row, lo:hi] = samples[lo - begin : hi - begin]
        return out


def example_label(event_kind: Kind, label: str, status: Status | None, rejected_label: str) -> str | None:
    """The label an event teaches (None: not an example): see the module's rules."""
    if event_kind is not Kind.ANNOTATED and status is None:
        return None  # a machine-made event nobody has reviewed
    return rejected_label if status is Status.REJECTED else label


def event_examples(
    annotations: Sequence[Annotation], classes: Classes, rejected_label: str, frames_of: dict[str, int]
) -> list[Example]:
    """The reviewed events of the used labels as examples, in a fixed order.

    A rejected event whose ``rejected_label`` is not a used label, or an event past its
    recording's end, is a one-line HarkError rather than silently dropped.
    """
    examples = []
    for annotation in annotations:
        event = annotation.event
        parsed = parse_annotation_name(annotation.csv.name)
        if parsed is not None and parsed.denoised:
            continue  # a denoiser's verdicts, not a person's
        label = example_label(event.kind, event.label, event.status, rejected_label)
        if label is None:
            continue
        target = classes.target_of(label)
        if target is None:
            if event.status is Status.REJECTED:
                raise ParameterError(
                    "labels",
                    f"{annotation.csv}: rejected events count as {rejected_label!r}, which is not among the labels "
                    f"{','.join(classes.labels)}; add it to {{param}} or set the data parameter rejected_label=LABEL",
                )
            continue
        frames = frames_of[event.recording]
        if event.start >= frames:
            raise HarkError(
                f"{annotation.csv}: event {event.start}..{event.stop} lies beyond the end of {event.recording} ({frames} samples)"
            )
        examples.append(Example(event.recording, event.start, min(event.stop, frames), label, *target))
    return sorted(examples, key=Example.key)


def check_examples_cover_labels(examples: Sequence[Example], classes: Classes, root: Path, kinds: Sequence[str], rejected_label: str) -> None:
    """A one-line HarkError for the first label no reviewed event teaches."""
    present = {e.label for e in examples}
    for label in classes.labels:
        if label not in present:
            how = f"labelled {label!r}" + (" or rejected" if label == rejected_label else "")
            raise HarkError(
                f"label {label!r} has no examples in {root}: no event of kinds {','.join(kinds)} is {how} "
                "(detected and predicted events count only with a status, accepted or rejected)"
            )


def open_recordings(root: Path, names: Sequence[str], channel: int, reader: str, reader_params: dict | None) -> tuple[int, dict[str, Recording]]:
    """The recordings' headers (no audio) and their common sample rate."""
    opened = {name: open_recording(root / name, channel=channel, reader=reader, reader_params=reader_params) for name in names}
    if not opened:
        raise HarkError(f"{root}: no recordings to train on")
    first_name, first = next(iter(opened.items()))
    for name, other in opened.items():
        if other.samplerate != first.samplerate:
            raise HarkError(
                f"recordings of different sample rates in {root}: {first_name} is {first.samplerate} Hz "
                f"but {name} is {other.samplerate} Hz; resample them to one rate (hark resample --rate {first.samplerate} --out NEW_FOLDER {root})"
            )
    return first.samplerate, opened


def read_regions(examples: Sequence[Example], recordings: dict[str, Recording], cropper: EventCropper) -> dict[Example, tuple[int, np.ndarray]]:
    """Each example's faded region, reading only the events' samples."""
    return {e: cropper.region(recordings[e.recording], e.start, e.stop) for e in dict.fromkeys(examples)}


class EventSource:
    """Batches of event crops. A window of length 0 (or none) means ``crop_ms``; another length
    puts the same crop, zero-padded or trimmed, in the middle of that many samples."""

    def __init__(
        self,
        training: list[Example],
        validation: list[Example],
        regions: dict[Example, tuple[int, np.ndarray]],
        cropper: EventCropper,
        equalize: bool,
    ):
        self.training = ExamplePool(training, equalize)
        self.validation = validation
        self.regions = regions
        self.cropper = cropper

    @property
    def n_training(self) -> int:
        return len(self.training)

    @property
    def longest(self) -> int:
        return self.cropper.crop

    def _length(self, window: Window | None) -> int:
        return self.cropper.crop if window is None or window.length == 0 else window.length

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window | None) -> Batch:
        return self._batch(self.training.draw(rng, batch_size), self._length(window))

    def validation_batches(self, batch_size: int, window: Window | None) -> Iterator[Batch]:
        length = self._length(window)
        for first in range(0, len(self.validation), batch_size):
            yield self._batch(self.validation[first : first + batch_size], length)

    def _batch(self, examples: Sequence[Example], length: int) -> Batch:
        x = self.cropper.crops([self.regions[e] for e in examples], length)
        where = [ExampleRef(e.recording, (e.start + e.stop) // 2, e.label) for e in examples]
        return Batch(x, np.array([e.output for e in examples], dtype=np.int64), None, where)

    def counts(self) -> dict[str, dict[str, int]]:
        return {"training": count_labels(self.training.examples), "validation": count_labels(self.validation)}

    def manifest(self) -> dict:
        return {
            "training": [e.as_dict() for e in self.training.examples],
            "validation": [e.as_dict() for e in self.validation],
        }
