"""hark ensemble, hark train --transfer and --supervision unsupervised from the command line."""

from __future__ import annotations

import pytest

from hark.cli.app import main
from hark.demo import generate_fly
from hark.models.store import load_config, load_model
from tests.models.test_ensemble import SMALL, model_folder

FAST = ["--steps", "4", "--validation-period", "2", "--batch-size", "4", "--no-progress"]


@pytest.fixture(scope="module")
def fly(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fly")
    generate_fly(folder, n_recordings=2, duration_s=20.0, seed=1)
    return folder


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2, argv
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)


def test_hark_ensemble_makes_a_model_that_freezes(tmp_path, capsys):
    members = [model_folder(tmp_path / f"{i}r", params=SMALL, seed=i) for i in (1, 2)]
    assert main(["ensemble", "--out", str(tmp_path / "ensemble"), *map(str, members)]) == 0
    out = capsys.readouterr().out
    assert "ensemble of 2 models, context 256 and stride 4 samples" in out and "no validation results" in out
    assert main(["freeze", str(tmp_path / "ensemble")]) == 0
    assert (tmp_path / "ensemble" / "frozen.onnx").is_file()
    other_rate = model_folder(tmp_path / "rate", params=SMALL, rate=5000)
    _one_line_error(capsys, ["ensemble", "--out", str(tmp_path / "e2"), str(members[0]), str(other_rate)], "has sample rate (Hz) 5000")
    _one_line_error(capsys, ["ensemble", "--out", str(tmp_path / "e3"), "--checkpoint", "x.pt", *map(str, members)], "applies to every member")


def test_hark_train_transfer_and_unsupervised(fly, tmp_path, capsys):
    pretrained = model_folder(tmp_path / "pretrained", params=SMALL, outputs=("mel-pulse", "mel-sine", "ambient"))
    argv = ["train", "--data", str(fly), "--labels", "mel-pulse,ambient", "--transfer", str(pretrained), "--keep-layers", "1",
            "--new-layers", "4", "--new-dense", "", "--fine-tune", "--out", str(tmp_path / "transferred"), *FAST]
    assert main(argv) == 0
    config = load_config(tmp_path / "transferred")
    assert config.architecture == "transfer" and config.output_names == ["mel-pulse", "ambient"]
    assert config.architecture_params["conv_layers"] == [4] and config.architecture_params["dense_layers"] == []
    assert config.architecture_params["fine_tune"] and config.architecture_params["sources"][0]["keep_layers"] == 1
    assert "next: hark accuracy" in capsys.readouterr().out

    argv = ["train", "--data", str(fly), "--supervision", "unsupervised", "-a", "front_end=waveform", "-a", "depth=1",
            "--frames", "8", "--out", str(tmp_path / "autoencoder"), *FAST]
    assert main(argv) == 0
    assert "--transfer" in capsys.readouterr().out
    assert load_model(tmp_path / "autoencoder").config.architecture == "autoencoder"


def test_bad_transfer_options_are_one_line_errors(fly, tmp_path, capsys):
    pretrained = model_folder(tmp_path / "pretrained", params=SMALL)
    base = ["train", "--data", str(fly), "--labels", "mel-pulse,ambient", "--out", str(tmp_path / "bad"), *FAST]
    _one_line_error(capsys, [*base, "--keep-layers", "1"], "go with --transfer MODEL")
    _one_line_error(capsys, [*base, "--transfer", str(pretrained)], "--transfer needs --keep-layers N")
    _one_line_error(capsys, [*base, "--transfer", str(pretrained), "--keep-layers", "1", "--architecture", "tcn"], "drop --architecture tcn")
    _one_line_error(capsys, [*base, "--transfer", str(tmp_path / "nowhere"), "--keep-layers", "1"], "no such model folder")
    _one_line_error(capsys, [*base, "--transfer", str(pretrained), "--keep-layers", "4"], "has 3 layers to keep (conv1, conv2, dense1)")
    _one_line_error(capsys, ["train", "--data", str(fly), "--out", str(tmp_path / "bad"), *FAST], "labels: give at least one label")
    _one_line_error(capsys, [*base[:5], "--supervision", "unsupervised", "--out", str(tmp_path / "bad")], "give no labels")
