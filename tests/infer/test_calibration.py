"""A checkpoint's temperature reaches every path from logits to probabilities: torch, ONNX,
classify, stream and ethogram."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.engines import choose_engine, open_engine
from hark.infer.ethogram import write_ethograms
from hark.infer.freeze import freeze_model
from hark.infer.probabilities import read_probabilities
from hark.infer.stream import StreamingClassifier, open_streaming_engine
from hark.models.store import Calibration, load_model, save_calibration
from tests.infer.helpers import make_model, write_recording

TEMPERATURE = 3.0


@pytest.fixture(scope="module")
def calibrated_model(tmp_path_factory):
    """A tiny frame model (three outputs) whose checkpoint of step 100 has temperature 3, frozen."""
    folder = make_model(tmp_path_factory.mktemp("models") / "calibrated", outputs=("a", "b", "c"), seed=7)
    save_calibration(folder, Calibration(temperatures={100: TEMPERATURE}))
    freeze_model(folder)
    return folder


def test_torch_engine_divides_the_logits_by_the_temperature(calibrated_model):
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 333)).astype(np.float32)
    loaded = load_model(calibrated_model)
    with torch.inference_mode():
        logits = loaded.module(torch.from_numpy(audio)[:, None, :])
    expected = torch.softmax(logits / TEMPERATURE, dim=1).numpy()
    engine = open_engine(calibrated_model, engine="torch", device="cpu")
    assert engine.spec.temperature == TEMPERATURE
    np.testing.assert_allclose(engine(audio), expected, atol=1e-5)
    assert not np.allclose(expected, torch.softmax(logits, dim=1).numpy(), atol=1e-3)  # the temperature matters here


def test_onnx_classify_and_stream_give_the_same_calibrated_probabilities(calibrated_model, tmp_path):
    assert json.loads((calibrated_model / "frozen.json").read_text())["temperature"] == TEMPERATURE
    recording = write_recording(tmp_path / "song.wav", 0.4)
    classify_recordings(calibrated_model, [recording], tmp_path / "torch", engine="torch", device="cpu")
    classify_recordings(calibrated_model, [recording], tmp_path / "onnx", engine="onnx", device="cpu")
    _, by_torch, meta = read_probabilities(recording, tmp_path / "torch")
    _, by_onnx, onnx_meta = read_probabilities(recording, tmp_path / "onnx")
    assert meta.temperature == onnx_meta.temperature == TEMPERATURE
    np.testing.assert_allclose(by_onnx, by_torch, atol=1e-5)
    audio = sf.read(recording, dtype="float32")[0]
    for engine in ("torch", "onnx"):
        classifier = StreamingClassifier(open_streaming_engine(calibrated_model, engine), 97)
        streamed = np.concatenate([classifier.push(audio[i : i + 97]) for i in range(0, len(audio), 97)])
        np.testing.assert_allclose(streamed, by_torch, atol=1e-5)


def test_a_new_calibration_makes_the_export_and_earlier_probabilities_stale(tmp_path):
    model = make_model(tmp_path / "model", seed=8)
    freeze_model(model)  # temperature 1: a folder from before calibration
    recording = write_recording(tmp_path / "song.wav", 0.2)
    classify_recordings(model, [recording], tmp_path / "before", engine="torch", device="cpu")
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text("label,ratio,threshold,precision,recall\nsong,1.0,0.5,0.9,0.9\nambient,1.0,0.5,0.9,0.9\n")
    write_ethograms(model, [recording], tmp_path / "before", tmp_path / "events", ratio=1.0)  # same (no) calibration: fine
    save_calibration(model, Calibration(temperatures={100: 2.0}))
    assert choose_engine(model, "auto", None, "cpu") == "torch"
    with pytest.raises(HarkError, match="exported with temperature 1, but the calibration of step 100 is now 2; run hark freeze"):
        open_engine(model, engine="onnx", device="cpu")
    with pytest.raises(HarkError, match="computed at temperature 1, but .* is now calibrated at 2 .*run hark classify"):
        write_ethograms(model, [recording], tmp_path / "before", tmp_path / "events", ratio=1.0)
    freeze_model(model)
    assert choose_engine(model, "auto", None, "cpu") == "onnx"
