"""Synthetic recordings whose calls are of known types, and constructed feature rows, for the cluster-ID tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hark.annotations import Event, Kind, write_csv
from tests.calls.helpers import RATE, add_call, background, write

# Three call types that differ in their contour: a rising sweep, a falling one, a flat tone.
CALL_TYPES = {
    "up": lambda n: np.linspace(40_000, 70_000, n),
    "down": lambda n: np.linspace(90_000, 60_000, n),
    "flat": lambda n: np.full(n, 55_000.0),
}


def typed_calls_recording(folder: Path, counts: dict[str, int], seed: int = 0, name: str = "calls.wav") -> list[tuple[Event, str]]:
    """A recording with ``counts[type]`` calls of each type in shuffled order, annotated beside it; (event, type) pairs."""
    rng = np.random.default_rng(seed)
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    seconds = 0.05 + 0.11 * len(kinds)
    samples = background(seconds, seed)
    truth, start_s = [], 0.05
    for kind in kinds:
        length = int(rng.uniform(0.03, 0.06) * RATE)
        span = add_call(samples, start_s, CALL_TYPES[kind](length))
        truth.append((Event(name, *span, Kind.ANNOTATED, "usv"), kind))
        start_s += 0.11
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / name, samples)
    write_csv(folder / f"{name}-annotated-ann.csv", [event for event, _ in truth])
    return truth


def blobs(sizes: list[int], dims: int = 4, spread: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows of Gaussian blobs around well-separated centres (10 apart), and each row's blob."""
    rng = np.random.default_rng(seed)
    centres = 10.0 * np.eye(max(len(sizes), dims))[: len(sizes), :dims]
    rows = np.concatenate([centre + spread * rng.standard_normal((size, dims)) for centre, size in zip(centres, sizes)])
    truth = np.concatenate([np.full(size, index) for index, size in enumerate(sizes)])
    order = rng.permutation(len(rows))
    return rows[order], truth[order]


def activations_folder(folder: Path, rows: np.ndarray, data_root: Path, recording: str = "a.wav") -> Path:
    """A folder as hark activations writes it, holding ``rows`` as layer ``dense`` of sounds 0.1 s apart."""
    (folder / "layers").mkdir(parents=True)
    sounds = [Event(recording, 1000 * i, 1000 * i + 500, Kind.ANNOTATED, "x") for i in range(len(rows))]
    write_csv(folder / "sounds.csv", sounds)
    np.save(folder / "layers" / "dense.npy", rows.astype(np.float32))
    np.save(folder / "layers" / "output.npy", rows[:, :2].astype(np.float32))
    meta = {"layers": {"dense": [rows.shape[1], 1], "output": [2, 1]}, "data_root": str(data_root), "samplerate": 10_000}
    (folder / "activations.json").write_text(json.dumps(meta))
    return folder
