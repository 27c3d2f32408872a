"""The pure pieces of benchmarks.generalize: stress transforms, scorers and the table, on known answers."""

import csv

import numpy as np
import pytest

from benchmarks import stress
from benchmarks.generalize import Row, bat_rows, draw, fly_rows, usv_rows, write_table
from benchmarks.generalize_sets import USV_CONDITIONS, f1, overlap_counts, pulse_scores

RATE = 250_000


def _db(a, b):
    return 10 * np.log10(a / b)


def _tone(hz, seconds, amplitude=1.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * hz * t)


def _peak_hz(samples):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)]


def _power_above(samples, low_hz):
    """Mean power above low_hz by Parseval (independent of the benchmark's filter)."""
    spectrum = np.fft.rfft(samples)
    keep = np.fft.rfftfreq(len(samples), 1 / RATE) >= low_hz
    weights = np.where(np.arange(len(spectrum)) == 0, 1, 2)
    return float(np.sum(weights[keep] * np.abs(spectrum[keep]) ** 2) / len(samples) ** 2)


@pytest.mark.parametrize("db", [10, 20])
def test_attenuation_lowers_the_rms_by_that_many_db(db):
    samples = np.random.default_rng(1).normal(0, 0.1, RATE).astype(np.float32)
    quieter = stress.attenuate(samples, db)
    assert _db(np.mean(quieter.astype(np.float64) ** 2), np.mean(samples.astype(np.float64) ** 2)) == pytest.approx(-db, abs=1e-3)


def test_a_mix_at_6_db_snr_puts_the_calls_6_db_above_the_added_noise_in_the_band():
    rng = np.random.default_rng(2)
    calls = [(25_000, 37_500), (100_000, 125_000), (200_000, 210_000)]
    # calls: 40 kHz tones of amplitude 0.5 (power 0.125); a loud 1 kHz hum everywhere, below the band
    samples = 0.8 * _tone(1_000, 1.0)
    for a, b in calls:
        samples[a:b] += 0.5 * np.sin(2 * np.pi * 40_000 * np.arange(b - a) / RATE)
    noise = rng.normal(0, 1.0, RATE) + 3 * _tone(500, 1.0)  # the noise's own hum must not count either
    mixed = stress.mix_at_snr(samples, noise, calls, 6.0, RATE, 15_000)
    added = mixed.astype(np.float64) - samples.astype(np.float32).astype(np.float64)
    assert _db(0.125, _power_above(added, 15_000)) == pytest.approx(6.0, abs=0.15)
    assert _db(0.125, _power_above(added, 15_000)) != pytest.approx(0.0, abs=1)  # not simply the noise as it came


@pytest.mark.parametrize(("factor", "hz"), [(1.1, 44_000), (0.9, 36_000)])
def test_a_pitch_shift_moves_a_40_khz_tone_and_the_calls_times_with_it(factor, hz):
    assert _peak_hz(stress.pitch_shift(_tone(40_000, 0.2), factor)) == pytest.approx(hz, abs=50)
    # a burst at 0.1-0.15 s of 0.4 s lands where scale_spans puts it, the recording shorter or longer
    samples = np.zeros(int(0.4 * RATE))
    samples[25_000:37_500] = _tone(40_000, 0.05)
    shifted = stress.pitch_shift(samples, factor)
    assert abs(len(shifted) - len(samples) / factor) < 1
    [(a, b)] = stress.scale_spans([(25_000, 37_500)], factor)
    assert (a, b) == (round(25_000 / factor), round(37_500 / factor))
    loud = np.flatnonzero(np.abs(shifted) > 0.5)
    assert abs(loud[0] - a) <= 10 and abs(loud[-1] - b) <= 10


def test_call_free_stretches_keep_a_margin_around_every_call():
    assert stress.call_free_stretches(100, [(10, 20), (25, 30), (90, 100)], 3) == [(0, 7), (33, 87)]
    assert stress.call_free_stretches(50, [], 5) == [(0, 50)]


def test_the_background_holds_no_call_and_keeps_its_level_through_the_joins():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.1, RATE // 2)
    samples = noise.copy()
    calls = [(i, i + 5_000) for i in range(10_000, 120_000, 20_000)]
    for a, b in calls:
        samples[a:b] += _tone(40_000, (b - a) / RATE)
    out = stress.background(samples, calls, 3 * len(samples), margin=2_500, fade=500)
    assert len(out) == 3 * len(samples)  # repeated to the length asked for
    assert np.max(np.abs(out)) < 0.7  # no call (amplitude 1) in it
    block_rms = np.sqrt(np.mean(out[: len(out) // 1000 * 1000].reshape(-1, 1000) ** 2, axis=1))
    assert np.all(np.abs(block_rms / 0.1 - 1) < 0.25)  # cross-fades neither dip nor bump
    with pytest.raises(ValueError, match="no stretch"):
        stress.background(samples[:1000], [(0, 1000)], 10, margin=0, fade=10)


def test_a_detection_matches_at_most_one_call_it_overlaps():
    truth = [(0, 10), (20, 30), (40, 50)]
    found = [(5, 25), (41, 42), (60, 70)]  # one spans two calls, one hits the third, one hits nothing
    assert overlap_counts(truth, found) == (2, 1, 1)
    assert f1(*overlap_counts(truth, found)) == pytest.approx(4 / 6)
    assert overlap_counts(truth, []) == (0, 0, 3) and overlap_counts([], found) == (0, 3, 0)
    assert overlap_counts(truth, [(10, 11)]) == (1, 0, 2)  # touching counts as overlapping


def test_pulse_recall_within_tolerance_and_false_alarms_inside_not_pulse_ranges():
    points = [100, 200, 300]
    found = [(110, 120), (226, 230), (400, 410), (520, 530)]
    scores = pulse_scores(points, [(500, 600), (1000, 1100)], found, tolerance=25)
    # 100 is within 10 of (110, 120); 200 is 26 from (226, 230); 300 has none
    assert scores == {"points": 3, "matched": 1, "found": 4, "false_alarms": 1}


def test_rows_pool_the_folds_counts_before_f1_and_keep_one_value_per_seed(tmp_path):
    fold_a = {c: (9, 1, 0) for c in USV_CONDITIONS}
    fold_b = {c: (1, 0, 9) for c in USV_CONDITIONS}
    rows = usv_rows({1: {"1": fold_a, "2": fold_b}, 2: {"1": fold_a, "2": fold_a}})
    assert [r.condition for r in rows] == USV_CONDITIONS
    assert rows[0].values == pytest.approx([20 / 30, 36 / 38])  # pooled, not the mean of 0.947 and 0.182
    assert rows[0].target == 0.95 and rows[1].target == 0.90
    [bats] = bat_rows({1: {"a": {"counts": [3, 1, 0]}, "b": {"counts": [1, 0, 1]}}})
    assert bats.values == [f1(4, 1, 1)]
    recall, alarms = fly_rows({1: {"x": {"points": 10, "matched": 9, "found": 20, "false_alarms": 1},
                                   "y": {"points": 10, "matched": 10, "found": 20, "false_alarms": 0}}})  # fmt: skip
    assert recall.values == [0.95] and recall.met and alarms.values == [2.5] and alarms.met
    assert not Row("x", "c", "m", "p", False, 5.0, [6.0]).met

    write_table(rows + [bats], tmp_path / "t.csv")
    with open(tmp_path / "t.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 7 and float(table[0]["mean"]) == pytest.approx((20 / 30 + 36 / 38) / 2, abs=1e-4)
    assert table[0]["target"] == ">=0.95" and table[0]["per_seed"].split() == [f"{20 / 30:.4f}", f"{36 / 38:.4f}"]
    draw(rows + [bats, recall, alarms], tmp_path / "t.png", "test")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
