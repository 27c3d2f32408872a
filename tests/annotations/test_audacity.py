"""Audacity label tracks: the real spinetail track, plain/spectral/mixed tracks, crowsetta interop."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import pytest

from hark.annotations import Event, Kind, count_by_kind_and_label, read_audacity, write_audacity
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot

CROWSETTA_PLAIN = Path(crowsetta.__file__).parent / "examples" / "405_marron1_June_14_2016_69640887.audacity.txt"


def test_reads_the_real_spinetail_spectral_track(shared_data):
    events = read_audacity(shared_data / "soundscape" / "spinetail.txt", 44100, "spinetail.wav")
    assert count_by_kind_and_label(events) == {(Kind.ANNOTATED, "CRER"): 4, (Kind.ANNOTATED, "SP"): 14}
    assert all(e.has_frequency for e in events)
    first, last = events[0], events[-1]
    # 0.101385 s * 44100 = 4471.08 -> 4471; 0.367520 s -> 16207.63 -> 16208.
    assert (first.start, first.stop, first.label, first.low_hz, first.high_hz) == (4471, 16208, "SP", 6441.064453, 12296.577148)
    assert (last.label, last.low_hz, last.high_hz) == ("SP", 4349.810059, 12296.577148)


def test_reads_crowsettas_plain_example_track():
    events = read_audacity(CROWSETTA_PLAIN, 32000, "marron1.wav")
    assert len(events) == 61 and events[0].label == "SIL" and events[1].label == "call"
    assert (events[1].start, events[1].stop) == (24634, 36201)  # 0.7698181682 s, 1.1312740106 s at 32 kHz
    assert all(e.low_hz is None and e.high_hz is None for e in events)


def test_mixed_track_with_unknown_bounds(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text("1.0\t2.0\tplain\n3.0\t4.0\tboxed\n\\\t100.5\t2000.0\n5.0\t5.0\thalf\n\\\t-1.000000\t900.0\n")
    events = read_audacity(path, 1000, "m.wav")
    assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz) for e in events] == [
        (1000, 2000, "plain", None, None),
        (3000, 4000, "boxed", 100.5, 2000.0),
        (5000, 5000, "half", None, 900.0),
    ]


def test_write_gives_frequency_lines_only_to_events_with_bounds(tmp_path):
    events = [
        Event("m.wav", 1000, 2000, Kind.ANNOTATED, "plain"),
        Event("m.wav", 3000, 4000, Kind.ANNOTATED, "boxed", low_hz=100.5, high_hz=2000.0),
        Event("m.wav", 5000, 5000, Kind.ANNOTATED, "half", high_hz=900.0),
    ]
    out = tmp_path / "m.txt"
    assert write_audacity(out, events, 1000) == 3
    assert out.read_text() == "1.0\t2.0\tplain\n3.0\t4.0\tboxed\n\\\t100.5\t2000.0\n5.0\t5.0\thalf\n\\\t-1.0\t900.0\n"
    assert read_audacity(out, 1000, "m.wav") == events


def test_real_track_round_trips_to_the_sample_and_hertz(shared_data, tmp_path):
    events = read_audacity(shared_data / "soundscape" / "spinetail.txt", 44100, "spinetail.wav")
    out = tmp_path / "copy.txt"
    write_audacity(out, events, 44100)
    back = read_audacity(out, 44100, "spinetail.wav")
    assert back == events
    assert [(e.low_hz, e.high_hz) for e in back] == [(e.low_hz, e.high_hz) for e in events]


def test_crowsetta_reads_the_tracks_hark_writes(tmp_path):
    rate = 22050
    boxed = [Event("r.wav", 100 * i, 100 * i + 441, "annotated", f"c{i}", low_hz=50.0 * i, high_hz=8000.0) for i in range(1, 5)]
    write_audacity(tmp_path / "boxed.txt", boxed, rate)
    bboxes = crowsetta.formats.bbox.AudBBox.from_file(tmp_path / "boxed.txt").to_bbox()
    assert [(b.onset, b.offset, b.low_freq, b.high_freq, b.label) for b in bboxes] == [
        (e.start / rate, e.stop / rate, e.low_hz, e.high_hz, e.label) for e in boxed
    ]
    plain = [e.with_(low_hz=None, high_hz=None) for e in boxed]
    write_audacity(tmp_path / "plain.txt", plain, rate)
    seq = crowsetta.formats.seq.AudSeq.from_file(tmp_path / "plain.txt")
    assert list(seq.start_times) == [e.start / rate for e in plain]
    assert list(seq.labels) == [e.label for e in plain]


def test_labels_are_kept_verbatim_except_surrounding_spaces(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text('1\t2\tNA\n3\t4\t"quoted" call \n')
    assert [e.label for e in read_audacity(path, 10, "a.wav")] == ["NA", '"quoted" call']


BAD_TRACKS = [
    ("\\\t100\t200\n", 1, "frequency line (starting with '\\') without a label line before it"),
    ("1\t2\ta\n\\\t100\t200\n\\\t100\t200\n", 3, "without a label line before it"),
    ("1\t2\ta\tb\n", 1, "wrong number of columns (4; expected start, end and label"),
    ("1\t2\ta\n\\\t100\n", 2, "wrong number of columns in frequency line (2;"),
    ("1\t2\ta\n\\\tlow\thigh\n", 2, "frequencies 'low' and 'high' must be numbers of Hz"),
    ("1\tsoon\ta\n", 1, "start '1' and end 'soon' must be seconds"),
    ("1\t2\ta\n3\t4\t\n", 2, "the label is empty"),
    ("5\t2\ta\n", 1, "start 50 is after stop 20"),
    ("1\t2\ta,b\n", 1, "contains a comma"),
    ("1\t2\ta\n\\\t900\t100\n", 2, "low frequency 900 Hz is above high frequency 100 Hz"),
    ("", None, "file is empty (no labels)"),
]


@pytest.mark.parametrize(("content", "line", "reason"), BAD_TRACKS)
def test_bad_tracks_give_one_line_errors(tmp_path, content, line, reason):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(FileFormatError) as err:
        read_audacity(path, 10, "a.wav")
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(err.value).startswith(where) and reason in str(err.value) and "\n" not in str(err.value)


def test_writing_events_of_two_recordings_is_refused_and_touches_nothing(tmp_path):
    out = tmp_path / "t.txt"
    out.write_text("old")
    with pytest.raises(HarkError, match="belong to 2 recordings"):
        write_audacity(out, [Event("a.wav", 1, 2, "annotated", "x"), Event("b.wav", 1, 2, "annotated", "x")], 100)
    assert snapshot(tmp_path) == {"t.txt": b"old"}
