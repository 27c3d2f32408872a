import numpy as np
import pytest
import soundfile as sf

from hark.audio import open_recording
from hark.errors import FileFormatError, HarkError


def _write(path, rate, channels, subtype, seconds=0.5, fmt=None):
    rng = np.random.default_rng(rate + channels)
    data = (0.5 * rng.uniform(-1, 1, (int(rate * seconds), channels))).astype(np.float32)
    sf.write(path, data, rate, subtype=subtype, format=fmt)
    return sf.read(path, dtype="float32", always_2d=True)[0]


@pytest.mark.parametrize(
    "name, rate, subtype",
    [
        ("a.wav", 2500, "PCM_16"),
        ("b.wav", 250_000, "PCM_24"),
        ("c.wav", 500_000, "PCM_32"),
        ("d.wav", 44_100, "FLOAT"),
        ("e.flac", 96_000, "PCM_24"),
        ("f.aiff", 2000, "PCM_16"),
        ("g.ogg", 48_000, "VORBIS"),
    ],
)
def test_formats_rates_and_sample_types(tmp_path, name, rate, subtype):
    expected = _write(tmp_path / name, rate, 1, subtype)
    rec = open_recording(tmp_path / name)
    assert rec.samplerate == rate and rec.frames == len(expected) and rec.info.channels == 1
    assert rec.duration == pytest.approx(len(expected) / rate)
    np.testing.assert_array_equal(rec.read(), expected[:, 0])


def test_channel_choice_and_slices(tmp_path):
    expected = _write(tmp_path / "stereo.wav", 8000, 3, "PCM_16", seconds=2)
    rec = open_recording(tmp_path / "stereo.wav", channel=2)
    np.testing.assert_array_equal(rec.read(1000, 1500), expected[1000:1500, 2])
    assert rec.read(10, 10).shape == (0,)
    with pytest.raises(HarkError, match="channel 3 does not exist; the recording has 3"):
        open_recording(tmp_path / "stereo.wav", channel=3)
    with pytest.raises(HarkError, match="outside the recording"):
        rec.read(0, rec.frames + 1)


@pytest.mark.parametrize("size, overlap", [(1000, 0), (999, 64), (4096, 10), (20000, 5)])
def test_chunks_cover_the_recording_with_the_given_overlap(tmp_path, size, overlap):
    expected = _write(tmp_path / "long.wav", 4000, 1, "PCM_16", seconds=4)[:, 0]
    rec = open_recording(tmp_path / "long.wav")
    chunks = list(rec.chunks(size, overlap))
    assert [c.start for c in chunks] == list(range(0, len(expected), size))[: len(chunks)]
    for chunk in chunks:
        np.testing.assert_array_equal(chunk.data, expected[chunk.start : chunk.stop])
        assert len(chunk.data) == min(size + overlap, len(expected) - chunk.start)
    assert chunks[-1].stop == len(expected)
    rebuilt = np.concatenate([c.data[:size] for c in chunks])
    np.testing.assert_array_equal(rebuilt, expected)


def test_chunks_of_a_stretch(tmp_path):
    expected = _write(tmp_path / "x.wav", 1000, 1, "PCM_16", seconds=3)[:, 0]
    rec = open_recording(tmp_path / "x.wav")
    chunks = list(rec.chunks(700, 0, start=500, stop=2100))
    assert [(c.start, c.stop) for c in chunks] == [(500, 1200), (1200, 1900), (1900, 2100)]
    np.testing.assert_array_equal(np.concatenate([c.data for c in chunks]), expected[500:2100])


def test_bad_files_give_one_line_errors_naming_the_file(tmp_path):
    _write(tmp_path / "good.wav", 2500, 1, "PCM_16", seconds=2)
    whole = (tmp_path / "good.wav").read_bytes()
    cases = {
        "text.wav": b"this is not audio\n" * 10,
        "empty.wav": b"",
        "truncated.wav": whole[: len(whole) // 2],
        "header-only.wav": whole[:44],
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    expectations = {
        "text.wav": "not a readable audio file",
        "empty.wav": "file is empty",
        "truncated.wav": "truncated",
        "header-only.wav": "truncated",
    }
    for name, pattern in expectations.items():
        with pytest.raises(FileFormatError, match=pattern) as err:
            open_recording(tmp_path / name)
        message = str(err.value)
        assert message.startswith(str(tmp_path / name)) and "\n" not in message
        assert (tmp_path / name).read_bytes() == cases[name]  # never modified
    with pytest.raises(HarkError, match="no such file"):
        open_recording(tmp_path / "missing.wav")
    with pytest.raises(HarkError, match="is a folder"):
        open_recording(tmp_path)
    (tmp_path / "song.mp4").write_bytes(b"\0" * 100)
    with pytest.raises(FileFormatError, match="unsupported audio format '.mp4'"):
        open_recording(tmp_path / "song.mp4")
