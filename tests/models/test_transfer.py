"""Transfer learning: kept layers frozen or fine-tuned, new labels learnt, resampling, ONNX, bad inputs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from hark.demo import CSV_SUFFIX, generate_fly, synthesize_fly, write_demo_csv, write_wav
from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.freeze import freeze_model
from hark.infer.probabilities import open_probabilities
from hark.models import build_model, export_onnx
from hark.models.resample import Resample
from hark.models.store import list_checkpoints, load_config, load_model, read_checkpoint
from hark.models.transfer import TransferModel
from hark.train import DataParams, TrainParams, train_model
from hark.train.params import TransferParams
from tests.models.helpers import calibrate, make_audio, per_window_outputs

FLY_LABELS = ["mel-pulse", "mel-sine", "ambient"]
SMALL_CONVNET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
NEW_LAYERS = {"conv_layers": [8], "dense_layers": [8]}


def _song_folder(folder, samples_and_events, samplerate):
    """Recordings whose pulse and sine song are one new label, ``song`` (ambient stays)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (samples, events) in samples_and_events.items():
        write_wav(folder / name, samples, samplerate)
        renamed = [e.with_(label="song") if e.label in ("mel-pulse", "mel-sine") else e for e in events]
        write_demo_csv(folder / f"{name}{CSV_SUFFIX}", renamed)
    return folder


def _synthesized(samplerate, seed=5):
    return {
        f"fly-{i + 1:02d}.wav": synthesize_fly(60.0, samplerate, np.random.default_rng([seed, i]), recording=f"fly-{i + 1:02d}.wav")
        for i in range(2)
    }


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A small convnet trained on demo fly song (2500 Hz), and the folders of new labels at 2500 and 5000 Hz."""
    root = tmp_path_factory.mktemp("transfer")
    generate_fly(root / "fly", n_recordings=2, duration_s=60.0, seed=5)
    params = TrainParams(steps=150, learning_rate=0.003, validation_period=50, batch_size=16, architecture_params=SMALL_CONVNET)
    train_model(root / "fly", DataParams(labels=FLY_LABELS), params, root / "pretrained", progress=False)
    song = _song_folder(root / "song", _synthesized(2500), 2500)
    song_5k = _song_folder(root / "song-5k", _synthesized(5000, seed=6), 5000)
    return root / "pretrained", song, song_5k


def _transfer(data, out, models, keep=2, fine_tune=False, steps=100, **extra):
    params = TrainParams(
        steps=steps, learning_rate=0.003, validation_period=50, batch_size=16, architecture_params=NEW_LAYERS,
        transfer=TransferParams(models=[str(m) for m in models], keep_layers=keep, fine_tune=fine_tune), **extra,
    )
    return train_model(data, DataParams(labels=["song", "ambient"], validation_percent=30), params, out, progress=False)


def _balanced_accuracy(folder, step):
    with np.load(folder / f"validation-{step:06d}.npz") as saved:
        p, y = saved["probabilities"], saved["targets"]
    return float(np.mean([np.mean(p[y == c].argmax(1) == c) for c in np.unique(y)]))


def _last_weights(folder):
    return read_checkpoint(list_checkpoints(folder)[-1][1])["model"]


def _kept_pairs(pretrained_folder, transferred_folder, layers=("conv1", "conv2")):
    """(pretrained tensor, transferred tensor) of every state entry of the kept conv layers."""
    source = read_checkpoint(load_model(pretrained_folder).checkpoint)["model"]
    target = _last_weights(transferred_folder)
    pairs = []
    for position, layer in enumerate(layers, start=1):  # part 0's layers: 0 is the front end
        prefix = f"layers.{layer}."
        for name, tensor in source.items():
            if name.startswith(prefix):
                pairs.append((name, tensor, target[f"parts.0.layers.{position}.{name[len(prefix):]}"]))
    return pairs


def test_frozen_kept_layers_stay_identical_and_new_labels_are_learnt(pretrained, tmp_path):
    model, song, _ = pretrained
    _transfer(song, tmp_path / "frozen", [model])
    pairs = _kept_pairs(model, tmp_path / "frozen")
    assert len(pairs) >= 8  # conv and batch-norm weights, biases and statistics of two layers
    for name, before, after in pairs:
        assert torch.equal(before, after), name
    assert _balanced_accuracy(tmp_path / "frozen", 100) >= 0.8
    config = load_config(tmp_path / "frozen")
    assert config.architecture == "transfer" and config.output_names == ["song", "ambient"]
    source = config.architecture_params["sources"][0]
    assert source["architecture"] == "convnet" and source["keep_layers"] == 2 and source["samplerate"] == 2500
    assert config.training["transfer"]["keep_layers"] == 2 and not config.architecture_params["fine_tune"]
    loaded = load_model(tmp_path / "frozen").module
    assert isinstance(loaded, TransferModel) and loaded.parts[0].resample is None
    assert (config.context, config.stride) == (loaded.context, loaded.stride)


def test_fine_tuned_kept_layers_change(pretrained, tmp_path):
    model, song, _ = pretrained
    _transfer(song, tmp_path / "tuned", [model], fine_tune=True, steps=50)
    pairs = _kept_pairs(model, tmp_path / "tuned")
    weights = [(name, a, b) for name, a, b in pairs if name.endswith("conv.weight")]
    assert weights and all(not torch.equal(a, b) for _, a, b in weights)


def test_the_folder_is_self_contained_and_freezes_to_a_matching_onnx(pretrained, tmp_path):
    model, song, _ = pretrained
    _transfer(song, tmp_path / "made", [model], steps=50)
    moved = tmp_path / "elsewhere" / "model"
    shutil.copytree(tmp_path / "made", moved)
    shutil.rmtree(tmp_path / "made")
    freeze_model(moved)
    assert json.loads((moved / "frozen.json").read_text())["parity_max_abs_difference"] <= 1e-4
    recording = sorted(song.glob("*.wav"))[0]
    classify_recordings(moved, [recording], tmp_path / "torch", engine="torch")
    classify_recordings(moved, [recording], tmp_path / "onnx", engine="onnx")
    by_torch, meta = open_probabilities(recording, tmp_path / "torch")
    by_onnx, _ = open_probabilities(recording, tmp_path / "onnx")
    assert meta.frames > 1000
    np.testing.assert_allclose(np.asarray(by_onnx), np.asarray(by_torch), atol=1e-4, rtol=0)


def test_a_model_of_another_rate_is_resampled(pretrained, tmp_path):
    model, _, song_5k = pretrained
    _transfer(song_5k, tmp_path / "resampled", [model])
    loaded = load_model(tmp_path / "resampled").module
    resample = loaded.parts[0].resample
    assert isinstance(resample, Resample) and (resample.rate_in, resample.rate_out) == (5000, 2500)
    assert loaded.parts[0].stride == 2 * 4  # conv1 and conv2 pool by 2 each: 4 samples at 2500 Hz, 8 at 5000 Hz
    for name, before, after in _kept_pairs(model, tmp_path / "resampled"):
        assert torch.equal(before, after), name
    assert _balanced_accuracy(tmp_path / "resampled", 100) >= 0.8
    freeze_model(tmp_path / "resampled")
    assert json.loads((tmp_path / "resampled" / "frozen.json").read_text())["parity_max_abs_difference"] <= 1e-4


@pytest.mark.parametrize("rate, model_rate", [(2500, 2500), (5000, 2500), (16000, 2500), (2000, 3000)])
def test_transfer_models_keep_the_frame_contract(rate, model_rate):
    """Resampling, frame subsampling and two parts of other contexts lined up: still fully convolutional."""
    source = {"architecture": "convnet", "architecture_params": {**SMALL_CONVNET, "normalization": "batch"},
              "samplerate": model_rate, "n_outputs": 3, "keep_layers": 2}
    other = {"architecture": "tcn", "architecture_params": {"front_end": "waveform", "n_dilations": 2, "kernel_size": 3, "n_filters": 4},
             "samplerate": model_rate, "n_outputs": 2, "keep_layers": 1}
    sources = [source] if rate != 2500 else [source, other]
    if rate == 2500:  # the tcn steps 1 sample, the convnet 4: its frames are subsampled to 4
        sources[1]["samplerate"] = rate
    model = build_model("transfer", {"sources": sources, "conv_layers": [4], "dense_layers": []}, rate, 3)
    audio = make_audio(model.context + 6 * model.stride + model.stride - 1)
    calibrate(model, audio)
    with torch.no_grad():
        long = model(audio)
    assert long.shape == (2, 3, 7) and model.output_frames(audio.shape[-1]) == 7
    torch.testing.assert_close(long, per_window_outputs(model, audio), atol=1e-5, rtol=0)


def test_a_resampling_transfer_model_exports_to_onnx(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    source = {"architecture": "convnet", "architecture_params": SMALL_CONVNET, "samplerate": 2500, "n_outputs": 3, "keep_layers": 2}
    model = build_model("transfer", {"sources": [source], "conv_layers": [4]}, 16000, 2)  # up 5, down 32
    assert model.parts[0].frame_step == 5 and model.stride == 128
    calibrate(model, make_audio(model.context + 5 * model.stride, batch=4))
    path = export_onnx(model, tmp_path / "model.onnx", example_samples=model.context + 3 * model.stride)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    audio = make_audio(model.context + 9 * model.stride + 77, batch=3, seed=7)
    (ours,) = session.run(None, {"audio": audio.numpy()})
    with torch.no_grad():
        expected = model(audio).numpy()
    assert ours.shape == expected.shape == (3, 2, 10)
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)


def test_bad_transfers_are_one_line_errors(pretrained, tmp_path):
    model, song, _ = pretrained
    from tests.infer.helpers import make_model

    clip = make_model(tmp_path / "clip", architecture="resnet", samplerate=2500, outputs=("a", "b"))
    cases = [
        (dict(models=[model], keep=5), "keep_layers 5: .* has 3 layers to keep \\(conv1, conv2, dense1\\)"),
        (dict(models=[clip]), "a clip model \\(resnet\\); transfer keeps layers of frame models"),
        (dict(models=[tmp_path]), "not a hark model folder"),
        (dict(models=[model], architecture="convnet"), "^transfer builds the architecture transfer; architecture convnet cannot go with it"),
    ]
    for kwargs, message in cases:
        models = kwargs.pop("models")
        with pytest.raises(HarkError, match=message) as err:
            _transfer(song, tmp_path / "bad", models, **kwargs)
        assert "\n" not in str(err.value)
    with pytest.raises(HarkError, match="a frame model \\(convnet\\); a clip model transfers from a clip model"):
        params = TrainParams(transfer=TransferParams(models=[str(model)], keep_layers=1))
        train_model(song, DataParams(labels=["song"], supervision="clip"), params, tmp_path / "bad", progress=False)
    with pytest.raises(HarkError, match="architecture transfer is made by hark train --transfer"):
        train_model(song, DataParams(labels=["song", "ambient"]), TrainParams(architecture="transfer"), tmp_path / "bad")
    assert not list_checkpoints(tmp_path / "bad")
