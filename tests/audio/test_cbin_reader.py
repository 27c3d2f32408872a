"""evsonganaly's .cbin recordings: the real finch songs, both .rec number styles, and every bad input."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from hark.audio import AudioInfo, audio_suffixes, open_recording
from hark.audio.cbin_reader import read_rec_header
from hark.errors import FileFormatError, HarkError

FINCH_SONGS = 7
REC_LINES = "File created: Fri, Mar 23, 2012, 08:08:15\n\n     begin rec = 0 ms\n"


def write_cbin(path: Path, samples: np.ndarray, adfreq: str = "32000", chans: str | None = None) -> Path:
    """``path`` (.cbin) holding int16 ``samples`` of shape (frames, channels), and its .rec as evTAF writes it."""
    samples = np.asarray(samples, dtype=np.int16).reshape(len(samples), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    samples.astype(">i2").tofile(path)
    chans = str(samples.shape[1]) if chans is None else chans
    path.with_suffix(".rec").write_text(
        f"{REC_LINES}\nADFREQ =   {adfreq}\nChans = {chans}\nSamples = {len(samples)}\nThresholds = \n2.000000E+0\n"
    )
    return path


def finch_songs(shared_data: Path) -> list[Path]:
    songs = sorted((shared_data / "finch").glob("*.cbin"))
    assert len(songs) == FINCH_SONGS
    return songs


def test_reads_the_real_finch_songs_at_32_khz_in_two_channels(shared_data):
    for song in finch_songs(shared_data):
        rec = open_recording(song)
        header = read_rec_header(song.with_suffix(".rec"))
        assert rec.info == AudioInfo(32000, int(header["Samples"]), 2, "CBIN", "PCM_16")
        assert rec.duration == pytest.approx(int(header["Samples"]) / float(header["ADFREQ"]))
        assert open_recording(song, channel=1).frames == rec.frames


def test_real_samples_are_big_endian_int16_with_song_on_channel_0(shared_data):
    song = finch_songs(shared_data)[0]
    raw = np.fromfile(song, dtype=">i2").reshape(-1, 2)
    song_channel, other = open_recording(song, channel=0), open_recording(song, channel=1)
    whole = song_channel.read()
    assert whole.dtype == np.float32 and whole.shape == (len(raw),)
    np.testing.assert_array_equal(whole, raw[:, 0] / np.float32(32768))
    np.testing.assert_array_equal(other.read(1000, 2000), raw[1000:2000, 1] / np.float32(32768))
    np.testing.assert_array_equal(song_channel.read(123_456, 130_000), whole[123_456:130_000])
    assert np.abs(whole).max() > np.abs(other.read()).max()  # the song is louder than the other channel


@pytest.mark.parametrize("adfreq", ["32000", "3.2000000e+004", "3.2000000E+004", "32000.0"])
def test_both_number_styles_of_the_sample_rate(tmp_path, adfreq):
    samples = np.array([[0, 1], [-32768, 32767], [256, -2]], dtype=np.int16)
    rec = open_recording(write_cbin(tmp_path / "song.cbin", samples, adfreq=adfreq), channel=1)
    assert (rec.samplerate, rec.frames, rec.info.channels) == (32000, 3, 2)
    np.testing.assert_array_equal(rec.read(), np.array([1, 32767, -2], dtype=np.float32) / 32768)


def test_chunks_and_the_highpass_reader_work_on_cbin(tmp_path):
    hum = 3000 * np.sin(2 * np.pi * 50 * np.arange(8000) / 8000)  # 50 Hz, far below the cutoff
    samples = np.round(hum)[:, None]
    path = write_cbin(tmp_path / "song.cbin", samples, adfreq="8000")
    rec = open_recording(path)
    chunks = list(rec.chunks(size=3000, overlap=10))
    assert [c.start for c in chunks] == [0, 3000, 6000]
    np.testing.assert_array_equal(np.concatenate([c.data[:3000] for c in chunks]), rec.read())
    filtered = open_recording(path, reader="highpass", reader_params={"cutoff_hz": 1000}).read()
    assert filtered.shape == (8000,) and np.abs(filtered).max() < 0.01 * np.abs(rec.read()).max()


def test_a_slice_of_a_huge_file_reads_only_that_slice(tmp_path):
    path = tmp_path / "huge.cbin"
    with open(path, "wb") as f:  # 4 GiB, sparse: reading it whole would take seconds and gigabytes
        f.truncate(2**32)
    write_cbin(tmp_path / "unused.cbin", np.zeros((1, 2)))
    (tmp_path / "huge.rec").write_text((tmp_path / "unused.rec").read_text())
    began = time.perf_counter()
    rec = open_recording(path)
    assert rec.frames == 2**30
    assert not rec.read(2**30 - 100, 2**30).any()
    assert time.perf_counter() - began < 1


def test_the_cbin_suffix_is_known_to_auto_and_to_folder_scans():
    assert ".cbin" in audio_suffixes()


def test_a_cbin_without_its_rec(tmp_path):
    path = write_cbin(tmp_path / "bird_0808.138.cbin", np.zeros((10, 2)))
    path.with_suffix(".rec").unlink()
    with pytest.raises(FileFormatError) as err:
        open_recording(path)
    assert str(err.value) == f"{path}: no bird_0808.138.rec beside it (evsonganaly writes the sample rate there)"


@pytest.mark.parametrize(
    ("rec_text", "reason"),
    [
        (REC_LINES + "Chans = 2\n", "no ADFREQ line (the sample rate in Hz); is this an evTAF .rec file?"),
        (REC_LINES + "ADFREQ = 32000\n", "no Chans line (the number of channels); is this an evTAF .rec file?"),
        (REC_LINES + "ADFREQ = fast\nChans = 2\n", "ADFREQ 'fast' is not a number"),
        (REC_LINES + "ADFREQ = 32000.5\nChans = 2\n", "ADFREQ '32000.5' must be a positive whole number (the sample rate in Hz)"),
        (REC_LINES + "ADFREQ = 32000\nChans = 0\n", "Chans '0' must be a positive whole number (the number of channels)"),
    ],
)
def test_a_rec_without_a_usable_rate_or_channel_count(tmp_path, rec_text, reason):
    path = write_cbin(tmp_path / "song.cbin", np.zeros((10, 2)))
    path.with_suffix(".rec").write_text(rec_text)
    with pytest.raises(FileFormatError) as err:
        open_recording(path)
    assert str(err.value) == f"{path.with_suffix('.rec')}: {reason}"


def test_a_truncated_cbin(tmp_path):
    path = write_cbin(tmp_path / "song.cbin", np.zeros((10, 2)))
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(FileFormatError, match=r"song\.cbin: truncated: 39 bytes is not a whole number of frames \(2 channel"):
        open_recording(path)


def test_an_empty_cbin(tmp_path):
    path = write_cbin(tmp_path / "song.cbin", np.zeros((1, 2)))
    path.write_bytes(b"")
    with pytest.raises(FileFormatError, match=r"song\.cbin: file is empty$"):
        open_recording(path)


def test_a_missing_channel_is_the_usual_error(tmp_path):
    path = write_cbin(tmp_path / "song.cbin", np.zeros((10, 2)))
    with pytest.raises(HarkError, match="channel 2 does not exist; the recording has 2 channel"):
        open_recording(path, channel=2)
