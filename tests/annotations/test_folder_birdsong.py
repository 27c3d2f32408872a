"""Bird-song ground-truth folders: .cbin with .not.mat, recordings with TextGrids, and the dense-annotation check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hark.annotations import (
    Event,
    Kind,
    OrphanCSV,
    check_no_overlaps,
    count_by_kind_and_label,
    parse_notmat_or_textgrid_name,
    read_annotation_file,
    scan_folder,
    write_textgrid,
)
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import write_wav
from tests.annotations.test_notmat import write_evsonganaly_notmat
from tests.audio.test_cbin_reader import write_cbin


def test_the_real_finch_folder(shared_data):
    folder = scan_folder(shared_data / "finch")
    assert len(folder.entries) == 7 and folder.orphans == ()
    for entry in folder.entries:
        assert entry.recording.suffix == ".cbin" and entry.csvs == {}
        assert entry.non_csv_annotations == (entry.recording.with_name(entry.recording.name + ".not.mat"),)
        assert entry.annotation_paths(["annotated"]) == list(entry.non_csv_annotations)
        assert entry.annotation_paths(["detected"]) == []
    events = folder.load_events()
    assert len(events) == 450 and {e.kind for e in events} == {Kind.ANNOTATED}
    assert {e.recording for e in events} == {p.name for p in folder.recordings}
    assert sorted({label for _, label in count_by_kind_and_label(events)}) == list("abcdefghijk")
    check_no_overlaps(events, shared_data / "finch")  # evsonganaly's segments never overlap


def test_names_of_notmat_and_textgrid_files():
    assert parse_notmat_or_textgrid_name("a/song.cbin.not.mat") == ("notmat", "song.cbin")
    assert parse_notmat_or_textgrid_name("song.TextGrid") == ("textgrid", "song")
    assert parse_notmat_or_textgrid_name("song.wav.textgrid") == ("textgrid", "song.wav")
    assert parse_notmat_or_textgrid_name("song.wav-annotated-a.csv") is None
    assert parse_notmat_or_textgrid_name(".not.mat") is None


@pytest.fixture
def birdsong(tmp_path) -> Path:
    root = tmp_path / "birds"
    bird = root / "day1"
    write_cbin(bird / "s1.cbin", np.zeros((32000, 2)))
    write_evsonganaly_notmat(bird / "s1.cbin.not.mat", "ab", [100.0, 300.0], [200.0, 400.0])
    (bird / "s1.tmp").write_text("evsonganaly's threshold file: not an annotation\n")
    write_wav(bird / "s2.wav", samplerate=8000, frames=8000)
    write_textgrid(bird / "s2.TextGrid", [Event("s2.wav", 800, 1600, Kind.ANNOTATED, "c")], 8000, frames=8000)
    (bird / "s2.wav-annotated-ann.csv").write_text("s2.wav,4000,4100,annotated,d\n")
    write_wav(root / "s3.wav", samplerate=8000, frames=8000)
    write_textgrid(root / "s3.wav.TextGrid", [Event("s3.wav", 80, 160, Kind.ANNOTATED, "e")], 8000)
    write_evsonganaly_notmat(bird / "gone.cbin.not.mat", "a", [1.0], [2.0])
    return root


def test_scan_pairs_notmat_and_textgrid_files_with_their_recordings(birdsong):
    folder = scan_folder(birdsong)
    bird = birdsong / "day1"
    assert folder.recordings == [bird / "s1.cbin", bird / "s2.wav", birdsong / "s3.wav"]
    s1, s2, s3 = folder.entries
    assert (s1.csvs, s1.non_csv_annotations) == ({}, (bird / "s1.cbin.not.mat",))
    assert (s2.csvs, s2.non_csv_annotations) == ({Kind.ANNOTATED: (bird / "s2.wav-annotated-ann.csv",)}, (bird / "s2.TextGrid",))
    assert s2.annotation_paths() == [bird / "s2.wav-annotated-ann.csv", bird / "s2.TextGrid"]
    assert s2.csv_paths() == [bird / "s2.wav-annotated-ann.csv"]  # what reads only CSVs is unchanged
    assert s3.non_csv_annotations == (birdsong / "s3.wav.TextGrid",)
    assert folder.orphans == (OrphanCSV(bird / "gone.cbin.not.mat", "no recording 'gone.cbin' (with or without extension) beside it"),)


def test_load_events_reads_every_format_with_recordings_named_from_the_root(birdsong):
    events = scan_folder(birdsong).load_events(kinds=["annotated"])
    assert events == [
        Event("day1/s1.cbin", 3200, 6400, Kind.ANNOTATED, "a"),
        Event("day1/s1.cbin", 9600, 12800, Kind.ANNOTATED, "b"),
        Event("day1/s2.wav", 4000, 4100, Kind.ANNOTATED, "d"),
        Event("day1/s2.wav", 800, 1600, Kind.ANNOTATED, "c"),
        Event("s3.wav", 80, 160, Kind.ANNOTATED, "e"),
    ]
    assert [e.annotator for e in events] == ["notmat", "notmat", "ann", "textgrid", "textgrid"]
    assert scan_folder(birdsong).load_events(kinds=["predicted"]) == []
    assert scan_folder(birdsong).load_events(labels=["c", "e"]) == [events[3], events[4]]


def test_a_notmat_whose_fs_disagrees_with_the_rec_is_an_error(birdsong):
    notmat = birdsong / "day1" / "s1.cbin.not.mat"
    write_evsonganaly_notmat(notmat, "a", [1.0], [2.0], fs=44100)
    with pytest.raises(FileFormatError, match=r"s1\.cbin\.not\.mat: Fs is 44100 Hz but s1\.cbin is sampled at 32000 Hz"):
        scan_folder(birdsong).load_events()


def test_a_cbin_without_its_rec_in_a_folder_is_an_error_naming_it(birdsong):
    (birdsong / "day1" / "s1.rec").unlink()
    with pytest.raises(FileFormatError, match=r"s1\.cbin: no s1\.rec beside it"):
        scan_folder(birdsong).load_events()


def test_read_annotation_file_dispatches_on_the_name(birdsong):
    bird = birdsong / "day1"
    assert read_annotation_file(bird / "s1.cbin.not.mat")[0].recording == "s1.cbin"
    assert read_annotation_file(bird / "s2.TextGrid", bird / "s2.wav") == [Event("s2.wav", 800, 1600, Kind.ANNOTATED, "c")]
    assert read_annotation_file(bird / "s2.wav-annotated-ann.csv")[0].label == "d"
    with pytest.raises(HarkError, match="a TextGrid's times are seconds; name the recording"):
        read_annotation_file(bird / "s2.TextGrid")


def syllable(start: int, stop: int, label: str = "a", recording: str = "s.cbin") -> Event:
    return Event(recording, start, stop, Kind.ANNOTATED, label)


def test_check_no_overlaps_names_the_file_and_the_first_two_overlapping_syllables():
    check_no_overlaps([syllable(0, 100), syllable(100, 200), syllable(300, 300)], "s.cbin.not.mat")  # touching is fine
    check_no_overlaps([], "empty.csv")
    overlapping = [syllable(6400, 9600, "c"), syllable(0, 3200, "a"), syllable(3000, 4000, "b"), syllable(9000, 9700, "d")]
    with pytest.raises(FileFormatError) as err:
        check_no_overlaps(overlapping, "s.cbin.not.mat", samplerate=32000)
    assert str(err.value) == "s.cbin.not.mat: overlapping syllables: 'a' at 0.000-0.100 s and 'b' at 0.094-0.125 s"
    with pytest.raises(FileFormatError) as err:
        check_no_overlaps(overlapping, "s.cbin.not.mat")
    assert str(err.value) == "s.cbin.not.mat: overlapping syllables: 'a' at samples 0-3200 and 'b' at samples 3000-4000"


def test_check_no_overlaps_compares_within_each_recording():
    two = [syllable(0, 100, recording="a.cbin"), syllable(50, 150, recording="b.cbin")]
    check_no_overlaps(two, "all.csv")
    # a long syllable overlaps one that starts after a shorter one in between
    nested = [syllable(0, 1000, "long"), syllable(100, 200, "x", "b.cbin"), syllable(200, 300, "y", "b.cbin"), syllable(500, 600, "z")]
    with pytest.raises(FileFormatError, match=r"^all\.csv: overlapping syllables in s\.cbin: 'long' at samples 0-1000 and 'z' at samples 500-600$"):
        check_no_overlaps(nested, "all.csv")
