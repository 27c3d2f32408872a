"""The autoencoder: mirrored shapes, learnt from unlabelled audio, and a pretrained part for transfer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hark.demo import generate_fly
from hark.errors import HarkError
from hark.models import build_model
from hark.models.autoencoder import AutoencoderModel
from hark.models.store import list_checkpoints, load_config, load_model, read_checkpoint
from hark.train import DataParams, TrainParams, train_model
from hark.train.data_load import read_audio
from hark.train.params import TransferParams
from tests.models.helpers import calibrate, make_audio, per_window_outputs

SMALL = {"front_end": "waveform", "depth": 2, "filters": 16, "bottleneck": 4}


@pytest.fixture(scope="module")
def unlabelled(tmp_path_factory):
    """Two 30 s demo fly recordings with their annotations removed (unsupervised training needs none)."""
    folder = tmp_path_factory.mktemp("unlabelled")
    generate_fly(folder, n_recordings=2, duration_s=30.0, seed=2)
    labelled = tmp_path_factory.mktemp("labelled")
    for path in folder.glob("*.csv"):
        path.rename(labelled / path.name)
    return folder, labelled


@pytest.fixture(scope="module")
def trained(unlabelled, tmp_path_factory):
    folder, _ = unlabelled
    out = tmp_path_factory.mktemp("models") / "autoencoder"
    params = TrainParams(steps=200, learning_rate=0.01, validation_period=100, batch_size=8, frames=32, architecture_params=SMALL)
    train_model(folder, DataParams(supervision="unsupervised"), params, out, progress=False)
    return out


@pytest.mark.parametrize("front_end", ["waveform", "spectrogram", "mel-cepstrum"])
def test_the_decoder_mirrors_the_encoder(front_end):
    model = build_model("autoencoder", {"front_end": front_end, "depth": 3, "kernel_size": 5, "conv_stride": 2}, 2500, 8)
    assert isinstance(model, AutoencoderModel) and model.n_outputs == 8
    audio = make_audio(model.context + 8 * model.stride)
    calibrate(model, audio)
    target, reconstruction = model.reconstruct(audio)
    features = model.features(audio)
    assert target.shape == reconstruction.shape and target.shape[:2] == features.shape[:2]
    # valid convolutions drop at most one stride's worth of frames per layer, no more
    assert features.shape[-1] - 3 * 2 ** 3 <= target.shape[-1] <= features.shape[-1]
    torch.testing.assert_close(target, features[..., : target.shape[-1]])
    with torch.no_grad():
        code = model(audio)
    assert code.shape == (2, 8, model.output_frames(audio.shape[-1]))
    torch.testing.assert_close(code, per_window_outputs(model, audio), atol=1e-5, rtol=0)
    assert build_model("autoencoder", {"front_end": front_end, "bottleneck": 4}, 2500, 3)(audio).shape[1] == 3


def test_reconstruction_loss_falls_far_below_a_constant_prediction(trained, unlabelled):
    config = load_config(trained)
    assert config.supervision == "unsupervised" and config.labels == [] and config.output_names == ["code1", "code2", "code3", "code4"]
    model = load_model(trained).module
    _, audio = read_audio(unlabelled[0], ["fly-01.wav", "fly-02.wav"])
    with torch.no_grad():
        batch = torch.from_numpy(np.stack([audio["fly-01.wav"][:40000], audio["fly-02.wav"][:40000]]))[:, None]
        target, reconstruction = model.reconstruct(batch)
    constant = float(((target - target.mean(dim=(0, 2), keepdim=True)) ** 2).mean())  # the best constant per channel
    error = float(((reconstruction - target) ** 2).mean())
    assert constant > 0.5  # the standardised waveform has about unit variance
    assert error < 0.25 * constant
    log = (trained / "log.csv").read_text().splitlines()
    validation_loss, explained = (float(v) for v in log[-1].split(",")[3:5])
    assert validation_loss < 0.25 and explained > 0.75
    assert not list(trained.glob("validation-*.npz"))  # nothing for hark accuracy to score


def test_transfer_from_the_encoder(trained, unlabelled, tmp_path):
    _, labelled = unlabelled
    data = tmp_path / "data"
    data.mkdir()
    for wav in unlabelled[0].glob("*.wav"):
        (data / wav.name).symlink_to(wav)
    for csv in labelled.glob("*.csv"):
        (data / csv.name).write_text(csv.read_text().replace(",mel-pulse", ",song").replace(",mel-sine", ",song"))
    params = TrainParams(
        steps=100, learning_rate=0.003, validation_period=50, batch_size=16, architecture_params={"conv_layers": [8], "dense_layers": []},
        transfer=TransferParams(models=[str(trained)], keep_layers=3),  # conv1, conv2 and the bottleneck
    )
    train_model(data, DataParams(labels=["song", "ambient"], validation_percent=30), params, tmp_path / "song", progress=False)
    model = load_model(tmp_path / "song").module
    assert model.parts[0].layer_names == ["conv1", "conv2", "bottleneck"] and model.parts[0].channels == 4
    source = read_checkpoint(load_model(trained).checkpoint)["model"]
    target = read_checkpoint(list_checkpoints(tmp_path / "song")[-1][1])["model"]
    torch.testing.assert_close(target["parts.0.layers.3.weight"], source["encoder.bottleneck.weight"], atol=0, rtol=0)
    torch.testing.assert_close(target["parts.0.layers.1.conv.weight"], source["encoder.conv1.conv.weight"], atol=0, rtol=0)
    with np.load(tmp_path / "song" / "validation-000100.npz") as saved:
        p, y = saved["probabilities"], saved["targets"]
    balanced = np.mean([np.mean(p[y == c].argmax(1) == c) for c in np.unique(y)])
    assert len(np.unique(y)) == 2 and balanced >= 0.8


def test_autoencoders_and_unsupervised_data_go_together(unlabelled, tmp_path):
    folder, labelled = unlabelled
    cases = [
        (DataParams(labels=["mel-pulse"]), TrainParams(architecture="autoencoder"), "learns from unlabelled audio; use it with supervision unsupervised"),
        (DataParams(supervision="unsupervised"), TrainParams(architecture="convnet"), "^supervision unsupervised trains an autoencoder \\(architecture autoencoder\\)"),
        (DataParams(supervision="unsupervised"), TrainParams(architecture="ensemble"), "architecture ensemble is made by hark ensemble"),
    ]
    for data_params, train_params, message in cases:
        with pytest.raises(HarkError, match=message) as err:
            train_model(labelled if data_params.labels else folder, data_params, train_params, tmp_path / "bad")
        assert "\n" not in str(err.value)
    from hark.params import validate_params

    with pytest.raises(HarkError, match="unsupervised supervision learns from unlabelled audio: give no labels"):
        validate_params(DataParams, {"supervision": "unsupervised", "labels": "a"}, "hark train")


def test_accuracy_of_an_autoencoder_reports_its_reconstruction_error_and_chooses_the_best(trained, capsys):
    import csv
    import json

    from hark.cli.app import main
    from hark.models.store import best_step

    assert main(["accuracy", str(trained)]) == 0
    out = capsys.readouterr().out
    with open(trained / "log.csv") as f:
        logged = {int(r["step"]): float(r["validation_loss"]) for r in csv.DictReader(f)}
    best = min(logged, key=logged.get)
    assert best_step(trained) == best and load_model(trained).step == best
    assert f"best step {best}: reconstruction error" in out
    with open(trained / "accuracy" / "reconstruction.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == sorted(logged)
    assert [float(r["reconstruction_error"]) for r in rows] == pytest.approx([logged[s] for s in sorted(logged)])
    assert json.loads((trained / "accuracy" / "best.json").read_text())["reconstruction_error"] == pytest.approx(logged[best])
