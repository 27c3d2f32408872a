"""An inspectable description of an assembled dataset: ``FOLDER/dataset/`` (see docs/training-data.md).

- ``summary.json``: what went where: the recordings, annotations and seconds per label of
  each split (training, validation, test), with the split method and the outputs;
- dense supervision: one ``<recording>.npz`` per annotated recording (subfolders kept) with
  ``classes`` (int16 class per sample, 0 = background), for Gaussian points also ``targets``
  (float16, classes × samples probabilities), the ``training``, ``validation`` and ``test``
  regions as (n, 2) int64 ``[start, stop)`` sample ranges, and ``output_names``.

Every file is written atomically, so a store is either the old one or the new one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hark.fileio import atomic_path, atomic_write_text
from hark.train.supervisions import supervision_of

SPLITS = ("training", "validation", "test")


def write_dataset_store(data, folder: str | Path) -> dict:
    """Write ``folder/dataset/`` for ``data`` (a :class:`hark.train.data.TrainingData`); returns the summary."""
    store = Path(folder) / "dataset"
    summary = dataset_summary(data)
    if supervision_of(data.params.supervision).dense:
        source = data.source
        regions = {split: {} for split in SPLITS}
        for name, lo, hi in source.training_regions():
            regions["training"].setdefault(name, []).append((lo, hi))
        for name in source.classes_of:
            regions["validation"][name] = source.validation_regions[name]
            regions["test"][name] = source.test_regions[name]
        files = []
        for name, classes in source.classes_of.items():
            arrays = {
                "classes": classes.astype(np.int16),
                "output_names": np.array(data.output_names),
                **{split: np.array(regions[split].get(name, []), dtype=np.int64).reshape(-1, 2) for split in SPLITS},
            }
            if source.soft_of is not None:
                arrays["targets"] = source.soft_of[name].astype(np.float16)
            path = store / f"{name}.npz"
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
            files.append(f"{name}.npz")
        summary["files"] = files
    atomic_write_text(store / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary


def dataset_summary(data) -> dict:
    """``data.summary()`` with annotations and seconds per label for every split."""
    summary = data.summary()
    supervision = supervision_of(data.params.supervision)
    if supervision.dense:
        return summary  # annotations and seconds (per class, background included) are there already
    manifest = data.split_manifest()
    samplerate = data.samplerate
    annotations = {split: {} for split in SPLITS}
    seconds = {split: {} for split in SPLITS}
    for split in SPLITS:
        for entry in manifest.get(split, []):
            labels = entry["labels"] if "labels" in entry else [entry["label"]]
            if supervision.whole_clips:
                duration = len(data.source.audio[entry["recording"]]) / samplerate
            else:
                duration = (entry["stop"] - entry["start"]) / samplerate
            for label in labels:
                annotations[split][label] = annotations[split].get(label, 0) + 1
                seconds[split][label] = round(seconds[split].get(label, 0.0) + duration, 3)
    summary["annotations"] = {split: dict(sorted(c.items())) for split, c in annotations.items()}
    summary["seconds"] = {split: dict(sorted(c.items())) for split, c in seconds.items()}
    return summary


def format_summary(summary: dict) -> str:
    """The summary as a few lines of text, one per split."""
    lines = [f"{summary['supervision']} supervision at {summary['samplerate']} Hz, split by {summary['split']}; outputs {','.join(summary['outputs'])}"]
    for split in SPLITS:
        recordings = summary["recordings"].get(split, [])
        counts = summary.get("annotations", {}).get(split, {})
        secs = summary.get("seconds", {}).get(split, {})
        parts = ", ".join(f"{label} {counts.get(label, 0)} ({secs.get(label, 0):g} s)" for label in sorted(set(counts) | set(secs)))
        lines.append(f"{split}: {len(recordings)} recordings; {parts or 'nothing'}")
    return "\n".join(lines)
