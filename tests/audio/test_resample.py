"""Resampling recordings to one rate, streamed in blocks, with their CSVs' ticks scaled."""

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv, write_csv
from hark.audio import resample as resample_module
from hark.annotations.resample import resample_recordings
from hark.audio.resample import rate_ratio, resample_file
from hark.demo.usv import synthesize_usv
from hark.errors import HarkError


def _write(path, audio, rate, subtype="FLOAT"):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, rate, subtype=subtype)
    return path


@pytest.mark.parametrize("source_rate, rate", [(384_000, 250_000), (500_000, 250_000), (375_000, 250_000), (44_100, 48_000)])
def test_blocks_give_what_resampling_the_whole_recording_gives(tmp_path, source_rate, rate):
    rng = np.random.default_rng(0)
    audio = (0.3 * rng.standard_normal((source_rate // 3 + 17, 2))).astype(np.float32)  # two channels, not a whole block
    source = _write(tmp_path / "in.wav", audio, source_rate)
    # blocks of 10 ms: dozens of block edges inside the recording
    frames = resample_file(source, tmp_path / "out.wav", rate, block_seconds=0.01)
    whole = resample_poly(audio.astype(np.float64), *rate_ratio(source_rate, rate), axis=0)
    got, got_rate = sf.read(tmp_path / "out.wav", always_2d=True)
    assert got_rate == rate and frames == len(whole) == len(got) and got.shape[1] == 2
    assert np.max(np.abs(got - whole)) < 1e-6  # FLOAT output: float32 rounding


def test_a_tone_keeps_its_frequency_and_a_sound_its_time(tmp_path):
    source_rate, rate = 500_000, 250_000
    t = np.arange(source_rate) / source_rate
    audio = np.where((t >= 0.4) & (t < 0.5), 0.5 * np.sin(2 * np.pi * 60_000 * t), 0.0)
    source = _write(tmp_path / "tone.wav", audio, source_rate, "PCM_16")
    resample_file(source, tmp_path / "out.wav", rate)
    got, _ = sf.read(tmp_path / "out.wav")
    assert sf.info(tmp_path / "out.wav").subtype == "PCM_16"  # the source's sample format by default
    loud = np.flatnonzero(np.abs(got) > 0.25)
    assert abs(loud[0] - 0.4 * rate) <= 2 and abs(loud[-1] - 0.5 * rate) <= 2
    spectrum = np.abs(np.fft.rfft(got[int(0.41 * rate) : int(0.49 * rate)]))
    peak_hz = np.argmax(spectrum) * rate / (int(0.49 * rate) - int(0.41 * rate))
    assert abs(peak_hz - 60_000) <= 25


def test_a_folder_with_its_csvs_keeps_its_layout_and_scaled_ticks(tmp_path):
    data = tmp_path / "data"
    events = {}
    for folder, rate, seed in (("a", 384_000, 1), ("b/deep", 500_000, 2)):
        audio, calls = synthesize_usv(2.0, samplerate=rate, rng=seed, recording="rec.wav")
        path = _write(data / folder / "rec.wav", audio, rate, "PCM_16")
        write_csv(data / folder / "rec.wav-annotated-me.csv", calls)
        events[folder] = (rate, calls)
    (data / "a" / "notes.csv").write_text("not an annotation file\n")

    done = resample_recordings([data], tmp_path / "out", 250_000)
    assert [r.output for r in done] == [tmp_path / "out" / "a" / "rec.wav", tmp_path / "out" / "b" / "deep" / "rec.wav"]
    for result, (folder, (rate, calls)) in zip(done, events.items()):
        assert sf.info(result.output).samplerate == 250_000 and result.source_rate == rate
        assert result.annotations == (result.output.parent / "rec.wav-annotated-me.csv",)
        scaled = read_csv(result.annotations[0])
        assert [(e.start, e.stop) for e in scaled] == [(round(e.start * 250_000 / rate), round(e.stop * 250_000 / rate)) for e in calls]
        assert [(e.low_hz, e.high_hz, e.label) for e in scaled] == [(e.low_hz, e.high_hz, e.label) for e in calls]
        # the calls are where the scaled ticks say: above 25 kHz, louder inside than between them
        audio = sosfilt(butter(8, 25_000, "highpass", fs=250_000, output="sos"), sf.read(result.output)[0])
        inside = np.zeros(len(audio), bool)
        for e in scaled:
            inside[e.start : e.stop] = True
        assert np.mean(audio[inside] ** 2) > 4 * np.mean(audio[~inside] ** 2)
    assert not (tmp_path / "out" / "a" / "notes.csv").exists()


def test_a_box_above_the_new_nyquist_frequency_is_refused_before_anything_is_written(tmp_path):
    data = tmp_path / "data"
    _write(data / "ok.wav", np.zeros(50_000), 500_000)
    _write(data / "bat.wav", np.zeros(50_000), 500_000)
    write_csv(data / "bat.wav-annotated-me.csv", [Event("bat.wav", 100, 900, Kind.ANNOTATED, "call", low_hz=90_000.0, high_hz=140_000.0)])
    with pytest.raises(HarkError, match=r"bat.wav-annotated-me.csv: 1 box of 1 CSV reaches above the Nyquist frequency 125000 Hz of 250000 Hz audio, up to 140000 Hz \(the event at sample 100 here\); resampling would remove their sound: choose a rate of at least 280000 Hz"):
        resample_recordings([data], tmp_path / "out", 250_000)
    assert not (tmp_path / "out").exists()


def test_outputs_never_overwrite_a_source_or_each_other(tmp_path):
    _write(tmp_path / "a" / "rec.wav", np.zeros(1000), 48_000)
    _write(tmp_path / "b" / "rec.wav", np.zeros(1000), 48_000)
    with pytest.raises(HarkError, match="the output would overwrite it"):
        resample_recordings([tmp_path / "a"], tmp_path / "a", 24_000)
    with pytest.raises(HarkError, match="another recording of the same name also goes to"):
        resample_recordings([tmp_path / "a" / "rec.wav", tmp_path / "b" / "rec.wav"], tmp_path / "out", 24_000)


def test_outputs_beyond_the_wav_size_limit_are_written_as_rf64(tmp_path, monkeypatch):
    monkeypatch.setattr(resample_module, "WAV_LIMIT_BYTES", 1000)  # a 4 GB file would be too slow for a test
    source = _write(tmp_path / "in.wav", np.zeros(4000), 48_000, "PCM_16")
    resample_file(source, tmp_path / "out.wav", 24_000)
    assert sf.info(tmp_path / "out.wav").format == "RF64" and sf.info(tmp_path / "out.wav").frames == 2000


def test_an_unreadable_recording_is_one_line_and_nothing_is_written(tmp_path):
    _write(tmp_path / "data" / "good.wav", np.zeros(1000), 48_000)
    (tmp_path / "data" / "bad.wav").write_bytes(b"RIFF, but not really")
    with pytest.raises(HarkError, match=r"bad.wav: cannot read this recording") as error:
        resample_recordings([tmp_path / "data"], tmp_path / "out", 24_000)
    assert "\n" not in str(error.value) and not (tmp_path / "out").exists()
