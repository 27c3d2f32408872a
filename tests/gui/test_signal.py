"""What a redraw computes: the visible stretch only, one column per pixel, and the sound to play."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
import soundfile as sf

from hark.audio import open_recording
from hark.gui import signal
from hark.gui.signal import compute_view, default_nfft, playback_wav


@pytest.fixture
def tone(tmp_path):
    """10 s at 8 kHz: silence, then a 1 kHz tone from 4 s to 6 s."""
    rate = 8000
    t = np.arange(10 * rate) / rate
    audio = np.where((t >= 4) & (t < 6), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
    path = tmp_path / "tone.wav"
    sf.write(path, audio, rate, subtype="PCM_16")
    return open_recording(path)


def test_the_view_is_one_column_per_pixel_and_finds_the_tone(tone):
    view = compute_view(tone, 3 * 8000, 7 * 8000, columns=400, rows=100, nfft=256)
    assert view.times.shape == (400,) and view.spectrogram.shape[1] == 400
    assert view.spectrogram.shape[0] <= 100 and (view.low_hz, view.high_hz) == (0.0, 4000.0)
    loud = view.high > 0.4
    assert np.isclose(view.times[loud].min(), 4.0, atol=0.02) and np.isclose(view.times[loud].max(), 6.0, atol=0.02)
    column = view.spectrogram[:, 200]  # 5 s: in the tone
    frequencies = np.linspace(0, 4000, len(column))
    assert abs(frequencies[np.argmax(column)] - 1000) < 100


def test_a_frequency_range_keeps_only_its_rows(tone):
    view = compute_view(tone, 0, 10 * 8000, columns=100, rows=500, nfft=256, frequency_range=(500, 1500))
    assert (view.low_hz, view.high_hz) == (500, 1500)
    assert view.spectrogram.shape[0] == 33  # bins of 31.25 Hz from 500 to 1500


def test_long_views_read_a_window_per_column_not_the_whole_stretch(tone, monkeypatch):
    monkeypatch.setattr(signal, "DIRECT_READ_SAMPLES", 1000)  # as if the recording were hours long
    reads = []
    original = tone.reader.open

    class Counting:
        def __init__(self, stream):
            self.stream = stream

        def read(self, start, stop):
            reads.append(stop - start)
            return self.stream.read(start, stop)

        def close(self):
            self.stream.close()

    monkeypatch.setattr(type(tone.reader), "open", lambda self, path: Counting(original(path)))
    view = compute_view(tone, 0, 10 * 8000, columns=50, rows=64, nfft=256)
    assert len(reads) == 50 and max(reads) <= signal.OVERVIEW_SAMPLES
    assert view.spectrogram.shape[1] == 50 and view.high.max() > 0.4


def test_zoomed_in_further_than_a_sample_per_pixel_draws_the_samples(tone):
    view = compute_view(tone, 4 * 8000, 4 * 8000 + 100, columns=1000, rows=50, nfft=64)
    assert len(view.times) == 100 and np.array_equal(view.low, view.high)


def test_playback_is_a_wav_of_the_stretch_slowed_and_raised_to_a_playable_rate(tone):
    data, seconds = playback_wav(tone, 4 * 8000, 5 * 8000, speed=0.5)
    with wave.open(io.BytesIO(data)) as clip:
        assert (clip.getframerate(), clip.getnframes(), clip.getnchannels()) == (8000, 8000 * 2, 1)
    assert seconds == 1.0
    data, seconds = playback_wav(tone, 0, 10 * 8000, max_seconds=2)
    with wave.open(io.BytesIO(data)) as clip:
        assert clip.getnframes() == 2 * 8000 and seconds == 2.0


def test_chunks_given_one_peak_keep_their_loudness_relative_to_each_other(tone):
    peak = float(np.max(np.abs(tone.read(0, tone.frames))))

    def loudest(data):
        with wave.open(io.BytesIO(data)) as clip:
            return int(np.max(np.abs(np.frombuffer(clip.readframes(clip.getnframes()), "<i2"))))

    own, _ = playback_wav(tone, 4 * 8000, 5 * 8000, peak=None)  # the tone alone, a clip is scaled to 90 % of full scale
    shared, _ = playback_wav(tone, 4 * 8000, 5 * 8000, peak=2 * peak)  # scaled by a peak twice its own: half as loud
    assert loudest(own) == round(0.9 * 32767) and abs(loudest(shared) - round(0.45 * 32767)) <= 1


@pytest.mark.parametrize(("rate", "nfft"), [(2500, 64), (32000, 512), (250000, 1024)])
def test_default_window_is_about_20_ms(rate, nfft):
    assert default_nfft(rate) == nfft
