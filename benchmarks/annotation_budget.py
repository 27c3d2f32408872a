"""What annotating less is worth: a simulated annotator labels the sounds each strategy picks.

    python -m benchmarks.annotation_budget [--datasets usv,finch] [--rounds N] [--per-round N]
                                           [--seeds 1] [--out bench-output/annotation_budget] [--quick]

Data sets: ``usv``, ``finch`` (the default) and ``demo`` (:mod:`benchmarks.annotation_budget_sets`),
``bat`` (:mod:`benchmarks.annotation_budget_bat`) and ``insects``
(:mod:`benchmarks.annotation_budget_insects`: a sound is a whole clip, the models clip
models). For each data set and seed:

1. round 0: 5 candidate sounds of each label (and of ``noise``), drawn with the seed, are
   labelled by the oracle (:mod:`benchmarks.annotation_budget_oracle`) and a model is trained
   on them (:func:`hark.train.train_model`, sparse supervision, clip for ``insects``,
   ``--weights-seed`` and ``--batch-seed`` the seed); this model starts every strategy;
2. each round, each strategy (``suggest``, ``random``, ``time order``) picks N sounds not yet
   labelled, the oracle labels them into the strategy's training folder, and the model is
   retrained from the last round's (:func:`hark.train.continue_run.continue_training`, what
   ``hark train --continue`` runs, ``--round-steps`` steps);
3. after each round the model is scored on the withheld recordings (``hark classify`` and
   ``hark ethogram --ratio 1.0``, then the data set's score), never used for a choice;
4. all labels: a model trained on every candidate sound labelled, for as many steps as
   round 0 and all the rounds together, scored the same way.

Written to ``--out``: ``budget.csv`` (``dataset,strategy,seed,round,labels,score``; all
labels as strategy ``all``, round -1), ``budget-<dataset>.png`` (score against labels, one
line per strategy, the mean over seeds and their range), ``labels-to-95.csv`` (the labels
with which each strategy's mean score over the seeds first reached 95 % of the all-labels
score, and from which on it stayed there) and
``budget.log`` (what is printed). A run that is stopped resumes: rounds already in
``budget.csv`` are skipped and an interrupted training continues from its checkpoint.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.annotation_budget_oracle import (
    STRATEGIES,
    Sound,
    answer,
    candidates,
    initial_picks,
    pick_in_time_order,
    pick_random,
    pick_suggested,
    read_sounds,
    write_answers,
    write_sounds,
)
from benchmarks.annotation_budget_bat import prepare_bat
from benchmarks.annotation_budget_insects import prepare_insects
from benchmarks.annotation_budget_sets import PREPARE as PREPARE_EVENT_SETS
from benchmarks.annotation_budget_sets import BudgetSet
from benchmarks.measure import cpu_summary, shared_data_dir

COLUMNS = ["dataset", "strategy", "seed", "round", "labels", "score"]
ALL = "all"
TARGET_FRACTION = 0.95
THRESHOLD = 0.5
# Steps, rounds and picks per round. Full: round 0 as long as the README's finch tutorial (300
# steps), each round hark train --continue's default (100); finch's rounds are four, its rounds
# taking 2-4 minutes on the shared 2-core machine. Quick: seconds, for the test.
# Bats: six rounds of 20 picks (of 280 calls and 455 stretches between them in the pool; a round takes seconds).
# Insects: three rounds of 20 clips (77 are left after round 0's 128; all labels then train 600 steps, the README's
# insect default); on the busy 2-core machine a round took 1.5-4 minutes, all labels 10, one seed 56 (28 of them round 0 at nice 19).
SETTINGS = {
    "full": {"initial_steps": 300, "round_steps": 100, "rounds": {"usv": 6, "finch": 4, "bat": 6, "insects": 3, "demo": 6},
             "per_round": {"usv": 10, "finch": 25, "bat": 20, "insects": 20, "demo": 10}},
    "quick": {"initial_steps": 150, "round_steps": 50, "rounds": {"usv": 2, "finch": 2, "bat": 2, "insects": 2, "demo": 2},
              "per_round": {"usv": 4, "finch": 4, "bat": 4, "insects": 4, "demo": 4}},
}  # fmt: skip
PREPARE = {**PREPARE_EVENT_SETS, "bat": prepare_bat, "insects": prepare_insects}


class Results:
    """``budget.csv``: rows appended as rounds finish (a stopped run's rows are kept and skipped)."""

    def __init__(self, path: Path):
        self.path = path
        self.rows: dict[tuple, dict] = {}
        if path.is_file():
            with open(path) as f:
                for row in csv.DictReader(f):
                    self.rows[self.key(row["dataset"], row["strategy"], int(row["seed"]), int(row["round"]))] = row
        else:
            path.write_text(",".join(COLUMNS) + "\n")

    @staticmethod
    def key(dataset: str, strategy: str, seed: int, round_number: int) -> tuple:
        return dataset, strategy, seed, round_number

    def has(self, *key) -> bool:
        return self.key(*key) in self.rows

    def add(self, dataset: str, strategy: str, seed: int, round_number: int, labels: int, score: float) -> None:
        row = {"dataset": dataset, "strategy": strategy, "seed": str(seed), "round": str(round_number), "labels": str(labels), "score": f"{score:.4f}"}
        self.rows[self.key(dataset, strategy, seed, round_number)] = row
        with open(self.path, "a") as f:  # one line appended: a stop between rounds loses nothing
            f.write(",".join(row[c] for c in COLUMNS) + "\n")
            f.flush()


def batch_size(labels: int) -> int:
    """Mini-batches of at most a quarter of the labelled sounds (a power of two, 2 to 32): round 0's
    ten USV sounds leave only 7 to train on once validation has taken its share."""
    size = 2
    while size * 2 <= min(32, labels // 4):
        size *= 2
    return size


def _train(bset: BudgetSet, folder: Path, out: Path, steps: int, seed: int, labels: int) -> Path:
    from hark.train import DataParams, TrainParams, train_model

    validation_period = max(1, steps // 4)
    settings = {"batch_size": batch_size(labels), **bset.train_params}
    params = TrainParams(steps=steps, validation_period=validation_period, weights_seed=seed, batch_seed=seed, device="cpu", **settings)
    train_model(folder, DataParams(labels=bset.model_labels, supervision=bset.supervision), params, out, progress=False)
    fix_thresholds(out, bset.model_labels)
    return out


def fix_thresholds(model: Path, labels: Sequence[str]) -> None:
    """Every label's threshold 0.5, at every ratio: the first thresholds training writes come from
    a validation split of a few sounds (round 0 of USV: three) and jump between 0 and 1 from one
    round to the next, which would score the thresholds' luck rather than the labels'."""
    from hark.fileio import atomic_write_text

    rows = [f"{label},{ratio},{THRESHOLD},nan,nan" for label in labels for ratio in ("0.5", "1", "2")]
    atomic_write_text(model / "accuracy" / "thresholds.csv", "\n".join(["label,ratio,threshold,precision,recall", *rows]) + "\n")


def _continue(bset: BudgetSet, model: Path, folder: Path, out: Path, steps: int, labels: int) -> Path:
    from hark.train.continue_run import ContinueParams, continue_training

    continue_training(model, folder, out, ContinueParams(steps=steps, batch_size=batch_size(labels)), progress=False)
    fix_thresholds(out, bset.model_labels)
    return out


def _picks(strategy: str, bset: BudgetSet, pool: Sequence[Sound], labelled: list[Sound], model: Path, folder: Path, n: int, seed: int, r: int) -> list[Sound]:
    """The oracle's answers to the strategy's picks: ``n`` sounds not labelled yet (fewer when none are left)."""
    if strategy == "random":
        chosen = [(s.recording, s.start, s.stop) for s in pick_random(pool, labelled, n, seed, r)]
    elif strategy == "time order":
        chosen = [(s.recording, s.start, s.stop) for s in pick_in_time_order(pool, labelled, n)]
    else:
        # hark suggest leaves out what overlaps an answer, but two of its stretches (or one beside an
        # answer) can hold the same true event: a person skips those, so they cost no label here,
        # and twice the budget is asked for to fill the round
        chosen = pick_suggested(bset, model, folder, 2 * n, seed)
    answers: list[Sound] = []
    for recording, start, stop in chosen:
        said = answer(bset, recording, start, stop)
        if said not in labelled and said not in answers:
            answers.append(said)
    return answers[:n]


def run_dataset(bset: BudgetSet, out: Path, results: Results, seeds: Sequence[int], rounds: int, per_round: int,
                initial_steps: int, round_steps: int, say: Callable[[str], None]) -> None:  # fmt: skip
    pool = candidates(bset)
    say(f"{bset.name}: {len(pool)} candidate sounds in {len(bset.pool)} pool recordings, {len(bset.withheld)} withheld; score: {bset.score_name}")
    for seed in seeds:
        root = out / "runs" / bset.name / f"seed{seed}"
        initial = initial_picks(pool, bset.labels, bset.initial_per_label, seed)
        round0 = root / "round0"
        if not all(results.has(bset.name, s, seed, 0) for s in STRATEGIES):
            start = time.perf_counter()
            write_answers(root / "round0-data", bset, initial)
            _train(bset, root / "round0-data", round0, initial_steps, seed, len(initial))
            score = bset.scorer(round0, bset, root / "scored")
            for strategy in STRATEGIES:
                if not results.has(bset.name, strategy, seed, 0):
                    results.add(bset.name, strategy, seed, 0, len(initial), score)
            say(f"{bset.name} seed {seed} round 0: {len(initial)} labels, score {score:.3f} ({time.perf_counter() - start:.0f} s)")
        for strategy in STRATEGIES:
            folder = root / strategy.replace(" ", "-")
            labelled, model = list(initial), round0
            for r in range(1, rounds + 1):
                sounds_file = folder / f"labelled-round{r}.csv"
                model_r = folder / f"round{r}"
                if results.has(bset.name, strategy, seed, r):
                    labelled, model = read_sounds(sounds_file), model_r
                    continue
                start = time.perf_counter()
                if not sounds_file.is_file():  # the picks are kept, so that a round stopped mid-training retrains on the same
                    write_answers(folder / "data", bset, labelled)  # what suggest sees: the answers so far
                    labelled = labelled + _picks(strategy, bset, pool, labelled, model, folder / "data", per_round, seed, r)
                    folder.mkdir(parents=True, exist_ok=True)
                    write_sounds(sounds_file, labelled)
                labelled = read_sounds(sounds_file)
                write_answers(folder / "data", bset, labelled)
                model = _continue(bset, model, folder / "data", model_r, round_steps, len(labelled))
                score = bset.scorer(model, bset, folder / "scored")
                results.add(bset.name, strategy, seed, r, len(labelled), score)
                say(f"{bset.name} seed {seed} {strategy} round {r}: {len(labelled)} labels, score {score:.3f} ({time.perf_counter() - start:.0f} s)")
        if not results.has(bset.name, ALL, seed, -1):
            start = time.perf_counter()
            everything = [answer(bset, s.recording, s.start, s.stop) for s in pool]
            write_answers(root / "all-data", bset, everything)
            model = _train(bset, root / "all-data", root / "all", initial_steps + rounds * round_steps, seed, len(everything))
            score = bset.scorer(model, bset, root / "scored")
            results.add(bset.name, ALL, seed, -1, len(everything), score)
            say(f"{bset.name} seed {seed} all labels: {len(everything)} labels, score {score:.3f} ({time.perf_counter() - start:.0f} s)")
        shutil.rmtree(root / "scored", ignore_errors=True)


# ---------------------------------------------------------------- summaries (pure)


def curves(rows: Sequence[dict], dataset: str) -> dict[str, list[tuple[float, float, float, float]]]:
    """Per strategy, per round: (mean labels, mean score, lowest score, highest score) over the seeds."""
    by: dict[str, dict[int, list[dict]]] = {}
    for row in rows:
        if row["dataset"] == dataset and row["strategy"] != ALL:
            by.setdefault(row["strategy"], {}).setdefault(int(row["round"]), []).append(row)
    out = {}
    for strategy, rounds in by.items():
        points = []
        for r in sorted(rounds):
            labels = [float(x["labels"]) for x in rounds[r]]
            scores = [float(x["score"]) for x in rounds[r]]
            points.append((sum(labels) / len(labels), sum(scores) / len(scores), min(scores), max(scores)))
        out[strategy] = points
    return out


def all_labels_score(rows: Sequence[dict], dataset: str) -> tuple[float, int] | None:
    """The mean all-labels score over the seeds and its label count (None: not measured yet)."""
    found = [row for row in rows if row["dataset"] == dataset and row["strategy"] == ALL]
    if not found:
        return None
    return sum(float(r["score"]) for r in found) / len(found), int(found[0]["labels"])


def labels_to_reach(points: Sequence[tuple[float, float, float, float]], target: float) -> float | None:
    """The labels of the first round whose mean score reaches ``target`` (None: never within the rounds)."""
    return next((labels for labels, score, _, _ in points if score >= target), None)


def labels_to_stay(points: Sequence[tuple[float, float, float, float]], target: float) -> float | None:
    """The labels of the first round from which every later round's mean score stays at or above ``target``."""
    held = None
    for labels, score, _, _ in points:
        if score < target:
            held = None
        elif held is None:
            held = labels
    return held


def summarize(rows: Sequence[dict], datasets: Sequence[str], out: Path, say: Callable[[str], None]) -> list[dict]:
    """``labels-to-95.csv`` and a figure per data set; returns the table's rows."""
    from hark.fileio import atomic_write_text

    table = []
    for dataset in datasets:
        reference = all_labels_score(rows, dataset)
        lines = curves(rows, dataset)
        if reference is None or not lines:
            continue
        score, total = reference
        target = TARGET_FRACTION * score
        for strategy in STRATEGIES:
            points = lines.get(strategy, [])
            if not points:
                continue
            needed, held = labels_to_reach(points, target), labels_to_stay(points, target)
            table.append({
                "dataset": dataset, "strategy": strategy, "all_labels": total, "all_labels_score": f"{score:.4f}",
                "target": f"{target:.4f}", "labels_needed": "" if needed is None else f"{needed:g}", "labels_held": "" if held is None else f"{held:g}",
                "last_labels": f"{points[-1][0]:g}", "last_score": f"{points[-1][1]:.4f}",
            })  # fmt: skip
        _draw(lines, score, total, dataset, out / f"budget-{dataset}.png")
    header = ["dataset", "strategy", "all_labels", "all_labels_score", "target", "labels_needed", "labels_held", "last_labels", "last_score"]
    atomic_write_text(out / "labels-to-95.csv", "\n".join([",".join(header), *(",".join(str(r[h]) for h in header) for r in table)]) + "\n")
    say(f"labels needed for {TARGET_FRACTION:.0%} of the all-labels score (mean over seeds):")
    for r in table:
        needed = r["labels_needed"] or f"not reached ({r['last_score']} with {r['last_labels']})"
        held = f", at or above it from {r['labels_held']} on" if r["labels_held"] else ""
        say(f"  {r['dataset']:6} {r['strategy']:10} target {r['target']} (all {r['all_labels']} labels: {r['all_labels_score']}): {needed}{held}")
    return table


def _draw(lines: dict, reference: float, total: int, dataset: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy in STRATEGIES:
        points = lines.get(strategy)
        if not points:
            continue
        labels, mean, low, high = zip(*points)
        (line,) = ax.plot(labels, mean, marker="o", label=strategy)
        ax.fill_between(labels, low, high, color=line.get_color(), alpha=0.2)
    ax.axhline(reference, color="black", linewidth=1, label=f"all {total} labels")
    ax.axhline(TARGET_FRACTION * reference, color="black", linestyle="--", linewidth=1, label=f"{TARGET_FRACTION:.0%} of it")
    ax.set_xlabel("labels")
    ax.set_ylabel("score on withheld recordings")
    ax.set_title(f"{dataset}: score against labels")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(datasets: Sequence[str], out: Path, seeds: Sequence[int], quick: bool = False, rounds: int | None = None,
        per_round: int | None = None, shared: Path | None = None) -> list[dict]:  # fmt: skip
    """The whole benchmark; returns the table of labels needed (see the module's docstring)."""
    settings = SETTINGS["quick" if quick else "full"]
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "budget.log"

    def say(message: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        print(line, flush=True)
        with open(log_path, "a") as log:
            log.write(line + "\n")

    say(f"annotation budget: {', '.join(datasets)}; seeds {list(seeds)} ({cpu_summary()})")
    results = Results(out / "budget.csv")
    for name in datasets:
        bset = PREPARE[name](shared or shared_data_dir(), out / "data")
        n = per_round or settings["per_round"][name]
        r = rounds or settings["rounds"][name]
        say(f"{name}: {r} rounds of {n} picks, {settings['initial_steps']} steps in round 0 and {settings['round_steps']} in each round after")
        run_dataset(bset, out, results, seeds, r, n, settings["initial_steps"], settings["round_steps"], say)
    return summarize(list(results.rows.values()), datasets, out, say)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="usv,finch", help="comma-separated: usv, finch, bat, insects, demo (generated; no shared data)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds after round 0 (default: usv 6, finch 4, bat 6, insects 3; --quick 2)")
    parser.add_argument("--per-round", type=int, default=None, help="sounds each strategy picks per round (default: usv 10, finch 25, bat 20, insects 20)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 1..N (the initial draw, the picks, the weights and batches)")
    parser.add_argument("--out", type=Path, default=Path("bench-output") / "annotation_budget")
    parser.add_argument("--quick", action="store_true", help="short trainings and 2 rounds (default data set: demo)")
    args = parser.parse_args()
    datasets = [d.strip() for d in ("demo" if args.quick and args.datasets == "usv,finch" else args.datasets).split(",") if d.strip()]
    unknown = [d for d in datasets if d not in PREPARE]
    if unknown:
        parser.error(f"--datasets: unknown {unknown[0]} (choose from {', '.join(PREPARE)})")
    run(datasets, args.out, list(range(1, args.seeds + 1)), args.quick, args.rounds, args.per_round)


if __name__ == "__main__":
    main()
