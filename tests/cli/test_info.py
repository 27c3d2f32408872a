"""`hark info` on a recording, a folder and a CSV: tables, JSON, warnings instead of crashes."""

from __future__ import annotations

import json

from hark.cli.app import main
from tests.annotations.helpers import write_wav


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["info", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_recording_shows_format_and_the_annotations_beside_it(tmp_path, capsys):
    write_wav(tmp_path / "song.wav", samplerate=2500, frames=5000, channels=2)
    (tmp_path / "song.wav-annotated-ann.csv").write_text("song.wav,1,2,annotated,pulse\nsong.wav,3,4,annotated,pulse\n")
    (tmp_path / "song-detected.csv").write_text("song.wav,1,9,detected,time\n")
    (tmp_path / "other-detected.csv").write_text("other.wav,1,9,detected,time\n")  # not this recording's
    rc, out, err = run(capsys, tmp_path / "song.wav")
    assert (rc, err) == (0, "")
    for fact in ("2500 Hz", "2.000 s", "5000", "WAV / PCM_16", "song.wav-annotated-ann.csv", "song-detected.csv"):
        assert fact in out
    assert "other-detected.csv" not in out
    rows = [line.split("│")[1:4] for line in out.splitlines() if line.startswith("│")]
    assert [[c.strip() for c in row] for row in rows] == [["annotated", "pulse", "2"], ["detected", "time", "1"]]

    rc, out, _ = run(capsys, "--json", tmp_path / "song.wav")
    report = json.loads(out)
    assert rc == 0
    assert {k: report[k] for k in ("samplerate", "frames", "channels", "format", "subtype", "duration_s")} == {
        "samplerate": 2500,
        "frames": 5000,
        "channels": 2,
        "format": "WAV",
        "subtype": "PCM_16",
        "duration_s": 2.0,
    }
    assert report["annotations"] == [
        {"kind": "annotated", "label": "pulse", "count": 2},
        {"kind": "detected", "label": "time", "count": 1},
    ]


def test_folder_lists_recordings_counts_and_warns_about_bad_files(tmp_path, capsys):
    write_wav(tmp_path / "s1" / "a.wav", samplerate=8000, frames=16000)
    write_wav(tmp_path / "b.flac", samplerate=48000, frames=4800)
    (tmp_path / "s1" / "broken.wav").write_bytes(b"this is not audio")
    (tmp_path / "s1" / "a-annotated-x.csv").write_text("a.wav,1,2,annotated,pulse\na.wav,5,9,annotated,sine\n")
    (tmp_path / "s1" / "a-predicted-1.0pr.csv").write_text("a.wav,1,2,predicted,pulse\n")
    (tmp_path / "s1" / "a-detected.csv").write_text("a.wav,9,1,detected,time\n")  # malformed
    (tmp_path / "ghost-annotated-x.csv").write_text("ghost.wav,1,2,annotated,pulse\n")  # orphan
    rc, out, err = run(capsys, tmp_path)
    assert rc == 0
    assert "2 recordings in" in out
    assert "s1/a.wav" in out and "b.flac" in out and "48000" in out and "2.000" in out
    warnings = err.strip().splitlines()
    assert len(warnings) == 3 and all(w.startswith("warning: ") for w in warnings)
    assert any("unreadable recording" in w and "broken.wav" in w for w in warnings)
    assert any("unreadable annotation file s1/a-detected.csv" in w and "start 9 is after stop 1" in w for w in warnings)
    assert any("orphan CSV ghost-annotated-x.csv" in w for w in warnings)

    rc, out, _ = run(capsys, tmp_path, "--json")
    report = json.loads(out)
    assert [r["path"] for r in report["recordings"]] == ["b.flac", "s1/a.wav"]
    assert report["recordings"][1]["annotation_files"] == ["s1/a-annotated-x.csv", "s1/a-detected.csv", "s1/a-predicted-1.0pr.csv"]
    assert report["annotations"] == [
        {"kind": "annotated", "label": "pulse", "count": 1},
        {"kind": "annotated", "label": "sine", "count": 1},
        {"kind": "predicted", "label": "pulse", "count": 1},
    ]
    assert [u["path"] for u in report["unreadable"]] == ["s1/broken.wav"]
    assert report["orphans"] == [{"path": "ghost-annotated-x.csv", "reason": "no recording 'ghost' (with or without extension) beside it"}]


def test_real_fly_folder_counts(shared_data, capsys):
    rc, out, _ = run(capsys, "--json", shared_data / "fly")
    report = json.loads(out)
    assert rc == 0 and len(report["recordings"]) == 3 and report["warnings"] == []
    counts = {(a["kind"], a["label"]): a["count"] for a in report["annotations"]}
    assert counts == {
        ("annotated", "ambient"): 33,
        ("annotated", "mel-pulse"): 140,
        ("annotated", "mel-sine"): 26,
        ("annotated", "not_mel-pulse"): 138,
        ("annotated", "not_mel-sine"): 124,
    }


def test_csv_counts(tmp_path, capsys):
    (tmp_path / "x.csv").write_text("a.wav,1,2,annotated,pulse\nb.wav,1,2,annotated,pulse\n")
    rc, out, _ = run(capsys, "--json", tmp_path / "x.csv")
    assert rc == 0
    assert json.loads(out)["annotations"] == [{"kind": "annotated", "label": "pulse", "count": 2}]
    assert json.loads(out)["recordings"] == ["a.wav", "b.wav"]


def test_mistakes_are_one_line_errors(tmp_path, capsys):
    for path, expected in [
        (tmp_path / "nope", "no such file or folder"),
        (tmp_path / "notes.docx", "not a recording"),
        (tmp_path / "bad.csv", "bad.csv:1: wrong number of columns"),
        (tmp_path / "broken.wav", "broken.wav"),
    ]:
        if path.name != "nope":
            path.write_text("x,y\n")
        rc, out, err = run(capsys, path)
        assert rc == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hark: error: ") and expected in lines[0], err


def test_help_shows_an_example(capsys):
    assert main(["info", "--help"]) == 0
    assert "Example: hark info" in capsys.readouterr().out


def test_annotation_files_not_named_after_a_recording_are_named_with_the_command_that_reads_them(tmp_path, capsys):
    # The USV collection's layout: rec_1.wav beside a headerless call table gt_1.csv (seconds)
    write_wav(tmp_path / "1" / "rec_1.wav", samplerate=8000, frames=16000)
    (tmp_path / "1" / "gt_1.csv").write_text("0.10,0.20\n0.50,0.75\n1.00,1.25\n")
    (tmp_path / "1" / "notes.txt").write_text("recorded on a Tuesday\n")  # not annotations: not listed
    (tmp_path / "clips.csv").write_text("file,label\n1/rec_1.wav,mouse\n")
    rc, out, err = run(capsys, tmp_path, "--json")
    report = json.loads(out)
    assert rc == 0 and report["annotations"] == []
    unnamed = {u["path"]: u for u in report["unnamed"]}
    assert sorted(unnamed) == ["1/gt_1.csv", "clips.csv"]
    assert unnamed["1/gt_1.csv"]["format"] == "usv" and unnamed["clips.csv"]["format"] == "labeltable"
    assert f"hark info {tmp_path / 'clips.csv'}" in unnamed["clips.csv"]["use"]

    rc, out, err = run(capsys, tmp_path)
    lines = [line for line in out.splitlines() if line.startswith("not read: 1/gt_1.csv")]
    assert len(lines) == 1
    # the printed command, run as printed, makes the calls the folder's annotations
    command = lines[0].split(": ", 2)[2].removeprefix("not named after a recording: ")
    assert command.startswith("hark convert ")
    assert main(command.split()[1:]) == 0
    capsys.readouterr()
    rc, out, _ = run(capsys, tmp_path, "--json")
    report = json.loads(out)
    assert report["annotations"] == [{"kind": "annotated", "label": "usv", "count": 3}]  # the call table's label
    assert [u["path"] for u in report["unnamed"]] == ["1/gt_1.csv", "clips.csv"]
