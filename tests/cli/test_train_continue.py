"""``hark train --continue MODEL``: a round from the command line; what it refuses is one line and writes nothing."""

import json

import numpy as np
import pytest
import soundfile as sf

from hark.cli.app import main
from hark.demo import generate_fly
from hark.models.store import load_config
from hark.train import DataParams, TrainParams, train_model

SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}


@pytest.fixture(scope="module")
def fly_and_model(tmp_path_factory):
    fly = tmp_path_factory.mktemp("fly")
    generate_fly(fly, n_recordings=2, duration_s=30.0, seed=3)
    model = tmp_path_factory.mktemp("models") / "round0"
    params = TrainParams(steps=20, validation_period=10, batch_size=8, architecture_params=SMALL_NET)
    train_model(fly, DataParams(labels=["mel-pulse", "ambient"]), params, model, progress=False)
    return fly, model


def test_a_round_from_the_command_line(fly_and_model, tmp_path, capsys):
    fly, model = fly_and_model
    out = tmp_path / "round1"
    assert main(["train", "--continue", str(model), "--data", str(fly), "--labels", "mel-sine", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "round 1: trained" in printed and "new labels mel-sine" in printed
    config = load_config(out)
    assert config.output_names == ["mel-pulse", "ambient", "mel-sine"] and config.training["steps"] == 100  # the round's default
    assert config.architecture_params == load_config(model).architecture_params
    assert json.loads((out / "rounds.json").read_text())["rounds"][-1]["round"] == 1
    again = tmp_path / "round2"
    assert main(["train", "--continue", str(out), "--data", str(fly), "--out", str(again), "--steps", "3", "--learning-rate", "0.0005", "--no-progress"]) == 0
    config = load_config(again)
    assert config.training["steps"] == 3 and config.training["learning_rate"] == 0.0005


def test_what_a_round_refuses_is_one_line_and_writes_nothing(fly_and_model, tmp_path, capsys):
    fly, model = fly_and_model
    other_rate = tmp_path / "rate"
    other_rate.mkdir()
    sf.write(other_rate / "a.wav", np.zeros(10_000, np.float32), 5000, subtype="PCM_16")
    (other_rate / "a.wav-annotated-x.csv").write_text("a.wav,100,100,annotated,mel-pulse\n")
    cases = [
        (["--continue", str(model), "--data", str(other_rate)], "sample rate 5000 Hz, but"),
        (["--continue", str(tmp_path / "nothing"), "--data", str(fly)], "no such model folder"),
        (["--continue", str(model), "--data", str(fly), "--supervision", "dense"], "--supervision dense: "),
        (["--continue", str(model), "--data", str(fly), "--replicates", "2"], "--replicates does not go with --continue"),
        (["--continue", str(model), "--data", str(fly), "--architecture", "tcn"], "--architecture does not go with --continue"),
        (["--continue", str(model), "--data", str(fly), "--batch-size", "lots"], "--batch-size 'lots'"),
    ]
    for i, (args, message) in enumerate(cases):
        out = tmp_path / f"out{i}"
        assert main(["train", *args, "--out", str(out), "--no-progress"]) != 0, args
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
        assert not out.exists()
