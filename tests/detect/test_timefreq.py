import numpy as np
import pytest
import soundfile as sf

from hark.audio import open_recording
from hark.detect import TimeFreqThresholdDetector, TimeFreqThresholdParams, detectors
from hark.errors import HarkError

RATE = 2500


@pytest.fixture
def known_song(tmp_path):
    """Noise with two loud clicks at known places and a quiet 150 Hz tone from 20 s to 22 s."""
    rng = np.random.default_rng(3)
    n = 30 * RATE
    x = 0.01 * rng.standard_normal(n)
    clicks = [5 * RATE, 12 * RATE]
    for c in clicks:
        x[c : c + 5] += 0.5 * np.hanning(5) * np.sign(np.arange(5) - 2 + 0.5)
    t = np.arange(2 * RATE) / RATE
    tone = slice(20 * RATE, 22 * RATE)
    x[tone] += 0.02 * np.sin(2 * np.pi * 150 * t)
    path = tmp_path / "song.wav"
    sf.write(path, x.astype(np.float32), RATE, subtype="FLOAT")
    return path, clicks, tone


def _by_label(events, label):
    return [(e.start, e.stop) for e in events if e.label == label]


def test_finds_clicks_in_time_and_the_tone_in_frequency(known_song):
    path, clicks, tone = known_song
    events = TimeFreqThresholdDetector().detect(open_recording(path))
    assert all(e.kind.value == "detected" and e.recording == "song.wav" for e in events)
    time_events = _by_label(events, "time")
    assert len(time_events) == len(clicks)
    for (start, stop), click in zip(time_events, clicks):
        assert click - 1 <= start and stop <= click + 6
    frequency = _by_label(events, "frequency")
    on_tone = [(a, b) for a, b in frequency if a < tone.stop and b > tone.start]
    assert len(on_tone) == 1
    start, stop = on_tone[0]
    window = int(0.0256 * RATE)  # the detector's resolution is a window
    assert abs(start - tone.start) <= window and abs(stop - tone.stop) <= window
    # white noise passes the F-test now and then (p = 0.1 per window over all bins), briefly
    assert all(b - a <= 3 * window for a, b in frequency if (a, b) not in on_tone)
    # ambient never overlaps a sound, and covers most of the quiet stretches
    neither = np.array(_by_label(events, "neither"))
    for start, stop in time_events + frequency:
        assert not np.any((neither[:, 0] < stop) & (neither[:, 1] > start))
    assert (neither[:, 1] - neither[:, 0]).sum() > 0.5 * 30 * RATE


def test_a_restricted_frequency_range_ignores_the_tone(known_song):
    path, _, tone = known_song
    events = TimeFreqThresholdDetector({"frequency_range": "300-"}).detect(open_recording(path))
    assert not [(a, b) for a, b in _by_label(events, "frequency") if a < tone.stop and b > tone.start]


def test_chunked_processing_gives_the_same_events_as_one_chunk(known_song, monkeypatch):
    path, _, _ = known_song
    whole = TimeFreqThresholdDetector().detect(open_recording(path))
    detector = TimeFreqThresholdDetector()
    detector.chunk_size = 1000  # 30 s of audio in 75 chunks, borders inside sounds
    assert detector.detect(open_recording(path)) == whole


def test_progress_reaches_one(known_song):
    path, _, _ = known_song
    seen = []
    TimeFreqThresholdDetector().detect(open_recording(path), seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_parameters_parse_songexplorer_strings():
    p = TimeFreqThresholdParams(time_sigma="6,3", frequency_p="0.05,0.5", frequency_range="100-900")
    assert p.time_sigma == (6.0, 3.0) and p.frequency_p == (0.05, 0.5) and p.frequency_range == (100.0, 900.0)
    assert TimeFreqThresholdParams(frequency_range="-400").frequency_range == (0.0, 400.0)
    assert detectors.get("time-freq-threshold") is TimeFreqThresholdDetector


@pytest.mark.parametrize(
    "values, message",
    [
        ({"time_sigma": "9"}, "time_sigma"),
        ({"time_sigma": "4,9"}, "need 0 < second <= first"),
        ({"frequency_range": "900-100"}, "need 0 <= LO < HI"),
        ({"frequency_n": "-1"}, "frequency_n"),
        ({"time_sigm": "9,4"}, "unknown parameter"),
    ],
)
def test_bad_parameters_are_one_line_errors(values, message):
    with pytest.raises(HarkError, match=message) as err:
        TimeFreqThresholdDetector(values)
    assert "\n" not in str(err.value) and "time-freq-threshold" in str(err.value)


def test_silent_recording_is_reported(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(RATE * 2, np.float32), RATE)
    with pytest.raises(HarkError, match="silent"):
        TimeFreqThresholdDetector().detect(open_recording(path))


def test_two_threads_give_the_events_of_one(tmp_path, monkeypatch):
    """The F-test's batches run on the detector's threads at once; every batch is computed as in
    the serial loop, so the events are the same. Small batches make several per chunk here."""
    from hark.demo.usv import synthesize_usv
    from hark.detect import timefreq

    rate = 250_000
    audio = synthesize_usv(3.0, samplerate=rate, rng=np.random.default_rng(3))[0]
    path = tmp_path / "usv.wav"
    sf.write(path, audio, rate, subtype="PCM_16")
    monkeypatch.setattr(timefreq, "_F_TEST_BYTES", 2 * 2**20)
    params = {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2, "frequency_range": "20000-"}
    found = {}
    for threads in (1, 2):
        detector = TimeFreqThresholdDetector(params)
        detector.threads = threads
        found[threads] = detector.detect(open_recording(path))
    assert any(e.label == "frequency" for e in found[1])  # the calls' whistles pass the F-test
    assert found[2] == found[1]
