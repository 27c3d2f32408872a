"""A round of the annotate-less loop on real fly song: ``hark train --continue`` and ``hark suggest``.

    python -m benchmarks.continue_round

On the person1 annotations of the two annotated fly recordings of ../shared/data/fly (or
$HARK_SHARED_DIR/fly), each step in a fresh process:

1. round 0: ``hark train`` of mel-pulse and ambient (no sine song yet), default settings but
   ``--round0-steps`` steps (default 300), as a starting model;
2. round 1: ``continue_training`` with the new label mel-sine, default settings (100 steps):
   wall time (target: under a minute on 2 CPU cores) and the round's validation F1 per label
   (from its rounds.json);
3. ``suggest_sounds`` with the round-1 model over the three fly recordings (600 s), budget 20:
   wall time, candidates, and how many suggestions each reason gave.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from pathlib import Path

from benchmarks.measure import cpu_summary, measure_in_child, shared_data_dir

ROUND0 = (
    "from hark.train import DataParams, TrainParams, train_model\n"
    "train_model(args[0], DataParams(labels=['mel-pulse', 'ambient'], kinds=['annotated']), TrainParams(steps=int(args[2])), args[1], progress=False)\n"
    "result = {}\n"
)
ROUND1 = (
    "from hark.train.continue_run import ContinueParams, continue_training\n"
    "done = continue_training(args[1], args[0], args[2], ContinueParams(labels=['mel-sine']), progress=False)\n"
    "result = {'scores': done.rounds[-1]['scores'], 'annotations': done.rounds[-1]['annotations']}\n"
)
SUGGEST = (
    "from hark.infer.suggest_request import SuggestParams\n"
    "from hark.infer.suggest import suggest_sounds\n"
    "done = suggest_sounds(args[0], [args[1]], args[2], SuggestParams(budget=20))\n"
    "result = {'candidates': done.candidates, 'reasons': [s.reason for s in done.suggestions]}\n"
)


def run(out: Path, round0_steps: int) -> None:
    print(f"annotate-less round benchmark ({cpu_summary()})")
    fly = shared_data_dir() / "fly"
    round0, round1, suggested = out / "round0", out / "round1", out / "suggested"
    for folder in (round0, round1, suggested):
        shutil.rmtree(folder, ignore_errors=True)
    figures = measure_in_child(ROUND0, str(fly), str(round0), str(round0_steps))
    print(f"round 0 (mel-pulse, ambient; {round0_steps} steps): {figures['seconds']:.1f} s wall")
    figures = measure_in_child(ROUND1, str(fly), str(round0), str(round1))
    print(f"round 1 (+ mel-sine, 100 steps): {figures['seconds']:.1f} s wall (target < 60 s), peak memory {figures['peak_mb']:.0f} MB")
    print(f"  annotations {json.dumps(figures['annotations'])}; validation F1 {json.dumps(figures['scores'].get('f1'))}")
    figures = measure_in_child(SUGGEST, str(round1), str(fly), str(suggested))
    reasons = Counter(figures["reasons"])
    print(f"suggest (600 s of recordings, budget 20): {figures['seconds']:.1f} s wall, {figures['candidates']} candidates; reasons {dict(reasons)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench-output") / "continue-round", help="where models and suggestions go")
    parser.add_argument("--round0-steps", type=int, default=300)
    args = parser.parse_args()
    run(args.out, args.round0_steps)


if __name__ == "__main__":
    main()
