"""Two-column call tables: the real USV ground truth and tools' detections, variants, bad rows, round trips."""

from __future__ import annotations

import pytest

from hark.annotations import Event, Kind, convert_annotations, detect_format, read_csv, read_usv_table, write_usv_table
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot, write_wav

RATE = 250000
GT_CALLS = {1: 16, 2: 44, 3: 36, 4: 21}
# Rows per file of the other tools, counted with `wc -l` (every file ends in a newline, no blank lines).
TOOL_ROWS = {
    "deepsqueak": {1: 16, 2: 39, 3: 36, 4: 17},
    "mupet": {1: 16, 2: 42, 3: 35, 4: 2},
    "vocalmat": {1: 17, 2: 46, 3: 36, 4: 23},
    "msa1": {1: 16, 2: 46, 3: 36, 4: 27},
    "msa2": {1: 17, 2: 49, 3: 36, 4: 36},
}


@pytest.mark.shared_data
@pytest.mark.parametrize("n", sorted(GT_CALLS))
def test_reads_the_real_hand_marked_calls(shared_data, n):
    events = read_usv_table(shared_data / "usv" / str(n) / f"gt_{n}.csv", RATE, f"rec_{n}.wav")
    assert len(events) == GT_CALLS[n]
    assert {(e.recording, e.kind, e.label) for e in events} == {(f"rec_{n}.wav", Kind.ANNOTATED, "usv")}
    assert all(0 <= e.start < e.stop <= RATE * 6.01 for e in events)
    assert [e.start for e in events] == sorted(e.start for e in events)


@pytest.mark.shared_data
def test_first_real_call_rounds_to_the_nearest_sample(shared_data):
    first = read_usv_table(shared_data / "usv" / "1" / "gt_1.csv", RATE, "rec_1.wav")[0]
    # 0.057999999999993 s and 0.065999999999974 s at 250 kHz: 14499.999... and 16499.99...
    assert (first.start, first.stop) == (14500, 16500)


@pytest.mark.shared_data
@pytest.mark.parametrize("tool", sorted(TOOL_ROWS))
def test_reads_every_tools_real_detections(shared_data, tool):
    for n, rows in TOOL_ROWS[tool].items():
        events = read_usv_table(shared_data / "usv" / str(n) / f"{tool}_{n}.csv", RATE, f"rec_{n}.wav", kind=Kind.DETECTED)
        assert len(events) == rows, (tool, n)
        assert all(e.kind is Kind.DETECTED and e.start < e.stop for e in events)


@pytest.mark.shared_data
def test_msa1_decimal_commas_in_quotes(shared_data):
    # msa1_1.csv's first row is "0,0775","0,0811": seconds written with a decimal comma.
    first = read_usv_table(shared_data / "usv" / "1" / "msa1_1.csv", RATE, "rec_1.wav")[0]
    assert (first.start, first.stop) == (19375, 20275)


def test_variants_read_alike(tmp_path):
    expected = [(100, 250), (1000, 1500)]
    variants = {
        "plain.csv": "0.1,0.25\n1.0,1.5\n",
        "crlf_bom_blank.csv": "\ufeff\r\n0.1,0.25\r\n\r\n1.0,1.5\r\n",
        "header.csv": "start_seconds,end_seconds\n0.1,0.25\n1.0,1.5\n",
        "semicolons.csv": "0,1;0,25\n1,0;1,5\n",
        "quoted.csv": '"0,1","0,25"\n"1","1,5"\n',
        "tabs.txt": "0.1\t0.25\n1.0\t1.5\n",
        "spaces.csv": " 0.1 , 0.25 \n1e0,15e-1\n",
    }
    for name, text in variants.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        events = read_usv_table(tmp_path / name, 1000, "r.wav", label="call")
        assert [(e.start, e.stop) for e in events] == expected, name
        assert {e.label for e in events} == {"call"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0.1,0.2\n0.3\n", r"t.csv:2: wrong number of columns \(1; expected start_seconds,end_seconds"),
        ("0.1,0.2\n0,3,0,4\n", r"t.csv:2: wrong number of columns \(4;"),
        ("0.1,0.2,0.3\n", r"t.csv:1: wrong number of columns \(3;"),
        ("0.1,0.2\n0.5,abc\n", r"t.csv:2: end 'abc' is not a number of seconds"),
        ("0.1,0.2\nstart,end\n", r"t.csv:2: start 'start' is not a number of seconds"),
        ("0.5,0.2\n", r"t.csv:1: end 0.2 s is before start 0.5 s"),
        ("-0.5,0.2\n", r"t.csv:1: start -0.5 s is negative"),
        ("0.1,nan\n", r"t.csv:1: end 'nan' is not a number of seconds"),
        ("\n\n", r"t.csv: file is empty"),
        ("start,end\n", r"t.csv: file is empty"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, content, expected):
    (tmp_path / "t.csv").write_text(content)
    with pytest.raises(FileFormatError, match=expected):
        read_usv_table(tmp_path / "t.csv", 1000, "r.wav")


def test_an_empty_table_is_allowed_when_asked(tmp_path):
    (tmp_path / "t.csv").write_text("")
    assert read_usv_table(tmp_path / "t.csv", 1000, "r.wav", allow_empty=True) == []


def test_write_then_read_gives_the_same_samples(tmp_path):
    events = [Event("r.wav", s, s + d, Kind.ANNOTATED, "usv") for s, d in [(0, 1), (14500, 2000), (1234567, 89), (1499999, 1)]]
    assert write_usv_table(tmp_path / "t.csv", events, RATE) == 4
    assert (tmp_path / "t.csv").read_text().splitlines()[1] == "0.058,0.066"
    assert read_usv_table(tmp_path / "t.csv", RATE, "r.wav") == events


def test_write_refuses_events_of_two_recordings(tmp_path):
    events = [Event("a.wav", 0, 1, Kind.ANNOTATED, "usv"), Event("b.wav", 0, 1, Kind.ANNOTATED, "usv")]
    with pytest.raises(HarkError, match="2 recordings"):
        write_usv_table(tmp_path / "t.csv", events, RATE)
    assert not (tmp_path / "t.csv").exists()


def test_detected_as_a_call_table(tmp_path):
    (tmp_path / "a.csv").write_text("0.1,0.2\n")
    (tmp_path / "h.csv").write_text("start,end\n0.1,0.2\n")
    (tmp_path / "s.csv").write_text("r.wav,1,2,annotated,x\n")
    assert [detect_format(tmp_path / n) for n in ("a.csv", "h.csv", "s.csv")] == ["usv", "usv", "songexplorer"]


@pytest.mark.shared_data
def test_converts_real_gt_into_a_ground_truth_csv(shared_data, tmp_path):
    folder = shared_data / "usv" / "1"
    before = snapshot(folder)
    out = tmp_path / "rec_1.wav-annotated-gt.csv"
    # The recording beside gt_1.csv (the only audio file there) names it and gives its rate.
    assert convert_annotations(folder / "gt_1.csv", out, "songexplorer") == 16
    assert out.read_text().splitlines()[0] == "rec_1.wav,14500,16500,annotated,usv"
    events = read_csv(out)
    assert len(events) == 16 and events[0].annotator == "gt"
    assert snapshot(folder) == before


def test_convert_names_the_recording_and_label(tmp_path):
    wav = write_wav(tmp_path / "audio" / "m1.wav", samplerate=250000, frames=250000)
    (tmp_path / "calls.csv").write_text("0.1,0.2\n")
    convert_annotations(tmp_path / "calls.csv", tmp_path / "out.csv", "songexplorer", recording=wav, label="squeak")
    assert (tmp_path / "out.csv").read_text() == "m1.wav,25000,50000,annotated,squeak\n"
    convert_annotations(tmp_path / "out.csv", tmp_path / "back.csv", "usv", recording=wav)
    assert (tmp_path / "back.csv").read_text() == "0.1,0.2\n"


def test_convert_without_a_recording_says_how_to_name_it(tmp_path):
    (tmp_path / "calls.csv").write_text("0.1,0.2\n")
    with pytest.raises(HarkError, match=r"calls.csv: a start_seconds,end_seconds table names no recording, and its folder holds no audio file; name the recording"):
        convert_annotations(tmp_path / "calls.csv", tmp_path / "out.csv", "songexplorer", samplerate=1000)
    # A Raven table holds no recording name, so the rate alone is enough.
    assert convert_annotations(tmp_path / "calls.csv", tmp_path / "out.txt", "raven", samplerate=1000) == 1
    with pytest.raises(HarkError, match="a label can be given only to a start_seconds,end_seconds call table"):
        convert_annotations(tmp_path / "out.txt", tmp_path / "x.csv", "hark", samplerate=1000, label="x")
