"""The training loop: repeatable, resumable after a kill or Ctrl-C, and honest about mistakes."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from hark.demo import generate_fly
from hark.errors import HarkError
from hark.models.store import list_checkpoints, load_config, read_checkpoint
from hark.train import DataParams, TrainParams, train_model

LABELS = ["mel-pulse", "mel-sine", "ambient"]
SMALL_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}


@pytest.fixture(scope="module")
def fly_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fly")
    generate_fly(folder, n_recordings=2, duration_s=30.0, seed=3)
    return folder


def _params(steps=40, **extra):
    values = {"steps": steps, "validation_period": 10, "batch_size": 8, "architecture_params": SMALL_NET, **extra}
    return TrainParams(**values)


def _weights(folder, step):
    return read_checkpoint(list_checkpoints(folder)[[s for s, _ in list_checkpoints(folder)].index(step)][1])["model"]


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seeds_give_the_same_model_bit_for_bit(fly_folder, tmp_path):
    data = DataParams(labels=LABELS)
    train_model(fly_folder, data, _params(), tmp_path / "a", progress=False)
    train_model(fly_folder, data, _params(), tmp_path / "b", progress=False)
    train_model(fly_folder, data, _params(weights_seed=2), tmp_path / "c", progress=False)
    assert _same(_weights(tmp_path / "a", 40), _weights(tmp_path / "b", 40))
    assert not _same(_weights(tmp_path / "a", 40), _weights(tmp_path / "c", 40))
    config = load_config(tmp_path / "a")
    assert config.output_names == LABELS and config.training["steps"] == 40 and config.data["labels"] == LABELS
    log = (tmp_path / "a" / "log.csv").read_text().splitlines()
    assert log[0].startswith("step,loss,train_accuracy") and len(log) == 5
    assert [s for s, _ in list_checkpoints(tmp_path / "a")] == [10, 20, 30, 40]


TRAIN_SCRIPT = """
import sys
from hark.train import DataParams, TrainParams, train_model
train_model(sys.argv[1], DataParams(labels={labels!r}),
            TrainParams(steps=400, validation_period=10, batch_size=8, architecture_params={net!r}, **{extra!r}),
            sys.argv[2], progress=False)
"""

# Ctrl-C saves between validations: the schedule's and the averages' states must resume from there too
STOPPED_RUNS = [
    (signal.SIGKILL, {}),
    (signal.SIGINT, {}),
    (signal.SIGINT, {"lr_schedule": "plateau", "plateau_patience": 1, "weight_averaging": "swa", "swa_start": 0.05}),
]


@pytest.mark.parametrize(("how", "extra"), STOPPED_RUNS)
def test_training_stopped_half_way_resumes_to_the_same_result(fly_folder, tmp_path, how, extra):
    script = TRAIN_SCRIPT.format(labels=LABELS, net=SMALL_NET, extra=extra)
    stopped = tmp_path / "stopped"
    process = subprocess.Popen([sys.executable, "-c", script, str(fly_folder), str(stopped)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(step >= 30 for step, _ in list_checkpoints(stopped)):
        assert process.poll() is None and time.monotonic() < deadline, "training ended before it could be stopped"
        time.sleep(0.05)
    os.kill(process.pid, how)
    process.wait(timeout=60)
    assert process.returncode != 0
    done = [s for s, _ in list_checkpoints(stopped)]
    assert done and max(done) < 400
    for _, path in list_checkpoints(stopped):
        read_checkpoint(path)  # every checkpoint left behind is whole
    params = TrainParams(steps=400, validation_period=10, batch_size=8, architecture_params=SMALL_NET, **extra)
    result = train_model(fly_folder, DataParams(labels=LABELS), params, stopped, progress=False)
    assert result.resumed_from == max(done)
    assert not list(stopped.glob(".*.tmp")), "a killed write's temporary file was left behind"
    # every checkpoint has its validation results (Ctrl-C adds one at the step it stopped)
    assert len(list(stopped.glob("validation-*.npz"))) == len(list_checkpoints(stopped))
    straight = train_model(fly_folder, DataParams(labels=LABELS), params, tmp_path / "straight", progress=False)
    assert straight.resumed_from == 0
    assert _same(_weights(stopped, 400), _weights(tmp_path / "straight", 400))


def _same_state(a, b) -> bool:
    """Checkpoint contents equal bit for bit (tensors, generator states, nested dicts)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    return a == b


SCHEDULES = {
    "cosine": {"lr_schedule": "cosine", "warmup_steps": 5},
    "one-cycle": {"lr_schedule": "one-cycle"},
    "plateau": {"lr_schedule": "plateau", "plateau_patience": 1, "plateau_factor": 0.5, "early_stopping_patience": 2},
    "ema": {"lr_schedule": "constant", "weight_averaging": "ema", "ema_decay": 0.9},
    "swa": {"lr_schedule": "constant", "weight_averaging": "swa", "swa_start": 0.25},
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_early_stopping_and_averages_resume_bit_for_bit(fly_folder, tmp_path, name):
    params = _params(steps=40, **SCHEDULES[name])
    straight = tmp_path / "straight"
    train_model(fly_folder, DataParams(labels=LABELS), params, straight, progress=False)
    steps = [s for s, _ in list_checkpoints(straight)]
    finished = {step: read_checkpoint(path) for step, path in list_checkpoints(straight)}
    # what a run killed after its checkpoint of step 20 leaves behind
    for step in steps[2:]:
        (straight / f"ckpt-{step:06d}.pt").unlink()
        (straight / f"validation-{step:06d}.npz").unlink()
    result = train_model(fly_folder, DataParams(labels=LABELS), params, straight, progress=False)
    assert result.resumed_from == 20 and [s for s, _ in list_checkpoints(straight)] == steps
    for step, path in list_checkpoints(straight):
        assert _same_state(read_checkpoint(path), finished[step]), step
    last = finished[steps[-1]]
    assert last["schedule"]["name"] == params.lr_schedule
    rates = [float(line.split(",")[-1]) for line in (straight / "log.csv").read_text().splitlines()[1:]]
    if params.lr_schedule == "constant":
        assert rates == [params.learning_rate] * len(steps)
    else:
        assert len(set(rates)) > 1  # the schedule changed the learning rate
    if params.weight_averaging != "none":  # the averaged weights are the model; the trained ones kept to resume
        assert not _same(last["model"], last["training_model"])
        assert last["averaged_count"] == (40 if name == "ema" else 30)


CONSTANT = "constant"  # training longer resumes only a schedule not planned for its number of steps (sparse's default, cosine, is)


def test_a_folder_of_another_model_is_not_overwritten(fly_folder, tmp_path):
    train_model(fly_folder, DataParams(labels=LABELS), _params(steps=10, lr_schedule=CONSTANT), tmp_path / "m", progress=False)
    with pytest.raises(HarkError, match="other settings"):
        train_model(fly_folder, DataParams(labels=LABELS[:2]), _params(steps=10, lr_schedule=CONSTANT), tmp_path / "m", progress=False)
    # training longer with the same settings continues
    result = train_model(fly_folder, DataParams(labels=LABELS), _params(steps=20, lr_schedule=CONSTANT), tmp_path / "m", progress=False)
    assert result.resumed_from == 10 and [s for s, _ in list_checkpoints(tmp_path / "m")] == [10, 20]


def test_a_folder_trained_before_a_setting_existed_still_resumes(fly_folder, tmp_path):
    import json

    train_model(fly_folder, DataParams(labels=LABELS), _params(steps=10, lr_schedule=CONSTANT), tmp_path / "m", progress=False)
    config_path = tmp_path / "m" / "config.json"
    config = json.loads(config_path.read_text())
    del config["data"]["folds"], config["data"]["validation_fold"], config["training"]["transfer"]  # as an older hark wrote it
    config_path.write_text(json.dumps(config))
    result = train_model(fly_folder, DataParams(labels=LABELS), _params(steps=20, lr_schedule=CONSTANT), tmp_path / "m", progress=False)
    assert result.resumed_from == 10
    config["data"]["folds"] = 3  # a setting that differs from the default is another model
    config_path.write_text(json.dumps(config))
    with pytest.raises(HarkError, match="other settings"):
        train_model(fly_folder, DataParams(labels=LABELS), _params(steps=30, lr_schedule=CONSTANT), tmp_path / "m", progress=False)


def test_bad_inputs_are_one_line_errors(fly_folder, tmp_path):
    cases = [
        (DataParams(labels=["mel-pulse", "purr"]), _params(), "purr"),
        (DataParams(labels=LABELS), _params(batch_size=100_000), "mini-batch|batch"),
        (DataParams(labels=LABELS, supervision="clip"), _params(architecture="convnet"), "clip architecture"),
        (DataParams(labels=LABELS), _params(architecture="resnet", architecture_params={}), "whole clips"),
    ]
    for data, train, message in cases:
        with pytest.raises(HarkError, match=message) as err:
            train_model(fly_folder, data, train, tmp_path / "x", progress=False)
        assert "\n" not in str(err.value)
    corrupt = tmp_path / "ckpt-000001.pt"
    corrupt.write_bytes(os.urandom(300))
    with pytest.raises(HarkError, match="not a readable checkpoint"):
        train_model(fly_folder, DataParams(labels=LABELS), _params(steps=10), tmp_path / "y", restore=corrupt, progress=False)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": [1, 2, 3]}, foreign)
    with pytest.raises(HarkError, match="not a hark checkpoint"):
        train_model(fly_folder, DataParams(labels=LABELS), _params(steps=10), tmp_path / "z", restore=foreign, progress=False)


def test_hark_train_takes_the_schedule_options(fly_folder, tmp_path, capsys):
    from hark.cli.app import main

    out = tmp_path / "m"
    net = [f"-a{name}={value}" for name, value in (("n_conv_layers", 2), ("feature_maps", 8), ("dense_layers", 8), ("context_ms", 102.4))]
    argv = ["train", "--data", str(fly_folder), "--labels", ",".join(LABELS), "--out", str(out), "--steps", "30", "--batch-size", "8",
            "--validation-period", "10", *net, "--lr-schedule", "cosine", "--warmup-steps", "5", "--early-stopping", "2",
            "--weight-averaging", "ema", "--ema-decay", "0.9", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    training = load_config(out).training
    assert (training["lr_schedule"], training["warmup_steps"], training["early_stopping_patience"]) == ("cosine", 5, 2)
    assert (training["weight_averaging"], training["ema_decay"]) == ("ema", 0.9)
    assert main(["linear" if arg == "cosine" else arg for arg in argv]) == 2
    assert "lr_schedule" in capsys.readouterr().err


def test_each_supervision_trains_with_its_own_schedule_and_augmentations_unless_told(fly_folder, tmp_path):
    """The defaults the generalization benchmark chose (docs/training.md): sparse cosine; dense constant,
    with gain over +-20 dB and other stretches' background; what was used is kept in the model."""
    dense = DataParams(labels=["mel-pulse", "mel-sine"], supervision="dense")
    assert dense.augmentations == [
        {"name": "volume", "params": {"min_db": -20.0, "max_db": 20.0}},
        {"name": "background", "params": {"if_no_pool": "skip"}},
    ]
    assert DataParams(labels=LABELS).augmentations == [{"name": "carrier"}]
    assert DataParams(labels=["mel-pulse", "mel-sine"], supervision="dense", augmentations=[]).augmentations == []
    train_model(fly_folder, DataParams(labels=LABELS), _params(steps=10), tmp_path / "sparse", progress=False)
    assert load_config(tmp_path / "sparse").training["lr_schedule"] == "cosine"
    told = _params(steps=10, lr_schedule="constant")
    train_model(fly_folder, DataParams(labels=LABELS), told, tmp_path / "told", progress=False)
    assert load_config(tmp_path / "told").training["lr_schedule"] == "constant"
