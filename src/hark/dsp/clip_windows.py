"""Windows of clips: where they lie, how a short clip fills one, and how their scores make one.

Clip models (clip supervision) read windows of a fixed length rather than whole files, so
that a batch's memory follows the window, not the longest file (docs/training-data.md):

- training draws one window of each clip at a random offset (:func:`random_start`);
- validation and ``hark classify`` cover the clip with windows ``hop`` apart, the last one
  ending at the clip's end, so that every sample is seen and no window runs past the audio
  (:func:`window_starts`);
- a clip shorter than the window fills it by repeating itself, or with zeros
  (:func:`cut_clip_window`);
- the windows' probabilities become the clip's by their mean or their maximum
  (:func:`aggregate`, :func:`aggregate_by`).

Pure numpy functions: training, inference and evaluation share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Padding = Literal["repeat", "zeros"]
Aggregation = Literal["mean", "max"]
PADDINGS: tuple[str, ...] = ("repeat", "zeros")
AGGREGATIONS: tuple[str, ...] = ("mean", "max")


def hop_of(window: int, overlap: float) -> int:
    """Samples between the starts of neighbouring windows that overlap by ``overlap`` (a fraction in [0, 1))."""
    if window < 1:
        raise ValueError(f"window {window} must be at least one sample")
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap {overlap} must be at least 0 and below 1")
    return max(1, int(round(window * (1 - overlap))))


def window_starts(samples: int, window: int, hop: int) -> np.ndarray:
    """Starts of the windows covering ``samples`` samples: ``0, hop, 2 hop, ...`` and one ending
    at the last sample. A clip no longer than the window has one window, at 0."""
    if window < 1 or hop < 1:
        raise ValueError(f"window {window} and hop {hop} must be at least one sample")
    if samples <= window:
        return np.zeros(1, dtype=np.int64)
    last = samples - window
    starts = np.arange(0, last, hop, dtype=np.int64)
    return np.append(starts, last)  # the last window ends at the clip's end: nothing is left unseen


def random_start(samples: int, window: int, rng: np.random.Generator) -> int:
    """A uniformly random start of a window inside a clip of ``samples`` (0 when it is shorter)."""
    return int(rng.integers(0, max(samples - window, 0) + 1))


def cut_clip_window(clip: np.ndarray, start: int, window: int, padding: Padding = "repeat") -> np.ndarray:
    """``window`` samples of ``clip`` from ``start``; a clip shorter than that is padded.

    ``repeat``: the clip is played again and again until the window is full (``zeros``:
    silence after it). Repeating keeps the window full of the animal's sound, so a short
    clip's spectrogram statistics look like a long one's instead of being diluted by silence
    in proportion to its length (a cue that says how long a file is, not which species is in it).
    """
    out = np.zeros(window, dtype=np.float32)
    piece = np.asarray(clip[start : start + window], dtype=np.float32)
    if len(piece) == 0:
        return out
    if len(piece) < window and padding == "repeat":
        return np.resize(piece, window).astype(np.float32, copy=False)  # np.resize repeats the piece
    out[: len(piece)] = piece
    return out


def aggregate(probabilities: np.ndarray, how: Aggregation = "mean") -> np.ndarray:
    """One row of probabilities from ``(windows, outputs)``: each output's mean or maximum over the windows.

    The mean suits a sound that fills the clip (an insect's song, a species' chorus); the
    maximum a short call somewhere in a long recording (one up-call in minutes of noise).
    The mean of softmax rows still sums to one; the maxima do not.
    """
    rows = np.asarray(probabilities, dtype=np.float32)
    if rows.ndim != 2 or len(rows) == 0:
        raise ValueError(f"expected (windows, outputs) probabilities, got shape {rows.shape}")
    if how == "mean":
        return rows.mean(axis=0)
    if how == "max":
        return rows.max(axis=0)
    raise ValueError(f"aggregation {how!r}: expected {' or '.join(AGGREGATIONS)}")


def aggregate_by(probabilities: np.ndarray, keys: Sequence[str], how: Aggregation = "mean") -> tuple[np.ndarray, list[str], np.ndarray]:
    """Rows of the same key (a clip's windows) as one row each, in the order the keys first appear.

    Returns the aggregated rows, the keys, and for each key the index of its first row
    (to take anything else that is the same for all its windows, such as the target).
    """
    firsts: dict[str, int] = {}
    for i, key in enumerate(keys):
        firsts.setdefault(str(key), i)
    order = list(firsts)
    members: dict[str, list[int]] = {key: [] for key in order}
    for i, key in enumerate(keys):
        members[str(key)].append(i)
    rows = np.asarray(probabilities)
    if not order:
        return rows[:0], [], np.zeros(0, dtype=np.int64)
    out = np.stack([aggregate(rows[members[key]], how) for key in order])
    return out, order, np.array([firsts[key] for key in order], dtype=np.int64)
