"""InsectSet32 with the README's two commands and their defaults: time, memory, accuracy.

    python -m benchmarks.insects [--steps N] [--out FOLDER] [ARCHITECTURE PARAMS...]

Runs, each in its own process (so that its peak resident memory is its own)::

    hark train --data insects/clips.csv --supervision clip --out MODEL [--steps N]
    hark accuracy MODEL
    hark classify --model MODEL --out MODEL/classified VALIDATION-FILES...

on ``$HARK_SHARED_DIR/insects`` (the official training and validation splits; the test split
is not there), and prints each command's wall time and peak memory, the validation accuracy
and macro F1 of the best checkpoint (as ``hark accuracy`` chose it), and the accuracy of the
per-file labels ``hark classify`` wrote. Wall times on a loaded machine overstate what a run
needs; the CPU times (user + system) are printed beside them. ``--steps`` shortens training for a quicker,
reduced run (say so when quoting it); anything after the options is passed to ``hark train``
(e.g. ``-a preset=resnet18``). The issue's target: the default run under 30 minutes on 2
cores with peak memory under 4 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.measure import cpu_summary, shared_data_dir


def run_measured(command: list[str]) -> dict:
    """Run ``command``; its wall time, CPU time and peak resident memory (of the largest child so far, GB).

    On a machine shared with other work the wall time overstates what the run needs; the CPU
    time (user + system) is what it would take on one free core (training uses one thread
    for models under a million parameters, as the default clip model is).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed: {done.stderr.strip()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_gb = after.ru_maxrss * 1024 / 1e9
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_gb": peak_gb, "stdout": done.stdout, "stderr": done.stderr}


def hark(*args: str) -> list[str]:
    return [sys.executable, "-m", "hark.cli.app", *args]


def validation_files(table: Path) -> dict[str, str]:
    """The official validation split: file path -> species."""
    with table.open(newline="") as handle:
        return {str(table.parent / row["file"]): row["label"] for row in csv.DictReader(handle) if row["split"] == "validation"}


def best_scores(model: Path) -> dict:
    best = json.loads((model / "accuracy" / "best.json").read_text())
    with (model / "accuracy" / "checkpoints.csv").open(newline="") as handle:
        rows = {int(row["step"]): row for row in csv.DictReader(handle)}
    row = rows[best["step"]]
    return {"best_step": best["step"], "accuracy": float(row["accuracy"]), "macro_f1": float(row["macro_f1"])}


def classify_accuracy(predictions: Path, truth: dict[str, str]) -> float:
    by_name = {Path(name).name: label for name, label in truth.items()}
    with predictions.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    right = sum(by_name.get(Path(row["file"]).name) == row["label"] for row in rows)
    return right / max(len(rows), 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: hark train's)")
    parser.add_argument("--out", type=Path, default=None, help="keep the model here (default: a temporary folder)")
    args, train_extra = parser.parse_known_args(argv)
    table = shared_data_dir() / "insects" / "clips.csv"
    if not table.is_file():
        raise SystemExit(f"{table} is missing; set HARK_SHARED_DIR")
    with tempfile.TemporaryDirectory() as scratch:
        model = args.out or Path(scratch) / "model"
        steps = ["--steps", str(args.steps)] if args.steps else []
        train = run_measured(hark("train", "--data", str(table), "--supervision", "clip", "--out", str(model), *steps, *train_extra))
        accuracy = run_measured(hark("accuracy", str(model)))
        truth = validation_files(table)
        classify = run_measured(hark("classify", "--model", str(model), "--out", str(model / "classified"), *truth))
        scores = best_scores(model)
        config = json.loads((model / "config.json").read_text())
        report = {
            "machine": cpu_summary(),
            "threads_env": os.environ.get("OMP_NUM_THREADS", ""),
            "steps": config["training"]["steps"],
            "batch_size": config["training"]["batch_size"],
            "architecture_params": config["architecture_params"],
            "train_seconds": round(train["seconds"], 1),
            "train_cpu_seconds": round(train["cpu_seconds"], 1),
            "train_peak_gb": round(train["peak_gb"], 2),
            "accuracy_seconds": round(accuracy["seconds"], 1),
            "classify_seconds": round(classify["seconds"], 1),
            "classify_cpu_seconds": round(classify["cpu_seconds"], 1),
            "peak_gb": round(max(train["peak_gb"], accuracy["peak_gb"], classify["peak_gb"]), 2),
            **scores,
            "classify_accuracy": round(classify_accuracy(model / "classified" / "predictions.csv", truth), 4),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
