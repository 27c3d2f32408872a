"""``hark train --continue``: a round fine-tunes a model, grows its outputs for new labels, keeps the rounds and resumes after a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.demo import generate_fly
from hark.errors import HarkError
from hark.models.base import architectures
from hark.models.store import list_checkpoints, load_config, load_model, read_checkpoint
from hark.train import DataParams, TrainParams, train_model
from hark.train.continue_run import ROUNDS_NAME, ContinueParams, continue_training, grow_output_rows

SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
OLD_LABELS = ["mel-pulse", "ambient"]


@pytest.fixture(scope="module")
def fly_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fly")
    generate_fly(folder, n_recordings=2, duration_s=30.0, seed=3)
    return folder


@pytest.fixture(scope="module")
def first_model(fly_folder, tmp_path_factory):
    """Round 0: pulses against ambient, without sine song."""
    out = tmp_path_factory.mktemp("models") / "round0"
    params = TrainParams(steps=150, validation_period=50, batch_size=8, architecture_params=SMALL_NET, learning_rate=0.003)
    train_model(fly_folder, DataParams(labels=OLD_LABELS), params, out, progress=False)
    return out


def test_grow_output_rows_copies_the_old_rows_by_name_and_keeps_new_ones_fresh():
    architecture = architectures.get("convnet")
    params = architecture.validate(SMALL_NET)
    torch.manual_seed(0)
    old = architecture.build(params, 2500, 2)
    torch.manual_seed(1)
    new = architecture.build(params, 2500, 3)
    fresh = {k: v.clone() for k, v in new.state_dict().items()}
    grown = grow_output_rows(new, old.state_dict(), ["a", "b"], ["b", "c", "a"], "test")
    assert "output" in grown
    state, before = new.state_dict(), old.state_dict()
    changed = [k for k in state if state[k].shape != before[k].shape]
    assert changed  # the output layer's weight and bias grew
    for key in state:
        if key in changed:
            assert torch.equal(state[key][0], before[key][1]) and torch.equal(state[key][2], before[key][0])
            assert torch.equal(state[key][1], fresh[key][1])  # the new label's row: the fresh initialisation
        else:
            assert torch.equal(state[key], before[key])


def test_a_round_with_a_new_label_grows_the_outputs_and_still_predicts_the_old_label(first_model, fly_folder, tmp_path):
    out = tmp_path / "round1"
    result = continue_training(first_model, fly_folder, out, ContinueParams(labels=["mel-sine"], steps=100), progress=False)
    config = load_config(out)
    assert config.output_names == ["mel-pulse", "ambient", "mel-sine"] and config.labels == ["mel-pulse", "ambient", "mel-sine"]
    assert config.samplerate == load_config(first_model).samplerate and config.architecture_params == load_config(first_model).architecture_params
    assert [s for s, _ in list_checkpoints(out)] == [25, 50, 75, 100]
    assert result.round == 1 and result.new_labels == ["mel-sine"]
    rounds = json.loads((out / ROUNDS_NAME).read_text())["rounds"]
    assert [r["round"] for r in rounds] == [0, 1]
    assert rounds[0]["labels"] == OLD_LABELS and "mel-sine" not in rounds[0]["annotations"]
    assert rounds[1]["annotations"]["mel-sine"] > 0 and rounds[1]["annotations"]["mel-pulse"] > 0
    assert rounds[1]["scores"]["f1"]["mel-pulse"] >= 0.8  # the old label is still learnt
    # the model it started from: its old rows, not fresh weights (one step at a tiny rate barely moves them)
    tiny = tmp_path / "tiny"
    continue_training(first_model, fly_folder, tiny, ContinueParams(labels=["mel-sine"], steps=1, learning_rate=1e-9), progress=False)
    start = load_model(first_model).module.state_dict()
    after = read_checkpoint(list_checkpoints(tiny)[-1][1])["model"]
    output = [k for k in after if after[k].shape != start[k].shape]
    assert output and all(torch.allclose(after[k][:2], start[k], atol=1e-5) for k in output)
    # a second round counts on
    again = continue_training(out, fly_folder, tmp_path / "round2", ContinueParams(steps=4, validation_period=4), progress=False)
    assert again.round == 2 and [r["round"] for r in again.rounds] == [0, 1, 2] and again.rounds[1] == rounds[1]


def test_a_round_refuses_another_sample_rate_another_supervision_and_a_missing_model(first_model, fly_folder, tmp_path):
    other_rate = tmp_path / "rate"
    other_rate.mkdir()
    samples, rate = sf.read(next(fly_folder.glob("*.wav")), dtype="float32")
    sf.write(other_rate / "fly.wav", np.repeat(samples, 2), rate * 2, subtype="PCM_16")
    (other_rate / "fly.wav-annotated-test.csv").write_text("fly.wav,5000,5000,annotated,mel-pulse\n")
    cases = [
        (dict(model=first_model, data_root=other_rate), "sample rate 5000 Hz, but .* was trained at 2500 Hz"),
        (dict(model=tmp_path / "nothing", data_root=fly_folder), "no such model folder"),
        (dict(model=fly_folder, data_root=fly_folder), "not a hark model folder"),
        (dict(model=first_model, data_root=fly_folder, supervision="dense"), "trained with sparse supervision"),
    ]
    for i, (arguments, message) in enumerate(cases):
        out = tmp_path / f"out{i}"
        with pytest.raises(HarkError, match=message) as caught:
            continue_training(out=out, progress=False, **arguments)
        assert "\n" not in str(caught.value)
        assert not out.exists()


ROUND_SCRIPT = """
import sys
from hark.train.continue_run import ContinueParams, continue_training
continue_training(sys.argv[1], sys.argv[2], sys.argv[3], ContinueParams(labels=["mel-sine"], steps=400, validation_period=10), progress=False)
"""


def test_a_killed_round_resumes_to_the_same_model(first_model, fly_folder, tmp_path):
    stopped = tmp_path / "stopped"
    process = subprocess.Popen([sys.executable, "-c", ROUND_SCRIPT, str(first_model), str(fly_folder), str(stopped)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(step >= 30 for step, _ in list_checkpoints(stopped)):
        assert process.poll() is None and time.monotonic() < deadline, "the round ended before it could be killed"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    done = max(s for s, _ in list_checkpoints(stopped))
    assert done < 400 and not (stopped / ROUNDS_NAME).exists()
    params = ContinueParams(labels=["mel-sine"], steps=400, validation_period=10)
    messages = []
    resumed = continue_training(first_model, fly_folder, stopped, params, progress=False, report=messages.append)
    assert resumed.train.resumed_from == done and any("resuming" in m for m in messages)
    assert not any(m.startswith("round 1: starting from") for m in messages)  # the weights come from the round's own checkpoint
    straight = continue_training(first_model, fly_folder, tmp_path / "straight", params, progress=False)
    assert straight.train.resumed_from == 0
    a, b = (read_checkpoint(list_checkpoints(folder)[-1][1])["model"] for folder in (stopped, tmp_path / "straight"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((stopped / ROUNDS_NAME).read_text())["rounds"][-1]["round"] == 1


def test_a_clip_model_continues_from_its_clip_table(tmp_path):
    from hark.demo import generate_whale

    generate_whale(tmp_path / "whale", n_clips=20, seed=0)
    table = tmp_path / "whale" / "clips.csv"
    data = DataParams(labels=["noise", "upcall"], supervision="clip")
    params = TrainParams(steps=10, validation_period=10, batch_size=4, architecture="resnet", architecture_params={"channels": [4, 8]})
    train_model(table, data, params, tmp_path / "round0", progress=False)
    result = continue_training(tmp_path / "round0", table, tmp_path / "round1", ContinueParams(steps=4), progress=False)
    config = load_config(tmp_path / "round1")
    assert config.kind == "clip" and config.output_names == ["noise", "upcall"] and config.context == load_config(tmp_path / "round0").context
    assert result.round == 1 and result.rounds[1]["annotations"] == {"noise": 10, "upcall": 10}
    assert [s for s, _ in list_checkpoints(tmp_path / "round1")] == [1, 2, 3, 4]


def test_a_dense_model_grows_its_outputs_after_the_background(fly_folder, tmp_path):
    net = {"n_filters": 8, "n_dilations": 3, "n_stacks": 1}
    params = TrainParams(steps=10, validation_period=10, batch_size=4, frames=64, architecture_params=net)
    train_model(fly_folder, DataParams(labels=["mel-pulse"], supervision="dense"), params, tmp_path / "round0", progress=False)
    result = continue_training(tmp_path / "round0", fly_folder, tmp_path / "round1", ContinueParams(steps=2, labels=["mel-sine"]), progress=False)
    assert load_config(tmp_path / "round0").output_names == ["background", "mel-pulse"]
    assert load_config(tmp_path / "round1").output_names == ["background", "mel-pulse", "mel-sine"]
    assert result.rounds[1]["annotations"]["mel-sine"] > 0 and set(result.rounds[1]["scores"]["f1"]) == {"background", "mel-pulse", "mel-sine"}


def test_a_transfer_model_continues_with_its_new_layers(first_model, fly_folder, tmp_path):
    params = TrainParams(steps=4, validation_period=4, batch_size=8, transfer={"models": [str(first_model)], "keep_layers": 1})
    train_model(fly_folder, DataParams(labels=OLD_LABELS), params, tmp_path / "round0", progress=False)
    continue_training(tmp_path / "round0", fly_folder, tmp_path / "round1", ContinueParams(steps=2, labels=["mel-sine"]), progress=False)
    before, after = load_config(tmp_path / "round0"), load_config(tmp_path / "round1")
    assert after.architecture == "transfer" and after.output_names == [*OLD_LABELS, "mel-sine"]
    assert after.architecture_params == before.architecture_params
