"""Ground-truth folders: recordings in subfolders or the root, CSVs by kind, orphans reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from hark.annotations import Event, Kind, OrphanCSV, count_by_kind_and_label, scan_folder
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import write_wav


@pytest.fixture
def groundtruth(tmp_path) -> Path:
    root = tmp_path / "groundtruth"
    write_wav(root / "session1" / "a.wav")
    write_wav(root / "session1" / "b.wav")
    write_wav(root / "c.wav")  # directly in the root, as ../shared/data/fly has them
    files = {
        "session1/a.wav-annotated-alice.csv": "a.wav,10,20,annotated,pulse\na.wav,30,40,annotated,sine\n",
        "session1/a-detected.csv": "",  # a detection run over silence
        "session1/a-predicted-1.0pr.csv": "a.wav,10,22,predicted,pulse\n",
        "session1/a-mistakes.csv": "a.wav,10,20,mistaken,sine,pulse\na.wav,30,40,correct,sine,sine\n",
        "session1/zzz-annotated-bob.csv": "zzz.wav,1,2,annotated,pulse\n",  # no zzz.wav: orphan
        "session1/notes.csv": "not,an,annotation\n",  # no SongExplorer name: ignored
        "c-annotated-bob.csv": "c.wav,5,5,annotated,pulse\n",
        "oldfiles-20230101T000000/c-annotated-bob.csv": "c.wav,5,5,annotated,old\n",
        ".hidden/c-annotated-bob.csv": "c.wav,5,5,annotated,hidden\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_scan_finds_recordings_csvs_by_kind_and_orphans(groundtruth):
    folder = scan_folder(groundtruth)
    assert [p.relative_to(groundtruth).as_posix() for p in folder.recordings] == ["c.wav", "session1/a.wav", "session1/b.wav"]
    c, a, b = folder.entries
    s1 = groundtruth / "session1"
    assert a.csvs == {
        Kind.ANNOTATED: (s1 / "a.wav-annotated-alice.csv",),
        Kind.DETECTED: (s1 / "a-detected.csv",),
        Kind.PREDICTED: (s1 / "a-predicted-1.0pr.csv",),
        Kind.MISTAKEN: (s1 / "a-mistakes.csv",),
    }
    assert b.csvs == {}
    assert c.csvs == {Kind.ANNOTATED: (groundtruth / "c-annotated-bob.csv",)}
    assert folder.orphans == (OrphanCSV(s1 / "zzz-annotated-bob.csv", "no recording 'zzz' (with or without extension) beside it"),)
    assert a.csv_paths([Kind.CORRECT]) == [s1 / "a-mistakes.csv"]


def test_load_events_filters_by_kind_and_label_and_names_recordings_from_the_root(groundtruth):
    folder = scan_folder(groundtruth)
    annotated = folder.load_events(kinds=["annotated"])
    assert annotated == [
        Event("c.wav", 5, 5, Kind.ANNOTATED, "pulse"),
        Event("session1/a.wav", 10, 20, Kind.ANNOTATED, "pulse"),
        Event("session1/a.wav", 30, 40, Kind.ANNOTATED, "sine"),
    ]
    assert {e.annotator for e in annotated} == {"alice", "bob"}
    assert all((groundtruth / e.recording).is_file() for e in annotated)
    assert folder.load_events(kinds=[Kind.ANNOTATED, Kind.PREDICTED], labels=["pulse"]) == [
        Event("c.wav", 5, 5, Kind.ANNOTATED, "pulse"),
        Event("session1/a.wav", 10, 20, Kind.ANNOTATED, "pulse"),
        Event("session1/a.wav", 10, 22, Kind.PREDICTED, "pulse"),
    ]
    assert folder.load_events(kinds="correct") == [Event("session1/a.wav", 30, 40, Kind.CORRECT, "sine")]
    assert count_by_kind_and_label(folder.load_events()) == {
        (Kind.ANNOTATED, "pulse"): 2,
        (Kind.ANNOTATED, "sine"): 1,
        (Kind.PREDICTED, "pulse"): 1,
        (Kind.MISTAKEN, "sine"): 1,
        (Kind.CORRECT, "sine"): 1,
    }


def test_unknown_kinds_and_bad_csvs_raise_one_line_errors(groundtruth):
    with pytest.raises(HarkError, match="unknown kind 'guessed'"):
        scan_folder(groundtruth).load_events(kinds=["guessed"])
    (groundtruth / "c-detected.csv").write_text("c.wav,9,1,detected,x\n")
    with pytest.raises(FileFormatError, match=r"c-detected.csv:1: start 9 is after stop 1"):
        scan_folder(groundtruth).load_events()


def test_missing_root_and_file_root_are_errors(tmp_path):
    with pytest.raises(HarkError, match="no such folder"):
        scan_folder(tmp_path / "nope")
    (tmp_path / "f").write_text("")
    with pytest.raises(HarkError, match="is a file, not a folder"):
        scan_folder(tmp_path / "f")


def test_ambiguous_csv_is_an_orphan(tmp_path):
    write_wav(tmp_path / "song.wav")
    write_wav(tmp_path / "song.flac")
    (tmp_path / "song-detected.csv").write_text("")
    folder = scan_folder(tmp_path)
    assert folder.orphans == (OrphanCSV(tmp_path / "song-detected.csv", "matches several recordings (song.flac, song.wav)"),)


def test_the_real_fly_folder(shared_data):
    folder = scan_folder(shared_data / "fly")
    assert [p.name for p in folder.recordings] == ["20161207T102314_ch1.wav", "Antigua_20110313095210_ch26.wav", "PS_20130625111709_ch3.wav"]
    assert folder.orphans == ()
    counts = count_by_kind_and_label(folder.load_events(kinds=["annotated"], labels=["mel-pulse", "mel-sine", "ambient"]))
    assert counts == {(Kind.ANNOTATED, "ambient"): 33, (Kind.ANNOTATED, "mel-pulse"): 140, (Kind.ANNOTATED, "mel-sine"): 26}
