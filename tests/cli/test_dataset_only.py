"""``hark train --dataset-only``: assemble the dataset, write the store, train nothing."""

import json

import numpy as np

from hark.cli.app import main
from hark.demo import generate_fly
from hark.models.store import list_checkpoints


def test_dataset_only_writes_the_store_and_the_split_without_training(tmp_path, capsys):
    data = tmp_path / "fly"
    recordings = generate_fly(data, n_recordings=3, duration_s=10.0, seed=5)
    out = tmp_path / "model"
    argv = ["train", "--data", str(data), "--labels", "mel-pulse,mel-sine", "--supervision", "dense", "--out", str(out),
            "--data-param", "point_shape=gaussian", "--data-param", f"test_recordings={recordings[2].name}", "--dataset-only"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "test: 1 recordings" in printed and "training:" in printed and "validation:" in printed
    summary = json.loads((out / "dataset" / "summary.json").read_text())
    assert summary["recordings"]["test"] == [recordings[2].name]
    assert json.loads((out / "split.json").read_text())["test_recordings"] == [recordings[2].name]
    saved = np.load(out / "dataset" / f"{recordings[2].name}.npz")
    assert saved["targets"].dtype == np.float16 and saved["test"].tolist() == [[0, len(saved["classes"])]]
    assert not list_checkpoints(out) and not (out / "config.json").exists()
