"""Raven selection tables: crowsetta's example, exact round trips, view duplicates, errors."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import pytest

from hark.annotations import Event, Kind, read_raven, write_raven
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot

CROWSETTA_RAVEN = Path(crowsetta.__file__).parent / "examples" / "Recording_1_Segment_02.Table.1.selections.txt"
HEADER = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tAnnotation\n"


def test_reads_crowsettas_example_table_with_a_species_column():
    events = read_raven(CROWSETTA_RAVEN, 48000, "Recording_1_Segment_02.wav")
    assert len(events) == 6 and {e.label for e in events} == {"EATO"}
    first = events[0]
    # 154.387792767 s * 48000 = 7410614.05 -> 7410614; 154.911598217 s -> 7435756.71 -> 7435757.
    assert (first.start, first.stop) == (7410614, 7435757)
    assert (first.low_hz, first.high_hz) == (2878.2, 4049.0)
    assert first.kind is Kind.ANNOTATED and first.recording == "Recording_1_Segment_02.wav"


def test_round_trip_keeps_samples_frequencies_and_scores_exactly(tmp_path):
    rate = 44100
    events = [
        Event("s.wav", 4471, 16208, Kind.ANNOTATED, "SP", low_hz=6441.064453, high_hz=12296.577148),
        Event("s.wav", 22355, 22355, Kind.ANNOTATED, "click", low_hz=100.5, high_hz=200.25, score=0.987654321),
        Event("s.wav", 1, 861_000, Kind.ANNOTATED, "NA", low_hz=0.0, high_hz=22050.0),
    ]
    out = tmp_path / "s.Table.1.selections.txt"
    assert write_raven(out, events, rate) == 3
    back = read_raven(out, rate, "s.wav")
    assert back == events
    assert [(e.low_hz, e.high_hz, e.score) for e in back] == [(e.low_hz, e.high_hz, e.score) for e in events]
    lines = out.read_text().splitlines()
    assert lines[0] == HEADER.rstrip("\n") + "\tScore"
    assert lines[1] == "1\tSpectrogram 1\t1\t0.10138321995464852\t0.3675283446712018\t6441.064453\t12296.577148\tSP\t"


def test_events_without_frequencies_span_zero_to_nyquist(tmp_path):
    out = tmp_path / "t.txt"
    write_raven(out, [Event("a.wav", 2500, 5000, "detected", "pulse")], 2500)
    assert out.read_text() == HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0.0\t1250.0\tpulse\n"


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside crowsetta, with pandas 3
def test_crowsetta_reads_the_tables_hark_writes(tmp_path):
    rate = 48000
    events = [Event("r.wav", 48000 + i * 4800, 52800 + i * 4800, "annotated", f"call{i}", low_hz=1000.0 + i, high_hz=5000.0) for i in range(5)]
    out = tmp_path / "r.txt"
    write_raven(out, events, rate)
    bboxes = crowsetta.formats.bbox.Raven.from_file(out).to_bbox()
    assert [(b.onset, b.offset, b.low_freq, b.high_freq, b.label) for b in bboxes] == [
        (e.start / rate, e.stop / rate, e.low_hz, e.high_hz, e.label) for e in events
    ]


def test_one_row_per_selection_when_raven_repeats_it_per_view(tmp_path):
    path = tmp_path / "views.txt"
    path.write_text(
        HEADER
        + "1\tWaveform 1\t1\t1.0\t2.0\t0\t1250\tpulse\n"
        + "1\tSpectrogram 1\t1\t1.0\t2.0\t300\t900\tpulse\n"
        + "2\tSpectrogram 1\t1\t3.0\t4.0\t100\t200\tsine\n"
        + "2\tWaveform 1\t1\t3.0\t4.0\t0\t1250\tsine\n"
    )
    events = read_raven(path, 2500, "a.wav")
    assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz) for e in events] == [
        (2500, 5000, "pulse", 300.0, 900.0),
        (7500, 10000, "sine", 100.0, 200.0),
    ]


def test_rows_repeating_a_selection_number_in_the_same_view_are_all_kept(tmp_path):
    path = tmp_path / "renumbered.txt"
    path.write_text(HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\tx\n" + "1\tSpectrogram 1\t1\t3.0\t4.0\t0\t100\ty\n")
    assert [e.label for e in read_raven(path, 10, "a.wav")] == ["x", "y"]


def test_multi_file_tables_use_begin_file_and_file_offset(tmp_path):
    path = tmp_path / "multi.txt"
    path.write_text(
        "Selection\tBegin Time (s)\tEnd Time (s)\tBegin File\tFile Offset (s)\tLabel\n"
        "1\t1.0\t1.5\ta.wav\t1.0\tx\n"
        "2\t12.0\t12.5\tb.wav\t2.0\ty\n"
    )
    events = read_raven(path, 1000)
    assert [(e.recording, e.start, e.stop, e.low_hz) for e in events] == [("a.wav", 1000, 1500, None), ("b.wav", 2000, 2500, None)]


BAD_TABLES = [
    ("Selection\tBegin Time (s)\tAnnotation\n1\t1.0\tx\n", 1, "not a Raven selection table: no 'End Time (s)' column"),
    ("Selection\tBegin Time (s)\tEnd Time (s)\n1\t1.0\t2.0\n", 1, "no label column (looked for one of Annotation"),
    (HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\tx\textra\n", 2, "wrong number of columns (9; the header has 8)"),
    (HEADER + "1\tSpectrogram 1\t1\tsoon\t2.0\t0\t100\tx\n", 2, "Begin Time (s) 'soon' is not a number"),
    (HEADER + "1\tSpectrogram 1\t1\t3.0\t2.0\t0\t100\tx\n", 2, "start 3 is after stop 2"),
    (HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\t\n", 2, "the label is empty"),
    (HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\ta,b\n", 2, "contains a comma"),
    (HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t500\t100\tx\n", 2, "low frequency 500 Hz is above high frequency 100 Hz"),
    (HEADER, None, "no selections (the table has only a header)"),
    ("", None, "file is empty"),
]


@pytest.mark.parametrize(("content", "line", "reason"), BAD_TABLES)
def test_bad_tables_give_one_line_errors(tmp_path, content, line, reason):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(FileFormatError) as err:
        read_raven(path, 1, "a.wav")
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(err.value).startswith(where) and reason in str(err.value) and "\n" not in str(err.value)


def test_short_rows_from_spreadsheets_read_missing_cells_as_empty(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text(HEADER.replace("\tAnnotation", "\tAnnotation\tScore") + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\tx\n")
    assert read_raven(path, 10, "a.wav")[0].score is None


def test_table_without_recording_column_needs_a_recording(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(HEADER + "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t100\tx\n")
    with pytest.raises(HarkError, match="cannot tell which recording"):
        read_raven(path, 10)
    with pytest.raises(HarkError, match="sample rate 0 must be a positive"):
        read_raven(path, 0, "a.wav")


def test_writing_events_of_two_recordings_is_refused_and_touches_nothing(tmp_path):
    out = tmp_path / "t.txt"
    out.write_text("old")
    with pytest.raises(HarkError, match=r"belong to 2 recordings \(a.wav, b.wav\)"):
        write_raven(out, [Event("a.wav", 1, 2, "annotated", "x"), Event("b.wav", 1, 2, "annotated", "x")], 100)
    assert snapshot(tmp_path) == {"t.txt": b"old"}
