import numpy as np
import pytest
import soundfile as sf

from hark.audio import highpass, open_recording
from hark.errors import HarkError

RATE = 250_000


@pytest.fixture
def usv_with_hum(tmp_path):
    t = np.arange(RATE) / RATE
    call = 0.2 * np.sin(2 * np.pi * 60_000 * t)
    hum = 0.5 * np.sin(2 * np.pi * 800 * t)
    path = tmp_path / "usv.wav"
    sf.write(path, (call + hum).astype(np.float32), RATE, subtype="FLOAT")
    return path, call


def test_highpass_removes_low_frequency_noise_and_keeps_the_call(usv_with_hum):
    path, call = usv_with_hum
    rec = open_recording(path, reader="highpass", reader_params={"cutoff_hz": 20_000})
    filtered = rec.read()
    middle = slice(RATE // 10, -RATE // 10)
    assert np.max(np.abs(filtered[middle] - call[middle])) < 0.01


def test_slices_and_chunks_match_filtering_the_whole_file(usv_with_hum):
    path, _ = usv_with_hum
    whole = highpass(sf.read(path, dtype="float32")[0], 20_000, 4, RATE)
    rec = open_recording(path, reader="highpass", reader_params={"cutoff_hz": 20_000})
    np.testing.assert_allclose(rec.read(100_000, 130_000), whole[100_000:130_000], atol=1e-4)
    rebuilt = np.concatenate([c.data for c in rec.chunks(33_333)])
    np.testing.assert_allclose(rebuilt, whole, atol=1e-4)


def test_cutoff_must_be_below_nyquist(tmp_path):
    path = tmp_path / "low.wav"
    sf.write(path, np.zeros(2500, np.float32), 2500)
    with pytest.raises(HarkError, match="not below the Nyquist frequency 1250 Hz"):
        open_recording(path, reader="highpass", reader_params={"cutoff_hz": 15_000})
    with pytest.raises(HarkError, match="cutoff_hz"):
        open_recording(path, reader="highpass", reader_params={"cutoff_hz": -3})
