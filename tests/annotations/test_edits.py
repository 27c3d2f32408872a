"""The annotation-editing session: every edit saved at once, undo/redo, machine files never written."""

from __future__ import annotations

import multiprocessing

import pytest

from hark.annotations.edits import AnnotationEditor
from hark.annotations.event import Event, Kind, Status
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError
from tests.annotations.helpers import write_wav


@pytest.fixture
def recording(tmp_path):
    return write_wav(tmp_path / "song.wav", samplerate=8000, frames=8000)


def rows(path):
    return path.read_text().splitlines()


def test_each_edit_is_saved_at_once_to_the_annotators_file(recording):
    editor = AnnotationEditor(recording, "ann", frames=8000)
    assert editor.path == recording.with_name("song.wav-annotated-ann.csv")
    assert not editor.path.exists()  # nothing written before the first edit
    editor.add(100, 100, "pulse")
    assert rows(editor.path) == ["song.wav,100,100,annotated,pulse"]
    editor.add(2000, 3000, "sine", low_hz=100, high_hz=400)
    # a new session (after a crash, say) reads back exactly what was laid
    again = AnnotationEditor(recording, "ann")
    assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz, e.annotator) for e in again.events] == [
        (100, 100, "pulse", None, None, "ann"),
        (2000, 3000, "sine", 100.0, 400.0, "ann"),
    ]


def test_undo_and_redo_restore_and_save_each_state(recording):
    editor = AnnotationEditor(recording, "ann")
    point = editor.add(10, 10, "a")
    editor.add(20, 30, "b")
    editor.relabel(point, "c")
    assert [e.label for e in read_csv(editor.path)] == ["c", "b"]
    assert editor.undo() == "label 'a' at 10 as 'c'"
    assert [e.label for e in read_csv(editor.path)] == ["a", "b"]
    editor.undo()
    editor.undo()
    assert editor.path.read_text() == ""  # every annotation undone: an empty file, still saved
    assert editor.undo() is None and not editor.can_undo
    editor.redo()
    assert [e.label for e in read_csv(editor.path)] == ["a"]
    editor.add(40, 40, "d")  # a new edit drops what could have been redone
    assert not editor.can_redo and editor.redo() is None
    assert [e.label for e in read_csv(editor.path)] == ["a", "d"]


def test_editing_a_detected_event_makes_an_annotated_copy_and_leaves_the_detected_file(recording):
    detected_path = recording.with_name("song.wav-detected.csv")
    detected = [Event("song.wav", 500, 900, Kind.DETECTED, "time", low_hz=50, high_hz=300, score=0.7)]
    write_csv(detected_path, detected)
    before = detected_path.read_bytes()
    editor = AnnotationEditor(recording, "ann")
    copy = editor.relabel(detected[0], "pulse")
    assert (copy.kind, copy.label, copy.start, copy.stop, copy.low_hz, copy.high_hz, copy.score) == (
        Kind.ANNOTATED, "pulse", 500, 900, 50.0, 300.0, 0.7,
    )  # fmt: skip
    # accepting the same detection again changes that copy instead of adding a second one
    editor.set_status(detected[0], Status.REJECTED)
    assert rows(editor.path) == ["song.wav,500,900,annotated,pulse,50,300,0.7,rejected"]
    editor.reshape(copy.with_(status=Status.REJECTED), 450, 950, frequency=(400, 60))
    assert rows(editor.path) == ["song.wav,450,950,annotated,pulse,60,400,0.7,rejected"]
    assert detected_path.read_bytes() == before
    with pytest.raises(HarkError, match="only its own annotations can be deleted"):
        editor.delete(detected[0])


def test_reshape_without_frequency_keeps_the_frequency_extent(recording):
    editor = AnnotationEditor(recording, "ann")
    box = editor.add(100, 200, "x", low_hz=10, high_hz=20)
    moved = editor.reshape(box, 150, 300)
    assert (moved.start, moved.stop, moved.low_hz, moved.high_hz) == (150, 300, 10.0, 20.0)


def test_accept_and_clear_verdicts(recording):
    editor = AnnotationEditor(recording, "ann")
    event = editor.add(0, 100, "x")
    accepted = editor.set_status(event, "accepted")
    assert accepted.status is Status.ACCEPTED and editor.history[-1] == "accept 'x' at 0"
    cleared = editor.set_status(accepted, None)
    assert cleared.status is None
    assert rows(editor.path) == ["song.wav,0,100,annotated,x"]  # no verdict left: five columns again


def test_mistakes_raise_one_line_errors_and_change_nothing(recording):
    editor = AnnotationEditor(recording, "ann", frames=8000)
    editor.add(10, 20, "ok")
    saved = editor.path.read_bytes()
    with pytest.raises(HarkError, match="contains a comma"):
        editor.add(30, 40, "a,b")
    with pytest.raises(HarkError, match="run past the recording's end"):
        editor.add(7000, 9000, "late")
    with pytest.raises(HarkError, match="start 50 is after stop 40"):
        editor.add(50, 40, "backwards")
    with pytest.raises(HarkError, match="not in song.wav-annotated-ann.csv"):
        editor.delete(Event("song.wav", 1, 2, Kind.ANNOTATED, "ghost"))
    assert editor.path.read_bytes() == saved and len(editor.history) == 1


def test_bad_annotator_names_are_refused(recording):
    with pytest.raises(HarkError, match="annotator name"):
        AnnotationEditor(recording, "two words")


def test_a_file_changed_behind_the_editors_back_is_reloaded_not_overwritten(recording):
    editor = AnnotationEditor(recording, "ann")
    editor.add(10, 10, "mine")
    # another window of the same person adds a row
    other = AnnotationEditor(recording, "ann")
    other.add(500, 600, "theirs")
    editor.add(900, 900, "mine-too")
    assert [e.label for e in read_csv(editor.path)] == ["mine", "theirs", "mine-too"]
    assert editor.notices and "reloaded" in editor.notices[0]
    # the history is this editor's own: undo takes back its last edit and keeps the other's row
    assert editor.history == ["add point 'mine' at 10", "add point 'mine-too' at 900"]
    editor.undo()
    editor.undo()
    assert [e.label for e in read_csv(editor.path)] == ["theirs"]
    editor.redo()
    assert [e.label for e in read_csv(editor.path)] == ["mine", "theirs"]


def test_another_annotators_file_is_only_read(recording):
    theirs = recording.with_name("song.wav-annotated-other.csv")
    write_csv(theirs, [Event("song.wav", 5, 5, Kind.ANNOTATED, "p")])
    before = theirs.read_bytes()
    editor = AnnotationEditor(recording, "me")
    foreign = read_csv(theirs)[0]
    assert not editor.owns(foreign)
    editor.relabel(foreign, "q")
    assert theirs.read_bytes() == before
    assert rows(editor.path) == ["song.wav,5,5,annotated,q"]


def test_songexplorers_older_file_name_is_kept_when_only_it_exists(tmp_path):
    recording = write_wav(tmp_path / "old.wav")
    write_csv(tmp_path / "old-annotated-ann.csv", [Event("old.wav", 1, 1, Kind.ANNOTATED, "p")])
    editor = AnnotationEditor(recording, "ann")
    assert editor.path.name == "old-annotated-ann.csv" and len(editor.events) == 1


def test_an_edit_of_a_row_another_writer_removed_is_a_reported_conflict(recording):
    mine = AnnotationEditor(recording, "ann")
    point = mine.add(10, 10, "a")
    other = AnnotationEditor(recording, "ann")
    other.delete(point)
    with pytest.raises(HarkError, match="was changed or removed by another window or program"):
        mine.delete(point)
    with pytest.raises(HarkError, match="cannot undo \"add point 'a' at 10\": another window"):
        mine.undo()
    assert not mine.can_undo and read_csv(mine.path, allow_empty=True) == []


def _edit_at_full_speed(recording, label, count, barrier):
    editor = AnnotationEditor(recording, "ann")
    barrier.wait()  # both processes start editing at the same moment
    for index in range(count):
        editor.add(index * 10, index * 10 + 5, label)
    # undo still works per editor: take back this editor's last edit only
    assert editor.undo() == f"add range {label!r} at {(count - 1) * 10}"
    editor.redo()


def test_two_processes_editing_one_file_at_full_speed_lose_nothing(recording):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    count = 100
    workers = [context.Process(target=_edit_at_full_speed, args=(recording, label, count, barrier)) for label in ("left", "right")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    events = read_csv(recording.with_name("song.wav-annotated-ann.csv"))
    for label in ("left", "right"):
        assert sorted(e.start for e in events if e.label == label) == [index * 10 for index in range(count)]
    assert len(events) == 2 * count


def test_a_file_another_program_broke_is_never_written_over(recording):
    editor = AnnotationEditor(recording, "ann")
    editor.add(10, 10, "a")
    editor.path.write_text("song.wav,ten,20,annotated,b\n")  # another program writes a malformed row
    for attempt in range(2):  # the second edit too: the file stays "changed" until it can be read
        with pytest.raises(HarkError, match="song.wav-annotated-ann.csv"):
            editor.add(30, 30, "c")
    assert editor.path.read_text() == "song.wav,ten,20,annotated,b\n"
