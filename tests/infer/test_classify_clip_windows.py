"""A clip model end to end in windows: train on clips of many lengths (random crops, padding),
score per clip in hark accuracy, classify window by window into a timeline and predictions.csv."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf

from hark.evaluate.model_accuracy import model_accuracy
from hark.infer.classify import classify_recordings
from hark.infer.clip_windows import PREDICTIONS_NAME
from hark.infer.engines import open_engine
from hark.infer.probabilities import read_probabilities
from hark.models.store import load_config
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import train_model

RATE = 4000
LOW_HZ, HIGH_HZ = 400.0, 1200.0  # the two "species" chirp in pulses at these frequencies


def _species_clip(hz: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    pulses = (np.sin(2 * np.pi * 5 * t + rng.uniform(0, 6.3)) > 0.3).astype(np.float32)  # 5 pulses a second
    song = 0.4 * pulses * np.sin(2 * np.pi * hz * rng.uniform(0.95, 1.05) * t)
    return (song + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Clips of 0.4 to 5 s of two species, a small resnet trained on 1 s windows of them."""
    folder = tmp_path_factory.mktemp("species")
    rng = np.random.default_rng(0)
    for i in range(24):
        label, hz = ("low", LOW_HZ) if i % 2 else ("high", HIGH_HZ)
        seconds = float(rng.uniform(0.4, 5.0))
        clip = _species_clip(hz, seconds, rng)
        name = f"clip{i:02d}.wav"
        sf.write(folder / name, clip, RATE, subtype="FLOAT")
        (folder / f"{name}-annotated-test.csv").write_text(f"{name},0,{len(clip)},annotated,{label}\n")
    data = DataParams(labels="low,high", supervision="clip", clip_window_s=1.0, validation_percent=25, augmentations=[])
    train = TrainParams(
        architecture="resnet", architecture_params={"channels": [4, 8], "window_ms": 16, "stride_ms": 8, "equalize": False},
        steps=60, batch_size=8, validation_period=30, learning_rate=0.01, threads=1,
    )
    model = tmp_path_factory.mktemp("model")
    train_model(folder, data, train, model, progress=False)
    return folder, model


def test_accuracy_scores_each_validation_clip_once(trained):
    import json

    folder, model = trained
    split = json.loads((model / "split.json").read_text())
    validation = [clip["recording"] for clip in split["validation"]]
    assert load_config(model).context == RATE  # the model reads 1 s windows
    with np.load(sorted(model.glob("validation-*.npz"))[-1]) as saved:
        assert len(saved["probabilities"]) > len(validation)  # training validated every window of each clip
    result = model_accuracy(model, draw=False)
    assert result.best.metrics.examples == len(validation)  # hark accuracy scores clips, not windows
    assert result.best.metrics.accuracy >= 0.8
    from hark.validate.scores import score_model

    assert score_model(model, "last")["examples"] == len(validation)  # xvalidate's and generalize's scores too


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_classify_writes_a_timeline_and_one_summary_row_per_file(trained, tmp_path):
    folder, model = trained
    files = [folder / "clip00.wav", folder / "clip01.wav", folder / "clip05.wav"]
    out = tmp_path / "out"
    results = classify_recordings(model, files, out, device="cpu", engine="torch", window_overlap=0.5)
    assert all(r.ok for r in results)
    engine = open_engine(model, None, "torch", "cpu")
    table = _read_csv(out / PREDICTIONS_NAME)
    assert table[0] == ["file", "low", "high", "label"]
    assert [row[0] for row in table[1:]] == [str(f) for f in files]
    for path, row in zip(files, table[1:]):
        audio = sf.read(path, dtype="float32")[0]
        timeline = _read_csv(out / f"{path.name}-windows.csv")
        assert timeline[0] == ["start_s", "stop_s", "low", "high"]
        starts = [round(float(r[0]) * RATE) for r in timeline[1:]]
        stops = [round(float(r[1]) * RATE) for r in timeline[1:]]
        assert starts[0] == 0 and stops[-1] == len(audio)  # the windows cover the file
        assert all(b - a <= RATE // 2 for a, b in zip(starts, starts[1:]))  # half a window apart at most
        windows = np.array([[float(v) for v in r[2:]] for r in timeline[1:]])
        if len(audio) >= RATE:  # each window is the model's output on that second of audio
            np.testing.assert_allclose(windows[-1], engine(audio[None, -RATE:])[0], atol=2e-6)
        else:  # a short file is repeated to fill the window, as in training
            np.testing.assert_allclose(windows[0], engine(np.resize(audio, RATE)[None, :])[0], atol=2e-6)
        summary = np.array([float(v) for v in row[1:3]])
        np.testing.assert_allclose(summary, windows.mean(axis=0), atol=2e-6)  # the model's aggregation: mean
        assert row[3] == ("low", "high")[int(np.argmax(summary))]
        _, probabilities, meta = read_probabilities(path, out)
        np.testing.assert_allclose(probabilities[0], summary, atol=2e-6)
        assert meta.frames == 1 and meta.extra["windows"]["window"] == RATE and meta.extra["windows"]["aggregation"] == "mean"
    labels = {row[0]: row[3] for row in table[1:]}
    assert labels == {str(files[0]): "high", str(files[1]): "low", str(files[2]): "low"}


def test_max_aggregation_takes_each_labels_highest_window(trained, tmp_path):
    folder, model = trained
    path = folder / "clip02.wav"
    classify_recordings(model, [path], tmp_path / "out", device="cpu", engine="torch", aggregation="max", window_overlap=0.75)
    timeline = _read_csv(tmp_path / "out" / "clip02.wav-windows.csv")
    windows = np.array([[float(v) for v in r[2:]] for r in timeline[1:]])
    (row,) = _read_csv(tmp_path / "out" / PREDICTIONS_NAME)[1:]
    np.testing.assert_allclose([float(v) for v in row[1:3]], windows.max(axis=0), atol=2e-6)


def test_bad_window_settings_are_one_line_errors(trained, tmp_path):
    from hark.errors import HarkError

    folder, model = trained
    for kwargs, message in ((dict(window_overlap=1.0), "window_overlap 1"), (dict(aggregation="median"), "aggregation 'median'")):
        with pytest.raises(HarkError, match=message) as err:
            classify_recordings(model, [folder / "clip00.wav"], tmp_path / "out", device="cpu", **kwargs)
        assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_an_ensemble_of_clip_models_classifies_in_their_window(trained, tmp_path):
    from hark.models.ensemble import make_ensemble

    import shutil

    folder, trained_model = trained
    model = shutil.copytree(trained_model, tmp_path / "plain")
    (model / "calibration.json").unlink(missing_ok=True)  # members at temperature 1, as the ensemble averages them
    make_ensemble([model, model], tmp_path / "ensemble")
    assert load_config(tmp_path / "ensemble").context == RATE
    path = folder / "clip04.wav"  # several seconds: several windows
    classify_recordings(model, [path], tmp_path / "out", device="cpu", engine="torch")
    alone = _read_csv(tmp_path / "out" / "clip04.wav-windows.csv")
    # another model into the same folder: the old timeline goes aside with its probabilities
    classify_recordings(tmp_path / "ensemble", [path], tmp_path / "out", device="cpu", engine="torch", move_old=True)
    (aside,) = (tmp_path / "out").glob("oldfiles-*")
    assert sorted(p.name for p in aside.iterdir()) == ["clip04.wav-probabilities.json", "clip04.wav-probabilities.npy", "clip04.wav-windows.csv"]
    assert _read_csv(aside / "clip04.wav-windows.csv") == alone
    together = _read_csv(tmp_path / "out" / "clip04.wav-windows.csv")
    assert len(together) > 2 and [r[:2] for r in together] == [r[:2] for r in alone]
    np.testing.assert_allclose(np.array(together[1:], float), np.array(alone[1:], float), atol=2e-6)


def test_nested_generalize_tunes_and_scores_a_windowed_clip_model_per_clip(trained, tmp_path):
    import shutil

    from hark.validate.nested import score_withheld

    folder, model = trained
    copy = shutil.copytree(model, tmp_path / "model")
    long_clips = [p.name for p in sorted(folder.glob("clip*.wav")) if sf.info(p).duration > 2.0][:3]
    data = DataParams(labels="low,high", supervision="clip", clip_window_s=1.0, validation_percent=25, augmentations=[])
    scored = score_withheld(copy, folder, data, long_clips)
    assert len(long_clips) == 3 and scored["examples"] == 3  # three clips of several windows each: three scores
    with np.load(copy / f"withheld-{scored['tuned']['step']:06d}.npz") as saved:
        assert len(saved["probabilities"]) == 3 and sorted(saved["recordings"]) == sorted(long_clips)
