"""The time-domain thresholds kept from the first pass (hark.detect.time_candidates) give the runs
that thresholding the chunk with the final noise level gives, or say that the chunk must be read again."""

import numpy as np
import pytest
import soundfile as sf

from hark.audio import open_recording
from hark.detect import TimeFreqThresholdDetector, timefreq
from hark.detect import intervals as iv
from hark.detect.noise import NoiseLevel, NoiseLevelAccumulator
from hark.detect.time_candidates import _inside, _runs_of_positions, candidates_of, time_runs_of

SIGMAS = (9.0, 4.0)
SMOOTH = 20


def _full(samples, level, start=0):
    deviation = np.abs(samples - level.center)
    return tuple(iv.fill_gaps(iv.runs(deviation > sigma * level.spread, start), SMOOTH) for sigma in SIGMAS)


def _bursty(rng, n=50_000, scale=0.02):
    """Noise with loud oscillating bursts (whose samples cross every threshold many times)."""
    x = scale * rng.standard_normal(n)
    for start in rng.integers(0, n - 400, 12):
        x[start : start + 300] += 6 * scale * np.sin(np.arange(300) * 1.3) * rng.uniform(0.3, 1.5)
    return x.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_runs_equal_thresholding_with_the_final_level_or_none(seed):
    rng = np.random.default_rng(seed)
    samples = _bursty(rng)
    kept = candidates_of(samples, SIGMAS, SMOOTH)
    own = NoiseLevelAccumulator()
    own.add(samples)
    level = own.level()
    used = 0
    for factor in (0.85, 0.95, 1.0, 1.07, 1.15, 2.0, 0.5):  # the recording's level near and far from this chunk's
        for shift in (0.0, 0.001):
            final = NoiseLevel(level.center + shift, level.spread * factor)
            runs = time_runs_of(kept, final, SIGMAS, SMOOTH, start=1000)
            if runs is None:
                continue
            used += 1
            for got, want in zip(runs, _full(samples, final, start=1000)):
                np.testing.assert_array_equal(got, want)
    assert used >= 6  # most levels near the chunk's own are answered without reading it again
    assert time_runs_of(kept, NoiseLevel(level.center, 2 * level.spread), SIGMAS, SMOOTH, 0) is None
    assert time_runs_of(kept, NoiseLevel(level.center, 0.5 * level.spread), SIGMAS, SMOOTH, 0) is None


def test_silent_chunk_has_no_candidates():
    assert candidates_of(np.zeros(5000, np.float32), SIGMAS, SMOOTH) is None
    assert time_runs_of(None, NoiseLevel(0.0, 1.0), SIGMAS, SMOOTH, 0) is None


def test_positions_to_runs_and_inside():
    rng = np.random.default_rng(5)
    mask = rng.random(2000) < 0.3
    positions = np.flatnonzero(mask)
    np.testing.assert_array_equal(_runs_of_positions(positions), iv.runs(mask))
    runs = iv.runs(rng.random(2000) < 0.5)
    covered = np.zeros(2000, bool)
    for a, b in runs:
        covered[a:b] = True
    np.testing.assert_array_equal(_inside(positions, runs), covered[positions])


@pytest.fixture
def changing_noise(tmp_path):
    """USV-rate noise whose level doubles for a while (chunks there miss the band and are read again),
    of a length that is not a multiple of the chunk, with loud bursts across chunk borders."""
    rng = np.random.default_rng(6)
    x = _bursty(rng, n=1_234_567, scale=0.01)
    x[400_000:700_000] *= 2.5
    path = tmp_path / "changing.wav"
    sf.write(path, x, 250_000, subtype="FLOAT")
    return path, x


@pytest.mark.parametrize("threads", [1, 2])
def test_detector_time_events_equal_thresholding_the_whole_recording(changing_noise, threads):
    path, samples = changing_noise
    params = {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2, "frequency_range": "20000-"}
    detector = TimeFreqThresholdDetector(params)
    detector.chunk_size = 100_000
    detector.threads = threads
    events = detector.detect(open_recording(path))
    again, chunks = detector.chunks_read_again
    assert 0 < again < chunks  # both ways were taken
    whole = NoiseLevelAccumulator()
    whole.add(samples)
    smooth = int(round(2 / 1000 * 250_000))
    want = iv.fill_gaps(iv.runs(np.abs(samples - whole.level().center) > 9 * whole.level().spread), smooth)
    got = [(e.start, e.stop) for e in events if e.label == "time"]
    assert got == [tuple(r) for r in want] and len(got) > 5


def test_no_memory_for_candidates_reads_every_chunk_again_with_the_same_events(changing_noise, monkeypatch):
    path, _ = changing_noise
    detector = TimeFreqThresholdDetector({"frequency_n": 2.048, "time_smooth": 2, "frequency_range": "20000-"})
    detector.chunk_size = 100_000
    kept = detector.detect(open_recording(path))
    monkeypatch.setattr(timefreq, "_TIME_CANDIDATE_BYTES", 0)
    again = detector.detect(open_recording(path))
    assert detector.chunks_read_again[0] == detector.chunks_read_again[1]
    assert again == kept


def test_f_test_in_the_first_pass_equals_the_f_test_in_the_second(tmp_path):
    """With the median the F-test runs in the pass that counts the noise; with the mean (whose sums
    need the noise pass of their own) in the pass after it: the same frequency events."""
    from hark.demo.usv import synthesize_usv

    audio = synthesize_usv(3.0, samplerate=250_000, rng=np.random.default_rng(7))[0]
    path = tmp_path / "usv.wav"
    sf.write(path, audio, 250_000, subtype="PCM_16")
    params = {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2, "frequency_range": "20000-"}
    found = {}
    for robust in ("median", "mean"):
        detector = TimeFreqThresholdDetector({**params, "time_sigma_robust": robust})
        detector.chunk_size = 150_000
        found[robust] = [(e.start, e.stop) for e in detector.detect(open_recording(path)) if e.label == "frequency"]
    assert found["median"] == found["mean"] and len(found["median"]) > 0
