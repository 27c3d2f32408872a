"""Training time and accuracy of the default fly-song model, and the speed of congruence.

    python -m benchmarks.train

1. ``hark train`` with default settings on the person1 annotations of the two annotated fly
   recordings of ../shared/data/fly (or $HARK_SHARED_DIR/fly), in a fresh process: wall time
   (target: under 2 minutes on 2 CPU cores) and the validation precision and recall that
   ``hark accuracy`` reports (targets: >= 0.9 for mel-pulse, >= 0.8 for mel-sine and ambient).
2. ``hark congruence`` on a 60 s generated fly recording annotated densely (every pulse and
   sine bout), against that model's predictions: wall time (SongExplorer's takes about 6 minutes).
3. The cost of today's training defaults against those before issue 11 (validation windows
   drawn from the training recordings, no augmentation: ``--validation-split percent
   --augment none``), each a fresh ``hark train`` process, one after the other in this run:
   the fly tutorial's command and the USV tutorial's (``--supervision dense`` on three of
   ../shared/data/usv's recordings, converted by ``hark convert`` as the README does). Target:
   at most 1.5 times the time before. ``--skip-defaults-cost`` leaves this part out (the USV
   models take about 4 minutes each on 2 cores).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from benchmarks.measure import cpu_summary, measure_in_child, shared_data_dir

TRAIN = (
    "from hark.train import DataParams, TrainParams, train_model\n"
    "train_model(args[0], DataParams(labels=['mel-pulse', 'mel-sine', 'ambient'], kinds=['annotated']), TrainParams(), args[1], progress=False)\n"
    "result = {}\n"
)


def run(out: Path) -> None:
    from hark.evaluate.model_accuracy import model_accuracy

    print(f"hark train benchmark ({cpu_summary()})")
    fly = shared_data_dir() / "fly"
    model = out / "fly-model"
    shutil.rmtree(model, ignore_errors=True)
    figures = measure_in_child(TRAIN, str(fly), str(model))
    accuracy = model_accuracy(model, draw=False)
    steps = accuracy.best_step
    print(f"training, default settings (600 steps): {figures['seconds']:.1f} s wall (target < 120 s), peak memory {figures['peak_mb']:.0f} MB")
    for m in accuracy.best.metrics.per_label:
        print(f"  {m.label}: precision {m.precision:.3f}, recall {m.recall:.3f} (best checkpoint, step {steps}, {m.support} validation sounds)")

    from hark.demo import generate_fly
    from hark.infer.congruence import folder_congruence
    from hark.infer.classify import classify_recordings
    from hark.infer.ethogram import write_ethograms

    dense = out / "congruence-60s"
    shutil.rmtree(dense, ignore_errors=True)
    (recording,) = generate_fly(dense / "truth", n_recordings=1, duration_s=60.0, seed=11)
    predictions = dense / "predictions"
    classify_recordings(model, [recording.wav], predictions)
    write_ethograms(model, [recording.wav], predictions, predictions, 1.0)
    start = time.perf_counter()
    result = folder_congruence(dense / "truth", predictions)
    elapsed = time.perf_counter() - start
    pulse = result.results["1.0pr"].agreement("mel-pulse", "event", "union")
    print(f"congruence on a 60 s recording: {elapsed:.2f} s (SongExplorer: about 6 min); mel-pulse event F1 {pulse.f1:.3f}")


HARK_TRAIN = "from hark.cli.app import main\nassert main(['train', *args, '--no-progress']) == 0\nresult = {}\n"
BEFORE_ISSUE_11 = ["--validation-split", "percent", "--augment", "none"]


def defaults_cost(out: Path) -> None:
    """Seconds of ``hark train`` with today's defaults and with those before issue 11, and their ratio."""
    from hark.cli.app import main as hark

    shared = shared_data_dir()
    usv_truth = out / "usv-GT"
    shutil.rmtree(usv_truth, ignore_errors=True)
    usv_truth.mkdir(parents=True)
    for n in ("1", "2", "3"):  # the README's USV tutorial: three recordings and their calls in GT
        recording = shared / "usv" / n / f"rec_{n}.wav"
        (usv_truth / recording.name).symlink_to(recording.resolve())
        assert hark(["convert", str(shared / "usv" / n / f"gt_{n}.csv"), str(usv_truth / f"{recording.name}-annotated-me.csv"),
                     "--to", "hark", "--recording", str(recording)]) == 0  # fmt: skip
    tutorials = {
        "fly (sparse, README's fly tutorial)": ["--data", str(shared / "fly"), "--labels", "mel-pulse,mel-sine,ambient", "--kinds", "annotated"],
        "USV (dense, three recordings)": ["--data", str(usv_truth), "--labels", "usv", "--supervision", "dense"],
    }
    print("training time, today's defaults against those before issue 11 (--validation-split percent --augment none):")
    for name, args in tutorials.items():
        seconds = {}
        for setting, extra in (("before", BEFORE_ISSUE_11), ("today", [])):
            model = out / f"defaults-cost-{name.split()[0].lower()}-{setting}"
            shutil.rmtree(model, ignore_errors=True)
            seconds[setting] = measure_in_child(HARK_TRAIN, *args, "--out", str(model), *extra)["seconds"]
        ratio = seconds["today"] / seconds["before"]
        print(f"  {name}: {seconds['before']:.0f} s before, {seconds['today']:.0f} s today: {ratio:.2f}x (target <= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where models and recordings go")
    parser.add_argument("--skip-defaults-cost", action="store_true", help="leave out part 3 (two USV models of about 4 minutes each)")
    args = parser.parse_args()
    run(args.out)
    if not args.skip_defaults_cost:
        defaults_cost(args.out)


if __name__ == "__main__":
    main()
