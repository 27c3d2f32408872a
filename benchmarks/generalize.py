"""How hark's default models do on recordings they never trained on, under stress too.

    python -m benchmarks.generalize [--seeds 3] [--only usv,bat,fly,finch] [--quick] [--out bench-output/generalize]
                                    [--train-args "--lr-schedule cosine"]

Each model is trained by hark's own commands with their defaults (``hark train``, then
``hark accuracy`` for the checkpoint and thresholds, both on the training recordings alone;
``hark classify`` and ``hark ethogram --ratio 1.0`` on the withheld ones; see
benchmarks/generalize_sets.py), once per training seed (``--weights-seed`` and
``--batch-seed`` 1, 2, 3; 1 is hark's default). Every figure is the mean over the seeds,
with their minimum, maximum and standard deviation:

- **USV** (../shared/data/usv, four 5 s recordings at 250 kHz, gt_N.csv converted by
  ``hark convert`` as the README's USV tutorial does): leave one recording out; the withheld
  one is scored as it is and under stress (benchmarks/stress.py): 10 and 20 dB quieter; with
  the next recording's call-free background added at 6 dB SNR (call power over added noise
  power, both above 15 kHz); pitch-shifted by +-10 % by resampling (a tape played 10 %
  faster or slower: frequencies x1.1 or x0.9, durations /1.1 or /0.9, the hand-marked call
  times scaled with them). F1 pooled over the four recordings per condition, by the data
  README's rule: a detected call matches at most one hand-marked call that it overlaps in time.
- **Bats** (../shared/data/bat, after ``hark convert`` and ``hark resample --rate 250000`` as
  tests/cli/test_bat.py does): leave one species (one recording) out, nothing tuned on it,
  segmented as the README says bat calls should be (``--min-duration-ms 1 --fill-gap-ms 3``);
  F1 pooled over the ten species, detections scored inside the annotated clips.
- **Fly** (../shared/data/fly, the README's fly tutorial): train on one annotated recording
  with person1's labels, score the other, both ways: recall of person1's mel-pulse points
  within 10 ms of a predicted pulse (one to one), and false alarms: predicted pulses whose
  middle lies inside a ``not_mel-pulse`` range of ``-annotated-notsong.csv``, as a percentage
  of the pulses found; both pooled over the two directions.
- **Finch** (../shared/data/finch, the README's bird-song tutorial): train on the first two
  songs, segment the other five; on- and offset F1 within 10 ms and label accuracy of
  ``hark accuracy --truth``.

Targets (issue 11) are drawn as lines: USV F1 >= 0.95 as it is and >= 0.90 under each stress;
bats F1 >= 0.90; fly recall >= 0.95 and false alarms <= 5 %; finch on/offset F1 and label
accuracy >= 0.97.

Writes to ``--out``: ``generalize.csv`` (the table), ``generalize.png`` (the figure),
``generalize.log`` (progress), ``commands.log`` (every hark command's output), the prepared
data (``data/``) and each run's model, predictions and ``result.json`` (``runs/``): an
interrupted benchmark resumes where it stopped, a finished run is never redone. ``--quick``
(one seed, 60 training steps) writes ``*-quick.*`` and ``runs-quick/`` instead: a smoke run
whose figures say nothing about the defaults.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.generalize_sets import DATA_SETS, USV_CONDITIONS, Runner, f1
from benchmarks.measure import cpu_summary, shared_data_dir
from hark.errors import HarkError


@dataclass
class Row:
    """One figure of the table: a measure of a data set under a condition, one value per seed."""

    data_set: str
    condition: str
    measure: str
    panel: str  # which panel of the figure (rows of one panel share their unit)
    at_least: bool  # the target is a minimum (else a maximum)
    target: float
    values: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def met(self) -> bool:
        return self.mean >= self.target if self.at_least else self.mean <= self.target


def _pooled(results: dict[str, dict], key=lambda r: r["counts"]) -> tuple[int, int, int]:
    return tuple(int(sum(key(r)[i] for r in results.values())) for i in range(3))


def usv_rows(by_seed: dict[int, dict[str, dict]]) -> list[Row]:
    return [
        Row("USV", condition, "F1", "USV F1", True, 0.95 if condition == "as is" else 0.90,
            [f1(*_pooled(folds, lambda r, c=condition: r[c])) for folds in by_seed.values()])  # fmt: skip
        for condition in USV_CONDITIONS
    ]


def bat_rows(by_seed: dict[int, dict[str, dict]]) -> list[Row]:
    return [Row("bats", "species withheld", "F1", "bats F1", True, 0.90, [f1(*_pooled(folds)) for folds in by_seed.values()])]


def fly_rows(by_seed: dict[int, dict[str, dict]]) -> list[Row]:
    def total(folds, key):
        return sum(r[key] for r in folds.values())

    recall = [total(f, "matched") / max(total(f, "points"), 1) for f in by_seed.values()]
    false_alarms = [100 * total(f, "false_alarms") / max(total(f, "found"), 1) for f in by_seed.values()]
    return [
        Row("fly", "other recording", "mel-pulse recall (10 ms)", "fly recall", True, 0.95, recall),
        Row("fly", "other recording", "false alarms (% of pulses)", "fly false alarms (%)", False, 5.0, false_alarms),
    ]


def finch_rows(by_seed: dict[int, dict[str, dict]]) -> list[Row]:
    measures = {"onset_f1": "onset F1 (10 ms)", "offset_f1": "offset F1 (10 ms)", "label_accuracy": "label accuracy"}
    return [
        Row("finch", "5 other songs", name, "finch", True, 0.97, [folds["2-songs"][key] for folds in by_seed.values()])
        for key, name in measures.items()
    ]


ROWS = {"usv": usv_rows, "bat": bat_rows, "fly": fly_rows, "finch": finch_rows}


class Log:
    """Progress lines, printed and appended (time-stamped) to the log file."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self, line: str) -> None:
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


def estimate(names: list[str], folds: dict[str, list[str]], seeds: list[int], runs: Path, quick: bool) -> str:
    """Time of the runs not yet done, and the memory of the largest command."""
    lines, total = [], 0.0
    for name in names:
        data_set = DATA_SETS[name]
        todo = sum(not (runs / name / fold / f"seed-{s}" / "result.json").is_file() for fold in folds[name] for s in seeds)
        seconds = todo * (data_set.quick_seconds if quick else data_set.seconds)
        total += seconds
        lines.append(f"  {name}: {todo} of {len(folds[name]) * len(seeds)} runs to do ({len(folds[name])} folds x {len(seeds)} seeds), about {seconds / 60:.0f} min")
    peak = max(DATA_SETS[n].peak_mb for n in names)
    return "\n".join([
        f"estimate on 2 CPU cores: about {f'{total / 3600:.1f} h' if total >= 3600 else f'{total / 60:.0f} min'} "
        f"({'60 training steps' if quick else 'default training steps'}; a GPU shortens training a lot)", *lines,
        f"  memory: one hark command at a time, peak about {peak / 1000:.1f} GB",
    ])  # fmt: skip


def run_data_set(name: str, runner: Runner, shared: Path, runs: Path, seeds: list[int], say: Log) -> dict[int, dict[str, dict]]:
    data_set = DATA_SETS[name]
    say(f"{name}: preparing the data")
    prepared = data_set.prepare(runner, shared)
    by_seed: dict[int, dict[str, dict]] = {}
    for seed in seeds:
        for fold, what in prepared.items():
            folder = runs / name / fold / f"seed-{seed}"
            done = folder / "result.json"
            if done.is_file():
                result = json.loads(done.read_text())
                say(f"{name} {fold} seed {seed}: done before, {json.dumps(result)}")
            else:
                folder.mkdir(parents=True, exist_ok=True)
                start = time.perf_counter()
                result = data_set.run(runner, what, folder, seed)
                tmp = done.with_suffix(".partial")
                tmp.write_text(json.dumps(result))
                tmp.replace(done)
                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                say(f"{name} {fold} seed {seed}: {time.perf_counter() - start:.0f} s, {json.dumps(result)} (peak memory so far {peak:.0f} MB)")
            by_seed.setdefault(seed, {})[fold] = result
    return by_seed


def format_table(rows: list[Row], seeds: int) -> str:
    header = f"{'data set':8s} {'condition':22s} {'measure':28s} {'mean':>7s} {'min':>7s} {'max':>7s} {'std':>7s}  target"
    lines = [header, "-" * len(header)]
    for r in rows:
        target = f"{'>=' if r.at_least else '<='} {r.target:g} {'met' if r.met else 'NOT met'}"
        lines.append(f"{r.data_set:8s} {r.condition:22s} {r.measure:28s} {r.mean:7.3f} {min(r.values):7.3f} {max(r.values):7.3f} {np.std(r.values):7.3f}  {target}")
    lines.append(f"(mean, min, max and standard deviation over {seeds} training seed{'s' if seeds > 1 else ''})")
    return "\n".join(lines)


def write_table(rows: list[Row], path: Path) -> None:
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["data_set", "condition", "measure", "mean", "min", "max", "std", "target", "target_met", "per_seed"])
        for r in rows:
            target = f"{'>=' if r.at_least else '<='}{r.target:g}"
            writer.writerow([r.data_set, r.condition, r.measure, f"{r.mean:.4f}", f"{min(r.values):.4f}", f"{max(r.values):.4f}",
                             f"{np.std(r.values):.4f}", target, r.met, " ".join(f"{v:.4f}" for v in r.values)])  # fmt: skip
    tmp.replace(path)


def draw(rows: list[Row], path: Path, title: str) -> None:
    """Bars (means) with the seeds' range and each seed's value, the targets as red lines, a panel per unit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: dict[str, list[Row]] = {}
    for r in rows:
        panels.setdefault(r.panel, []).append(r)
    widths = [max(len(p), 1) + 0.6 for p in panels.values()]
    fig, axes = plt.subplots(1, len(panels), figsize=(1.0 * sum(widths) + 1.5, 4.2), width_ratios=widths, squeeze=False)
    for ax, (panel, members) in zip(axes[0], panels.items()):
        x = np.arange(len(members))
        means = np.array([r.mean for r in members])
        low = means - np.array([min(r.values) for r in members])
        high = np.array([max(r.values) for r in members]) - means
        ax.bar(x, means, 0.6, color="#7a9cc6", yerr=[low, high], capsize=4, error_kw={"elinewidth": 1})
        for i, r in enumerate(members):
            ax.plot(np.full(len(r.values), i), r.values, "k.", markersize=4)
            ax.hlines(r.target, i - 0.4, i + 0.4, colors="#c0392b", linestyles="--", linewidth=1.5)
        ax.set_xticks(x, [r.condition if len(members) > 1 and r.data_set == "USV" else r.measure for r in members], rotation=35, ha="right", fontsize=8)
        ax.set_title(panel, fontsize=10)
        if "%" in panel:
            ax.set_ylim(0, max(10.0, float(max(max(r.values) for r in members)) * 1.15))
        else:
            ax.set_ylim(0, 1.02)
    (target,) = axes[0][0].plot([], [], color="#c0392b", linestyle="--")
    fig.legend([target], ["target (issue 11)"], loc="upper right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".partial.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    say = Log(out / f"generalize{suffix}.log")
    shared = shared_data_dir()
    names = [n for n in DATA_SETS if n in args.only]
    missing = [n for n in names if not (shared / n).is_dir()]
    if missing:
        say(f"generalize: {', '.join(missing)} not found in {shared} (set HARK_SHARED_DIR to the folder of the real recordings)")
        return 2
    seeds = [1] if args.quick else list(range(1, args.seeds + 1))
    runs = out / f"runs{suffix}"
    folds = {n: DATA_SETS[n].folds(shared) for n in names}
    say(f"hark generalization benchmark{' (QUICK: one seed, 60 steps)' if args.quick else ''} ({cpu_summary()}), "
        f"data sets {', '.join(names)}, seeds {', '.join(map(str, seeds))}, output {out}")  # fmt: skip
    say(estimate(names, folds, seeds, runs, args.quick))
    train_args = shlex.split(args.train_args)
    if train_args:
        say(f"every hark train also gets: {' '.join(train_args)} (compare with a run without, in another --out)")
    runner = Runner(out, args.quick, say, train_args)
    rows: list[Row] = []
    failed = []
    for name in names:
        try:
            rows += ROWS[name](run_data_set(name, runner, shared, runs, seeds, say))
        except (HarkError, RuntimeError, OSError, ValueError) as err:
            say(f"{name}: failed: {err}")
            failed.append(name)
    if rows:
        table = format_table(rows, len(seeds))
        say("\n" + table)
        write_table(rows, out / f"generalize{suffix}.csv")
        title = (f"hark on recordings it never trained on{' (QUICK MODE: 60 training steps)' if args.quick else ''}\n"
                 f"bars: mean of {len(seeds)} training seed{'s' if len(seeds) > 1 else ''}, whiskers: min-max, dots: each seed")  # fmt: skip
        draw(rows, out / f"generalize{suffix}.png", title)
        say(f"wrote {out / f'generalize{suffix}.csv'} and {out / f'generalize{suffix}.png'}")
    return 1 if failed else 0


def _data_sets(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATA_SETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown data set {', '.join(unknown) or '(none)'}; choose from {','.join(DATA_SETS)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per model (1, 2, ...; default 3)")
    parser.add_argument("--only", type=_data_sets, default=list(DATA_SETS), help="data sets, comma-separated: usv,bat,fly,finch (default all)")
    parser.add_argument("--quick", action="store_true", help="smoke run: one seed, 60 training steps")
    parser.add_argument("--out", type=Path, default=Path("bench-output") / "generalize", help="where data, models, results and the log go")
    parser.add_argument("--train-args", default="", help="extra hark train options for every model, quoted (e.g. \"--lr-schedule cosine\"): to measure a candidate default; use its own --out")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    sys.exit(run(args))


if __name__ == "__main__":
    main()
