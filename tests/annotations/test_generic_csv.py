"""crowsetta's generic-seq CSV: each reads the other's files, seconds and samples, bad files."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import pytest

from hark.annotations import Event, Kind, looks_like_generic_csv, read_generic_csv, read_notmat, write_generic_csv
from hark.errors import FileFormatError, HarkError

CROWSETTA_BIRD1 = Path(crowsetta.__file__).parent / "examples" / "bird1.csv"
HEADER = "label,onset_s,offset_s,onset_sample,offset_sample,notated_path,annot_path,sequence,annotation"


def test_reads_crowsettas_example_in_seconds_with_the_rate():
    events = read_generic_csv(CROWSETTA_BIRD1, samplerate=32000)
    reference = crowsetta.formats.seq.GenericSeq.from_file(CROWSETTA_BIRD1).to_annot()
    segments = [s for annot in reference for s in annot.seq.segments]
    assert [e.label for e in events] == [s.label for s in segments]
    assert [e.start for e in events] == [round(s.onset_s * 32000) for s in segments]
    assert [e.recording for e in events] == [str(annot.notated_path) for annot in reference for _ in annot.seq.segments]
    assert events[0].recording == "lbr3009_0005_2017_04_27_06_14_46.wav"
    assert {(e.kind, e.annotator) for e in events} == {(Kind.ANNOTATED, "generic-seq")}
    with pytest.raises(HarkError, match="bird1.csv: times are in seconds only; give the sample rate"):
        read_generic_csv(CROWSETTA_BIRD1)


def test_reads_what_crowsetta_writes_from_the_real_finch_songs(shared_data, tmp_path):
    notmats = sorted((shared_data / "finch").glob("*.cbin.not.mat"))
    annots = [crowsetta.formats.seq.NotMat.from_file(p).to_annot(round_times=False) for p in notmats]
    path = tmp_path / "finch.csv"
    crowsetta.formats.seq.GenericSeq(annots=annots).to_file(path)
    events = read_generic_csv(path, samplerate=32000, basename=True)
    assert events == [e for p in notmats for e in read_notmat(p)]
    assert read_generic_csv(path, samplerate=32000)[0].recording == str(shared_data / "finch" / notmats[0].name.removesuffix(".not.mat"))


@pytest.mark.parametrize("samplerate", [None, 32000])
def test_crowsetta_reads_what_hark_writes(tmp_path, samplerate):
    events = [
        Event("b.cbin", 100, 200, Kind.ANNOTATED, "call-a"),
        Event("a.cbin", 40889, 43239, Kind.ANNOTATED, "i"),
        Event("b.cbin", 10, 50, Kind.ANNOTATED, 'say "hi"'),  # quoted by the csv module
    ]
    path = tmp_path / "out.csv"
    assert write_generic_csv(path, events, samplerate) == 3
    assert read_generic_csv(path) == [events[2], events[0], events[1]]  # by recording, then time
    header = path.read_text().splitlines()[0]
    assert header == (HEADER if samplerate else HEADER.replace("onset_s,offset_s,", ""))
    annots = crowsetta.formats.seq.GenericSeq.from_file(path).to_annot()
    assert [str(a.notated_path) for a in annots] == ["b.cbin", "a.cbin"]
    assert [(s.label, s.onset_sample) for s in annots[0].seq.segments] == [('say "hi"', 10), ("call-a", 100)]
    if samplerate:
        assert annots[1].seq.segments[0].onset_s == pytest.approx(40889 / 32000)


def test_labels_that_pandas_takes_for_missing_values_stay_labels(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text("label,onset_sample,offset_sample,notated_path\nNA,1,2,a.wav\nnull,3,4,a.wav\n")
    assert [e.label for e in read_generic_csv(path)] == ["NA", "null"]


def test_recognises_a_generic_header():
    assert looks_like_generic_csv(HEADER)
    assert looks_like_generic_csv("label,onset_sample,offset_sample,notated_path")
    assert not looks_like_generic_csv("song.wav,1,2,annotated,pulse")
    assert not looks_like_generic_csv("")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", None, "file is empty (no header and no segments)"),
        (HEADER + "\n", None, "no segments (the file has only a header)"),
        ("onset_sample,offset_sample,notated_path\n1,2,a.wav\n", 1, "not a generic-seq CSV: no 'label' column (the columns are onset_sample, offset_sample, notated_path)"),
        ("label,onset_sample,notated_path\na,1,a.wav\n", 1, "has a 'onset_sample' column but no 'offset_sample'"),
        ("label,notated_path\na,a.wav\n", 1, "not a generic-seq CSV: no onset_s,offset_s nor onset_sample,offset_sample columns (the columns are label, notated_path)"),
        ("label,onset_sample,offset_sample,notated_path\na,1,2,a.wav\nb,3,4\n", 3, "wrong number of columns (3; the header has 4)"),
        ("label,onset_sample,offset_sample,notated_path\na,1.5,2,a.wav\n", 2, "onset_sample '1.5' is not a whole number of samples"),
        ("label,onset_sample,offset_sample,notated_path\na,1,2,None\n", 2, "notated_path is empty: hark needs the recording each segment is in"),
        ("label,onset_sample,offset_sample,notated_path\na,5,2,a.wav\n", 2, "start 5 is after stop 2"),
        ("label,onset_sample,offset_sample,notated_path\na,,,a.wav\n", 2, "no onset and offset: both the sample and the seconds cells are empty"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, text, line, reason):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FileFormatError) as err:
        read_generic_csv(path)
    assert str(err.value) == (f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


def test_pandas_float_samples_and_missing_samples_fall_back_to_seconds(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "\na,0.5,1.0,,,s.wav,x.mat,0,0\nb,1.0,1.5,2000.0,3000.0,s.wav,x.mat,0,0\n")
    assert read_generic_csv(path, samplerate=2000) == [
        Event("s.wav", 1000, 2000, Kind.ANNOTATED, "a"),
        Event("s.wav", 2000, 3000, Kind.ANNOTATED, "b"),
    ]
    with pytest.raises(HarkError, match=r"mixed\.csv:2: this row's times are in seconds only; give the sample rate"):
        read_generic_csv(path)
