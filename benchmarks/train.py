"""Training time and accuracy of the default fly-song model, and the speed of congruence.

    python -m benchmarks.train

1. ``hark train`` with default settings on the person1 annotations of the two annotated fly
   recordings of ../shared/data/fly (or $HARK_SHARED_DIR/fly), in a fresh process: wall time
   (target: under 2 minutes on 2 CPU cores) and the validation precision and recall that
   ``hark accuracy`` reports (targets: >= 0.9 for mel-pulse, >= 0.8 for mel-sine and ambient).
2. ``hark congruence`` on a 60 s generated fly recording annotated densely (every pulse and
   sine bout), against that model's predictions: wall time (SongExplorer's takes about 6 minutes).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where models and recordings go")
    run(parser.parse_args().out)


if __name__ == "__main__":
    main()
