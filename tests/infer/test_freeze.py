import json

import numpy as np
import pytest

from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.engines import choose_engine, open_engine
from hark.infer.freeze import freeze_model
from hark.infer.probabilities import read_probabilities
from hark.models.base import architectures
from hark.models.store import load_config, save_checkpoint, save_config
from tests.infer.helpers import CLIP_ARCH, make_model


def test_frozen_model_reproduces_torch_on_other_lengths(frozen_model):
    info = json.loads((frozen_model / "frozen.json").read_text())
    assert info["step"] == 100 and info["parity_max_abs_difference"] <= 1e-4
    assert info["context"] == 25 and info["stride"] == 4 and info["output_names"] == ["a", "b", "c"]
    onnx = open_engine(frozen_model, engine="onnx", device="cpu")
    torch_engine = open_engine(frozen_model, engine="torch", device="cpu")
    audio = np.random.default_rng(5).uniform(-0.5, 0.5, (3, 1001)).astype(np.float32)
    got, expected = onnx(audio), torch_engine(audio)
    assert got.shape == expected.shape == (3, 3, (1001 - 25) // 4 + 1)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.all((got >= 0) & (got <= 1))  # sigmoid outputs: overlapped labels


def test_classify_with_either_engine_gives_the_same_probabilities(frozen_model, recording, tmp_path):
    assert choose_engine(frozen_model, "auto", None) == "onnx"
    classify_recordings(frozen_model, [recording], tmp_path / "onnx", device="cpu", chunk_seconds=0.5)
    classify_recordings(frozen_model, [recording], tmp_path / "torch", engine="torch", device="cpu")
    _, a, meta = read_probabilities(recording, tmp_path / "onnx")
    _, b, _ = read_probabilities(recording, tmp_path / "torch")
    assert meta.engine == "onnx" and meta.checkpoint_step == 100
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_stale_export_is_refused_and_auto_falls_back_to_torch(tmp_path, recording):
    model = make_model(tmp_path / "m", seed=4)
    freeze_model(model)
    save_checkpoint(model, 300, dict(__import__("torch").load(model / "ckpt-000100.pt")))  # a later checkpoint
    assert choose_engine(model, "auto", None) == "torch"
    config = load_config(model)
    save_config(model, config.model_copy(update={"output_names": ["x", "y"], "labels": ["x", "y"]}))
    with pytest.raises(HarkError, match="exported from another configuration.*run hark freeze"):
        open_engine(model, engine="onnx")
    (model / "frozen.onnx").write_bytes(b"garbage")
    save_config(model, config)
    with pytest.raises(HarkError, match="not a loadable ONNX model"):
        open_engine(model, engine="onnx")


def test_clip_model_freezes(tmp_path):
    model = make_model(tmp_path / "clip", architecture=CLIP_ARCH, outputs=("upcall", "noise"))
    freeze_model(model)
    engine = open_engine(model, engine="onnx", device="cpu")
    assert engine(np.zeros((2, 3000), np.float32)).shape == (2, 2)


def test_freeze_bad_inputs(tmp_path):
    with pytest.raises(HarkError, match="no such model folder"):
        freeze_model(tmp_path / "none")
    model = make_model(tmp_path / "m")
    (model / "ckpt-000100.pt").write_bytes(b"\x00\x01 not torch")
    with pytest.raises(HarkError, match="not a readable checkpoint"):
        freeze_model(model)
    assert not (model / "frozen.onnx").exists()


@pytest.mark.skipif("convnet" not in architectures, reason="the convnet architecture is not registered")
def test_shipped_convnet_freezes_and_classifies_in_chunks(tmp_path):
    from tests.infer.helpers import write_recording

    model = make_model(tmp_path / "fly", architecture="convnet", samplerate=2500, outputs=("pulse", "sine", "ambient"))
    freeze_model(model)
    recording = write_recording(tmp_path / "fly.wav", 4.0, samplerate=2500)
    classify_recordings(model, [recording], tmp_path / "a", engine="torch", device="cpu", chunk_seconds=0.8)
    classify_recordings(model, [recording], tmp_path / "b", engine="onnx", device="cpu", chunk_seconds=100)
    _, a, meta = read_probabilities(recording, tmp_path / "a")
    _, b, _ = read_probabilities(recording, tmp_path / "b")
    assert meta.frames == (10000 - meta.context) // meta.stride + 1
    np.testing.assert_allclose(a, b, atol=1e-5)
