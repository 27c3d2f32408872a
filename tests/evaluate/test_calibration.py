"""Temperature scaling finds the known temperature of a deliberately miscalibrated model."""

import json

import numpy as np
import pytest
from scipy.special import expit, softmax

from hark.errors import HarkError
from hark.evaluate.calibration import apply_temperature, fit_temperature, logits_from_probabilities
from hark.evaluate.metrics import ratio_thresholds
from hark.evaluate.model_accuracy import model_accuracy, write_training_thresholds
from hark.models.store import Calibration, ModelConfig, read_calibration, save_calibration, save_config, temperature_of


def calibrated_examples(n: int, classes: int, seed: int):
    """True logits and labels drawn from their softmax: the true logits are calibrated by construction."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, (n, classes))
    labels = np.array([rng.choice(classes, p=p) for p in softmax(logits, axis=1)])
    return logits, labels


@pytest.mark.parametrize("k", [0.5, 2.5])
def test_logits_scaled_by_k_give_temperature_k(k):
    logits, labels = calibrated_examples(20_000, 3, seed=1)
    overconfident = softmax(k * logits, axis=1).astype(np.float32)  # what a miscalibrated model saves
    temperature = fit_temperature(overconfident, labels, overlapped=False)
    assert temperature == pytest.approx(k, rel=0.05)
    # dividing by it gives the calibrated probabilities back
    np.testing.assert_allclose(apply_temperature(overconfident, temperature, False), softmax(logits * k / temperature, axis=1), atol=1e-5)


def test_sigmoid_outputs_with_a_mask_get_their_temperature():
    rng = np.random.default_rng(2)
    logits = rng.normal(0.0, 2.5, (30_000, 2))
    truth = (rng.random(logits.shape) < expit(logits)).astype(np.float64)
    mask = rng.random(logits.shape) < 0.7
    truth[~mask] = 7  # unknown entries hold anything: the mask hides them
    saved = expit(3.0 * logits).astype(np.float32)
    assert fit_temperature(saved, truth, overlapped=True, mask=mask) == pytest.approx(3.0, rel=0.05)


def test_a_calibrated_model_keeps_temperature_one_and_the_order_of_outputs():
    logits, labels = calibrated_examples(20_000, 4, seed=3)
    p = softmax(logits, axis=1)
    assert fit_temperature(p, labels, overlapped=False) == pytest.approx(1.0, abs=0.05)
    scaled = apply_temperature(p, 2.0, overlapped=False)
    assert np.array_equal(scaled.argmax(axis=1), p.argmax(axis=1))
    np.testing.assert_allclose(logits_from_probabilities(expit(np.array([[-3.0, 4.0]])), overlapped=True), [[-3.0, 4.0]])
    assert fit_temperature(p, np.zeros(len(p)), overlapped=False) == 1.0  # one class only: nothing to fit
    with pytest.raises(HarkError, match="one truth per example"):
        fit_temperature(p, labels[:10], overlapped=False)


def test_calibration_files(tmp_path):
    assert temperature_of(tmp_path, 100) == 1.0  # no calibration.json: as before calibration existed
    save_calibration(tmp_path, Calibration(temperatures={100: 2.5}))
    assert read_calibration(tmp_path).temperatures == {100: 2.5}
    assert temperature_of(tmp_path, 100) == 2.5 and temperature_of(tmp_path, 200) == 1.0
    (tmp_path / "calibration.json").write_text(json.dumps({"method": "platt"}))
    with pytest.raises(HarkError, match="calibration.json: not a valid calibration"):
        read_calibration(tmp_path)
    (tmp_path / "calibration.json").write_text(json.dumps({"temperatures": {"1": -2}}))
    with pytest.raises(HarkError, match="temperatures must be positive"):
        read_calibration(tmp_path)


def model_folder(folder, k: float, steps=(100, 200)):
    """A model folder whose checkpoints' validation results are softmax(k * calibrated logits)."""
    folder.mkdir()
    config = ModelConfig(architecture="x", architecture_params={}, kind="frame", samplerate=1000, output_names=["a", "b", "c"], labels=["a", "b", "c"])
    save_config(folder, config)
    for step in steps:
        logits, labels = calibrated_examples(6000, 3, seed=step)
        np.savez(folder / f"validation-{step:06d}.npz", probabilities=softmax(k * logits, axis=1).astype(np.float32), targets=labels)
        (folder / f"ckpt-{step:06d}.pt").write_bytes(b"")  # only its name counts here
    return folder


def test_accuracy_calibrates_every_checkpoint_and_finds_thresholds_on_calibrated_probabilities(tmp_path):
    folder = model_folder(tmp_path / "model", k=3.0)
    first = write_training_thresholds(folder)
    assert first.step == 200 and first.path == folder / "accuracy" / "thresholds.csv"
    temperatures = read_calibration(folder).temperatures
    assert set(temperatures) == {100, 200} and all(t == pytest.approx(3.0, rel=0.1) for t in temperatures.values())
    rows = first.path.read_text().splitlines()
    assert rows[0] == "label,ratio,threshold,precision,recall" and len(rows) == 1 + 3 * 3  # 3 labels x the presets' ratios
    result = model_accuracy(folder, ratios=(1.0,), draw=False)
    assert read_calibration(folder).temperatures == temperatures  # the same fit on the same results
    # the thresholds of the best checkpoint are those of its calibrated probabilities
    with np.load(folder / f"validation-{result.best_step:06d}.npz") as saved:
        calibrated = apply_temperature(saved["probabilities"], temperatures[result.best_step], False)
        expected = ratio_thresholds(calibrated, saved["targets"], ["a", "b", "c"], [1.0])
    assert [r.threshold for r in result.best.thresholds] == pytest.approx([r.threshold for r in expected])
    uncalibrated = model_accuracy(folder, ratios=(1.0,), draw=False, calibration="none")
    assert read_calibration(folder).temperatures == {}
    # the decision rule (the largest output) is untouched: same best checkpoint, same F1
    assert uncalibrated.best_step == result.best_step and uncalibrated.best.metrics.macro_f1 == result.best.metrics.macro_f1


def test_no_validation_results_write_no_thresholds(tmp_path):
    folder = model_folder(tmp_path / "model", k=1.0, steps=())
    written = write_training_thresholds(folder)
    assert written.path is None and "no validation results" in written.reason
    assert not (folder / "accuracy" / "thresholds.csv").exists()
