"""The one event model: every annotation, detection and prediction is an :class:`Event`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum

from hark.errors import excerpt


class Kind(str, Enum):
    """Where an event comes from, as SongExplorer names it."""

    ANNOTATED = "annotated"  # laid by a person
    DETECTED = "detected"  # found by a heuristic detector (hark detect)
    PREDICTED = "predicted"  # found by a trained model (hark ethogram)
    MISSED = "missed"  # detected but covered by no prediction (hark misses)
    MISTAKEN = "mistaken"  # validation sound the model got wrong (hark accuracy)
    CORRECT = "correct"  # validation sound the model got right (hark accuracy)
    FOUND = "found"  # like a query sound, found by search by example (hark search)
    CLUSTERED = "clustered"  # a call type found without labels (hark cluster --assign)
    SUGGESTED = "suggested"  # a sound to annotate next (hark suggest's <rec>-suggested.csv); never training data

    def __str__(self) -> str:
        return self.value


KIND_NAMES = tuple(k.value for k in Kind)
MAX_TICS = 2**45  # samples: a year at 1 MHz; a time beyond it is a mistake in a file, not a recording


class Status(str, Enum):
    """A person's (or a denoiser's) verdict on an event, as DeepSqueak's accept/reject."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value


STATUS_NAMES = tuple(s.value for s in Status)
FORBIDDEN_LABEL_CHARS = {",": "a comma", "\n": "a line break", "\r": "a line break", "\t": "a tab"}


def label_problem(label: str) -> str | None:
    """Why ``label`` cannot be stored in SongExplorer's CSV, or None if it can."""
    if not label:
        return "the label is empty"
    for char, name in FORBIDDEN_LABEL_CHARS.items():
        if char in label:
            return f"the label {excerpt(label)} contains {name}"
    if label != label.strip():
        return f"the label {excerpt(label)} has leading or trailing spaces"
    return None


@dataclass(frozen=True, order=True)
class Event:
    """A sound in a recording, ``[start, stop]`` in samples ("tics"); start == stop is a point.

    ``recording`` is the file name as SongExplorer's ``wavfile`` column has it. Frequency
    bounds, a score and the annotator are optional; they travel in hark's own CSV columns.
    ``channel`` is set on the events of one channel's outputs among several (docs/channels.md);
    None (every older file) means the recording's channel read as usual.
    """

    recording: str
    start: int
    stop: int
    kind: Kind
    label: str
    low_hz: float | None = field(default=None, compare=False)
    high_hz: float | None = field(default=None, compare=False)
    score: float | None = field(default=None, compare=False)
    annotator: str | None = field(default=None, compare=False)
    status: Status | None = field(default=None, compare=False)
    channel: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Coerce what arrives as strings or numpy scalars, then check; errors are ValueError
        # so that readers can attach the file and line.
        object.__setattr__(self, "start", _as_int(self.start, "start"))
        object.__setattr__(self, "stop", _as_int(self.stop, "stop"))
        try:
            object.__setattr__(self, "kind", Kind(self.kind))
        except ValueError:
            raise ValueError(f"unknown kind {excerpt(self.kind)} (known: {', '.join(KIND_NAMES)})") from None
        if self.status is not None:
            try:
                object.__setattr__(self, "status", Status(self.status))
            except ValueError:
                raise ValueError(f"unknown status {excerpt(self.status)} (known: {', '.join(STATUS_NAMES)})") from None
        if not self.recording:
            raise ValueError("the recording name is empty")
        if self.channel is not None:
            channel = _as_int(self.channel, "channel")
            if channel < 0:
                raise ValueError(f"channel {channel} is negative")
            object.__setattr__(self, "channel", channel)
        if self.start < 0:
            raise ValueError(f"start {excerpt(self.start)} is negative")
        if self.start > self.stop:
            raise ValueError(f"start {excerpt(self.start)} is after stop {excerpt(self.stop)}")
        if self.stop > MAX_TICS:
            raise ValueError(f"stop {excerpt(self.stop)} is beyond any recording ({MAX_TICS} samples: a year at 1 MHz)")
        problem = label_problem(self.label)
        if problem:
            raise ValueError(problem)
        for name in ("low_hz", "high_hz", "score"):
            value = getattr(self, name)
            if value is not None:
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError(f"{name} {value} is not a finite number")
                object.__setattr__(self, name, value)
        if self.low_hz is not None and self.low_hz < 0:
            raise ValueError(f"low frequency {self.low_hz:g} Hz is negative")
        if self.low_hz is not None and self.high_hz is not None and self.low_hz > self.high_hz:
            raise ValueError(f"low frequency {self.low_hz:g} Hz is above high frequency {self.high_hz:g} Hz")

    @property
    def is_point(self) -> bool:
        return self.start == self.stop

    @property
    def duration_tics(self) -> int:
        return self.stop - self.start

    @property
    def has_frequency(self) -> bool:
        return self.low_hz is not None and self.high_hz is not None

    def with_(self, **changes) -> Event:
        """A copy with some fields changed (and checked again)."""
        return replace(self, **changes)


def _as_int(value, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} {excerpt(value)} is not a whole number of samples")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{name} {excerpt(value)} is not a number") from None
        if number.is_integer():
            return int(number)
        raise ValueError(f"{name} {excerpt(value)} is not a whole number of samples")
    try:
        as_int = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {excerpt(value)} is not a whole number of samples") from None
    if as_int != value:
        raise ValueError(f"{name} {excerpt(value)} is not a whole number of samples")
    return as_int
