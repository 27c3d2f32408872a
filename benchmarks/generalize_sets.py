"""The four data sets of ``python -m benchmarks.generalize``: how each is prepared, trained on and scored.

Everything a model sees goes through hark's own commands, run as a user runs them (a fresh
``hark`` process each, default settings unless a README tutorial gives one), so that the
benchmark measures whatever the defaults are when it runs:

    hark train --data GT --labels ... [--supervision dense] --out MODEL --weights-seed S --batch-seed S
    hark accuracy MODEL --no-figures        # checkpoint and thresholds: the model's own validation
    hark classify --model MODEL --out DIR REC...
    hark ethogram --model MODEL --ratio 1.0 --out DIR REC...

``GT`` holds only training recordings, so the checkpoint and the thresholds come from them
alone; the withheld recordings are scored once. The seed ``S`` is the weights' and the
batches' (1 is hark's default). The scores are computed here from the CSVs that
``hark ethogram`` wrote (finch: by ``hark accuracy --truth``).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from benchmarks import stress

USV_RATE = 250_000
USV_RECORDINGS = ["1", "2", "3", "4"]
# The `calls` detector's spectrogram starts at 15 kHz at this rate: the band where SNR is measured.
USV_LOW_HZ = 15_000.0
USV_CONDITIONS = ["as is", "-10 dB", "-20 dB", "background 6 dB SNR", "pitch +10 %", "pitch -10 %"]
BAT_RATE = 250_000
# README: "Bat calls last 1-30 ms, so segment them with --min-duration-ms 1 --fill-gap-ms 3".
BAT_SEGMENTATION = ["--min-duration-ms", "1", "--fill-gap-ms", "3"]
FLY_LABELS = "mel-pulse,mel-sine,ambient"
FLY_TOLERANCE_MS = 10.0
FINCH_LABELS = "a,b,c,d,e,f,g,h,i,j,k"
FINCH_TRAINING_SONGS = 2
QUICK_TRAINING = ["--steps", "60", "--validation-period", "30"]


class Runner:
    """Runs hark commands in fresh processes, their output appended to ``commands.log``."""

    def __init__(self, out: Path, quick: bool, say: Callable[[str], None], train_args: Sequence[str] = ()):
        self.out, self.quick, self.say = out, quick, say
        # Candidate settings given to every ``hark train`` (e.g. a schedule to compare with the default).
        self.train_args = list(train_args)
        self.commands_log = out / ("commands-quick.log" if quick else "commands.log")

    def hark(self, *args) -> None:
        argv = [str(a) for a in args]
        start = time.perf_counter()
        with open(self.commands_log, "a") as log:
            log.write(f"$ hark {' '.join(argv)}\n")
            log.flush()
            done = subprocess.run([sys.executable, "-m", "hark.cli.app", *argv], stdout=log, stderr=subprocess.STDOUT)
            log.write(f"# exit {done.returncode} after {time.perf_counter() - start:.1f} s\n")
        if done.returncode != 0:
            raise RuntimeError(f"hark {argv[0]} failed (exit {done.returncode}); its output is in {self.commands_log}")

    def train(self, data: Path, labels: Sequence[str], model: Path, seed: int) -> Path:
        """``hark train`` (resuming an interrupted one), then ``hark accuracy`` for its checkpoint and thresholds."""
        quick = QUICK_TRAINING if self.quick else []
        self.hark("train", "--data", data, *labels, "--out", model, "--weights-seed", seed, "--batch-seed", seed, *quick, *self.train_args, "--no-progress")
        self.hark("accuracy", model, "--no-figures")
        return model

    def detect(self, model: Path, out: Path, recordings: Sequence[Path], *ethogram: str) -> dict[str, list]:
        """``hark classify`` and ``hark ethogram --ratio 1.0``; each recording's predicted events by file name."""
        from hark.annotations.songexplorer import read_csv

        self.hark("classify", "--model", model, "--out", out, *recordings)
        self.hark("ethogram", "--model", model, "--ratio", "1.0", *ethogram, "--out", out, *recordings)
        return {r.name: read_csv(out / f"{r.name}-predicted-1.0pr.csv", allow_empty=True) for r in recordings}


def fresh_folder(folder: Path) -> bool:
    """Whether ``folder`` must be (re)made: a preparation interrupted before its marker is redone."""
    if (folder / ".prepared").is_file():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return True


def _link(source: Path, folder: Path) -> None:
    (folder / source.name).symlink_to(source.resolve())


# ---------------------------------------------------------------- scoring (pure)


def overlap_counts(truth: Sequence[tuple[int, int]], found: Sequence[tuple[int, int]]) -> tuple[int, int, int]:
    """``(tp, fp, fn)``: a found call matches at most one true call that it overlaps in time (and vice versa)."""
    from hark.evaluate.matching import match_one_to_one

    matched = len(match_one_to_one(list(truth), list(found), 0)[0]) if truth and found else 0
    return matched, len(found) - matched, len(truth) - matched


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def pulse_scores(points: Sequence[int], not_ranges: Sequence[tuple[int, int]], found: Sequence[tuple[int, int]], tolerance: int) -> dict:
    """Recall of hand-marked pulse ``points`` (one to one, within ``tolerance`` samples of a found pulse)
    and the found pulses whose middle lies inside a range marked as no pulse (false alarms)."""
    from hark.evaluate.matching import match_one_to_one

    matched = len(match_one_to_one([(p, p) for p in points], list(found), tolerance)[0]) if points and found else 0
    middles = [(a + b) / 2 for a, b in found]
    false_alarms = sum(any(lo <= m <= hi for lo, hi in not_ranges) for m in middles)
    return {"points": len(points), "matched": matched, "found": len(found), "false_alarms": false_alarms}


# ---------------------------------------------------------------- data sets


@dataclass
class DataSet:
    """One data set: its folds, how to prepare it, one training run, and rough costs for the estimate."""

    name: str
    folds: Callable[[Path], list[str]]  # from the shared data folder, before preparation
    prepare: Callable[[Runner, Path], dict]  # -> what run needs of each fold
    run: Callable[[Runner, object, Path, int], dict]  # (runner, fold's preparation, run folder, seed) -> result
    seconds: float  # one run (training and scoring) on 2 CPU cores, default steps
    quick_seconds: float
    peak_mb: float  # the largest hark command's resident memory


# USV: leave one recording out, the withheld one scored as it is and under stress.


@dataclass
class UsvFold:
    truth_folder: Path  # the three other recordings and their calls, converted by hark convert
    recordings: dict[str, Path]  # condition -> recording to detect in
    calls: dict[str, list[tuple[int, int]]]  # condition -> hand-marked calls in that recording


def _usv_calls(usv: Path, n: str) -> list[tuple[int, int]]:
    from hark.annotations.usv_table import read_usv_table

    return [(e.start, e.stop) for e in read_usv_table(usv / n / f"gt_{n}.csv", USV_RATE, f"rec_{n}.wav")]


def _stressed(usv: Path, n: str, other: str, folder: Path) -> tuple[dict[str, Path], dict[str, list]]:
    """The withheld recording ``n`` as it is and under each stress (FLOAT WAVs: nothing clips or rounds)."""
    samples, rate = sf.read(usv / n / f"rec_{n}.wav", dtype="float32")
    calls = _usv_calls(usv, n)
    noise_source, _ = sf.read(usv / other / f"rec_{other}.wav", dtype="float32")
    noise = stress.background(noise_source, _usv_calls(usv, other), len(samples), margin=rate // 100, fade=rate // 500)
    versions = {  # condition: (file name's ending, audio, calls)
        "-10 dB": ("quieter10dB", stress.attenuate(samples, 10), calls),
        "-20 dB": ("quieter20dB", stress.attenuate(samples, 20), calls),
        "background 6 dB SNR": ("background6dB", stress.mix_at_snr(samples, noise, calls, 6.0, rate, USV_LOW_HZ), calls),
        "pitch +10 %": ("pitchup10pct", stress.pitch_shift(samples, 1.1), stress.scale_spans(calls, 1.1)),
        "pitch -10 %": ("pitchdown10pct", stress.pitch_shift(samples, 0.9), stress.scale_spans(calls, 0.9)),
    }
    _link(usv / n / f"rec_{n}.wav", folder)
    recordings, truth = {"as is": folder / f"rec_{n}.wav"}, {"as is": calls}
    for condition, (ending, audio, spans) in versions.items():
        path = folder / f"rec_{n}-{ending}.wav"
        sf.write(path, audio, rate, subtype="FLOAT")
        recordings[condition], truth[condition] = path, spans
    return recordings, truth


def prepare_usv(runner: Runner, shared: Path) -> dict[str, UsvFold]:
    usv, root = shared / "usv", runner.out / "data" / "usv"
    folds = {}
    for i, n in enumerate(USV_RECORDINGS):
        fold = root / f"without-{n}"
        truth_folder, stressed = fold / "GT", fold / "withheld"
        if fresh_folder(fold):
            truth_folder.mkdir()
            stressed.mkdir()
            for m in USV_RECORDINGS:
                if m != n:  # as the README's USV tutorial puts recordings and calls into GT
                    _link(usv / m / f"rec_{m}.wav", truth_folder)
                    runner.hark("convert", usv / m / f"gt_{m}.csv", truth_folder / f"rec_{m}.wav-annotated-me.csv",
                                "--to", "hark", "--recording", usv / m / f"rec_{m}.wav")  # fmt: skip
            # the background comes from the next recording (a training one: the detector heard its noise, not these calls)
            recordings, truth = _stressed(usv, n, USV_RECORDINGS[(i + 1) % len(USV_RECORDINGS)], stressed)
            (fold / "withheld.json").write_text(json.dumps({c: {"recording": str(recordings[c]), "calls": truth[c]} for c in recordings}))
            (fold / ".prepared").touch()
        table = json.loads((fold / "withheld.json").read_text())
        folds[n] = UsvFold(truth_folder, {c: Path(v["recording"]) for c, v in table.items()}, {c: [tuple(s) for s in v["calls"]] for c, v in table.items()})
    return folds


def run_usv(runner: Runner, fold: UsvFold, folder: Path, seed: int) -> dict:
    model = runner.train(fold.truth_folder, ["--labels", "usv", "--supervision", "dense"], folder / "model", seed)
    found = runner.detect(model, folder / "predictions", list(fold.recordings.values()))
    result = {}
    for condition, recording in fold.recordings.items():
        spans = [(e.start, e.stop) for e in found[recording.name] if e.label == "usv"]
        result[condition] = overlap_counts(fold.calls[condition], spans)
    return result


# Bats: leave one species (one recording each) out.


@dataclass
class BatFold:
    truth_folder: Path  # the other nine species' annotated clips
    recording: Path  # the withheld species' whole recording at 250 kHz
    spans: list[tuple[int, int]]  # its annotated clips: only what a person looked at is scored
    calls: list[tuple[int, int]]


def prepare_bat(runner: Runner, shared: Path) -> dict[str, BatFold]:
    """As tests/cli/test_bat.py: hark convert, hark resample to 250 kHz, each annotated clip a recording of its own."""
    from hark.annotations.songexplorer import read_csv, write_csv
    from hark.annotations.soundevent import read_soundevent_project_with_clips
    from hark.audio.resample import rate_ratio, scale_tick

    bat, root = shared / "bat", runner.out / "data" / "bat"
    project_file = bat / "example_annotation_project.json"
    project = read_soundevent_project_with_clips(project_file)
    names = sorted(project.recordings)
    if fresh_folder(root):
        truth, resampled = root / "GT", root / "GT250"
        runner.hark("convert", project_file, truth, "--to", "hark")
        for wav in sorted(bat.glob("*.wav")):
            _link(wav, truth)
        runner.hark("resample", "--rate", BAT_RATE, "--subtype", "FLOAT", "--out", resampled, truth, "--no-progress")
        table = {}
        for name in names:
            recording = project.recordings[name]
            up, down = rate_ratio(int(recording.samplerate), BAT_RATE)
            audio = sf.read(resampled / name, dtype="float32")[0]
            [csv_file] = resampled.glob(f"{name}-annotated-*.csv")
            calls = read_csv(csv_file)
            spans = [(scale_tick(c.start, up, down), min(scale_tick(c.stop, up, down), len(audio))) for c in recording.clips]
            stem = name.rsplit(".", 1)[0]
            (root / "clips" / stem).mkdir(parents=True)
            for i, (start, stop) in enumerate(spans):
                clip = root / "clips" / stem / f"{stem}-clip{i}.wav"
                sf.write(clip, audio[start:stop], BAT_RATE, subtype="FLOAT")
                inside = [e for e in calls if start <= (e.start + e.stop) // 2 < stop]
                write_csv(clip.parent / f"{clip.name}-annotated-whombat.csv",
                          [e.with_(recording=clip.name, label="call", start=max(e.start, start) - start, stop=min(e.stop, stop) - start) for e in inside])  # fmt: skip
            table[name] = {"spans": spans, "calls": [(e.start, e.stop) for e in calls]}
        for name in names:
            folder = root / "folds" / f"without-{name.rsplit('.', 1)[0]}"
            folder.mkdir(parents=True)
            for other in names:
                if other != name:
                    for clip in sorted((root / "clips" / other.rsplit(".", 1)[0]).iterdir()):
                        _link(clip, folder)
        (root / "withheld.json").write_text(json.dumps(table))
        (root / ".prepared").touch()
    table = json.loads((root / "withheld.json").read_text())
    return {
        name.rsplit(".", 1)[0]: BatFold(root / "folds" / f"without-{name.rsplit('.', 1)[0]}", root / "GT250" / name,
                                        [tuple(s) for s in table[name]["spans"]], [tuple(c) for c in table[name]["calls"]])  # fmt: skip
        for name in names
    }


def run_bat(runner: Runner, fold: BatFold, folder: Path, seed: int) -> dict:
    model = runner.train(fold.truth_folder, ["--labels", "call", "--supervision", "dense"], folder / "model", seed)
    found = runner.detect(model, folder / "predictions", [fold.recording], *BAT_SEGMENTATION)[fold.recording.name]
    # only what a person looked at is scored: detections whose middle lies in an annotated clip
    spans = [(e.start, e.stop) for e in found if any(lo <= (e.start + e.stop) // 2 < hi for lo, hi in fold.spans)]
    return {"counts": overlap_counts(fold.calls, spans)}


# Fly: train on one annotated recording, score the other.


@dataclass
class FlyFold:
    truth_folder: Path  # the training recording with its CSVs
    recording: Path  # the other one
    points: list[int]  # person1's mel-pulse points there
    not_ranges: list[tuple[int, int]]  # its not_mel-pulse ranges
    samplerate: int


def _fly_recordings(fly: Path) -> list[str]:
    return sorted(p.name[: -len("-annotated-person1.csv")] for p in fly.glob("*-annotated-person1.csv"))


def _fly_folds(fly: Path) -> dict[str, tuple[str, str]]:
    """Fold name -> (training recording, scored recording), both ways."""
    names = _fly_recordings(fly)
    return {f"{a.split('_')[0]}-to-{b.split('_')[0]}": (a, b) for a in names for b in names if a != b}


def prepare_fly(runner: Runner, shared: Path) -> dict[str, FlyFold]:
    from hark.annotations.songexplorer import read_csv

    fly, root = shared / "fly", runner.out / "data" / "fly"
    names = _fly_recordings(fly)
    if fresh_folder(root):
        for name in names:  # the training folder as the tutorial's GT holds it: recording, person1's and the notsong CSV
            (root / f"train-{name}").mkdir()
            for path in sorted(fly.glob(f"{name}*")):
                _link(path, root / f"train-{name}")
        (root / ".prepared").touch()
    folds = {}
    for fold, (train, test) in _fly_folds(fly).items():
        person1 = read_csv(fly / f"{test}-annotated-person1.csv")
        notsong = read_csv(fly / f"{test}-annotated-notsong.csv")
        folds[fold] = FlyFold(
            root / f"train-{train}", fly / test, [e.start for e in person1 if e.label == "mel-pulse"],
            [(e.start, e.stop) for e in notsong if e.label == "not_mel-pulse"], sf.info(fly / test).samplerate,
        )  # fmt: skip
    return folds


def run_fly(runner: Runner, fold: FlyFold, folder: Path, seed: int) -> dict:
    model = runner.train(fold.truth_folder, ["--labels", FLY_LABELS, "--kinds", "annotated"], folder / "model", seed)
    found = runner.detect(model, folder / "predictions", [fold.recording])[fold.recording.name]
    pulses = [(e.start, e.stop) for e in found if e.label == "mel-pulse"]
    tolerance = int(FLY_TOLERANCE_MS * fold.samplerate / 1000)
    return pulse_scores(fold.points, fold.not_ranges, pulses, tolerance)


# Finch: train on two songs, segment the other five.


@dataclass
class FinchFold:
    truth_folder: Path
    test_folder: Path
    recordings: list[Path]


def prepare_finch(runner: Runner, shared: Path) -> dict[str, FinchFold]:
    finch, root = shared / "finch", runner.out / "data" / "finch"
    songs = sorted(p.name[: -len(".cbin")] for p in finch.glob("*.cbin"))
    train, test = songs[:FINCH_TRAINING_SONGS], songs[FINCH_TRAINING_SONGS:]
    if fresh_folder(root):
        for folder, names in (("train", train), ("test", test)):
            (root / folder).mkdir()
            for name in names:
                for path in sorted(finch.glob(f"{name}.*")):
                    _link(path, root / folder)
        (root / ".prepared").touch()
    return {"2-songs": FinchFold(root / "train", root / "test", [root / "test" / f"{name}.cbin" for name in test])}


def run_finch(runner: Runner, fold: FinchFold, folder: Path, seed: int) -> dict:
    model = runner.train(fold.truth_folder, ["--labels", FINCH_LABELS, "--supervision", "dense"], folder / "model", seed)
    predictions = folder / "predictions"
    runner.detect(model, predictions, fold.recordings)
    runner.hark("accuracy", "--truth", fold.test_folder, "--predictions", predictions, "--no-figures")
    with open(predictions / "accuracy" / "syllable-scores.csv") as f:
        scores = {row["measure"]: float(row["value"]) for row in csv.DictReader(f)}
    return {k: scores[k] for k in ("onset_f1", "offset_f1", "label_accuracy", "reference_syllables", "predicted_syllables")}


# Rough costs per run for the estimate printed at the start. Full runs, for 2 quiet CPU cores:
# the README's training times (fly about 30 s, USV about 4 min for 600 steps; bats train the
# same detector at the same rate; finch about 2 min) plus the scoring commands (10-40 s).
# Quick runs and the peak memory: measured with --quick on 2 cores busy with other work
# (fly 41 s, USV 110 s per run; 440 and 750 MB), bats and finch guessed from those.
DATA_SETS = {
    "usv": DataSet("usv", lambda shared: USV_RECORDINGS, prepare_usv, run_usv, 300, 110, 800),
    "bat": DataSet("bat", lambda shared: sorted(p.stem for p in (shared / "bat").glob("*.wav")), prepare_bat, run_bat, 280, 90, 800),
    "fly": DataSet("fly", lambda shared: list(_fly_folds(shared / "fly")), prepare_fly, run_fly, 60, 40, 500),
    "finch": DataSet("finch", lambda shared: ["2-songs"], prepare_finch, run_finch, 160, 90, 800),
}

__all__ = ["DATA_SETS", "USV_CONDITIONS", "Runner", "f1", "overlap_counts", "pulse_scores"]
