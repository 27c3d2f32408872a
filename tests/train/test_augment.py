"""Augmentation plugins: known answers, purity, determinism, and training batches only."""

from __future__ import annotations

import numpy as np
import pytest

from hark.demo import PULSE_LABEL, SINE_LABEL
from hark.errors import HarkError
from hark.train.augment import Augmentation, augment, augmentations, build_augmentations
from hark.train.data import DataParams, TrainingData, Window


@pytest.fixture
def x():
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((64, 500))).astype(np.float32)


def _one(name, **params):
    (augmentation,) = build_augmentations([{"name": name, "params": params}])
    return augmentation


def test_the_shipped_augmentations_are_registered():
    assert {"volume", "noise", "dc", "reverse", "invert"} <= set(augmentations.names())
    assert all(issubclass(cls, Augmentation) for _, cls in augmentations.items())


def test_invert_flips_the_sign(x):
    out = _one("invert", probability=1)(x, np.random.default_rng(0))
    assert np.array_equal(out, -x)
    assert np.array_equal(_one("invert", probability=0)(x, np.random.default_rng(0)), x)
    half = _one("invert")(x, np.random.default_rng(0))
    flipped = np.all(half == -x, axis=1)
    assert np.all(flipped | np.all(half == x, axis=1)) and 16 < flipped.sum() < 48


def test_reverse_reverses_time(x):
    out, rows = _one("reverse", probability=1).apply(x, np.random.default_rng(0))
    assert np.array_equal(out, x[:, ::-1]) and rows.all()
    out, rows = _one("reverse").apply(x, np.random.default_rng(1))
    assert np.array_equal(out[rows], x[rows, ::-1]) and np.array_equal(out[~rows], x[~rows])


def test_volume_scales_within_the_db_range(x):
    out = _one("volume", min_db=-6, max_db=3)(x, np.random.default_rng(0))
    gain_db = 20 * np.log10(np.abs(out[:, 0] / x[:, 0]))
    assert np.allclose(out / x, (out / x)[:, :1], rtol=1e-5)  # one gain per example
    assert gain_db.min() >= -6 - 1e-4 and gain_db.max() <= 3 + 1e-4 and gain_db.max() - gain_db.min() > 5
    fixed = _one("volume", min_db=-20, max_db=-20)(x, np.random.default_rng(0))
    assert np.allclose(fixed, x * 0.1, rtol=1e-5)


def test_dc_adds_an_offset(x):
    out = _one("dc", max_offset=0.05)(x, np.random.default_rng(0))
    offset = out - x
    assert np.allclose(offset, offset[:, :1], atol=1e-6)
    assert np.abs(offset).max() <= 0.05 + 1e-6 and offset[:, 0].std() > 0.01


def test_noise_has_the_requested_level(x):
    out = _one("noise", min_db=-20, max_db=-20)(x, np.random.default_rng(0))
    ratio = np.sqrt(np.mean((out - x) ** 2, axis=1) / np.mean(x**2, axis=1))
    assert np.allclose(ratio, 0.1, rtol=0.15)
    silence = np.zeros((8, 20000), dtype=np.float32)
    out = _one("noise", min_db=-40, max_db=-40, reference="full_scale")(silence, np.random.default_rng(0))
    assert np.allclose(out.std(axis=1), 0.01, rtol=0.05)


@pytest.mark.parametrize("name", ["volume", "noise", "dc", "reverse", "invert"])
def test_augmentations_are_pure_and_seeded(x, name):
    before = x.copy()
    augmentation = _one(name)
    a = augmentation(x, np.random.default_rng(5))
    b = augmentation(x, np.random.default_rng(5))
    c = augmentation(x, np.random.default_rng(6))
    assert np.array_equal(x, before) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == x.shape and a.dtype == np.float32


def test_a_chain_reports_rows_reversed_an_odd_number_of_times(x):
    chain = build_augmentations(["reverse", "reverse", "invert"])
    out, rows = augment(x, chain, np.random.default_rng(0))
    assert out.shape == x.shape and rows.dtype == bool


def test_bad_augmentations_are_one_line_errors():
    with pytest.raises(HarkError, match=r"unknown augmentation 'echo'; known: background, band, carrier, dc, invert, mixup, noise, pitch, reverse, stretch, tilt, volume"):
        build_augmentations([{"name": "echo"}])
    with pytest.raises(HarkError, match=r"augmentation volume: gain_db: unknown parameter"):
        build_augmentations([{"name": "volume", "params": {"gain_db": 3}}])
    with pytest.raises(HarkError, match=r"min_db 5.0 is above max_db -5.0"):
        build_augmentations([{"name": "volume", "params": {"min_db": 5, "max_db": -5}}])
    with pytest.raises(HarkError, match=r"expected keys 'name' and optionally 'params'"):
        build_augmentations([{"name": "volume", "gain": 3}])


def test_augmentations_change_training_batches_only(fly_demo):
    folder, _ = fly_demo
    labels = f"{PULSE_LABEL},{SINE_LABEL}"
    plain = TrainingData.from_folder(folder, DataParams(labels=labels, augmentations=[]))
    inverted = TrainingData.from_folder(folder, DataParams(labels=labels, augmentations="invert"))
    window = Window(context=101)
    a = plain.training_batch(np.random.default_rng(0), 32, window)
    b = inverted.training_batch(np.random.default_rng(0), 32, window)
    assert a.where == b.where and not np.array_equal(a.x, b.x)
    assert np.all((b.x == a.x) | (b.x == -a.x))
    for va, vb in zip(plain.validation_batches(16, window), inverted.validation_batches(16, window)):
        assert np.array_equal(va.x, vb.x)


def test_command_line_specs_are_parsed_and_converted():
    from hark.train.augment import parse_augmentation

    assert parse_augmentation("invert") == {"name": "invert"}
    spec = parse_augmentation("volume:min_db=-3, max-db=2")
    assert spec == {"name": "volume", "params": {"min_db": "-3", "max_db": "2"}}
    (volume,) = build_augmentations([spec])
    assert (volume.params.min_db, volume.params.max_db) == (-3.0, 2.0)
    with pytest.raises(HarkError, match=r"--augment volume 'min_db': expected NAME=VALUE"):
        parse_augmentation("volume:min_db")
    with pytest.raises(HarkError, match=r"expected NAME or NAME:PARAM=VALUE"):
        parse_augmentation(":x=1")


def test_each_supervision_has_its_default_augmentations_and_none_turns_them_off():
    from hark.train.augment import parse_augmentations

    assert DataParams(labels="a").augmentations == [{"name": "carrier"}]  # sparse: measured to help fly song
    assert [a["name"] for a in DataParams(labels="a", supervision="dense").augmentations] == ["volume", "background"]  # measured: USVs
    assert DataParams(labels="a", augmentations=[]).augmentations == []
    assert DataParams(labels="a", augmentations=parse_augmentations(["none"])).augmentations == []
    assert DataParams(labels="a", augmentations=parse_augmentations([])).augmentations == [{"name": "carrier"}]
    assert DataParams(labels="a", augmentations=parse_augmentations(["invert"])).augmentations == [{"name": "invert"}]
    # what a model stores is what it trained with: read back, the list stays as it was
    stored = DataParams(labels="a", augmentations=[]).model_dump()
    assert DataParams(**stored).augmentations == []
