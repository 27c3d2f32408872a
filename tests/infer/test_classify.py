import numpy as np
import pytest
import torch

from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.engines import open_engine
from hark.infer.probabilities import read_probabilities
from hark.models.base import architectures
from hark.models.store import checkpoint_path, save_checkpoint
from tests.infer.helpers import CLIP_ARCH, make_model, write_recording


def one_pass(model, audio):
    """The whole recording through the model at once: what chunking must reproduce."""
    engine = open_engine(model, engine="torch", device="cpu")
    return engine(audio[None, :])[0].T


# in samples at 8 kHz: 8 (two frames, less than the overlap of 21), 100 (rounded to 25 frames),
# 1000, and more than the recording
@pytest.mark.parametrize("chunk_seconds", [0.001, 0.0125, 0.125, 100.0])
def test_chunked_probabilities_equal_one_pass(tiny_model, tmp_path, chunk_seconds):
    import soundfile as sf

    recording = write_recording(tmp_path / "short.wav", 0.15 + 3 / 8000)  # 1203 samples: a partial last frame
    audio = sf.read(recording, dtype="float32")[0]
    expected = one_pass(tiny_model, audio)
    results = classify_recordings(tiny_model, [recording], tmp_path, engine="torch", device="cpu", chunk_seconds=chunk_seconds)
    assert results[0].ok, results[0].error
    times, got, meta = read_probabilities(recording, tmp_path)
    assert got.shape == expected.shape == (meta.frames, 2)
    assert meta.frames == (len(audio) - 25) // 4 + 1
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert times[0] == pytest.approx(12 / 8000) and np.allclose(np.diff(times), 4 / 8000)
    assert meta.checkpoint_step == 200 and meta.engine == "torch" and meta.offset == 12


def test_short_and_empty_recordings_give_their_frames(tiny_model, tmp_path):
    short = write_recording(tmp_path / "short.wav", 20 / 8000)  # shorter than the context
    exact = write_recording(tmp_path / "exact.wav", 25 / 8000)
    results = classify_recordings(tiny_model, [short, exact], tmp_path / "out", device="cpu")
    assert [r.frames for r in results] == [0, 1]
    _, probs, _ = read_probabilities(short, tmp_path / "out")
    assert probs.shape == (0, 2)


def test_clip_model_writes_one_row(tmp_path, recording):
    model = make_model(tmp_path / "clip", architecture=CLIP_ARCH, outputs=("upcall", "noise"))
    classify_recordings(model, [recording], tmp_path / "out", device="cpu")
    times, probs, meta = read_probabilities(recording, tmp_path / "out", start_s=1.0, stop_s=2.0)
    assert probs.shape == (1, 2) and meta.kind == "clip"
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)


def test_priors_reweight_and_are_recorded(tiny_model, recording, tmp_path):
    classify_recordings(tiny_model, [recording], tmp_path / "plain", device="cpu")
    classify_recordings(tiny_model, [recording], tmp_path / "prior", device="cpu", priors={"song": 0.1, "ambient": 0.9})
    _, plain, _ = read_probabilities(recording, tmp_path / "plain")
    _, moved, meta = read_probabilities(recording, tmp_path / "prior")
    assert meta.priors == {"song": 0.1, "ambient": 0.9}
    expected = plain * [0.1 / 0.5, 0.9 / 0.5]
    np.testing.assert_allclose(moved, expected / expected.sum(axis=1, keepdims=True), atol=1e-6)


def test_parallel_workers_write_what_one_process_writes(frozen_model, tmp_path):
    # the onnx engine: worker processes need no architecture, and the test ones are registered here only
    paths = [write_recording(tmp_path / f"r{i}.wav", 0.5 + i * 0.2, seed=i) for i in range(2)]
    classify_recordings(frozen_model, paths, tmp_path / "one", engine="onnx", device="cpu")
    fractions = []
    results = classify_recordings(frozen_model, paths, tmp_path / "two", device="cpu", workers=2, progress=fractions.append)
    assert all(r.ok for r in results) and fractions[-1] == pytest.approx(1.0)
    for path in paths:
        np.testing.assert_array_equal(read_probabilities(path, tmp_path / "one")[1], read_probabilities(path, tmp_path / "two")[1])


@pytest.mark.skipif("convnet" not in architectures, reason="the convnet architecture is not registered")
def test_parallel_workers_run_the_shipped_convnet_with_torch(tmp_path):
    model = make_model(tmp_path / "fly", architecture="convnet", samplerate=2500, outputs=("pulse", "ambient"))
    paths = [write_recording(tmp_path / f"r{i}.wav", 1.0 + i, samplerate=2500, seed=i) for i in range(2)]
    classify_recordings(model, paths, tmp_path / "one", engine="torch", device="cpu")
    results = classify_recordings(model, paths, tmp_path / "two", engine="torch", device="cpu", workers=2)
    assert all(r.ok for r in results), results
    for path in paths:
        np.testing.assert_allclose(read_probabilities(path, tmp_path / "one")[1], read_probabilities(path, tmp_path / "two")[1], atol=1e-6)


def test_wrong_samplerate_names_file_and_both_rates(tiny_model, tmp_path):
    other = write_recording(tmp_path / "fast.wav", 0.5, samplerate=16000)
    with pytest.raises(HarkError, match=r"fast.wav: sampled at 16000 Hz, but the model .* at 8000 Hz"):
        classify_recordings(tiny_model, [other], tmp_path / "out", device="cpu")
    assert not (tmp_path / "out" / "fast.wav-probabilities.npy").exists()


def test_corrupt_and_foreign_checkpoints_are_one_line_errors(tmp_path, recording):
    model = make_model(tmp_path / "m")
    checkpoint_path(model, 100).write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(HarkError, match="ckpt-000100.pt: not a readable checkpoint") as err:
        classify_recordings(model, [recording], tmp_path / "out", device="cpu")
    assert "\n" not in str(err.value)
    torch.save({"weights": [1, 2, 3], "epoch": 4}, checkpoint_path(model, 100))
    with pytest.raises(HarkError, match="ckpt-000100.pt: not a hark checkpoint"):
        classify_recordings(model, [recording], tmp_path / "out", device="cpu")
    save_checkpoint(model, 100, {"model": {"conv.weight": torch.zeros(3)}})
    with pytest.raises(HarkError, match="does not fit this model"):
        classify_recordings(model, [recording], tmp_path / "out", device="cpu")


def test_other_bad_inputs(tiny_model, recording, tmp_path):
    cases = [
        (dict(model=tmp_path / "nothing"), "no such model folder"),
        (dict(checkpoint="7"), "no checkpoint of step 7"),
        (dict(checkpoint="newest"), "expected a step number, best, last"),
        (dict(engine="onnx"), "has no frozen model; run hark freeze"),
        (dict(engine="tensorflow"), "expected auto, torch or onnx"),
        (dict(device="tpu"), "expected auto, cpu, cuda"),
        (dict(priors={"cat": 0.5}), "no such output"),
        (dict(priors={"song": 1.5}), "a prevalence must lie between 0 and 1"),
        (dict(priors={"song": 0.5, "ambient": 0.6}), "must sum to 1"),
        (dict(chunk_seconds=-1.0), "must be positive"),
        (dict(recordings=[tmp_path / "missing.wav"]), "missing.wav: no such file"),
    ]
    for changes, message in cases:
        arguments = dict(model=tiny_model, recordings=[recording], out_dir=tmp_path / "out", device="cpu") | changes
        with pytest.raises(HarkError, match=message):
            classify_recordings(**arguments)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
