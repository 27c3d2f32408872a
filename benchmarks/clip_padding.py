"""Padding short clips: repeated or zeros, when clip length goes with the label in training only.

    python -m benchmarks.clip_padding [--seeds 1,2] [--steps 150]

Two generated "species" sing pulses of a tone in noise (1000 and 1150 Hz, 5 pulses a second,
+-3 % in pitch per clip) at 4 kHz. In training, one species' clips are short (0.4-1.2 s) and the
other's long (3-5 s), as can happen when a data set's files were cut differently per species or
source; the test clips swap the lengths. A small resnet (channels 8,16) trains on 2 s windows
(clip_window_s 2) with each padding; the figure is the accuracy per clip on the swapped test
clips (mean aggregation), and on test clips of the training lengths for comparison. A model
that learnt "a padded window means species A" fails on the swapped clips.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 4000
SPECIES = {"a": 1000.0, "b": 1150.0}


def _clip(hz: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    pulses = (np.sin(2 * np.pi * 5 * t + rng.uniform(0, 6.3)) > 0.3).astype(np.float32)
    song = 0.3 * pulses * np.sin(2 * np.pi * hz * rng.uniform(0.97, 1.03) * t)
    return (song + 0.1 * rng.standard_normal(len(t))).astype(np.float32)


def _write(folder: Path, n: int, short_label: str, rng: np.random.Generator, annotate: bool) -> list[tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        label = "ab"[i % 2]
        seconds = rng.uniform(0.4, 1.2) if label == short_label else rng.uniform(3.0, 5.0)
        path = folder / f"{label}{i:03d}.wav"
        clip = _clip(SPECIES[label], float(seconds), rng)
        sf.write(path, clip, RATE, subtype="FLOAT")
        if annotate:
            (folder / f"{path.name}-annotated-bench.csv").write_text(f"{path.name},0,{len(clip)},annotated,{label}\n")
        written.append((path, label))
    return written


def run(seeds: list[int], steps: int) -> dict:
    from hark.infer.classify import classify_recordings
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rng = np.random.default_rng(0)
        _write(root / "train", 48, "a", rng, annotate=True)
        tests = {"swapped": _write(root / "swapped", 40, "b", rng, False), "same": _write(root / "same", 40, "a", rng, False)}
        for padding in ("repeat", "zeros"):
            for seed in seeds:
                data = DataParams(labels="a,b", supervision="clip", clip_window_s=2.0, clip_padding=padding, validation_percent=20, augmentations=[])
                train = TrainParams(architecture="resnet", architecture_params={"channels": [8, 16], "window_ms": 32, "stride_ms": 16},
                                    steps=steps, batch_size=16, validation_period=steps, weights_seed=seed, batch_seed=seed, threads=1)  # fmt: skip
                model = root / f"model-{padding}-{seed}"
                train_model(root / "train", data, train, model, progress=False)
                for name, files in tests.items():
                    out = root / f"out-{padding}-{seed}-{name}"
                    classify_recordings(model, [p for p, _ in files], out, engine="torch", device="cpu")
                    rows = [line.split(",") for line in (out / "predictions.csv").read_text().splitlines()[1:]]
                    right = [row[-1] == label for row, (_, label) in zip(rows, files)]
                    results.setdefault(padding, {}).setdefault(name, []).append(float(np.mean(right)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args()
    results = run([int(s) for s in args.seeds.split(",")], args.steps)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
