"""The time-freq-threshold detector computes the F-test only on the windows that can be part of a
tonal run long enough to keep (hark.detect.timefreq_peaks); its events must be those of the
computation on every window, with the F statistic as ``harmonic_f_statistic`` computes it (the
detector before the screen)."""

import numpy as np
import pytest
import soundfile as sf

from hark.audio import open_recording
from hark.detect import TimeFreqThresholdDetector
from hark.detect import intervals as iv
from hark.detect.multitaper import harmonic_f_statistic
from hark.detect.timefreq_peaks import ChunkPeaks

# The README's settings for mouse USVs (and bats), with its high-pass reader
USV_PARAMS = {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2, "frequency_range": "20000-"}
HIGHPASS = {"reader": "highpass", "reader_params": {"cutoff_hz": 15000}}


class EveryWindow(TimeFreqThresholdDetector):
    """The reference: every window's peak F statistic, from ``harmonic_f_statistic``."""

    def _chunk_peaks(self, tapers, nfft, bins, window, hop, min_run, threshold):
        def full(windows):
            peaks = [harmonic_f_statistic(windows[i : i + 64], tapers, nfft, bins=bins).max(axis=1) for i in range(0, len(windows), 64)]
            return np.concatenate(peaks) if peaks else np.zeros(0, np.float32)

        return ChunkPeaks([full], window, hop, 1, threshold)


def _same_events(path, params, reader=None, chunk_size=None, threads=1):
    detectors = []
    for cls in (TimeFreqThresholdDetector, EveryWindow):
        detector = cls(params)
        detector.threads = threads
        if chunk_size:
            detector.chunk_size = chunk_size
        detectors.append(detector)
    screened, reference = (d.detect(open_recording(path, **(reader or {}))) for d in detectors)
    computed, windows = detectors[0].windows_computed
    return screened, reference, computed / windows


def _tonal_runs(peaks, threshold, min_run):
    return iv.drop_short(iv.runs(peaks > threshold), min_run)


@pytest.mark.parametrize("min_run", [2, 3, 4, 7])
def test_screened_windows_give_every_long_run(min_run):
    """Constructed peaks (window j's first sample is j, its peak a known value) in chunks like the
    detector's: the runs of at least min_run windows passing either threshold are the same as
    when every window is computed, though fewer windows are computed."""
    rng = np.random.default_rng(min_run)
    n_windows = 5000
    # runs of every length, at every phase against the sampling and the chunk borders
    lengths = rng.integers(1, 3 * min_run, 800)
    passing = np.zeros(n_windows + 3 * min_run * 800, dtype=bool)
    at = 0
    for length in lengths:
        at += int(rng.integers(1, 2 * min_run))
        passing[at : at + length] = True
        at += length
    passing = passing[:n_windows]
    low, high = 10.0, 20.0
    values = np.where(passing, rng.choice([15.0, 25.0], n_windows, p=[0.2, 0.8]), rng.uniform(0, 9, n_windows)).astype(np.float32)
    data = np.arange(n_windows + 1, dtype=np.float64)  # window j is data[j : j + 2]

    def peak_test(windows):
        return values[windows[:, 0].astype(int)]

    chunk_windows = 13 * min_run
    peaks = ChunkPeaks([peak_test], window=2, hop=1, min_run=min_run, threshold=low)
    screened = np.concatenate([
        peaks(data[start : start + chunk_windows + 2], chunk_windows) for start in range(0, n_windows, chunk_windows)
    ])  # fmt: skip
    assert len(screened) == n_windows
    assert peaks.computed < 0.9 * n_windows
    for threshold in (low, high):
        expected = _tonal_runs(values, threshold, min_run)
        assert len(expected) > 20
        assert np.array_equal(_tonal_runs(screened, threshold, min_run), expected)


@pytest.mark.parametrize("threads", [1, 2])
def test_synthetic_usvs_give_the_events_of_every_window(tmp_path, threads):
    """hark's synthetic USVs at 250 kHz, the README's settings, in chunks of 0.2 s (borders inside calls)."""
    from hark.demo.usv import synthesize_usv

    rate = 250_000
    audio = synthesize_usv(3.0, samplerate=rate, rng=np.random.default_rng(5))[0]
    path = tmp_path / "usv.wav"
    sf.write(path, audio, rate, subtype="PCM_16")
    screened, reference, computed = _same_events(path, USV_PARAMS, HIGHPASS, chunk_size=50_000, threads=threads)
    assert any(e.label == "frequency" for e in reference) and any(e.label == "neither" for e in reference)
    assert screened == reference
    assert computed < 0.8  # the screen spared windows


def test_default_parameters_give_the_events_of_every_window(tmp_path):
    """The defaults at 2.5 kHz (fly song): tonal runs of 2 windows or more count."""
    rng = np.random.default_rng(4)
    rate = 2500
    x = 0.01 * rng.standard_normal(40 * rate)
    t = np.arange(rate) / rate
    for start, freq in ((5, 150), (17, 300), (30, 220)):
        x[start * rate : (start + 1) * rate] += 0.02 * np.sin(2 * np.pi * freq * t)
    path = tmp_path / "song.wav"
    sf.write(path, x.astype(np.float32), rate, subtype="FLOAT")
    screened, reference, computed = _same_events(path, {}, chunk_size=3000)
    assert sum(e.label == "frequency" for e in reference) >= 3
    assert screened == reference
    assert computed < 0.95


@pytest.mark.shared_data
def test_real_usv_and_bat_recordings_give_the_events_of_every_window(shared_data):
    """The four USV recordings (250 kHz) and the shortest bat recording at each of 375, 384 and
    500 kHz, with the README's USV settings: the same events, computed on fewer windows."""
    recordings = sorted((shared_data / "usv").glob("*/rec_*.wav"))
    by_rate = {}
    for path in sorted((shared_data / "bat").glob("*.wav")):
        info = sf.info(path)
        if info.samplerate not in by_rate or info.frames < sf.info(by_rate[info.samplerate]).frames:
            by_rate[info.samplerate] = path
    assert len(recordings) == 4 and sorted(by_rate) == [375_000, 384_000, 500_000]
    spared = []
    for path in recordings + [by_rate[rate] for rate in sorted(by_rate)]:
        screened, reference, computed = _same_events(path, USV_PARAMS, HIGHPASS, threads=2)
        assert screened == reference, path.name
        spared.append(computed < 0.8)
    assert sum(spared) >= 4  # on most of them, the screen spared a fifth of the windows or more
