"""Dense segmentation: a dense model's per-frame probabilities to one event per syllable.

A dense model's column 0 is the background; the others are the syllable labels. Where the
labels run per label (:mod:`hark.evaluate.events`), a syllable whose frames the model is
unsure how to label (half ``a``, half ``b``) would break into pieces; here the decision is
first *sound or not*, then *which label*, as DAS does:

1. **Sound.** Each frame gets a margin: ``(1 - p_background) - threshold`` for one
   threshold, or ``max over labels of (p_label - threshold_label)`` for per-label
   thresholds. Frames with margin >= 0 are sound; runs of them are segments.
2. **On- and offsets to the sample.** The margin is taken as linear between neighbouring
   frames, and a segment starts at the first sample where that line reaches 0 and stops
   after the last sample where it is still >= 0 (so ``stop`` is exclusive). With a stride-1
   model every sample has its own frame and the boundaries are those of the per-sample
   decision exactly; with a stride of ``h`` they fall between frames instead of on the
   ``h``-sample grid. A segment at the first or last frame extends over the half frame
   that frame stands for, as in :func:`hark.evaluate.events.frames_to_samples`.
3. **Gaps** shorter than ``fill_gap_ms`` between segments are filled (the segments join).
4. **Short segments**, shorter than ``min_duration_ms`` after filling, are dropped.
5. **One label per segment**: the label with the largest summed probability over the
   segment's sound frames (a soft majority vote). Frames where the model hesitates weigh
   less than confident ones, and ties, which plain counts of per-frame winners often
   produce in short segments, practically never occur (they go to the first label).
   The event's score is the mean probability of that label over those frames.

The probabilities are read in blocks, so a recording of any length costs bounded memory;
a block reads one frame beyond each of its edges for the interpolation, and segments that
cross an edge are joined before gaps are filled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.errors import HarkError
from hark.evaluate.checks import check_labels
from hark.params import Params

BLOCK_ROWS = 2**20  # frames examined at a time


class SegmentationParams(Params):
    """How ``hark ethogram`` turns a dense model's probabilities into syllables."""

    threshold: float | None = Field(
        None, ge=0, le=1,
        description="probability of sound (1 - p(background)) a frame must reach; "
        "None: from the model's thresholds at the chosen ratio",
    )  # fmt: skip
    min_duration_ms: float = Field(10.0, ge=0, description="segments shorter than this (after filling gaps) are dropped")
    fill_gap_ms: float = Field(5.0, ge=0, description="gaps shorter than this between two segments are filled")


@dataclass(frozen=True, eq=False)
class SoundRuns:
    """Runs of frames ``[first, stop)``, their samples ``[start, end)``, and over their sound frames
    (all of them until gaps are filled) the count and the summed probability of each label."""

    first: np.ndarray
    stop: np.ndarray
    start: np.ndarray
    end: np.ndarray
    frames: np.ndarray
    votes: np.ndarray  # (runs, labels)

    @staticmethod
    def empty(labels: int) -> SoundRuns:
        nothing = np.zeros(0, np.int64)
        return SoundRuns(nothing, nothing, nothing, nothing, nothing, np.zeros((0, labels)))

    def joined(self, heads: np.ndarray) -> SoundRuns:
        """Runs ``heads[k]`` to ``heads[k + 1] - 1`` as one, for each ``k``."""
        tails = np.concatenate([heads[1:] - 1, [len(self.first) - 1]]).astype(np.int64)
        return SoundRuns(
            self.first[heads], self.stop[tails], self.start[heads], self.end[tails],
            np.add.reduceat(self.frames, heads), np.add.reduceat(self.votes, heads, axis=0),
        )  # fmt: skip


def segment(
    probabilities,
    labels: Sequence[str],
    *,
    threshold: float | Mapping[str, float],
    recording: str,
    samplerate: float,
    hop: int,
    offset: int = 0,
    length: int | None = None,
    min_duration_ms: float = 10.0,
    fill_gap_ms: float = 5.0,
    block_rows: int = BLOCK_ROWS,
) -> list[Event]:
    """The syllables of one recording, ordered by start (see the module doc).

    ``probabilities`` is ``(frames, C)`` (an array or a memory map), ``labels`` its C column
    names, the background first; frame ``j`` describes sample ``offset + j * hop`` and
    ``length`` (samples in the recording) clips the last segment. ``threshold`` is the sound
    threshold, or a threshold per label (labels missing or NaN never make a frame sound);
    NaN predicts nothing.
    """
    names = check_labels(labels)
    if len(names) < 2:
        raise HarkError(f"a dense model outputs the background and at least one label, got {len(names)} columns")
    if np.ndim(probabilities) != 2 or np.shape(probabilities)[1] != len(names):
        raise HarkError(f"probabilities of shape {np.shape(probabilities)} do not match the {len(names)} labels {', '.join(names)}")
    limits = _limits(threshold, names)
    rate, hop = _positive(samplerate, "sample rate"), _whole(hop, "hop")
    if limits is None or np.shape(probabilities)[0] == 0:
        return []
    runs = sound_runs(probabilities, limits, hop=hop, offset=offset, length=length, block_rows=block_rows)
    runs = fill_gaps(runs, fill_gap_ms, rate)
    keep = (runs.end - runs.start) * 1000 >= min_duration_ms * rate  # in ms, without rounding
    events = []
    for start, end, votes, frames in zip(runs.start[keep], runs.end[keep], runs.votes[keep], runs.frames[keep]):
        winner = int(np.argmax(votes))
        events.append(Event(recording, int(start), int(end), Kind.PREDICTED, names[1 + winner], score=float(votes[winner] / frames)))
    return events


def sound_runs(probabilities, limits: float | np.ndarray, *, hop: int, offset: int = 0, length: int | None = None, block_rows: int = BLOCK_ROWS) -> SoundRuns:
    """The runs of sound frames of the whole array, read ``block_rows`` at a time and joined across blocks.

    ``limits`` is the sound threshold or a vector of thresholds of the label columns
    (``-inf`` margin where NaN). Runs that clipping to ``[0, length]`` leaves empty are dropped.
    """
    total = len(probabilities)
    pieces = []
    for lo in range(0, total, max(1, int(block_rows))):
        hi = min(lo + max(1, int(block_rows)), total)
        read_lo, read_hi = max(lo - 1, 0), min(hi + 1, total)
        rows = np.asarray(probabilities[read_lo:read_hi], dtype=np.float64)
        if not np.isfinite(rows).all():
            raise HarkError(f"probabilities contain NaN or infinite values (frames {read_lo} to {read_hi})")
        pieces.append(_block_runs(rows, _margins(rows, limits), read_lo, lo, hi, total, hop, offset))
    runs = _join_at_block_edges(pieces, np.shape(probabilities)[1] - 1)
    start = np.maximum(runs.start, 0)
    end = runs.end if length is None else np.minimum(runs.end, length)
    keep = end > start
    return SoundRuns(runs.first[keep], runs.stop[keep], start[keep], end[keep], runs.frames[keep], runs.votes[keep])


def fill_gaps(runs: SoundRuns, fill_gap_ms: float, samplerate: float) -> SoundRuns:
    """Join neighbouring runs whose gap is shorter than ``fill_gap_ms``."""
    if len(runs.first) < 2:
        return runs
    filled = (runs.start[1:] - runs.end[:-1]) * 1000 < fill_gap_ms * samplerate  # in ms, without rounding
    return runs.joined(np.flatnonzero(np.concatenate([[True], ~filled])))


def _margins(rows: np.ndarray, limits: float | np.ndarray) -> np.ndarray:
    if np.ndim(limits) == 0:
        return (1.0 - rows[:, 0]) - limits
    usable = np.isfinite(limits)
    return np.max(rows[:, 1:][:, usable] - limits[usable], axis=1)


def _block_runs(rows, margin, read_lo, lo, hi, total, hop, offset) -> SoundRuns:
    """The runs among frames ``[lo, hi)``; ``rows`` and ``margin`` hold frames ``[read_lo, ...)``."""
    core = slice(lo - read_lo, hi - read_lo)
    sound = margin[core] >= 0
    edges = np.diff(sound.astype(np.int8), prepend=0, append=0)
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(first) == 0:
        return SoundRuns.empty(rows.shape[1] - 1)
    inside = np.where(sound[:, None], rows[core, 1:], 0.0)  # reduceat spans run to run: hide the frames between
    votes = np.add.reduceat(inside, first, axis=0)
    first, stop = first + lo, stop + lo
    start, end = _onsets(first, margin, read_lo, hop, offset), _offsets(stop, margin, read_lo, total, hop, offset)
    return SoundRuns(first, stop, start, end, stop - first, votes)


def _onsets(first: np.ndarray, margin: np.ndarray, read_lo: int, hop: int, offset: int) -> np.ndarray:
    """The first sample of each run: where the margin, linear between frames, reaches 0."""
    start = offset + first * hop - hop // 2  # a run from frame 0: that frame's half frame before it
    inner = first > 0
    before, at = margin[first[inner] - 1 - read_lo], margin[first[inner] - read_lo]
    rise = at - before
    # before >= 0 only for a run continued from the previous block: joined, its onset unused
    fraction = np.divide(-before, rise, out=np.ones_like(rise), where=(before < 0) & (rise > 0))
    crossing = offset + (first[inner] - 1 + fraction) * hop
    below = offset + (first[inner] - 1) * hop  # the sample of the frame below threshold
    start[inner] = np.clip(np.ceil(crossing), below + 1, below + hop)
    return start


def _offsets(stop: np.ndarray, margin: np.ndarray, read_lo: int, total: int, hop: int, offset: int) -> np.ndarray:
    """The sample after each run's last: the last where the margin, linear between frames, is still >= 0."""
    end = offset + (stop - 1) * hop + (hop - hop // 2)  # a run to the last frame: its half frame after it
    inner = stop < total
    last, after = margin[stop[inner] - 1 - read_lo], margin[stop[inner] - read_lo]
    fall = last - after
    fraction = np.divide(last, fall, out=np.zeros_like(fall), where=(after < 0) & (fall > 0))
    crossing = offset + (stop[inner] - 1 + fraction) * hop
    above = offset + (stop[inner] - 1) * hop  # the sample of the run's last frame
    end[inner] = np.clip(np.floor(crossing), above, above + hop - 1) + 1
    return end


def _join_at_block_edges(pieces: list[SoundRuns], labels: int) -> SoundRuns:
    pieces = [p for p in pieces if len(p.first)]
    if not pieces:
        return SoundRuns.empty(labels)
    runs = SoundRuns(*(np.concatenate([getattr(p, f) for p in pieces]) for f in ("first", "stop", "start", "end", "frames", "votes")))
    # a run that ends where the next begins was cut by a block's edge
    return runs.joined(np.flatnonzero(np.concatenate([[True], runs.first[1:] != runs.stop[:-1]])))


def _limits(threshold, names: tuple[str, ...]) -> float | np.ndarray | None:
    """The sound threshold, or the label columns' thresholds; None when nothing can be sound."""
    if isinstance(threshold, Mapping):
        unknown = sorted(set(threshold) - set(names[1:]))
        if unknown:
            raise HarkError(f"threshold for {unknown[0]!r}, which is no label of these probabilities ({', '.join(names[1:])})")
        vector = np.array([_threshold(threshold.get(n, math.nan)) for n in names[1:]])
        return vector if np.isfinite(vector).any() else None
    value = _threshold(threshold)
    return None if math.isnan(value) else value


def _threshold(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise HarkError(f"threshold {value!r} is not a number") from None
    if not (math.isnan(number) or 0 <= number <= 1):
        raise HarkError(f"threshold {value!r} must be a probability between 0 and 1 (or NaN for none)")
    return number


def _positive(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise HarkError(f"{what} {value!r} must be a positive number")
    return number


def _whole(value, what: str) -> int:
    if isinstance(value, bool) or not float(_positive(value, what)).is_integer():
        raise HarkError(f"{what} {value!r} must be a positive whole number of samples")
    return int(value)
