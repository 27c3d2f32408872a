"""`hark calls` through the real entry point: tables written, one-line errors, nothing written on a mistake."""

from __future__ import annotations

import csv

import pytest

from hark.annotations import Event, Kind, write_csv
from hark.cli.app import main
from tests.annotations.helpers import snapshot
from tests.calls.helpers import add_call, background, sweep_hz, write


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["calls", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def recording(tmp_path):
    samples = background(0.3)
    span = add_call(samples, 0.1, sweep_hz(50_000, 70_000, 0.050))
    path = write(tmp_path / "m.wav", samples)
    write_csv(tmp_path / "m.wav-annotated-ann.csv", [Event("m.wav", *span, Kind.ANNOTATED, "usv")])
    return path


def test_measures_the_annotated_calls_beside_a_recording(recording, tmp_path, capsys):
    rc, out, err = run(capsys, "--out", tmp_path / "stats", "-p", "min_hz=20000", "--no-progress", recording)
    assert (rc, err) == (0, "")
    assert out.splitlines() == [
        f"{tmp_path / 'stats' / 'm.wav-calls.csv'}: 1 call (from m.wav-annotated-ann.csv)",
        f"{tmp_path / 'stats' / 'calls.xlsx'}: 1 calls of 1 recording(s)",
    ]
    with open(tmp_path / "stats" / "m.wav-calls.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert float(row["start_frequency_hz"]) == pytest.approx(50_000, abs=1000)
    assert float(row["end_frequency_hz"]) == pytest.approx(70_000, abs=1000)
    assert float(row["slope_hz_per_s"]) == pytest.approx(400_000, rel=0.02)


def test_help_shows_an_example_and_the_parameters(capsys):
    assert main(["calls", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "Example: " in help_text and "hark calls --out DIR REC..." in help_text
    assert "contour_db = 20" in help_text and "min_tonality = 0.3" in help_text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "window_ms=0"], "hark calls parameters: window_ms: Input should be greater than 0"),
        (["-p", "colour=red"], "hark calls parameters: colour: unknown parameter"),
        (["--events", "{dir}/nothing.csv"], "--events {dir}/nothing.csv: no such file"),
        (["{dir}/absent.wav"], "{dir}/absent.wav: no such recording"),
        (["--events", "{dir}/m.wav"], "m.wav:1: not a text file"),
        (["--events", "{dir}/boxes.csv"], "boxes.csv:2: low frequency 90000 Hz is above high frequency 60000 Hz"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(recording, tmp_path, capsys, args, expected):
    (tmp_path / "boxes.csv").write_text("m.wav,100,2000,predicted,usv,40000,60000,0.9\nm.wav,3000,4000,predicted,usv,90000,60000,0.8\n")
    before = snapshot(tmp_path)
    rc, out, err = run(capsys, "--out", tmp_path / "stats", *[a.format(dir=tmp_path) for a in args], recording)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("hark: error: "), err
    assert expected.format(dir=tmp_path) in lines[0]
    assert snapshot(tmp_path) == before
