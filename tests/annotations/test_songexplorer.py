"""SongExplorer CSVs: the real fly files, exact round trips, and one-line errors for bad rows."""

from __future__ import annotations

import os

import pytest

from hark.annotations import Event, Kind, count_by_kind_and_label, read_csv, write_csv
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot

FLY_PERSON1 = "fly/PS_20130625111709_ch3.wav-annotated-person1.csv"


def test_reads_the_real_fly_annotations(shared_data):
    events = read_csv(shared_data / FLY_PERSON1)
    assert count_by_kind_and_label(events) == {
        (Kind.ANNOTATED, "ambient"): 15,
        (Kind.ANNOTATED, "mel-pulse"): 73,
        (Kind.ANNOTATED, "mel-sine"): 11,
    }
    # First row of the file: PS_20130625111709_ch3.wav,5013,10972,annotated,ambient (CRLF endings).
    assert events[0] == Event("PS_20130625111709_ch3.wav", 5013, 10972, Kind.ANNOTATED, "ambient")
    assert {e.annotator for e in events} == {"person1"}
    assert all(e.is_point for e in events if e.label == "mel-pulse")


def test_reads_the_real_notsong_annotations(shared_data):
    events = read_csv(shared_data / "fly/PS_20130625111709_ch3.wav-annotated-notsong.csv")
    assert count_by_kind_and_label(events) == {(Kind.ANNOTATED, "not_mel-pulse"): 37, (Kind.ANNOTATED, "not_mel-sine"): 49}


def test_real_file_round_trips_to_the_same_events(shared_data, tmp_path):
    events = read_csv(shared_data / FLY_PERSON1)
    out = tmp_path / "copy.wav-annotated-person1.csv"
    assert write_csv(out, events) == 99
    assert read_csv(out) == events
    # Written with \n endings and exactly SongExplorer's five columns.
    text = out.read_text()
    assert "\r" not in text and text.splitlines()[0] == "PS_20130625111709_ch3.wav,5013,10972,annotated,ambient"
    assert all(line.count(",") == 4 for line in text.splitlines())


def test_extra_columns_round_trip_exactly(tmp_path):
    events = [
        Event("a.wav", 10, 20, Kind.DETECTED, "hi", low_hz=6441.064453, high_hz=12296.577148, score=0.12345678901234566),
        Event("a.wav", 30, 30, Kind.PREDICTED, "pulse", score=1e-12),
        Event("a.wav", 40, 50, Kind.ANNOTATED, "sine", low_hz=100.0),
    ]
    out = tmp_path / "x.csv"
    write_csv(out, events)
    assert out.read_text() == (
        "a.wav,10,20,detected,hi,6441.064453,12296.577148,0.12345678901234566\n"
        "a.wav,30,30,predicted,pulse,,,1e-12\n"
        "a.wav,40,50,annotated,sine,100,,\n"
    )
    back = read_csv(out)
    for written, read in zip(events, back):
        assert (read.low_hz, read.high_hz, read.score) == (written.low_hz, written.high_hz, written.score)
    assert back == events


def test_extras_are_written_only_when_asked_or_needed(tmp_path):
    plain = [Event("a.wav", 1, 2, "annotated", "x")]
    boxed = [Event("a.wav", 1, 2, "annotated", "x", low_hz=5.5, high_hz=7.0)]
    write_csv(tmp_path / "auto-plain.csv", plain)
    write_csv(tmp_path / "auto-boxed.csv", boxed)
    write_csv(tmp_path / "forced.csv", plain, extras=True)
    write_csv(tmp_path / "dropped.csv", boxed, extras=False)
    assert (tmp_path / "auto-plain.csv").read_text() == "a.wav,1,2,annotated,x\n"
    assert (tmp_path / "auto-boxed.csv").read_text() == "a.wav,1,2,annotated,x,5.5,7,\n"
    assert (tmp_path / "forced.csv").read_text() == "a.wav,1,2,annotated,x,,,\n"
    assert (tmp_path / "dropped.csv").read_text() == "a.wav,1,2,annotated,x\n"


def test_crlf_bom_and_blank_lines_are_accepted_and_line_numbers_stay_true(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfa.wav,1,2,annotated,x\r\n\r\n\r\na.wav,5,3,annotated,y\r\n")
    with pytest.raises(FileFormatError) as err:
        read_csv(path)
    assert str(err.value) == f"{path}:4: start 5 is after stop 3"
    path.write_bytes(b"\xef\xbb\xbfa.wav,1,2,annotated,x\r\n\r\n")
    assert read_csv(path) == [Event("a.wav", 1, 2, "annotated", "x")]


def test_songexplorer_mistakes_rows_with_a_sixth_column_are_read(tmp_path):
    # mistakes.py writes wavfile,start,stop,correct|mistaken,classified_as,annotated_as.
    path = tmp_path / "rec-mistakes.csv"
    path.write_text("rec.wav,1,2,mistaken,sine,pulse\nrec.wav,3,4,correct,pulse,pulse\n")
    events = read_csv(path)
    assert [(e.kind, e.label) for e in events] == [(Kind.MISTAKEN, "sine"), (Kind.CORRECT, "pulse")]


BAD_ROWS = [
    ("a.wav,1,2,annotated\n", 1, "wrong number of columns (4; expected 5, or 8, 9 or 10 with low_hz,high_hz,score[,status[,channel]])"),
    ("a.wav,1,2,annotated,x\na.wav,1,2\n", 2, "wrong number of columns (3;"),
    ("a.wav,1,2,annotated,x,y\n", 1, "(6; expected 5, or 8, 9 or 10 with low_hz,high_hz,score[,status[,channel]]) — a label may not contain a comma"),
    ("a.wav,1,2,annotated,x,y,1,2,3,4,5\n", 1, "(11; expected 5, or 8, 9 or 10"),
    ("a.wav,1,2,annotated,x,1,2,3,,-1\n", 1, "channel -1 is negative"),
    ("a.wav,1,2,annotated,x,1,2,3,,one\n", 1, "channel 'one' is not a number"),
    ("a.wav,9,2,annotated,x\n", 1, "start 9 is after stop 2"),
    ("a.wav,1,2,guessed,x\n", 1, "unknown kind 'guessed'"),
    ("a.wav,1,2,annotated,\n", 1, "the label is empty"),
    ("a.wav,1.5,2,annotated,x\n", 1, "start '1.5' is not a whole number of samples"),
    ("a.wav,one,2,annotated,x\n", 1, "start 'one' is not a number"),
    ("a.wav,-3,2,annotated,x\n", 1, "start -3 is negative"),
    ("wavfile,start,stop,kind,label\n", 1, "looks like a header row"),
    ("a.wav,1,2,annotated,x,low,,\n", 1, "low_hz 'low' is not a number"),
    (",1,2,annotated,x\n", 1, "the recording name is empty"),
]


@pytest.mark.parametrize(("content", "line", "reason"), BAD_ROWS)
def test_each_bad_row_is_one_line_naming_file_and_line(tmp_path, content, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(FileFormatError) as err:
        read_csv(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: ")
    assert reason in message
    assert "\n" not in message
    assert err.value.line == line


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_file_is_an_error_unless_allowed(tmp_path, content):
    path = tmp_path / "rec-detected.csv"
    path.write_text(content)
    with pytest.raises(FileFormatError, match=r"file is empty \(no annotation rows\)$"):
        read_csv(path)
    assert read_csv(path, allow_empty=True) == []


def test_a_missing_path_and_a_folder_are_one_line_errors(tmp_path):
    with pytest.raises(HarkError, match="no such file"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(HarkError, match="is a folder"):
        read_csv(tmp_path)


def test_binary_and_non_utf8_files_are_rejected_with_a_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a.wav,1,2,annotated,x\na.wav,1,2,annotated,caf\xe9\n")
    with pytest.raises(FileFormatError, match=r":2: not UTF-8 text"):
        read_csv(path)
    path.write_bytes(b"RIFF\x00\x00WAVE")
    with pytest.raises(FileFormatError, match="not a text file"):
        read_csv(path)


def test_annotator_comes_from_the_file_name_in_both_naming_styles(tmp_path):
    for name in ("rec.wav-annotated-alice.csv", "rec-annotated-bob-2.csv"):
        (tmp_path / name).write_text("rec.wav,1,2,annotated,x\n")
    assert read_csv(tmp_path / "rec.wav-annotated-alice.csv")[0].annotator == "alice"
    assert read_csv(tmp_path / "rec-annotated-bob-2.csv")[0].annotator == "bob-2"
    (tmp_path / "rec-detected.csv").write_text("rec.wav,1,2,detected,x\n")
    assert read_csv(tmp_path / "rec-detected.csv")[0].annotator is None


def test_a_crash_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old.wav,1,2,annotated,old\n")
    before = snapshot(tmp_path)

    def events_then_crash():
        yield Event("a.wav", 1, 2, "annotated", "x")
        yield Event("a.wav", 3, 4, "annotated", "y")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_csv(out, events_then_crash(), extras=False)
    assert snapshot(tmp_path) == before
    # extras=None reads the events first: same guarantee.
    with pytest.raises(RuntimeError):
        write_csv(out, events_then_crash())
    assert snapshot(tmp_path) == before


def test_a_recording_name_with_a_comma_cannot_be_written(tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old\n")
    with pytest.raises(HarkError, match="contains ','"):
        write_csv(out, [Event("a,b.wav", 1, 2, "annotated", "x")])
    assert snapshot(tmp_path) == {"keep.csv": b"old\n"}


def test_writing_under_a_regular_file_fails_cleanly(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("precious")
    with pytest.raises(HarkError) as err:
        write_csv(blocker / "out.csv", [Event("a.wav", 1, 2, "annotated", "x")])
    assert "\n" not in str(err.value)
    assert snapshot(tmp_path) == {"not-a-folder": b"precious"}


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_writing_into_a_read_only_folder_fails_cleanly(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.csv").write_text("old\n")
    folder.chmod(0o500)
    try:
        with pytest.raises(HarkError, match="not writable"):
            write_csv(folder / "out.csv", [Event("a.wav", 1, 2, "annotated", "x")])
        assert (folder / "out.csv").read_text() == "old\n"
    finally:
        folder.chmod(0o700)


def test_replacing_keeps_the_mode_of_the_old_file(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    write_csv(out, [Event("a.wav", 1, 2, "annotated", "x")])
    assert out.stat().st_mode & 0o777 == 0o640
    assert out.read_text() == "a.wav,1,2,annotated,x\n"


def test_status_travels_in_a_ninth_column_and_eight_column_files_still_read(tmp_path):
    from hark.annotations.event import Status

    events = [
        Event("r.wav", 1, 5, Kind.DETECTED, "usv", low_hz=30000, high_hz=60000, score=0.9, status="accepted"),
        Event("r.wav", 7, 9, Kind.DETECTED, "usv", status=Status.REJECTED),
        Event("r.wav", 11, 12, Kind.DETECTED, "usv"),
    ]
    path = tmp_path / "r.wav-detected.csv"
    write_csv(path, events)
    lines = path.read_text().splitlines()
    assert lines[0] == "r.wav,1,5,detected,usv,30000,60000,0.9,accepted"
    assert lines[2] == "r.wav,11,12,detected,usv,,,,"  # nine columns once any event has a status
    back = read_csv(path)
    assert [e.status for e in back] == [Status.ACCEPTED, Status.REJECTED, None]
    path.write_text("r.wav,1,5,detected,usv,1,2,0.5\n")
    assert read_csv(path)[0].status is None
    path.write_text("r.wav,1,5,detected,usv,1,2,0.5,maybe\n")
    with pytest.raises(FileFormatError, match=r"r.wav-detected.csv:1: unknown status 'maybe'"):
        read_csv(path)
