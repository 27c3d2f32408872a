"""Conversion: format detection, sample-rate lookup, exact round trips, and outputs never half-written."""

from __future__ import annotations

import random

import pytest

from hark.annotations import (
    Event,
    Kind,
    convert_annotations,
    detect_format,
    find_recording_beside,
    read_audacity,
    read_csv,
    read_raven,
    seconds_to_tics,
    tics_to_seconds,
    write_csv,
)
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot, write_wav

PLAIN_CSV = "song.wav,100,900,annotated,pulse\nsong.wav,1000,1000,annotated,click\nsong.wav,2000,7999,annotated,sine\n"


@pytest.mark.parametrize("rate", [2500, 8000, 22050, 44100, 48000, 250000, 384000, 11025.5])
def test_samples_survive_a_trip_through_seconds(rate):
    rng = random.Random(rate)
    for tics in [0, 1, 2, 3, rate // 2, 10**9] + [rng.randrange(10**10) for _ in range(2000)]:
        tics = int(tics)
        assert seconds_to_tics(float(repr(tics_to_seconds(tics, rate))), rate) == tics


def test_seconds_round_to_the_nearest_sample():
    assert seconds_to_tics(0.101385, 44100) == 4471  # 4471.08
    assert seconds_to_tics(0.36752, 44100) == 16208  # 16207.63
    assert seconds_to_tics(0.0002, 2500) == 1  # exactly half a sample rounds up


def test_detects_formats_from_extension_and_content(tmp_path, shared_data):
    (tmp_path / "a.csv").write_text(PLAIN_CSV)
    (tmp_path / "raven.tsv").write_text("Selection\tBegin Time (s)\tEnd Time (s)\tAnnotation\n")
    (tmp_path / "labels.txt").write_text("\n0.5\t1.0\tx\n")
    (tmp_path / "prose.txt").write_text("hello\tworld\n")
    (tmp_path / "empty.txt").write_text("")
    assert detect_format(tmp_path / "a.csv") == "songexplorer"
    assert detect_format(tmp_path / "raven.tsv") == "raven"
    assert detect_format(tmp_path / "labels.txt") == "audacity"
    assert detect_format(shared_data / "soundscape" / "spinetail.txt") == "audacity"
    with pytest.raises(FileFormatError, match=r"prose.txt:1: cannot tell the annotation format"):
        detect_format(tmp_path / "prose.txt")
    with pytest.raises(FileFormatError, match="file is empty"):
        detect_format(tmp_path / "empty.txt")


def test_round_trip_songexplorer_raven_audacity_songexplorer_is_exact(tmp_path):
    write_wav(tmp_path / "song.wav", samplerate=44100, frames=10000)
    (tmp_path / "song.wav-annotated-ann.csv").write_text(PLAIN_CSV)
    original = read_csv(tmp_path / "song.wav-annotated-ann.csv")
    assert convert_annotations(tmp_path / "song.wav-annotated-ann.csv", tmp_path / "song.Table.1.selections.txt", "raven") == 3
    assert convert_annotations(tmp_path / "song.Table.1.selections.txt", tmp_path / "song.txt", "audacity") == 3
    assert convert_annotations(tmp_path / "song.txt", tmp_path / "back.csv", "songexplorer") == 3
    assert read_csv(tmp_path / "back.csv") == original
    assert (tmp_path / "back.csv").read_text() == PLAIN_CSV


def test_frequency_bounds_survive_raven_to_audacity_and_back(tmp_path, shared_data):
    spinetail = read_audacity(shared_data / "soundscape" / "spinetail.txt", 44100, "spinetail.wav")
    convert_annotations(shared_data / "soundscape" / "spinetail.txt", tmp_path / "s.txt", "raven", samplerate=44100)
    convert_annotations(tmp_path / "s.txt", tmp_path / "s-aud.txt", "audacity", samplerate=44100)
    for events in (read_raven(tmp_path / "s.txt", 44100, "spinetail.wav"), read_audacity(tmp_path / "s-aud.txt", 44100, "spinetail.wav")):
        assert events == spinetail
        assert [(e.low_hz, e.high_hz) for e in events] == [(e.low_hz, e.high_hz) for e in spinetail]


def test_real_spinetail_to_songexplorer_finds_the_rate_beside_it(shared_data, tmp_path):
    out = tmp_path / "spinetail.wav-annotated-x.csv"
    assert convert_annotations(shared_data / "soundscape" / "spinetail.txt", out, "songexplorer") == 18
    assert out.read_text().splitlines()[0] == "spinetail.wav,4471,16208,annotated,SP"


def test_converting_to_songexplorer_drops_the_extra_columns(tmp_path):
    write_csv(tmp_path / "x.csv", [Event("song.wav", 1, 2, "detected", "x", low_hz=1.0, high_hz=2.0, score=0.5)])
    convert_annotations(tmp_path / "x.csv", tmp_path / "y.csv", "songexplorer")
    assert (tmp_path / "y.csv").read_text() == "song.wav,1,2,detected,x\n"


def test_rate_comes_from_option_recording_wavfile_column_or_same_stem(tmp_path):
    (tmp_path / "song-annotated-a.csv").write_text(PLAIN_CSV)
    with pytest.raises(HarkError, match=r"cannot tell the sample rate.*pass samplerate HZ or recording WAV"):
        convert_annotations(tmp_path / "song-annotated-a.csv", tmp_path / "o.txt", "raven")
    assert not (tmp_path / "o.txt").exists()
    convert_annotations(tmp_path / "song-annotated-a.csv", tmp_path / "o.txt", "raven", samplerate=1000)
    assert read_raven(tmp_path / "o.txt", 1000, "song.wav")[0].start == 100
    assert "\t0.1\t0.9\t" in (tmp_path / "o.txt").read_text()
    elsewhere = write_wav(tmp_path / "elsewhere" / "other.wav", samplerate=2000)
    convert_annotations(tmp_path / "song-annotated-a.csv", tmp_path / "o.txt", "audacity", recording=elsewhere)
    assert (tmp_path / "o.txt").read_text().startswith("0.05\t0.45\tpulse\n")
    write_wav(tmp_path / "song.wav", samplerate=4000, frames=8000)  # named by the wavfile column; as long as its events
    convert_annotations(tmp_path / "song-annotated-a.csv", tmp_path / "o.txt", "audacity")
    assert (tmp_path / "o.txt").read_text().startswith("0.025\t0.225\tpulse\n")
    with pytest.raises(HarkError, match="^samplerate 1000 Hz disagrees with .*other.wav, which is sampled at 2000 Hz"):
        convert_annotations(tmp_path / "song-annotated-a.csv", tmp_path / "o.txt", "raven", samplerate=1000, recording=elsewhere)


def test_find_recording_beside_tables(tmp_path):
    for name in ("song.wav", "song.flac", "bird.wav"):
        write_wav(tmp_path / name)
    assert find_recording_beside(tmp_path / "song.wav.txt") == tmp_path / "song.wav"
    assert find_recording_beside(tmp_path / "bird.Table.1.selections.txt") == tmp_path / "bird.wav"
    assert find_recording_beside(tmp_path / "song.txt") is None  # song.wav or song.flac?
    assert find_recording_beside(tmp_path / "song.flac-annotated-x.csv") == tmp_path / "song.flac"
    assert find_recording_beside(tmp_path / "x.csv", "bird.wav") == tmp_path / "bird.wav"


def test_a_table_with_no_audio_beside_it_names_the_recording_after_itself(tmp_path):
    (tmp_path / "night.Table.1.selections.txt").write_text("Begin Time (s)\tEnd Time (s)\tAnnotation\n1.0\t2.0\towl\n")
    convert_annotations(tmp_path / "night.Table.1.selections.txt", tmp_path / "n.csv", "songexplorer", samplerate=100)
    assert (tmp_path / "n.csv").read_text() == "night.wav,100,200,annotated,owl\n"


def test_several_recordings_to_one_table_is_an_error_unless_one_is_picked(tmp_path):
    write_wav(tmp_path / "a.wav", samplerate=1000)
    (tmp_path / "both.csv").write_text("a.wav,1,2,annotated,x\nb.wav,3,4,annotated,y\nc.wav,3,4,annotated,y\n")
    with pytest.raises(HarkError, match=r"belong to 3 recordings \(a.wav, b.wav, c.wav\)"):
        convert_annotations(tmp_path / "both.csv", tmp_path / "t.txt", "raven", samplerate=1000)
    assert convert_annotations(tmp_path / "both.csv", tmp_path / "t.txt", "raven", recording=tmp_path / "a.wav") == 1
    # To SongExplorer, several recordings are fine.
    assert convert_annotations(tmp_path / "both.csv", tmp_path / "all.csv", "songexplorer") == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file is empty (no annotation rows)"),
        ("song.wav,1,2,annotated\n", "bad.csv:1: wrong number of columns (4;"),
        ("song.wav,1,2,annotated,x\nsong.wav,9,2,annotated,x\n", "bad.csv:2: start 9 is after stop 2"),
        ("song.wav,1,2,guessed,x\n", "bad.csv:1: unknown kind 'guessed'"),
        ("song.wav,1,2,annotated,a,b\n", "bad.csv:1: wrong number of columns (6; expected 5, or 8, 9 or 10 with low_hz,high_hz,score[,status[,channel]]) — a label may not contain a comma"),
    ],
)
def test_a_bad_source_leaves_every_file_untouched(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    (tmp_path / "out.txt").write_text("previous conversion\n")
    before = snapshot(tmp_path)
    for target in ("songexplorer", "raven", "audacity"):
        with pytest.raises(HarkError) as err:
            convert_annotations(tmp_path / "bad.csv", tmp_path / "out.txt", target, samplerate=1000)
        assert message in str(err.value) and "\n" not in str(err.value)
    assert snapshot(tmp_path) == before


def test_output_problems_are_one_line_errors_and_touch_nothing(tmp_path):
    (tmp_path / "in.csv").write_text(PLAIN_CSV)
    (tmp_path / "blocker").write_text("a file, not a folder")
    before = snapshot(tmp_path)
    with pytest.raises(HarkError, match="blocker") as err:
        convert_annotations(tmp_path / "in.csv", tmp_path / "blocker" / "out.txt", "raven", samplerate=100)
    assert "\n" not in str(err.value)
    with pytest.raises(HarkError, match="is a folder"):
        convert_annotations(tmp_path / "in.csv", tmp_path, "raven", samplerate=100)
    with pytest.raises(HarkError, match="would overwrite the input"):
        convert_annotations(tmp_path / "in.csv", tmp_path / "in.csv", "songexplorer")
    with pytest.raises(HarkError, match="no such file"):
        convert_annotations(tmp_path / "missing.csv", tmp_path / "out.txt", "raven", samplerate=100)
    with pytest.raises(HarkError, match="unknown annotation format 'praat'"):
        convert_annotations(tmp_path / "in.csv", tmp_path / "out.txt", "praat")
    with pytest.raises(HarkError, match="no such file"):
        convert_annotations(tmp_path / "in.csv", tmp_path / "out.txt", "raven", recording=tmp_path / "nope.wav")
    assert snapshot(tmp_path) == before


def test_an_existing_output_is_replaced_whole_and_the_input_is_unchanged(tmp_path):
    (tmp_path / "in.csv").write_text(PLAIN_CSV)
    (tmp_path / "out.txt").write_text("x" * 10000)
    convert_annotations(tmp_path / "in.csv", tmp_path / "out.txt", "audacity", samplerate=1000)
    assert (tmp_path / "in.csv").read_text() == PLAIN_CSV
    assert (tmp_path / "out.txt").read_text() == "0.1\t0.9\tpulse\n1.0\t1.0\tclick\n2.0\t7.999\tsine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.txt"]  # no temporary left


def test_kinds_become_annotated_in_raven_and_audacity_sources(tmp_path):
    (tmp_path / "d.csv").write_text("song.wav,10,20,detected,x\n")
    convert_annotations(tmp_path / "d.csv", tmp_path / "d.txt", "raven", samplerate=10)
    convert_annotations(tmp_path / "d.txt", tmp_path / "back.csv", "songexplorer", samplerate=10)
    assert read_csv(tmp_path / "back.csv") == [Event("d.wav", 10, 20, Kind.ANNOTATED, "x")]
