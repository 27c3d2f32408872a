"""Damaged recordings are refused with one line naming them, at open where it is cheap (issue 16, faults 5 and 6)."""

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.report import describe_folder
from hark.audio import open_recording
from hark.errors import FileFormatError, HarkError

RATE = 8000


def _noise(seconds=3.0, scale=0.1):
    return (scale * np.random.default_rng(0).standard_normal(int(RATE * seconds))).astype(np.float32)


def _short(message, path):
    assert "\n" not in message and len(message) <= 300 and path.name in message, message
    return message


@pytest.mark.parametrize("name,subtype", [("a.flac", "PCM_16"), ("a.aiff", "PCM_16"), ("a.ogg", "VORBIS"), ("a.wav", "PCM_16")])
def test_a_truncated_recording_is_refused_at_open(tmp_path, name, subtype):
    path = tmp_path / name
    sf.write(path, _noise(), RATE, subtype=subtype)
    assert open_recording(path).frames == 3 * RATE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(FileFormatError, match="truncated") as caught:
        open_recording(path)
    _short(str(caught.value), path)


def test_a_flac_with_a_damaged_body_fails_at_read_with_one_line(tmp_path):
    path = tmp_path / "a.flac"
    sf.write(path, _noise(), RATE, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 64):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    try:
        recording = open_recording(path)
        recording.read()
    except FileFormatError as err:
        _short(str(err), path)
    else:
        pytest.fail("a FLAC with 64 damaged bytes read without a word")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 32767.0])
def test_float_samples_that_are_not_finite_or_far_beyond_full_scale_are_refused(tmp_path, bad):
    samples = _noise()
    samples[12345] = bad
    path = tmp_path / "f.wav"
    sf.write(path, samples, RATE, subtype="FLOAT")
    recording = open_recording(path)
    with pytest.raises(FileFormatError, match="sample 12345") as caught:
        recording.read()
    _short(str(caught.value), path)
    with pytest.raises(FileFormatError, match="sample 12345"):
        for _ in recording.chunks(size=4096):
            pass


def test_float_samples_a_little_over_full_scale_are_read_as_they_are(tmp_path):
    samples = _noise(scale=0.5)  # peaks near ±2, as a float recorder's output may overshoot
    path = tmp_path / "f.wav"
    sf.write(path, samples, RATE, subtype="FLOAT")
    np.testing.assert_array_equal(open_recording(path).read(), samples)


def test_a_1_hz_recording_is_a_one_line_error_in_detect(tmp_path):
    from hark.detect.timefreq import TimeFreqThresholdDetector

    path = tmp_path / "slow.wav"
    sf.write(path, _noise(seconds=RATE * 0.0125), 1, subtype="PCM_16")  # 100 samples at 1 Hz
    with pytest.raises(HarkError, match="at 1 Hz") as caught:
        TimeFreqThresholdDetector().detect(open_recording(path))
    _short(str(caught.value), path)


def test_info_of_a_folder_warns_about_a_truncated_flac_and_goes_on(tmp_path):
    sf.write(tmp_path / "good.wav", _noise(), RATE, subtype="PCM_16")
    sf.write(tmp_path / "bad.flac", _noise(), RATE, subtype="PCM_16")
    data = (tmp_path / "bad.flac").read_bytes()
    (tmp_path / "bad.flac").write_bytes(data[: len(data) // 2])
    report = describe_folder(tmp_path)
    assert [r["path"] for r in report["recordings"]] == ["good.wav"]
    assert [u["path"] for u in report["unreadable"]] == ["bad.flac"]
    assert "truncated" in report["warnings"][0]
