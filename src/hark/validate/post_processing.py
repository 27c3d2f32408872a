"""Tuning a dense model's post-processing (``hark ethogram``'s minimum duration and gap filling) on validation.

``hark ethogram`` segments a dense model's probabilities into syllables
(:func:`hark.evaluate.segments.segment`): frames whose probability of sound reaches the
sound threshold of the ratio asked for make runs, gaps shorter than ``--fill-gap-ms`` are
filled, and syllables shorter than ``--min-duration-ms`` dropped. A nested ``hark
generalize`` chooses the two on the fold's own validation set, for each ratio (the
sensitivity presets' 0.5, 1 and 2), by event F1, and then scores the withheld recordings
once with them. No model runs for this: the validation probabilities are those the trainer
saved; what this module adds is *where* each of their frames lies.

The validation windows tile each validation region (:func:`hark.train.data_dense.tile_regions`),
so the saved frames are, in order, the frames of every region; a region's frames lie one
stride apart except where its last window, aligned with the region's end, begins. Each run
of frames one stride apart in one recording is a :class:`FrameStretch`, segmented on its own
exactly as ``hark ethogram`` segments a recording (the same function, the same hop).
A ratio below 1 (``high-recall``) is scored as ethogram makes its events: the syllables of
each preset ratio between it and 1 are segmented too, with the same settings, and kept where
the lower threshold would find fewer (:func:`hark.evaluate.event_sets.not_fewer_events`).

The reference events are the runs of each label in the frames' targets (the classes the
model was trained to give there), placed on the samples as the predicted ones are; a
predicted syllable matches one of the same label that it overlaps or touches, one to one
(:func:`hark.evaluate.matching.match_events`). The score of a choice is the macro event F1
over the labels.

The grid is small and made from what the validation set shows: minimum durations 0,
ethogram's default, 2 and 4 strides and a half and a quarter of the shortest reference
event; gaps 0, ethogram's default, 2, 4 and 8 strides and half the shortest gap between two
reference events. The best macro F1 wins; ties go to ethogram's defaults, then to less
post-processing (smaller values).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hark.annotations.event import Event, Kind
from hark.errors import HarkError
from hark.evaluate.event_sets import not_fewer_events
from hark.evaluate.events import frames_to_samples
from hark.evaluate.matching import match_events
from hark.evaluate.metrics import Counts
from hark.evaluate.segments import SegmentationParams, segment

DEFAULT_MIN_DURATION_MS = SegmentationParams.model_fields["min_duration_ms"].default
DEFAULT_FILL_GAP_MS = SegmentationParams.model_fields["fill_gap_ms"].default


@dataclass(frozen=True)
class FrameStretch:
    """Frames ``[first, stop)`` of the saved validation arrays: one recording's, one stride apart,
    the first describing sample ``offset``."""

    recording: str
    offset: int
    first: int
    stop: int


def frame_stretches(windows: Sequence[tuple[str, int, np.ndarray]], context: int, stride: int, rows: int) -> list[FrameStretch]:
    """Where the ``rows`` saved frames of these validation windows (``(recording, start, mask)``,
    as :func:`hark.train.data_dense.tile_regions` gives them) lie, as stretches."""
    stretches: list[FrameStretch] = []
    row = 0
    for name, start, mask in windows:
        kept = np.flatnonzero(np.asarray(mask) > 0)
        times = int(start) + context // 2 + kept * stride
        if not len(times):
            continue
        # breaks: the first frame of this window, where it is not one stride after the last one
        breaks = np.flatnonzero(np.diff(times) != stride) + 1
        pieces = np.split(np.arange(len(times)), breaks)
        for k, piece in enumerate(pieces):
            last = stretches[-1] if stretches else None
            joins = (
                k == 0 and last is not None and last.recording == name and last.stop == row + piece[0]
                and times[piece[0]] == last.offset + (last.stop - last.first) * stride
            )  # fmt: skip
            if joins:
                stretches[-1] = FrameStretch(name, last.offset, last.first, row + piece[-1] + 1)
            else:
                stretches.append(FrameStretch(name, int(times[piece[0]]), row + int(piece[0]), row + int(piece[-1]) + 1))
        row += len(times)
    if row != rows:
        raise HarkError(f"the validation windows hold {row} frames, but {rows} were saved; the split does not describe these results")
    return stretches


def reference_events(targets: np.ndarray, stretches: Sequence[FrameStretch], output_names: Sequence[str], stride: int) -> list[Event]:
    """The runs of each label (class >= 1) in the frames' targets, as events on the samples."""
    events = []
    for stretch in stretches:
        classes = np.asarray(targets[stretch.first : stretch.stop])
        for c, label in enumerate(output_names[1:], start=1):
            edges = np.diff((classes == c).astype(np.int8), prepend=0, append=0)
            starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            for start, stop in frames_to_samples(starts, stops, stride, stretch.offset).tolist():
                events.append(Event(stretch.recording, int(start), int(stop), Kind.ANNOTATED, label))
    return events


def segmented(
    probabilities: np.ndarray, stretches: Sequence[FrameStretch], output_names: Sequence[str], sound: float,
    samplerate: float, stride: int, min_duration_ms: float, fill_gap_ms: float,
    stricter: Sequence[float] = (), per_label: bool = False,
) -> list[Event]:  # fmt: skip
    """The syllables ``hark ethogram`` would make of each stretch at this sound threshold.

    ``stricter``: the sound thresholds of the preset ratios between the one asked for and 1,
    strictest first, whose syllables ethogram keeps where this threshold's would be fewer
    (:func:`hark.evaluate.event_sets.not_fewer_events`, ``per_label`` for overlapped labels),
    each segmented with the same minimum duration and gap filling, as ethogram does.
    """
    events = []
    for stretch in stretches:
        kept: list[Event] | None = None
        for threshold in [*stricter, sound]:  # from the strictest to the one asked for
            found = segment(
                probabilities[stretch.first : stretch.stop], output_names, threshold=threshold, recording=stretch.recording,
                samplerate=samplerate, hop=stride, offset=stretch.offset, min_duration_ms=min_duration_ms, fill_gap_ms=fill_gap_ms,
            )  # fmt: skip
            kept = found if kept is None else not_fewer_events(found, kept, per_label=per_label)
        events += kept or []
    return events


def event_counts(reference: Sequence[Event], found: Sequence[Event], labels: Sequence[str], samplerate: float) -> dict[str, list[int]]:
    """Per label ``[tp, fp, fn]`` of one-to-one matched events."""
    counts = {}
    for label in labels:
        c = match_events([e for e in reference if e.label == label], [e for e in found if e.label == label], samplerate=samplerate)
        counts[label] = [c.true_positives, c.false_positives, c.false_negatives]
    return counts


def macro_event_f1(counts: dict[str, Sequence[int]]) -> float:
    """The mean F1 of the labels where it is defined (NaN where none is)."""
    f1s = [Counts(*map(int, c[:3])).f1 for c in counts.values()]
    defined = [f for f in f1s if not math.isnan(f)]
    return statistics.fmean(defined) if defined else math.nan


def segmentation_grid(reference: Sequence[Event], samplerate: float, stride: int) -> tuple[list[float], list[float]]:
    """The minimum durations and gaps tried (ms, see the module doc)."""
    stride_ms = stride * 1000.0 / samplerate
    durations = [DEFAULT_MIN_DURATION_MS, 0.0, 2 * stride_ms, 4 * stride_ms]
    gaps = [DEFAULT_FILL_GAP_MS, 0.0, 2 * stride_ms, 4 * stride_ms, 8 * stride_ms]
    if reference:
        shortest = min(e.stop - e.start for e in reference) * 1000.0 / samplerate
        durations += [shortest / 2, shortest / 4]
        spans = sorted((e.recording, e.start, e.stop) for e in reference)
        between = [b[1] - a[2] for a, b in zip(spans, spans[1:]) if a[0] == b[0] and b[1] > a[2]]
        if between:
            gaps.append(min(between) * 1000.0 / samplerate / 2)
    return _distinct(durations), _distinct(gaps)


def _distinct(values: Sequence[float]) -> list[float]:
    return sorted({round(float(v), 3) for v in values})


def tune_segmentation(
    probabilities: np.ndarray, targets: np.ndarray, stretches: Sequence[FrameStretch], output_names: Sequence[str],
    sound_thresholds: dict[str, float], samplerate: float, stride: int,
    stricter: dict[str, Sequence[float]] | None = None, per_label: bool = False,
) -> dict[str, dict]:  # fmt: skip
    """Per ratio key, the minimum duration and gap (ms) with the best macro event F1 on these frames:
    ``{"min_duration_ms", "fill_gap_ms", "event_f1"}`` (see the module doc). ``stricter``: per
    ratio key, the sound thresholds whose syllables ethogram keeps where the key's are fewer
    (see :func:`segmented`); none where missing."""
    stricter = stricter or {}
    reference = reference_events(targets, stretches, output_names, stride)
    durations, gaps = segmentation_grid(reference, samplerate, stride)
    labels = list(output_names[1:])
    chosen = {}
    for key, sound in sound_thresholds.items():
        best, best_rank = None, None
        for fill_gap_ms in gaps:
            for min_duration_ms in durations:
                harder = list(stricter.get(key, ()))
                if math.isnan(sound) and all(math.isnan(h) for h in harder):
                    f1 = math.nan  # nothing is ever sound at this ratio
                else:
                    found = segmented(
                        probabilities, stretches, output_names, sound, samplerate, stride, min_duration_ms, fill_gap_ms, harder, per_label
                    )
                    f1 = macro_event_f1(event_counts(reference, found, labels, samplerate))
                default = min_duration_ms == DEFAULT_MIN_DURATION_MS and fill_gap_ms == DEFAULT_FILL_GAP_MS
                rank = (-1.0 if math.isnan(f1) else f1, default, -min_duration_ms, -fill_gap_ms)
                if best_rank is None or rank > best_rank:
                    best, best_rank = {"min_duration_ms": min_duration_ms, "fill_gap_ms": fill_gap_ms, "event_f1": f1}, rank
        chosen[key] = best
    return chosen
