"""`hark convert` of the ultrasonic world's formats: call tables and soundevent projects, through the entry point."""

from __future__ import annotations

import pytest

from hark.annotations import read_csv
from hark.cli.app import main
from tests.annotations.helpers import snapshot, write_wav


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["convert", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.shared_data
def test_real_gt_table_with_recording_and_label(shared_data, tmp_path, capsys):
    folder = shared_data / "usv" / "2"
    out = tmp_path / "rec_2.wav-annotated-gt.csv"
    rc, stdout, err = run(capsys, "--to", "songexplorer", "--recording", folder / "rec_2.wav", "--label", "call", folder / "gt_2.csv", out)
    assert (rc, err) == (0, "")
    assert stdout.strip() == f"wrote 44 events to {out} (songexplorer)"
    events = read_csv(out)
    assert len(events) == 44 and {(e.recording, e.label, e.annotator) for e in events} == {("rec_2.wav", "call", "gt")}


@pytest.mark.shared_data
def test_real_bat_project_into_a_folder(shared_data, tmp_path, capsys):
    source = shared_data / "bat" / "example_annotation_project.json"
    rc, stdout, err = run(capsys, "--to", "hark", source, tmp_path / "truth")
    assert (rc, err) == (0, "")
    assert stdout.strip() == f"wrote 433 events to 10 files in {tmp_path / 'truth'} (hark)"
    assert len(list((tmp_path / "truth").glob("*-annotated-mbsantiago.csv"))) == 10


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--to", "hark", "--rate", "1000", "{dir}/p.json", "{dir}/out"], "--rate, --recording and --label do not apply to a soundevent project"),
        (["--to", "hark", "{dir}/p.json", "{dir}/p.json"], "is a file; a soundevent project converts into a folder"),
        (["--to", "hark", "--annotator", "x", "{dir}/t.csv", "{dir}/o.csv"], "--annotator applies only to a soundevent project"),
        (["--to", "hark", "--label", "a,b", "{dir}/t.csv", "{dir}/o.csv"], "--label: the label 'a,b' contains a comma"),
        (["--to", "hark", "{dir}/t.csv", "{dir}/o.csv"], "t.csv: a start_seconds,end_seconds table names no recording, and its folder holds 2 audio files"),
        (["--to", "hark", "--recording", "{dir}/a.wav", "{dir}/bad.csv", "{dir}/o.csv"], "bad.csv:2: end 0.1 s is before start 0.3 s"),
        (["--to", "hark", "{dir}/v2.json", "{dir}/out"], "v2.json: soundevent format version '0.9' is not supported (supported: 1.1.0)"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(tmp_path, capsys, args, expected):
    write_wav(tmp_path / "a.wav")
    write_wav(tmp_path / "b.wav")
    (tmp_path / "t.csv").write_text("0.01,0.02\n")
    (tmp_path / "bad.csv").write_text("0.01,0.02\n0.3,0.1\n")
    (tmp_path / "p.json").write_text('{"version": "1.1.0", "data": {}}')
    (tmp_path / "v2.json").write_text('{"version": "0.9", "data": {}}')
    before = snapshot(tmp_path)
    rc, stdout, err = run(capsys, *[a.format(dir=tmp_path) for a in args])
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("hark: error: "), err
    assert expected in lines[0]
    assert snapshot(tmp_path) == before
