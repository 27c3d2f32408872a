"""`hark convert` through the real entry point: exit codes, messages, files written or left alone."""

from __future__ import annotations

import pytest

from hark.cli.app import main
from tests.annotations.helpers import snapshot, write_wav

CSV = "song.wav,100,900,annotated,pulse\nsong.wav,2000,7999,annotated,sine\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["convert", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hark: error: ")
    return lines[0]


def test_converts_a_csv_to_raven_with_the_rate_of_the_recording_beside_it(tmp_path, capsys):
    write_wav(tmp_path / "song.wav", samplerate=1000, frames=8000)  # as long as the CSV's events
    (tmp_path / "song.wav-annotated-ann.csv").write_text(CSV)
    rc, out, err = run(capsys, "--to", "raven", tmp_path / "song.wav-annotated-ann.csv", tmp_path / "song.txt")
    assert (rc, err) == (0, "")
    assert out.strip() == f"wrote 2 events to {tmp_path / 'song.txt'} (raven)"
    assert (tmp_path / "song.txt").read_text().splitlines()[1] == "1\tSpectrogram 1\t1\t0.1\t0.9\t0.0\t500.0\tpulse"


def test_round_trip_through_audacity_with_rate_and_recording_options(tmp_path, capsys):
    (tmp_path / "in.csv").write_text(CSV)
    assert run(capsys, "--to", "audacity", "--rate", "1000", tmp_path / "in.csv", tmp_path / "a.txt")[0] == 0
    assert (tmp_path / "a.txt").read_text() == "0.1\t0.9\tpulse\n2.0\t7.999\tsine\n"
    wav = write_wav(tmp_path / "elsewhere" / "song.wav", samplerate=1000, frames=8000)
    assert run(capsys, "--to", "songexplorer", "--recording", wav, tmp_path / "a.txt", tmp_path / "back.csv")[0] == 0
    assert (tmp_path / "back.csv").read_text() == CSV


def test_help_shows_an_example(capsys):
    assert main(["convert", "--help"]) == 0
    assert "Example: hark convert --to raven" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "in.csv: file is empty (no annotation rows)"),
        ("song.wav,1,2,annotated\n", "in.csv:1: wrong number of columns (4;"),
        ("song.wav,1,2,annotated,x\nsong.wav,9,2,annotated,x\n", "in.csv:2: start 9 is after stop 2"),
        ("song.wav,1,2,guessed,x\n", "in.csv:1: unknown kind 'guessed'"),
        ("song.wav,1,2,annotated,a,b\n", "in.csv:1: wrong number of columns (6;"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_leaves_files_alone(tmp_path, capsys, content, expected):
    (tmp_path / "in.csv").write_text(content)
    (tmp_path / "out.txt").write_text("earlier output\n")
    before = snapshot(tmp_path)
    rc, out, err = run(capsys, "--to", "raven", "--rate", "1000", tmp_path / "in.csv", tmp_path / "out.txt")
    assert rc == 2 and out == ""
    assert expected in one_line_error(err)
    assert snapshot(tmp_path) == before


def test_user_mistakes_are_caught_before_any_work(tmp_path, capsys):
    (tmp_path / "in.csv").write_text(CSV)
    (tmp_path / "blocker").write_text("a file")
    before = snapshot(tmp_path)
    cases = [
        (["--to", "raven", "--rate", "1000", tmp_path / "missing.csv", tmp_path / "o.txt"], "missing.csv: no such file"),
        (["--to", "raven", "--rate", "0", tmp_path / "in.csv", tmp_path / "o.txt"], "--rate 0: the sample rate must be a positive"),
        (["--to", "raven", "--recording", tmp_path / "no.wav", tmp_path / "in.csv", tmp_path / "o.txt"], "--recording"),
        (["--to", "raven", "--rate", "1000", tmp_path / "in.csv", tmp_path / "blocker" / "o.txt"], "blocker is a file, not a folder"),
        (["--to", "raven", "--rate", "1000", tmp_path / "in.csv", tmp_path], "is a folder"),
        (["--to", "raven", tmp_path / "in.csv", tmp_path / "o.txt"], "pass --rate HZ or --recording WAV"),
    ]
    for args, expected in cases:
        rc, out, err = run(capsys, *args)
        assert rc == 2, (args, err)
        assert expected in one_line_error(err)
    assert snapshot(tmp_path) == before


def test_an_unknown_target_format_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "in.csv").write_text(CSV)
    rc, _, err = run(capsys, "--to", "praat", tmp_path / "in.csv", tmp_path / "o.txt")
    assert rc == 2 and "praat" in err
    assert not (tmp_path / "o.txt").exists()


def test_several_recordings_to_raven_is_an_error_naming_the_count(tmp_path, capsys):
    (tmp_path / "in.csv").write_text("a.wav,1,2,annotated,x\nb.wav,1,2,annotated,x\n")
    rc, _, err = run(capsys, "--to", "raven", "--rate", "10", tmp_path / "in.csv", tmp_path / "o.txt")
    assert rc == 2 and "belong to 2 recordings" in one_line_error(err)
    assert not (tmp_path / "o.txt").exists()


def test_bird_song_annotations_convert_with_the_rate_of_the_recording_beside_them(shared_data, tmp_path, capsys):
    from hark.annotations.songexplorer import read_csv

    notmat = shared_data / "finch" / "gy6or6_baseline_230312_0808.138.cbin.not.mat"
    out = tmp_path / "song.csv"
    assert main(["convert", "--to", "songexplorer", str(notmat), str(out)]) == 0
    events = read_csv(out)
    assert len(events) == 78 and events[0].recording == "gy6or6_baseline_230312_0808.138.cbin"
    assert (events[0].start, events[0].label) == (40889, "i")  # onsets in ms x 32 kHz, exact samples
    alone = tmp_path / "alone.cbin.not.mat"
    alone.write_bytes(notmat.read_bytes())
    assert main(["convert", "--to", "raven", str(alone), str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err
    assert "no recording found beside it" in err and err.strip().endswith("pass --recording")  # the library's parameter as the flag
