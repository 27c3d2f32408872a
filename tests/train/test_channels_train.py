"""Models of several channels end to end: hark train -a input_channels=2, hark classify, hark freeze.

The folder's recordings have two channels. At every event channel 0 holds the same 800 Hz tone,
whatever the label; channel 1 holds a 300 Hz tone for ``low`` and a 1600 Hz tone for ``high``.
Only channel 1 tells the labels apart: a model of both channels learns them, a model of
channel 0 alone cannot (it is at chance), so the difference shows the second channel is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.cli.app import main
from hark.errors import HarkError, ParameterError
from hark.infer.classify import classify_recordings
from hark.infer.freeze import freeze_model
from hark.infer.probabilities import open_probabilities
from hark.models.store import load_config
from hark.train import DataParams, TrainParams, train_model
from hark.train.augment import augment_with_times, build_augmentations
from hark.train.data import TrainingData, Window
from hark.train.data_channels import augment_channels

RATE = 4000
TONE_S = 0.06
GAP_S = 0.2
SHARED_HZ, LABEL_HZ = 800.0, {"low": 300.0, "high": 1600.0}
NET = ["-a", "n_conv_layers=2", "-a", "feature_maps=8", "-a", "dense_layers=8", "-a", "context_ms=64"]


def _recording(folder: Path, name: str, pairs: int, seed: int, channels: int = 2) -> list[tuple[int, int, str]]:
    """``name``: ``pairs`` events of each label in random order, in faint noise; its annotations; (start, stop, label) of each."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(["low", "high"] * pairs)
    audio = 0.01 * rng.standard_normal((int(round((len(labels) + 1) * GAP_S * RATE)), 2)).astype(np.float32)
    length = int(TONE_S * RATE)
    t = np.arange(length) / RATE
    events = []
    for i, label in enumerate(labels):
        start = int(round((i + 0.5) * GAP_S * RATE))
        for channel, hz in ((0, SHARED_HZ), (1, LABEL_HZ[label])):
            audio[start : start + length, channel] += 0.5 * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)) * np.hanning(length)
        events.append((start, start + length, str(label)))
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / name, audio[:, :channels] if channels > 1 else audio[:, 0], RATE, subtype="PCM_16")
    (folder / f"{name}-annotated-person1.csv").write_text("".join(f"{name},{a},{b},annotated,{label}\n" for a, b, label in events))
    return events


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("two-channel")
    _recording(root, "train.wav", 10, 1)
    _recording(root, "valid.wav", 4, 2)
    return root


def _train_argv(folder: Path, out: Path, *more: str) -> list[str]:
    return ["train", "--data", str(folder), "--labels", "low,high", "--out", str(out), "--validation-recordings", "valid.wav",
            "--steps", "60", "--validation-period", "60", "--batch-size", "16", "--learning-rate", "0.01", "--weights-seed", "0",
            "--augment", "none", "--no-progress", *NET, *more]  # fmt: skip


@pytest.fixture(scope="module")
def models(folder, tmp_path_factory):
    """A model of both channels and one of channel 0 alone, trained alike by hark train."""
    out = tmp_path_factory.mktemp("models")
    assert main(_train_argv(folder, out / "two", "-a", "input_channels=2")) == 0
    assert main(_train_argv(folder, out / "one")) == 0
    return out / "two", out / "one"


def _accuracy(model: Path, folder: Path, out: Path, engine: str = "torch") -> float:
    """The share of valid.wav's events whose most probable label, at the event's middle, is its own."""
    [result] = classify_recordings(model, [folder / "valid.wav"], out, engine=engine, device="cpu")
    array, meta = open_probabilities(result.output)
    array = np.asarray(array)
    events = [(a, b, label) for a, b, label in _events(folder / "valid.wav-annotated-person1.csv")]
    right = 0
    for start, stop, label in events:
        frame = int(round(((start + stop) / 2 - meta.offset) / meta.stride))
        right += meta.output_names[int(np.argmax(array[frame]))] == label
    return right / len(events)


def _events(csv: Path) -> list[tuple[int, int, str]]:
    return [(int(a), int(b), label) for _, a, b, _, label in (line.split(",") for line in csv.read_text().splitlines())]


def test_a_model_of_two_channels_learns_what_only_the_second_channel_shows(models, folder, tmp_path):
    two, one = models
    assert load_config(two).data["channels"] == [0, 1]  # stored: classify reads the same channels
    assert load_config(one).data["channels"] is None
    both, alone = _accuracy(two, folder, tmp_path / "two"), _accuracy(one, folder, tmp_path / "one")
    assert both >= 0.9, both
    assert alone <= 0.75, alone  # channel 0 is the same for both labels: chance
    [result] = classify_recordings(two, [folder / "valid.wav"], tmp_path / "meta", engine="torch", device="cpu")
    assert result.output.name == "valid.wav-probabilities.npy"
    assert open_probabilities(result.output)[1].extra["channels"] == [0, 1]


def test_torch_the_frozen_model_and_any_chunking_give_the_same_probabilities(models, folder, tmp_path):
    two, _ = models
    recording = folder / "train.wav"
    [whole] = classify_recordings(two, [recording], tmp_path / "torch", engine="torch", device="cpu")
    [chunked] = classify_recordings(two, [recording], tmp_path / "chunks", engine="torch", device="cpu", chunk_seconds=0.3)
    freeze_model(two)
    [frozen] = classify_recordings(two, [recording], tmp_path / "onnx", engine="onnx", device="cpu")
    expected = np.asarray(open_probabilities(whole.output)[0])
    assert expected.shape[1] == 2 and len(expected) > 100
    np.testing.assert_allclose(np.asarray(open_probabilities(chunked.output)[0]), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(open_probabilities(frozen.output)[0]), expected, atol=1e-4)


def test_the_channels_are_read_in_the_order_given(folder, tmp_path):
    """--channels 1,0: the label's channel comes first; the stored order is what classify feeds."""
    out = tmp_path / "swapped"
    assert main(_train_argv(folder, out, "-a", "input_channels=2", "--channels", "1,0", "--steps", "2", "--validation-period", "2")) == 0
    assert load_config(out).data["channels"] == [1, 0]
    data = TrainingData.from_folder(folder, DataParams(labels=["low", "high"], validation_recordings=["valid.wav"], augmentations=[], channels=[1, 0]))
    window = Window(context=64, stride=16)
    batch = data.training_batch(np.random.default_rng(0), 4, window)
    assert batch.x.shape == (4, 2, window.length)
    audio, _ = sf.read(folder / "train.wav", dtype="float32")
    for row, where in zip(batch.x, batch.where):
        start = where.position - window.centre_offset
        np.testing.assert_array_equal(row, audio[start : start + window.length, [1, 0]].T)


def test_each_channel_gets_the_same_random_draws_of_every_augmentation():
    rng = np.random.default_rng(3)
    one = (0.1 * rng.standard_normal((6, 800))).astype(np.float32)
    specs = ["volume", "noise", "dc", "reverse", "invert", {"name": "stretch", "params": {"probability": 1.0}}, "tilt", "band"]
    chains = [build_augmentations(specs) for _ in range(2)]
    alike = np.stack([one, one], axis=1)
    draws, single = np.random.default_rng(9), np.random.default_rng(9)
    out, reversed_rows, moved = augment_channels(alike, chains, draws)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # identical channels stay identical
    expected, expected_rows, expected_moved = augment_with_times(one, build_augmentations(specs), single)
    np.testing.assert_array_equal(out[:, 0], expected)  # each channel as one channel alone would be
    np.testing.assert_array_equal(reversed_rows, expected_rows)
    assert moved is not None and reversed_rows.any()  # time was moved and reversed: the draws that must agree
    np.testing.assert_array_equal(moved, expected_moved)
    assert draws.random() == single.random()  # and the generator is left where one pass leaves it
    # linear augmentations keep what differs between the channels: half as loud stays half as loud
    linear = [build_augmentations(["volume", "reverse", "invert"]) for _ in range(2)]
    scaled, _, _ = augment_channels(np.stack([one, 0.5 * one], axis=1), linear, np.random.default_rng(4))
    np.testing.assert_allclose(scaled[:, 1], 0.5 * scaled[:, 0], rtol=1e-6)
    assert not np.allclose(scaled[:, 0], one)


def test_training_with_augmentations_reads_both_channels(folder, tmp_path):
    params = DataParams(labels=["low", "high"], validation_recordings=["valid.wav"], augmentations=["volume", "noise", "background"], channels=[0, 1])
    train = TrainParams(architecture="convnet", architecture_params={"n_conv_layers": 2, "feature_maps": 4, "context_ms": 64.0, "input_channels": 2},
                        steps=3, validation_period=3, batch_size=8, weights_seed=0)  # fmt: skip
    result = train_model(folder, params, train, tmp_path / "m", progress=False)
    assert result.steps == 3 and load_config(tmp_path / "m").data["channels"] == [0, 1]


def test_bad_channel_settings_are_one_line_errors_and_write_nothing(models, folder, tmp_path, capsys):
    two, _ = models
    mono = tmp_path / "mono"
    _recording(mono, "train.wav", 3, 5, channels=1)
    _recording(mono, "valid.wav", 2, 6, channels=1)
    cases = [
        (_train_argv(mono, tmp_path / "a", "-a", "input_channels=2"), "train.wav: has 1 channel(s), but the model (--channels 0,1) reads channels 0,1"),
        (_train_argv(folder, tmp_path / "b", "-a", "input_channels=2", "--channels", "0"), "--channels 0 names 1 channel(s), but the model reads input_channels 2"),
        (_train_argv(folder, tmp_path / "c", "-a", "input_channels=2", "--channels", "0,2"), "has 2 channel(s), but the model (--channels 0,2) reads channels 0,2"),
        (_train_argv(folder, tmp_path / "d", "--channels", "0,1"), "--channels 0,1: architecture convnet reads one channel; choose it with --channel"),
        (_train_argv(folder, tmp_path / "e", "-a", "input_channels=2", "--channel", "1"), "--channel 1 reads one channel"),
        (_train_argv(folder, tmp_path / "f", "-a", "input_channels=2", "--channels", "1,1"), "channel 1 is listed twice"),
        (["classify", "--model", str(two), "--out", str(tmp_path / "g"), str(mono / "train.wav")], "train.wav: has 1 channel(s), but the model"),
        (["classify", "--model", str(two), "--out", str(tmp_path / "h"), "--channel", "all", str(folder / "valid.wav")], "--channel all: the model"),
    ]
    for argv, message in cases:
        assert main(argv) != 0
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
        assert not Path(argv[argv.index("--out") + 1]).exists()  # nothing written
    with pytest.raises(HarkError, match="reads channels 0,1 at once; hark stream feeds one channel"):
        from hark.infer.stream import open_streaming_engine

        open_streaming_engine(two)
    with pytest.raises(ParameterError, match="names 3 channel"):
        train_model(folder, DataParams(labels=["low", "high"], channels=[0, 1, 0 + 1 + 1]), TrainParams(architecture="convnet", architecture_params={"input_channels": 2}), tmp_path / "i")


def test_a_model_of_one_channel_still_classifies_each_channel_on_its_own(models, folder, tmp_path):
    _, one = models
    results = classify_recordings(one, [folder / "valid.wav"], tmp_path, engine="torch", device="cpu", channel="all")
    assert [r.output.name for r in results] == ["valid.wav-ch0-probabilities.npy", "valid.wav-ch1-probabilities.npy"]
    assert [open_probabilities(r.output)[1].extra["channel"] for r in results] == [0, 1]


def test_auto_freeze_and_ethogram_of_a_model_of_two_channels(models, folder, tmp_path):
    import shutil

    import dataclasses
    import json

    from hark.infer.classify import plan_classification
    from hark.infer.ethogram import write_ethograms
    from hark.jobs.per_recording import recording_jobs
    from hark.jobs.spec import execute_job

    two = tmp_path / "two"
    shutil.copytree(models[0], two)
    for stale in two.glob("frozen.*"):
        stale.unlink()
    notes: list[str] = []
    jobs, engine = plan_classification(two, [folder / "valid.wav"], tmp_path / "auto", engine="auto", device="cpu", auto_freeze_samples=1, report=notes.append)
    assert (two / "frozen.onnx").is_file() and notes and notes[0].startswith(f"froze {two}")
    [job] = jobs
    assert job.channels == (0, 1)
    [spec] = recording_jobs("classify", jobs)  # as a worker elsewhere gets it: through JSON
    spec = dataclasses.replace(spec, params=json.loads(json.dumps(spec.params)))
    assert execute_job(spec).ok
    [torch_result] = classify_recordings(two, [folder / "valid.wav"], tmp_path / "torch", engine="torch", device="cpu")
    np.testing.assert_allclose(np.asarray(open_probabilities(job.output)[0]), np.asarray(open_probabilities(torch_result.output)[0]), atol=1e-4)
    # hark ethogram reads what classify wrote: the events of valid.wav, labelled as channel 1 says
    [csv] = write_ethograms(two, None, tmp_path / "torch", tmp_path / "events", ratio=1.0)
    predicted = [(int(a), int(b), label) for _, a, b, _, label, *_ in (line.split(",") for line in csv.read_text().splitlines())]
    truth = _events(folder / "valid.wav-annotated-person1.csv")
    found = [next((p for p in predicted if p[0] < b and a < p[1]), None) for a, b, _ in truth]
    assert sum(p is not None and p[2] == label for p, (_, _, label) in zip(found, truth)) >= 0.85 * len(truth)


def test_embedding_and_activations_refuse_a_model_of_two_channels(models, folder, tmp_path):
    from hark.embed.activations import ActivationParams, compute_activations
    from hark.embed.index import EmbedParams, load_embedder

    two, _ = models
    with pytest.raises(HarkError, match="reads 2 channels at once; activations read one channel"):
        compute_activations(two, folder, ActivationParams(), tmp_path / "activations")
    assert not (tmp_path / "activations").exists()
    with pytest.raises(HarkError, match="reads 2 channels at once; embedding reads one channel"):
        load_embedder(two, EmbedParams())


def test_dense_supervision_trains_a_separable_tcn_of_two_channels(folder, tmp_path):
    params = DataParams(labels=["low", "high"], supervision="dense", validation_recordings=["valid.wav"])  # its default augmentations
    train = TrainParams(architecture="tcn", architecture_params={"input_channels": 2, "channel_mixing": "separable"},
                        steps=3, validation_period=3, batch_size=4, frames=8, weights_seed=0)  # fmt: skip
    result = train_model(folder, params, train, tmp_path / "dense", progress=False)
    assert result.steps == 3 and load_config(tmp_path / "dense").data["channels"] == [0, 1]
    [probabilities] = classify_recordings(tmp_path / "dense", [folder / "valid.wav"], tmp_path / "out", engine="torch", device="cpu")
    array = np.asarray(open_probabilities(probabilities.output)[0])
    assert array.shape[1] == 3 and np.allclose(array.sum(axis=1), 1, atol=1e-4)


def test_export_onnx_takes_the_models_channels(tmp_path):
    import onnxruntime
    import torch

    from hark.models import build_model
    from hark.models.export import export_onnx

    module = build_model("convnet", {"n_conv_layers": 2, "feature_maps": 4, "context_ms": 64.0, "input_channels": 3}, RATE, 2).eval()
    path = export_onnx(module, tmp_path / "m.onnx")
    audio = np.random.default_rng(0).standard_normal((2, 3, module.context + 9 * module.stride)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1] == 3
    with torch.inference_mode():
        expected = module(torch.from_numpy(audio)).numpy()
    np.testing.assert_allclose(session.run(None, {session.get_inputs()[0].name: audio})[0], expected, atol=1e-4)
