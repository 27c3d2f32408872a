"""Ensembles: the mean of the members' probabilities, one ONNX, self-contained folders, clear refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from hark.errors import HarkError
from hark.evaluate.model_accuracy import model_accuracy
from hark.infer.classify import classify_recordings
from hark.infer.ethogram import write_ethograms
from hark.infer.freeze import freeze_model
from hark.infer.probabilities import open_probabilities
from hark.models import build_model
from hark.models.ensemble import make_ensemble
from hark.models.store import ModelConfig, load_config, load_model, save_checkpoint, save_config
from tests.infer.helpers import write_recording
from tests.models.helpers import calibrate, make_audio

RATE = 2500
SMALL = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}  # context 256, stride 4
SHORTER = {**SMALL, "context_ms": 89.6}  # context 224: its frames' centres lie 4 strides earlier


def model_folder(folder: Path, architecture="convnet", params=None, seed=0, rate=RATE, outputs=("song", "ambient"), overlapped=False, step=100):
    """A model folder of random weights whose batch norms hold realistic statistics."""
    torch.manual_seed(seed)
    module = build_model(architecture, params or {}, rate, len(outputs))
    calibrate(module, make_audio(rate, batch=4, seed=seed), seed=seed)
    frame = architecture != "resnet"
    config = ModelConfig(
        architecture=architecture, architecture_params=dict(params or {}), kind="frame" if frame else "clip",
        samplerate=rate, output_names=list(outputs), labels=list(outputs), overlapped=overlapped,
        supervision="sparse" if frame else "clip", context=module.context if frame else 0,
        stride=module.stride if frame else 0, data={"equalize": True},
    )
    folder.mkdir(parents=True)
    save_config(folder, config)
    save_checkpoint(folder, step, {"model": module.state_dict()})
    return folder


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    root = tmp_path_factory.mktemp("members")
    return [
        model_folder(root / "1r", params=SMALL, seed=1),
        model_folder(root / "2r", params=SMALL, seed=2),
        model_folder(root / "short", params=SHORTER, seed=3),
    ]


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    return write_recording(tmp_path_factory.mktemp("audio") / "song.wav", 6.0, samplerate=RATE, seed=4)


def _classified(model, recording, out, engine="torch"):
    classify_recordings(model, [recording], out, engine=engine)
    array, meta = open_probabilities(recording, out)
    return np.asarray(array), meta


def test_the_ensemble_gives_the_mean_of_its_members_probabilities(members, recording, tmp_path):
    make_ensemble(members, tmp_path / "ensemble")
    result = make_ensemble(members, tmp_path / "ensemble")  # the same ensemble again rewrites itself
    assert (result.members, result.context, result.stride) == (3, 256, 4)
    ensemble, meta = _classified(tmp_path / "ensemble", recording, tmp_path / "out-ensemble")
    rows = []
    for member in members:
        probabilities, member_meta = _classified(member, recording, tmp_path / f"out-{member.name}")
        first = (meta.offset - member_meta.offset) // meta.stride  # the member's frame at the ensemble's first time
        assert first * meta.stride == meta.offset - member_meta.offset
        rows.append(probabilities[first : first + meta.frames])
    assert (meta.context, meta.offset, meta.frames) == (256, 128, (6 * RATE - 256) // 4 + 1)
    assert np.ptp(rows[0][:, 0]) > 0.1 and np.max(np.abs(rows[0] - rows[1])) > 0.01  # members that disagree
    np.testing.assert_allclose(ensemble, np.mean(rows, axis=0), atol=1e-5, rtol=0)


def test_one_onnx_and_a_self_contained_folder(members, recording, tmp_path):
    make_ensemble(members, tmp_path / "made")
    expected, _ = _classified(tmp_path / "made", recording, tmp_path / "before")
    copies = tmp_path / "copies"
    moved = [shutil.copytree(m, copies / m.name) for m in members]
    make_ensemble(moved, tmp_path / "ensemble")
    shutil.rmtree(copies)  # the members are gone; the ensemble keeps their weights
    shutil.copytree(tmp_path / "ensemble", tmp_path / "elsewhere" / "ensemble")
    folder = tmp_path / "elsewhere" / "ensemble"
    freeze_model(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["ckpt-000000.pt", "config.json", "frozen.json", "frozen.onnx"]
    assert json.loads((folder / "frozen.json").read_text())["parity_max_abs_difference"] <= 1e-4
    by_onnx, meta = _classified(folder, recording, tmp_path / "onnx", engine="onnx")
    by_torch, _ = _classified(folder, recording, tmp_path / "torch", engine="torch")
    assert meta.engine == "onnx"
    np.testing.assert_allclose(by_torch, expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(by_onnx, expected, atol=1e-5, rtol=0)


def test_overlapped_members_average_their_sigmoids(tmp_path):
    folders = [model_folder(tmp_path / f"{i}", params=SMALL, seed=i, outputs=("a", "b", "c"), overlapped=True) for i in range(2)]
    make_ensemble(folders, tmp_path / "ensemble")
    ensemble = load_model(tmp_path / "ensemble").module
    audio = make_audio(2000, seed=9)
    with torch.no_grad():
        mean = torch.stack([torch.sigmoid(load_model(f).module(audio)) for f in folders]).mean(dim=0)
        got = torch.sigmoid(ensemble(audio))
    assert load_config(tmp_path / "ensemble").overlapped
    torch.testing.assert_close(got, mean, atol=1e-6, rtol=0)


def test_clip_models_make_a_clip_ensemble(tmp_path):
    params = {"channels": [4], "window_ms": 32, "stride_ms": 8, "high_hz": 1000}
    folders = [model_folder(tmp_path / f"{i}", architecture="resnet", params=params, seed=i) for i in range(2)]
    make_ensemble(folders, tmp_path / "ensemble")
    assert load_config(tmp_path / "ensemble").architecture == "clip-ensemble"
    clip = write_recording(tmp_path / "clip.wav", 2.0, samplerate=RATE, seed=5)
    ensemble, _ = _classified(tmp_path / "ensemble", clip, tmp_path / "out")
    mean = np.mean([_classified(f, clip, tmp_path / f"out-{f.name}")[0] for f in folders], axis=0)
    assert ensemble.shape == (1, 2)
    np.testing.assert_allclose(ensemble, mean, atol=1e-6, rtol=0)


def _validation(folder, step, targets, probabilities):
    np.savez_compressed(folder / f"validation-{step:06d}.npz", probabilities=probabilities, targets=targets)


def test_replicates_validation_results_are_averaged_so_accuracy_scores_the_ensemble(tmp_path):
    folders = [model_folder(tmp_path / f"{i}r", params=SMALL, seed=i) for i in range(2)]
    targets = np.array([0, 0, 1, 1, 0])
    first = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]], np.float32)
    second = np.array([[0.7, 0.3], [0.8, 0.2], [0.4, 0.6], [0.2, 0.8], [0.9, 0.1]], np.float32)
    _validation(folders[0], 100, targets, first)
    _validation(folders[1], 100, targets, second)
    result = make_ensemble(folders, tmp_path / "ensemble")
    assert result.validation
    with np.load(tmp_path / "ensemble" / "validation-000000.npz") as saved:
        np.testing.assert_allclose(saved["probabilities"], (first + second) / 2)
        assert np.array_equal(saved["targets"], targets)
    accuracy = model_accuracy(tmp_path / "ensemble", draw=False)
    assert accuracy.best_step == 0 and accuracy.best.metrics.accuracy == 1.0  # each member alone gets one wrong
    assert (tmp_path / "ensemble" / "accuracy" / "thresholds.csv").is_file()
    recording = write_recording(tmp_path / "song.wav", 3.0, samplerate=RATE, seed=6)
    classify_recordings(tmp_path / "ensemble", [recording], tmp_path / "probabilities")
    (ethogram,) = write_ethograms(tmp_path / "ensemble", None, tmp_path / "probabilities", tmp_path / "events", 1.0)
    assert ethogram.name == "song.wav-predicted-1.0pr.csv"

    _validation(folders[1], 100, np.array([1, 0, 1, 1, 0]), second)  # another fold's examples
    result = make_ensemble(folders, tmp_path / "folds")
    assert not result.validation and "validated on other examples" in result.note
    assert not list((tmp_path / "folds").glob("validation-*.npz"))


def test_bad_ensembles_are_one_line_errors(members, tmp_path):
    first = members[0]
    other_labels = model_folder(tmp_path / "labels", params=SMALL, outputs=("song", "noise"))
    other_rate = model_folder(tmp_path / "rate", params=SMALL, rate=5000)
    clip = model_folder(tmp_path / "clip", architecture="resnet", params={"channels": [4]})
    other_stride = model_folder(tmp_path / "stride", params={**SMALL, "shift_by_ms": 3.2})
    holds_a_model = model_folder(tmp_path / "taken", params=SMALL)
    cases = [
        ([first, other_labels], "labels", "has outputs song,noise, but .* has song,ambient"),
        ([first, other_rate], "x", "has sample rate \\(Hz\\) 5000, but .* has 2500"),
        ([first, clip], "x", "has kind clip, but .* has frame"),
        ([first, other_stride], "x", "an ensemble needs the same stride; the output strides \\(samples\\) are: .* 4, .* 8"),
        ([first, tmp_path / "missing"], "x", "no such model folder"),
        ([first, tmp_path], "x", "not a hark model folder"),
        ([first], "x", "an ensemble needs at least two models"),
        ([first, members[1]], members[1], "is one of the members"),
        ([first, members[1]], holds_a_model, "already holds a model"),
    ]
    for models, out, message in cases:
        out = out if isinstance(out, Path) else tmp_path / "out"
        with pytest.raises(HarkError, match=message) as err:
            make_ensemble(models, out)
        assert "\n" not in str(err.value)
    assert not (tmp_path / "out" / "config.json").exists()
