"""Opening a recording for the GUI: everyone's events in lanes, problems reported, nothing written."""

from __future__ import annotations

import pytest

from hark.annotations.event import Event, Kind, Status
from hark.annotations.folder import scan_folder
from hark.annotations.songexplorer import write_csv
from hark.errors import HarkError
from hark.gui.loaded import load_recording
from hark.gui.paths import DataFolder
from hark.gui.review import ReviewFilter, ReviewQueue
from tests.annotations.helpers import snapshot, write_wav


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    write_wav(root / "song.wav", samplerate=8000, frames=8000)
    write_csv(root / "song.wav-detected.csv", [Event("song.wav", 100, 200, Kind.DETECTED, "time"),
                                              Event("song.wav", 300, 400, Kind.DETECTED, "time")])  # fmt: skip
    write_csv(root / "song.wav-annotated-bob.csv", [Event("song.wav", 50, 50, Kind.ANNOTATED, "pulse")])
    return DataFolder(root)


def open_song(data, annotator="me"):
    folder = scan_folder(data.root)
    return load_recording(data, "song.wav", annotator, folder.entries[0])


def test_lanes_hold_the_own_file_each_other_annotator_and_each_machine_kind(data):
    loaded = open_song(data)
    assert loaded.lanes({Kind.ANNOTATED, Kind.DETECTED, Kind.PREDICTED}) == ["annotated: me", "annotated: bob", "detected", "predicted"]
    loaded.editor.add(10, 10, "pulse")
    assert [(s.lane, s.own, s.event.start) for s in loaded.shown({Kind.ANNOTATED, Kind.DETECTED})] == [
        ("annotated: me", True, 10), ("annotated: bob", False, 50), ("detected", False, 100), ("detected", False, 300),
    ]  # fmt: skip
    assert loaded.labels() == ["pulse"]


def test_a_reviewed_detection_leaves_the_review_queue(data):
    loaded = open_song(data)
    first = next(s.event for s in loaded.shown({Kind.DETECTED}))
    loaded.editor.set_status(first.with_(label="pulse"), Status.REJECTED)
    review = ReviewQueue(loaded.shown({Kind.ANNOTATED, Kind.DETECTED}), loaded.editor.events, ReviewFilter())
    assert [(s.lane, s.event.start, s.event.status) for s in review.items] == [("annotated: bob", 50, None), ("detected", 300, None)]
    assert [(e.start, e.label, e.status) for e in loaded.editor.events] == [(100, "pulse", Status.REJECTED)]


def test_malformed_files_are_reported_and_the_own_one_switches_editing_off(data):
    (data.root / "song.wav-predicted-1.0pr.csv").write_text("song.wav,1,2,predicted,x\nsong.wav,9,oops,predicted,x\n")
    (data.root / "song.wav-annotated-me.csv").write_text("song.wav,1,1,annotated\n")
    before = snapshot(data.root)
    loaded = open_song(data)
    assert loaded.editor is None
    assert any("song.wav-annotated-me.csv:1: wrong number of columns" in p and "editing is off" in p for p in loaded.problems)
    assert any("song.wav-predicted-1.0pr.csv:2: stop 'oops' is not a number — its events are not shown" in p for p in loaded.problems)
    assert [s.event.start for s in loaded.shown({Kind.DETECTED, Kind.PREDICTED})] == [100, 300]
    assert snapshot(data.root) == before


def test_an_unreadable_recording_or_one_outside_is_a_one_line_error(data, tmp_path):
    (data.root / "noise.wav").write_bytes(b"not audio at all")
    with pytest.raises(HarkError, match="noise.wav"):
        load_recording(data, "noise.wav", "me")
    write_wav(tmp_path / "outside.wav")
    with pytest.raises(HarkError, match="outside the data folder"):
        load_recording(data, "../outside.wav", "me")
