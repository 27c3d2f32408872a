"""Clip-label tables (file,label[,split][,group]): read as ground truth, names as written or
URL-encoded, refused in one line when a row is wrong, converted into per-recording files."""

from __future__ import annotations

import pytest

from hark.annotations import Event, Kind, read_csv, scan_folder
from hark.annotations.clip_table import read_clip_table
from hark.annotations.convert import convert_clip_table
from hark.annotations.folder import lists_recordings
from hark.annotations.formats import detect_format
from hark.cli.app import main
from hark.errors import HarkError
from tests.annotations.helpers import snapshot, write_wav

RATE = 8000


@pytest.fixture
def clips(tmp_path):
    """Three clips with a space, a '#' and a literal '%20' in their names (as InsectSet32 has both)."""
    write_wav(tmp_path / "set" / "a b #1.wav", RATE, 800)
    write_wav(tmp_path / "set" / "c%20d.wav", RATE, 1600)
    write_wav(tmp_path / "e.wav", RATE, 400)
    return tmp_path


def test_a_table_lists_its_files_relative_to_itself_encoded_or_not(clips):
    (clips / "clips.csv").write_text(
        "File,Label,Order,Split,Group\n"  # header in any case, extra columns ignored
        "set/a%20b%20%231.wav,cricket,Orthoptera,train,g1\n"  # encoded; on disk with a space and '#'
        "set/c%20d.wav,cicada,Cicadidae,validation,\n"  # on disk as written, '%20' and all
        "e.wav,cricket,Orthoptera,TRAIN,g1\n"
    )
    table = read_clip_table(clips / "clips.csv")
    assert [row.file for row in table.rows] == ["set/a b #1.wav", "set/c%20d.wav", "e.wav"]
    assert table.labels == ["cicada", "cricket"]
    assert table.validation() == ["set/c%20d.wav"]
    assert table.groups() == {"set/a b #1.wav": "g1", "e.wav": "g1"}
    assert detect_format(clips / "clips.csv") == "labeltable" and lists_recordings(clips / "clips.csv")

    folder = scan_folder(clips / "clips.csv")  # the table stands for the folder of its recordings
    assert folder.root == clips and folder.validation == ("set/c%20d.wav",)
    assert sorted(folder.load_events(), key=lambda e: e.recording) == [
        Event("e.wav", 0, 400, Kind.ANNOTATED, "cricket"),
        Event("set/a b #1.wav", 0, 800, Kind.ANNOTATED, "cricket"),
        Event("set/c%20d.wav", 0, 1600, Kind.ANNOTATED, "cicada"),
    ]


def test_a_tab_separated_table_with_a_filename_column_reads_the_same(clips):
    (clips / "clips.tsv").write_text("filename\tlabel\nset/a b #1.wav\tcricket\ne.wav\tcicada\n")
    assert [(row.file, row.label, row.split) for row in read_clip_table(clips / "clips.tsv").rows] == [
        ("set/a b #1.wav", "cricket", None), ("e.wav", "cicada", None)
    ]


def test_event_tables_and_songexplorer_csvs_are_not_clip_tables(clips):
    (clips / "events.csv").write_text("file,start,stop,label\ne.wav,0.1,0.2,x\n")
    (clips / "e.wav-annotated-me.csv").write_text("e.wav,1,2,annotated,x\n")
    assert not lists_recordings(clips / "events.csv")
    assert not lists_recordings(clips / "e.wav-annotated-me.csv")
    assert detect_format(clips / "e.wav-annotated-me.csv") != "labeltable"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("e.wav,cricket\nmissing%20one.wav,cicada\n", r"clips.csv:3: no such file 'missing%20one.wav' \(nor 'missing one.wav'\) in "),
        ("e.wav,cricket\nset/a b #1.wav,cicada\nset/a%20b%20%231.wav,cicada\n", r"clips.csv:4: set/a b #1.wav is listed twice \(first on line 3\)"),
        ("e.wav,\n", r"clips.csv:2: .*label"),
        (",cricket\n", r"clips.csv:2: the file column is empty"),
    ],
)
def test_a_bad_row_is_one_line_naming_the_table_and_its_line(clips, rows, message):
    (clips / "clips.csv").write_text("file,label\n" + rows)
    with pytest.raises(HarkError, match=message) as err:
        read_clip_table(clips / "clips.csv")
    assert "\n" not in str(err.value)


def test_a_split_other_than_train_or_validation_is_refused(clips):
    (clips / "clips.csv").write_text("file,label,split\ne.wav,cricket,train\nset/c%20d.wav,cicada,test\n")
    with pytest.raises(HarkError, match=r"clips.csv:3: split 'test' is neither train nor validation"):
        read_clip_table(clips / "clips.csv")


def test_a_table_converts_into_one_file_per_recording_beside_where_it_lies(clips):
    (clips / "clips.csv").write_text("file,label\nset/a%20b%20%231.wav,cricket\ne.wav,cicada\n")
    written = convert_clip_table(clips / "clips.csv", clips / "out", "hark")
    assert sorted(path.relative_to(clips / "out").as_posix() for path, _ in written) == [
        "e.wav-annotated-clips.csv", "set/a b #1.wav-annotated-clips.csv"
    ]
    assert read_csv(clips / "out" / "set" / "a b #1.wav-annotated-clips.csv") == [Event("a b #1.wav", 0, 800, Kind.ANNOTATED, "cricket")]


def test_hark_convert_and_info_take_a_table_and_a_bad_one_writes_nothing(clips, capsys):
    (clips / "clips.csv").write_text("file,label,split\nset/a%20b%20%231.wav,cricket,train\ne.wav,cricket,validation\n")
    assert main(["info", str(clips / "clips.csv")]) == 0
    out = capsys.readouterr().out
    assert "2 recordings listed by" in out and "split column: 1 training, 1 validation" in out
    assert main(["convert", "--to", "raven", str(clips / "clips.csv"), str(clips / "raven")]) == 0
    assert "wrote 2 files" in capsys.readouterr().out

    (clips / "clips.csv").write_text("file,label\ne.wav,cricket\nnot-there.wav,cricket\n")
    before = snapshot(clips)
    assert main(["convert", "--to", "hark", str(clips / "clips.csv"), str(clips / "hark")]) != 0
    err = capsys.readouterr().err
    assert "clips.csv:3: no such file 'not-there.wav'" in err and len(err.strip().splitlines()) == 1
    assert snapshot(clips) == before and not (clips / "hark").exists()
