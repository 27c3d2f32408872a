"""Transfer learning for clip models (hark.models.transfer_clip): a whale up-call resnet's body
under a new output layer for three new labels, kept layers frozen or fine-tuned, bad inputs."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.demo import generate_whale
from hark.demo.whale import WHALE_SAMPLERATE, WhaleParams, synthesize_whale_clip
from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.models.resnet import ResNetClipModel
from hark.models.store import list_checkpoints, load_config, load_model, read_checkpoint
from hark.train import DataParams, TrainParams, train_model
from hark.train.data import default_labels
from hark.train.params import TransferParams

# a small resnet (stem, block1, block2 after the front end): trains in seconds
SMALL = {"preset": "custom", "channels": [4, 8], "window_ms": 64, "stride_ms": 32}
NEW_LABELS = ["upcall", "clicks", "quiet"]


def _train(data, out, labels=None, steps=60, transfer=None, learning_rate=0.003, **extra):
    params = TrainParams(
        architecture=None if transfer else "resnet", architecture_params={} if transfer else SMALL, steps=steps,
        learning_rate=learning_rate, validation_period=steps, batch_size=16, threads=1, transfer=transfer, **extra,
    )
    return train_model(data, DataParams(labels=labels or default_labels(data, "clip"), supervision="clip", validation_percent=25), params, out, progress=False)


def _three_label_table(root, n=48, seed=11):
    """Clips of the new label set: an up-call, noise with clicks, noise alone (no tones)."""
    (root / "clips").mkdir(parents=True)
    rows = []
    rng = np.random.default_rng(seed)
    for i in range(n):
        label = NEW_LABELS[i % 3]
        params = WhaleParams(tone_probability=0.0, click_probability=1.0 if label == "clicks" else 0.0)
        samples, _, _ = synthesize_whale_clip(label == "upcall", WHALE_SAMPLERATE, rng, params)
        sf.write(root / "clips" / f"clip{i:03d}.wav", samples, WHALE_SAMPLERATE, subtype="PCM_16")
        rows.append({"file": f"clips/clip{i:03d}.wav", "label": label})
    table = root / "clips.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return table


@pytest.fixture(scope="module")
def whale(tmp_path_factory):
    """A small resnet trained on generated up-call/noise clips, and a table of the three new labels."""
    root = tmp_path_factory.mktemp("clip-transfer")
    generate_whale(root / "whale", n_clips=40, seed=2)
    _train(root / "whale", root / "pretrained", labels=["upcall", "noise"], steps=100)
    return root / "pretrained", _three_label_table(root / "new", n=72)


def _state(folder):
    return read_checkpoint(list_checkpoints(folder)[-1][1])["model"]


def _balanced_accuracy(folder):
    step = list_checkpoints(folder)[-1][0]
    with np.load(folder / f"validation-{step:06d}.npz") as saved:
        p, y = saved["probabilities"], saved["targets"]
    return float(np.mean([np.mean(p[y == c].argmax(1) == c) for c in np.unique(y)]))


def test_a_frozen_body_keeps_its_weights_and_a_new_output_layer_learns_three_new_labels(whale, tmp_path):
    pretrained, table = whale
    # only the output layer learns: a higher rate than a whole network's (cheap steps, no gradients through the body)
    _train(table, tmp_path / "new", steps=100, learning_rate=0.03, transfer=TransferParams(models=[str(pretrained)], keep_layers=3))
    before, after = _state(pretrained), _state(tmp_path / "new")
    body = [name for name in before if not name.startswith("output.")]
    assert len(body) > 20  # the front end's normalisation, the stem and both blocks, statistics included
    for name in body:
        assert torch.equal(before[name], after[name]), name
    assert after["output.weight"].shape == (3, 8) and before["output.weight"].shape == (2, 8)
    config = load_config(tmp_path / "new")
    assert config.architecture == "resnet" and config.output_names == sorted(NEW_LABELS)
    assert config.architecture_params["channels"] == [4, 8] and config.training["transfer"]["keep_layers"] == 3
    assert _balanced_accuracy(tmp_path / "new") >= 0.6  # chance: 1/3 (18 validation clips)
    # an ordinary resnet folder: classify reads it without the pretrained one
    loaded = load_model(tmp_path / "new").module
    assert isinstance(loaded, ResNetClipModel) and loaded.n_outputs == 3


def test_kept_layers_fine_tune_and_the_layers_after_them_start_afresh(whale, tmp_path):
    pretrained, table = whale
    _train(table, tmp_path / "tuned", steps=10, transfer=TransferParams(models=[str(pretrained)], keep_layers=1, fine_tune=True))
    before, after = _state(pretrained), _state(tmp_path / "tuned")
    assert not torch.equal(before["stem.0.weight"], after["stem.0.weight"])  # kept, trained
    _train(table, tmp_path / "frozen", steps=1, transfer=TransferParams(models=[str(pretrained)], keep_layers=1))
    kept_one = _state(tmp_path / "frozen")
    assert torch.equal(before["stem.0.weight"], kept_one["stem.0.weight"])
    # block1 and block2 were not kept: fresh weights, one step away from their initialisation, not the pretrained ones
    assert not torch.allclose(before["blocks.0.conv1.weight"], kept_one["blocks.0.conv1.weight"], atol=1e-2)


def test_the_command_line_transfers_and_classify_writes_the_new_labels_per_file(whale, tmp_path):
    from hark.cli.app import main

    pretrained, table = whale
    argv = ["train", "--data", str(table), "--supervision", "clip", "--transfer", str(pretrained), "--keep-layers", "3",
            "--steps", "5", "--batch-size", "8", "--threads", "1", "--no-progress", "--out", str(tmp_path / "new")]  # fmt: skip
    assert main(argv) == 0
    assert load_config(tmp_path / "new").training["transfer"] == {"models": [str(pretrained)], "keep_layers": 3, "fine_tune": False}
    clips = sorted((table.parent / "clips").glob("*.wav"))[:3]
    classify_recordings(tmp_path / "new", clips, tmp_path / "out")
    with open(tmp_path / "out" / "predictions.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and {row["label"] for row in rows} <= set(NEW_LABELS)
    assert set(NEW_LABELS) <= set(rows[0])


def test_bad_clip_transfers_are_one_line_errors_and_write_nothing(whale, tmp_path):
    pretrained, table = whale
    from tests.infer.helpers import make_model

    frame = make_model(tmp_path / "frame", architecture="convnet", samplerate=WHALE_SAMPLERATE)
    at_4k = make_model(tmp_path / "at4k", architecture="resnet", samplerate=4000, params=SMALL, outputs=("a", "b"))
    cases = [
        (dict(models=[str(pretrained)], keep_layers=4), "keep_layers 4: .* \\(resnet\\) has 3 layers to keep \\(stem, block1, block2\\)"),
        (dict(models=[str(frame)], keep_layers=1), "a frame model \\(convnet\\); a clip model transfers from a clip model"),
        (dict(models=[str(at_4k)], keep_layers=1), "trained on audio at 4000 Hz, the new clips are at 2000 Hz; resample them first"),
        (dict(models=[str(pretrained), str(pretrained)], keep_layers=1), "transfer takes one clip model for clip supervision \\(got 2\\)"),
    ]
    for transfer, message in cases:
        with pytest.raises(HarkError, match=message) as caught:
            _train(table, tmp_path / "bad", transfer=TransferParams(**transfer))
        assert "\n" not in str(caught.value)
    with pytest.raises(HarkError, match="its layer front_end does not fit the new model"):
        params = TrainParams(architecture_params={"window_ms": 32}, transfer=TransferParams(models=[str(pretrained)], keep_layers=1))
        train_model(table, DataParams(labels=NEW_LABELS, supervision="clip"), params, tmp_path / "bad", progress=False)
    assert not (tmp_path / "bad").exists()
