"""Rejected and superseded events are never learnt, in every supervision (issue 12).

Each test builds a folder of three tones, each its own kind of sound: a low tone annotated
``noise``, a high tone annotated ``call``, and a middle tone annotated ``call`` that a person
rejected (or that a higher-ranked annotator relabelled ``noise``). Learnt as the verdicts
say, the middle tone is not a call; learnt as positives (the same folder with the verdict
column stripped, or the other ranking), it is. Both models are trained, so the folder is
shown to be one where the mistake flips the prediction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.errors import HarkError
from hark.models.store import load_model
from hark.train import DataParams, TrainParams, train_model

RATE = 4000
TONE_S = 0.06
LOW, MIDDLE, HIGH = 300.0, 800.0, 1600.0  # Hz: noise, the rejected "call", a real call
SMALL_CONVNET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 64.0}


def _tones(order: list[float], gap_s: float = 0.2, seed: int = 0) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Tones of the frequencies in ``order``, one every ``gap_s``, in faint noise: samples and (start, stop, Hz)."""
    rng = np.random.default_rng(seed)
    n = int(round((len(order) + 1) * gap_s * RATE))
    samples = 0.01 * rng.standard_normal(n).astype(np.float32)
    length = int(TONE_S * RATE)
    t = np.arange(length) / RATE
    placed = []
    for i, hz in enumerate(order):
        start = int(round((i + 0.5) * gap_s * RATE))
        samples[start : start + length] += 0.5 * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)) * np.hanning(length)
        placed.append((start, start + length, hz))
    return samples, placed


def _write(folder: Path, name: str, samples: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / name, samples, RATE, subtype="PCM_16")


def _row(name: str, start: int, stop: int, label: str, status: str | None) -> str:
    return f"{name},{start},{stop},annotated,{label},,,,{status}\n" if status else f"{name},{start},{stop},annotated,{label}\n"


def _folder(folder: Path, keep_verdicts: bool, n: int = 10) -> Path:
    """train.wav: ``n`` tones of each kind; valid.wav: a few of each, annotated the same way."""
    for name, count, seed in (("train.wav", n, 1), ("valid.wav", 3, 2)):
        samples, placed = _tones([LOW, MIDDLE, HIGH] * count, seed=seed)
        _write(folder, name, samples)
        rows = []
        for start, stop, hz in placed:
            if hz == LOW:
                rows.append(_row(name, start, stop, "noise", None))
            elif hz == HIGH:
                rows.append(_row(name, start, stop, "call", "accepted" if keep_verdicts else None))
            else:
                rows.append(_row(name, start, stop, "call", "rejected" if keep_verdicts else None))
        (folder / f"{name}-annotated-person1.csv").write_text("".join(rows))
    return folder


def _train(folder: Path, out: Path, **data) -> Path:
    params = DataParams(labels=data.pop("labels", ["call", "noise"]), validation_recordings=["valid.wav"], augmentations=[], **data)
    train = TrainParams(architecture="convnet", architecture_params=SMALL_CONVNET, steps=60, validation_period=60, batch_size=16, learning_rate=0.01)
    train_model(folder, params, train, out, progress=False)
    return out


def _fresh(hz: float, seed: int = 7) -> tuple[torch.Tensor, list[tuple[int, int, float]]]:
    samples, placed = _tones([hz] * 4, seed=seed)
    return torch.from_numpy(samples)[None, None], placed


def _frame_probabilities(model_folder: Path, hz: float) -> np.ndarray:
    """Each output's mean probability over the middle frames of fresh tones of ``hz``."""
    loaded = load_model(model_folder)
    module, names = loaded.module, loaded.config.output_names
    audio, placed = _fresh(hz)
    with torch.no_grad():
        probabilities = torch.softmax(module(audio), dim=1)[0].numpy()  # (outputs, frames)
    times = np.arange(probabilities.shape[1]) * module.stride + module.context // 2
    inside = np.zeros(len(times), dtype=bool)
    for start, stop, _ in placed:
        inside |= (times >= start + (stop - start) // 4) & (times < stop - (stop - start) // 4)
    return dict(zip(names, probabilities[:, inside].mean(axis=1)))


@pytest.mark.parametrize("keep", [True, False], ids=["verdicts-kept", "verdicts-stripped"])
def test_sparse_rejected_calls_are_learnt_as_noise_not_as_calls(tmp_path, keep):
    model = _train(_folder(tmp_path / "gt", keep_verdicts=keep), tmp_path / "model")
    middle, high = _frame_probabilities(model, MIDDLE), _frame_probabilities(model, HIGH)
    assert high["call"] > 0.5  # the real calls are learnt either way
    if keep:
        assert middle["noise"] > 0.5, middle  # rejected calls: noise (rejected_label), never call
    else:
        assert middle["call"] > 0.5, middle  # the same folder learnt as if rejected meant call: it flips


def test_sparse_rejected_without_a_class_to_go_to_are_left_out(tmp_path):
    folder = _folder(tmp_path / "gt", keep_verdicts=True)
    from hark.train.data import TrainingData

    data = TrainingData.from_folder(folder, DataParams(labels="call,noise", rejected_label="noise", validation_recordings=["valid.wav"]))
    assert data.summary()["examples"]["training"] == {"call": 10, "noise": 20}  # 10 calls; 10 noise + 10 rejected calls
    kept_out = TrainingData.from_folder(
        folder, DataParams(labels="call,noise", rejected_label="other", background_label="silence", validation_recordings=["valid.wav"])
    )
    assert kept_out.summary()["examples"]["training"] == {"call": 10, "noise": 10}
    with_not = _folder(tmp_path / "gt2", keep_verdicts=True)
    overlapped = TrainingData.from_folder(with_not, DataParams(labels="call", overlapped=True, validation_recordings=["valid.wav"]))
    assert overlapped.summary()["examples"]["training"] == {"call": 10, "not_call": 10}


def _relabelled_folder(folder: Path) -> Path:
    """person1 labelled the middle tones ``call``; alice relabelled them ``noise`` in her own file."""
    _folder(folder, keep_verdicts=False)
    for name in ("train.wav", "valid.wav"):
        rows = [line for line in (folder / f"{name}-annotated-person1.csv").read_text().splitlines(keepends=True)]
        samples, placed = _tones([LOW, MIDDLE, HIGH] * (10 if name == "train.wav" else 3), seed=1 if name == "train.wav" else 2)
        middles = [(start, stop) for start, stop, hz in placed if hz == MIDDLE]
        (folder / f"{name}-annotated-alice.csv").write_text("".join(_row(name, a, b, "noise", None) for a, b in middles))
        assert len(rows) == len(placed)
    return folder


@pytest.mark.parametrize("ranking", [["alice", "person1"], ["person1", "alice"]], ids=["alice-first", "person1-first"])
def test_superseded_labels_are_not_learnt(tmp_path, ranking):
    folder = _relabelled_folder(tmp_path / "gt")
    model = _train(folder, tmp_path / "model", annotators=ranking)
    middle = _frame_probabilities(model, MIDDLE)
    winner = "noise" if ranking[0] == "alice" else "call"
    assert middle[winner] > 0.5, middle
    # the superseded events stay on disk
    assert (folder / "train.wav-annotated-person1.csv").read_text().count(",call") == 20
    assert (folder / "train.wav-annotated-alice.csv").read_text().count(",noise") == 10


def test_a_relabel_without_a_ranking_is_refused_naming_both_files_and_the_place(tmp_path):
    folder = _relabelled_folder(tmp_path / "gt")
    with pytest.raises(HarkError) as caught:
        train_model(folder, DataParams(labels="call,noise", validation_recordings=["valid.wav"]), TrainParams(steps=1), tmp_path / "m", progress=False)
    message = str(caught.value)
    assert "\n" not in message and caught.value.param == "annotators" and "(annotators NAME,NAME)" in message
    assert "annotated-alice.csv" in message and "annotated-person1.csv" in message
    assert "'noise'" in message and "'call'" in message


# -- dense -------------------------------------------------------------------------------------

DENSE_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 32.0}


@pytest.mark.parametrize("keep", [True, False], ids=["verdicts-kept", "verdicts-stripped"])
def test_dense_rejected_calls_are_background(tmp_path, keep):
    folder = _folder(tmp_path / "gt", keep_verdicts=keep)
    for csv in folder.glob("*-annotated-person1.csv"):  # dense: only calls are labelled; the rest is background
        csv.write_text("".join(line for line in csv.read_text().splitlines(keepends=True) if ",noise" not in line))
    params = DataParams(labels=["call"], supervision="dense", validation_recordings=["valid.wav"], augmentations=[])
    train = TrainParams(architecture="convnet", architecture_params=DENSE_NET, steps=60, validation_period=60, batch_size=8,
                        frames=16, learning_rate=0.01)
    train_model(folder, params, train, tmp_path / "model", progress=False)
    middle, high = _frame_probabilities(tmp_path / "model", MIDDLE), _frame_probabilities(tmp_path / "model", HIGH)
    assert high["call"] > 0.5
    if keep:
        assert middle["background"] > 0.5, middle
    else:
        assert middle["call"] > 0.5, middle


# -- clip --------------------------------------------------------------------------------------

# a clip is one steady tone: no per-frequency mean subtracted (it would remove the tone itself)
RESNET = {"channels": [4, 8], "window_ms": 16.0, "stride_ms": 8.0, "equalize": False}


def _clip(hz: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(1000) / RATE
    return (0.3 * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi)) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def _clips(folder: Path, keep_verdicts: bool, per_kind: int = 8) -> Path:
    for hz, label, status in ((LOW, "noise", None), (MIDDLE, "call", "rejected"), (HIGH, "call", "accepted")):
        for i in range(per_kind):
            name = f"{int(hz)}-{i}.wav"
            samples = _clip(hz, 100 * i + int(hz))
            _write(folder, name, samples)
            (folder / f"{name}-annotated-person1.csv").write_text(_row(name, 0, len(samples), label, status if keep_verdicts else None))
    return folder


@pytest.mark.parametrize("keep", [True, False], ids=["verdicts-kept", "verdicts-stripped"])
def test_clip_rejected_calls_are_not_calls(tmp_path, keep):
    folder = _clips(tmp_path / "gt", keep)
    params = DataParams(labels=["call", "noise"], supervision="clip", validation_split="percent", validation_percent=20, augmentations=[])
    train = TrainParams(architecture="resnet", architecture_params=RESNET, steps=60, validation_period=60, batch_size=8, learning_rate=0.01)
    train_model(folder, params, train, tmp_path / "model", progress=False)
    loaded = load_model(tmp_path / "model")
    names = loaded.config.output_names
    clips = torch.stack([torch.from_numpy(_clip(hz, 999 + s))[None] for hz in (MIDDLE, HIGH) for s in range(3)])
    with torch.no_grad():
        p = torch.softmax(loaded.module(clips), dim=1).numpy()
    middle, high = dict(zip(names, p[:3].mean(axis=0))), dict(zip(names, p[3:].mean(axis=0)))
    assert high["call"] > 0.5, high
    if keep:
        assert middle["noise"] > 0.5, middle  # rejected calls: noise (rejected_label)
    else:
        assert middle["call"] > 0.5, middle


def test_clip_overlapped_rejected_is_a_negative(tmp_path):
    folder = _clips(tmp_path / "gt", keep_verdicts=True, per_kind=2)
    from hark.train.data import TrainingData

    data = TrainingData.from_folder(folder, DataParams(labels="call", overlapped=True, supervision="clip", validation_split="percent"))
    counts = data.summary()["examples"]
    assert {k: counts["training"].get(k, 0) + counts["validation"].get(k, 0) for k in ("call", "not_call")} == {"call": 2, "not_call": 2}
