"""Tuning ethogram's minimum duration and gap filling on validation frames: known answers.

Constructed dense probabilities (1 kHz, one frame per sample, so 1 frame = 1 ms): calls of
40 frames, each broken in the middle by a dip of 6 frames below the threshold, and between
the calls, 3-frame blips of sound where there is none. Only a gap filling longer than the
dips (6 ms) and shorter than the distance from a blip to a call (about 28 ms), with a
minimum duration longer than the blips (3 ms) and not longer than a call (40 ms), finds every
call once and nothing else.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hark.errors import HarkError
from hark.train.data_dense import tile_regions
from hark.train.data_types import Window
from hark.validate.post_processing import (
    FrameStretch,
    event_counts,
    frame_stretches,
    macro_event_f1,
    reference_events,
    segmented,
    tune_segmentation,
)

NAMES = ["background", "a", "b"]
RATE = 1000.0


def _fragmented_calls(calls: int = 8, length: int = 40, spacing: int = 60, dip: int = 6, blip: int = 3, seed: int = 3):
    """(probabilities, targets) of calls alternating a and b, each cut by a dip, blips between them."""
    rng = np.random.default_rng(seed)
    frames = spacing + calls * (length + spacing)
    sound = rng.uniform(0.0, 0.2, frames)  # background: well below the threshold
    targets = np.zeros(frames, np.int64)
    which = np.zeros(frames, np.int64)
    for k in range(calls):
        start = spacing + k * (length + spacing)
        targets[start : start + length] = 1 + k % 2
        sound[start : start + length] = rng.uniform(0.8, 1.0, length)
        middle = start + length // 2 - dip // 2
        sound[middle : middle + dip] = rng.uniform(0.0, 0.2, dip)  # the dip: the call in two pieces
        which[start : start + length] = k % 2
        centre = start - spacing // 2 - blip // 2
        sound[centre : centre + blip] = rng.uniform(0.8, 1.0, blip)  # a blip where there is no call
        which[centre : centre + blip] = k % 2
    p = np.zeros((frames, 3))
    p[:, 0] = 1 - sound
    p[np.arange(frames), 1 + which] = sound
    return p, targets


def test_the_tuner_fills_the_dips_and_drops_the_blips():
    p, targets = _fragmented_calls()
    stretches = [FrameStretch("rec.wav", 0, 0, len(p))]
    chosen = tune_segmentation(p, targets, stretches, NAMES, {"1": 0.5}, RATE, 1)["1"]
    assert chosen["event_f1"] == 1.0
    assert 6 < chosen["fill_gap_ms"] < 28
    assert 3 < chosen["min_duration_ms"] <= 40
    # and the answer was not there without post-processing: every call in two, every blip found
    reference = reference_events(targets, stretches, NAMES, 1)
    assert len(reference) == 8 and {e.stop - e.start for e in reference} == {40}
    bare = segmented(p, stretches, NAMES, 0.5, RATE, 1, 0.0, 0.0)
    counts = event_counts(reference, bare, NAMES[1:], RATE)
    assert len(bare) == 8 * 2 + 8 and macro_event_f1(counts) < 0.6
    # gap filling alone joins the pieces, but keeps the blips; a gap as long as the blips' distance joins them to the calls
    filled = event_counts(reference, segmented(p, stretches, NAMES, 0.5, RATE, 1, 0.0, chosen["fill_gap_ms"]), NAMES[1:], RATE)
    assert {label: c[0] for label, c in filled.items()} == {"a": 4, "b": 4} and sum(c[1] for c in filled.values()) == 8


def test_clean_probabilities_keep_ethograms_defaults_and_no_sound_detects_nothing():
    p, targets = _fragmented_calls(dip=0, blip=0)
    stretches = [FrameStretch("rec.wav", 0, 0, len(p))]
    chosen = tune_segmentation(p, targets, stretches, NAMES, {"1": 0.5, "2": math.nan}, RATE, 1)
    # every setting of the grid finds the eight calls: the tie goes to hark ethogram's defaults
    assert chosen["1"] == {"min_duration_ms": 10.0, "fill_gap_ms": 5.0, "event_f1": 1.0}
    assert chosen["2"]["min_duration_ms"] == 10.0 and math.isnan(chosen["2"]["event_f1"])


def test_frame_stretches_follow_the_tiled_windows():
    window = Window(context=5, stride=2, frames=4)  # 11 samples a window, frames 2 samples apart from sample 2
    regions = [("a.wav", 0, 30), ("a.wav", 50, 58), ("b.wav", 10, 40)]
    windows = tile_regions(regions, window)
    rows = int(sum((mask > 0).sum() for _, _, mask in windows))
    stretches = frame_stretches(windows, window.context, window.stride, rows)
    # a.wav 0-30: windows at 0, 8, 16 (frames at 2, 4, ..., 24), then the tail at 19 adds frames 25 and 27
    # a.wav 50-58 is shorter than a window: not validated; b.wav 10-40: 10, 18, 26 (12..34), tail at 29: 35, 37
    assert stretches == [
        FrameStretch("a.wav", 2, 0, 12),
        FrameStretch("a.wav", 25, 12, 14),
        FrameStretch("b.wav", 12, 14, 26),
        FrameStretch("b.wav", 35, 26, 28),
    ]
    with pytest.raises(HarkError, match="28 frames, but 30 were saved"):
        frame_stretches(windows, window.context, window.stride, 30)


def test_a_lower_threshold_is_scored_as_ethogram_makes_its_events():
    """high-recall keeps balanced's syllables where its lower threshold joins them, as hark ethogram does."""
    frames = 200
    sound = np.full(frames, 0.1)
    targets = np.zeros(frames, np.int64)
    for start in (40, 100):  # two calls of 40 frames, 20 frames apart ...
        sound[start : start + 40] = 0.9
        targets[start : start + 40] = 1
    sound[80:100] = 0.6  # ... joined by sound only the lower threshold (0.5, not 0.7) hears
    p = np.stack([1 - sound, sound, np.zeros(frames)], axis=1)
    stretches = [FrameStretch("rec.wav", 0, 0, frames)]
    alone = segmented(p, stretches, NAMES, 0.5, RATE, 1, 0.0, 0.0)
    kept = segmented(p, stretches, NAMES, 0.5, RATE, 1, 0.0, 0.0, stricter=[0.7])
    assert [(e.start, e.stop) for e in alone] == [(40, 140)]
    assert [(e.start, e.stop) for e in kept] == [(40, 80), (100, 140)]
    assert tune_segmentation(p, targets, stretches, NAMES, {"0.5": 0.5}, RATE, 1)["0.5"]["event_f1"] < 0.7
    chosen = tune_segmentation(p, targets, stretches, NAMES, {"0.5": 0.5}, RATE, 1, stricter={"0.5": [0.7]})["0.5"]
    assert chosen["event_f1"] == 1.0 and chosen["fill_gap_ms"] < 20  # a longer gap filling joins balanced's calls too
