"""The data sets of ``python -m benchmarks.annotation_budget``: recordings, complete truth, scoring.

Each data set is split once into a **pool** (the training recordings: the sounds a strategy
picks from and the oracle answers about) and **withheld** recordings, which only score the
models and are never looked at to choose a sound. The truth is the complete annotation the
oracle answers from:

- ``usv``: ../shared/data/usv, recordings 1-3 the pool (96 hand-marked calls), 4 withheld
  (21 calls); label ``usv``. Score: F1 of events against the hand-marked calls, a found call
  matching at most one hand-marked call it overlaps in time (the rule of the data set's
  README and ``benchmarks.generalize``).
- ``finch``: ../shared/data/finch, five songs the pool and the other two withheld (the
  README's finch tutorial split), syllables ``a``-``k``. Score: the DCASE event-based F1 of
  ``hark accuracy --truth`` (:func:`hark.evaluate.truth_accuracy.truth_accuracy`): a syllable
  found with the right label and its onset within 200 ms (all labels pooled).
- ``demo``: generated fly song (hark's demo generator; ``mel-pulse``, ``mel-sine`` and
  ``ambient`` known), for ``--quick`` and the tests; scored as ``usv``, per label.

Predicted events are joined as ``hark ethogram`` joins a dense model's syllables (its default
gap filling and minimum duration, :func:`joined`). The models are trained with sparse supervision (each labelled sound an example, the label
``noise`` for a picked sound that holds no true event): dense supervision learns every
unlabelled sample of an annotated recording as background, so it cannot learn from a
recording of which only some sounds are labelled, which is what each round leaves.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.generalize_sets import fresh_folder
from hark.annotations.event import Event

NEGATIVE = "noise"
USV_RATE = 250_000
FINCH_LABELS = list("abcdefghijk")
FINCH_POOL_SONGS = 5


@dataclass
class BudgetSet:
    """One data set as the benchmark uses it (made by :func:`prepare`)."""

    name: str
    labels: list[str]  # the true labels; the models also learn NEGATIVE
    pool: list[Path]  # recordings the sounds are picked from (links in the set's folder)
    withheld: list[Path]  # recordings that only score
    truth: dict[str, list[Event]]  # recording name -> its true events (pool and withheld)
    score_name: str
    scorer: Callable[[Path, BudgetSet, Path], float]  # (model, this set, scratch folder) -> score
    truth_folder: Path | None = None  # withheld recordings with their annotation files (finch's scorer)
    train_params: dict = field(default_factory=dict)  # TrainParams fields for every model of this set
    segmentation: dict = field(default_factory=dict)  # SegmentationParams fields joining predicted events (default: its defaults)
    supervision: str = "sparse"  # clip: each pool recording is one sound, the whole file
    initial_per_label: int = 5  # round 0's draw of each label (and of NEGATIVE)

    @property
    def model_labels(self) -> list[str]:
        """The outputs: the true labels and NEGATIVE (a clip set has no stretch without a label, so no NEGATIVE)."""
        return list(self.labels) if self.supervision == "clip" else [*self.labels, NEGATIVE]


def _link(source: Path, folder: Path) -> Path:
    target = folder / source.name
    if not target.exists():
        target.symlink_to(source.resolve())
    return target


# ---------------------------------------------------------------- scoring


def _predicted(model: Path, recordings: Sequence[Path], scratch: Path, segmentation: dict | None = None) -> Path:
    """``hark classify`` and ``hark ethogram --ratio 1.0`` (the library functions) of ``recordings`` into ``scratch``."""
    from hark.infer.classify import classify_recordings
    from hark.infer.ethogram import write_ethograms

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    results = classify_recordings(model, recordings, scratch, device="cpu")
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"classify failed: {failed[0]}")
    write_ethograms(model, recordings, scratch, scratch, 1.0)
    for recording in recordings:
        _segment(scratch / f"{recording.name}-predicted-1.0pr.csv", _samplerate(recording), segmentation)
    return scratch


def _samplerate(path: Path) -> float:
    from hark.audio import open_recording

    return open_recording(path).samplerate


def joined(events: Sequence[Event], samplerate: float, segmentation: dict | None = None) -> list[Event]:
    """Each label's events with gaps under ``fill_gap_ms`` filled and those under ``min_duration_ms`` then dropped:
    the segmentation ``hark ethogram`` gives a dense model's syllables (its defaults unless
    ``segmentation`` names others), which it leaves out for a sparse model, whose frames would
    otherwise flicker into hundreds of events a call."""
    from hark.evaluate.segments import SegmentationParams

    rule = SegmentationParams(**(segmentation or {}))
    gap, shortest = rule.fill_gap_ms * samplerate / 1000, rule.min_duration_ms * samplerate / 1000
    out = []
    for label in sorted({e.label for e in events}):
        runs: list[Event] = []
        for e in sorted((e for e in events if e.label == label), key=lambda e: (e.start, e.stop)):
            if runs and e.start - runs[-1].stop < gap:
                runs[-1] = runs[-1].with_(stop=max(runs[-1].stop, e.stop), score=max(runs[-1].score or 0, e.score or 0))
            else:
                runs.append(e)
        out += [e for e in runs if e.stop - e.start >= shortest]
    return sorted(out, key=lambda e: (e.start, e.stop, e.label))


def _segment(path: Path, samplerate: float, segmentation: dict | None = None) -> None:
    from hark.annotations.songexplorer import read_csv, write_csv

    write_csv(path, joined(read_csv(path, allow_empty=True), samplerate, segmentation), extras=True)


def event_f1(model: Path, bset: BudgetSet, scratch: Path) -> float:
    """F1 of the predicted events of each true label against the truth, one-to-one by overlap, counts pooled over labels."""
    from benchmarks.generalize_sets import f1, overlap_counts
    from hark.annotations.songexplorer import read_csv

    folder = _predicted(model, bset.withheld, scratch, bset.segmentation)
    tp = fp = fn = 0
    for recording in bset.withheld:
        found = read_csv(folder / f"{recording.name}-predicted-1.0pr.csv", allow_empty=True)
        for label in bset.labels:
            truth = [(e.start, e.stop) for e in bset.truth[recording.name] if e.label == label]
            counts = overlap_counts(truth, [(e.start, e.stop) for e in found if e.label == label])
            tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
    return f1(tp, fp, fn)


def dcase_f1(model: Path, bset: BudgetSet, scratch: Path) -> float:
    """``hark accuracy --truth``'s DCASE event-based F1 over the true labels."""
    from hark.evaluate.truth_accuracy import truth_accuracy

    folder = _predicted(model, bset.withheld, scratch, bset.segmentation)
    scores = truth_accuracy(bset.truth_folder, folder, out=folder / "accuracy", ratio=1.0, labels=list(bset.labels), draw=False)
    return scores.total.dcase_events.overall.f1


# ---------------------------------------------------------------- data sets


def prepare_usv(shared: Path, root: Path) -> BudgetSet:
    from hark.annotations.usv_table import read_usv_table

    usv = shared / "usv"
    folder = root / "usv"
    if fresh_folder(folder):
        (folder / ".prepared").touch()
    truth, paths = {}, {}
    for n in ("1", "2", "3", "4"):
        name = f"rec_{n}.wav"
        paths[n] = _link(usv / n / name, folder)
        truth[name] = [e.with_(label="usv") for e in read_usv_table(usv / n / f"gt_{n}.csv", USV_RATE, name)]
    return BudgetSet(
        "usv", ["usv"], [paths[n] for n in "123"], [paths["4"]], truth, "event F1 (overlap, one-to-one)", event_f1,
        train_params={"architecture": "calls"},  # the USV tutorial's architecture (what dense supervision trains at 250 kHz)
    )  # fmt: skip


def prepare_finch(shared: Path, root: Path) -> BudgetSet:
    """Audio and its ``.rec`` header linked into ``finch/pool``; the withheld songs with their ``.not.mat`` into ``finch/withheld``."""
    from hark.annotations.folder import read_annotation_file

    finch, folder = shared / "finch", root / "finch"
    songs = sorted(p.name[: -len(".cbin")] for p in finch.glob("*.cbin"))
    pool_songs, withheld_songs = songs[:FINCH_POOL_SONGS], songs[FINCH_POOL_SONGS:]
    if fresh_folder(folder):
        (folder / "pool").mkdir()
        (folder / "withheld").mkdir()
        for name in pool_songs:  # no .not.mat here: the oracle's answers are the only annotations trained on
            for ending in (".cbin", ".rec"):
                _link(finch / f"{name}{ending}", folder / "pool")
        for name in withheld_songs:
            for ending in (".cbin", ".rec", ".cbin.not.mat"):
                _link(finch / f"{name}{ending}", folder / "withheld")
        (folder / ".prepared").touch()
    truth = {}
    for name in songs:
        events = read_annotation_file(finch / f"{name}.cbin.not.mat", finch / f"{name}.cbin")
        truth[f"{name}.cbin"] = [e for e in events if e.label in FINCH_LABELS]
    return BudgetSet(
        "finch", list(FINCH_LABELS), [folder / "pool" / f"{n}.cbin" for n in pool_songs], [folder / "withheld" / f"{n}.cbin" for n in withheld_songs],
        truth, "DCASE event F1 (label, onset within 200 ms)", dcase_f1, truth_folder=folder / "withheld",
        train_params={"architecture": "tcn"},  # the finch tutorial's architecture (what dense supervision trains)
    )  # fmt: skip


# A small convnet (the tests' size) and short trainings, so that a whole --quick run takes seconds.
DEMO_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
DEMO_RECORDINGS = 3


def prepare_demo(shared: Path, root: Path) -> BudgetSet:
    """Generated fly song (no shared data needed): the first recordings the pool, the last withheld."""
    from hark.annotations.songexplorer import read_csv
    from hark.demo import generate_fly

    folder = root / "demo"
    if fresh_folder(folder):
        generate_fly(folder / "generated", n_recordings=DEMO_RECORDINGS, duration_s=20.0, seed=5)
        (folder / "pool").mkdir()
        (folder / "withheld").mkdir()
        for i, wav in enumerate(sorted((folder / "generated").glob("*.wav"))):
            shutil.copy(wav, folder / ("withheld" if i == DEMO_RECORDINGS - 1 else "pool") / wav.name)
        (folder / ".prepared").touch()
    truth = {}
    for csv_file in sorted((folder / "generated").glob("*-annotated-demo.csv")):
        events = read_csv(csv_file)
        truth[events[0].recording] = events
    pool = sorted((folder / "pool").glob("*.wav"))
    withheld = sorted((folder / "withheld").glob("*.wav"))
    return BudgetSet(
        "demo", ["mel-pulse", "mel-sine", "ambient"], pool, withheld, truth, "event F1 (overlap, one-to-one, per label)", event_f1,
        train_params={"architecture_params": DEMO_NET, "learning_rate": 0.003},
    )  # fmt: skip


PREPARE: dict[str, Callable[[Path, Path], BudgetSet]] = {"usv": prepare_usv, "finch": prepare_finch, "demo": prepare_demo}

__all__ = ["NEGATIVE", "PREPARE", "BudgetSet", "dcase_f1", "event_f1"]
