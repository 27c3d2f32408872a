"""The simulated annotator of ``benchmarks.annotation_budget``: the candidate sounds, the oracle, the strategies.

**Candidates** (what ``random`` and ``time order`` pick from): every true event of the pool
recordings, and stretches of no true event tiling the gaps between them (each the median
event length, at least 10 ms, with that much room on each side, so a gap three lengths long
holds one): the sounds a detector finds that are not calls.

**The oracle** answers a picked stretch as a person would, from the complete truth: the true
event that overlaps it most (a point event: one inside it), with that event's own times and
label; a stretch that overlaps no true event is answered ``noise`` over the stretch itself.
Its answers are written as ``<rec>-annotated-oracle.csv`` beside the pool recordings'
links in a strategy's training folder.

**Strategies**, each picking N sounds not yet labelled (a sound overlapping a labelled one counts as labelled):

- ``suggest``: ``hark suggest`` (:func:`hark.infer.suggest.suggest_sounds`, default settings,
  ``--budget 2N --seed SEED``) with the current model over the training folder, the oracle's
  answers so far beside the recordings (so they are left out and feed the novelty term); the
  first N picks, in its order, whose answers are not labelled yet;
- ``random``: N candidates drawn at random (seeded);
- ``time order``: SongExplorer's order: the candidates in time order, recording by recording.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.annotation_budget_sets import NEGATIVE, BudgetSet
from hark.annotations.event import Event, Kind

STRATEGIES = ("suggest", "random", "time order")
ANNOTATOR = "oracle"


@dataclass(frozen=True, order=True)
class Sound:
    recording: str  # file name
    start: int
    stop: int
    label: str

    def overlaps(self, other: Sound) -> bool:
        return self.recording == other.recording and self.start <= other.stop and other.start <= self.stop


def _recording_length(path: Path) -> int:
    from hark.audio import open_recording

    return open_recording(path).frames


def candidates(bset: BudgetSet) -> list[Sound]:
    """The pool's true events and the stretches of no event between them, in time order."""
    sounds = []
    for path in bset.pool:
        events = sorted((e for e in bset.truth[path.name] if e.label in bset.labels), key=lambda e: (e.start, e.stop))
        samplerate = _samplerate(path)
        lengths = [e.stop - e.start for e in events]
        length = max(int(np.median(lengths)) if lengths else 0, int(0.010 * samplerate), 1)
        sounds += [Sound(path.name, e.start, e.stop, e.label) for e in events]
        cursor = 0
        for lo, hi in [*((e.start, e.stop) for e in events), (_recording_length(path), None)]:
            pieces = (lo - cursor) // (3 * length)  # each a sound of the usual length with as much room on each side
            for k in range(pieces):
                middle = cursor + (2 * k + 1) * (lo - cursor) // (2 * pieces)
                sounds.append(Sound(path.name, middle - length // 2, middle - length // 2 + length, NEGATIVE))
            cursor = max(cursor, hi if hi is not None else lo)
    order = {p.name: i for i, p in enumerate(bset.pool)}
    return sorted(sounds, key=lambda s: (order[s.recording], s.start, s.stop))


def _samplerate(path: Path) -> int:
    from hark.audio import open_recording

    return int(open_recording(path).samplerate)


def answer(bset: BudgetSet, recording: str, start: int, stop: int) -> Sound:
    """The oracle's label of the stretch ``start``-``stop`` of ``recording``: the true event overlapping it most, else ``noise``."""
    best, most = None, -1
    for e in bset.truth[recording]:
        if e.label not in bset.labels or e.start > stop or start > e.stop:
            continue
        overlap = min(stop, e.stop) - max(start, e.start)
        if overlap > most:
            best, most = e, overlap
    if best is None:
        return Sound(recording, start, stop, NEGATIVE)
    return Sound(recording, best.start, best.stop, best.label)


def initial_picks(pool: Sequence[Sound], labels: Sequence[str], per_label: int, seed: int) -> list[Sound]:
    """``per_label`` candidates of each label (and of ``noise``), drawn with ``seed``."""
    rng = np.random.default_rng([seed, 0])
    chosen = []
    for label in [*labels, NEGATIVE]:
        of_label = [s for s in pool if s.label == label]
        take = rng.permutation(len(of_label))[:per_label]
        chosen += [of_label[i] for i in sorted(take)]
    return chosen


def unlabelled(pool: Sequence[Sound], labelled: Sequence[Sound]) -> list[Sound]:
    return [s for s in pool if not any(s.overlaps(t) for t in labelled)]


def pick_random(pool: Sequence[Sound], labelled: Sequence[Sound], n: int, seed: int, round_number: int) -> list[Sound]:
    left = unlabelled(pool, labelled)
    rng = np.random.default_rng([seed, round_number, 1])
    return [left[i] for i in sorted(rng.permutation(len(left))[:n])]


def pick_in_time_order(pool: Sequence[Sound], labelled: Sequence[Sound], n: int) -> list[Sound]:
    return unlabelled(pool, labelled)[:n]


def pick_suggested(bset: BudgetSet, model: Path, folder: Path, n: int, seed: int) -> list[tuple[str, int, int]]:
    """``hark suggest``'s N picks over the training folder (recording name, start, stop), best first."""
    from hark.infer.suggest import suggest_sounds
    from hark.infer.suggest_request import SuggestParams

    with tempfile.TemporaryDirectory(prefix="suggested-") as out:
        done = suggest_sounds(model, [folder], out, SuggestParams(budget=n, seed=seed, device="cpu"))
    return [(s.recording.name, s.start, s.stop) for s in done.suggestions]


def write_answers(folder: Path, bset: BudgetSet, labelled: Sequence[Sound]) -> None:
    """The training folder: links to the pool recordings (and finch's headers), each with the oracle's answers as a CSV."""
    from hark.annotations.songexplorer import write_csv

    folder.mkdir(parents=True, exist_ok=True)
    for path in bset.pool:
        for companion in [path, *path.parent.glob(f"{path.stem}.rec")]:
            link = folder / companion.name
            if not link.exists():
                link.symlink_to(companion.resolve())
        events = [Event(path.name, s.start, s.stop, Kind.ANNOTATED, s.label) for s in sorted(labelled) if s.recording == path.name]
        target = folder / f"{path.name}-annotated-{ANNOTATOR}.csv"
        if events:
            write_csv(target, events)
        elif target.exists():
            target.unlink()


def read_sounds(path: Path) -> list[Sound]:
    import csv

    with open(path) as f:
        return [Sound(r["recording"], int(r["start"]), int(r["stop"]), r["label"]) for r in csv.DictReader(f)]


def write_sounds(path: Path, sounds: Sequence[Sound]) -> None:
    from hark.fileio import atomic_write_text

    lines = ["recording,start,stop,label", *(f"{s.recording},{s.start},{s.stop},{s.label}" for s in sounds)]
    atomic_write_text(path, "\n".join(lines) + "\n")


__all__ = ["STRATEGIES", "Sound", "answer", "candidates", "initial_picks", "pick_in_time_order", "pick_random", "pick_suggested", "write_answers"]
