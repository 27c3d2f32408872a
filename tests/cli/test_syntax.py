"""`hark syntax` through the real entry point: the finch songs' transitions against an independent count,
tables and figures written, one-line errors with nothing written."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import soundfile as sf
import typer.main

from hark.annotations import Event, Kind, write_csv
from hark.calls.syntax import DEFAULT_BOUT_GAP_MS, SyntaxParams
from hark.cli.app import app, main
from tests.conftest import REPO_ROOT
from tests.docs_blocks import Tutorial, find_block, page_blocks, shared_workdir

RATE = 8000


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["syntax", "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def notmat_transitions(path: Path, bout_gap_ms: float) -> Counter:
    """First-order transitions of one song, straight from evsonganaly's file (onsets and offsets in ms)."""
    song = scipy.io.loadmat(path, squeeze_me=True)
    labels = str(song["labels"])
    onsets, offsets = np.atleast_1d(song["onsets"]), np.atleast_1d(song["offsets"])
    order = np.argsort(onsets, kind="stable")
    counts: Counter = Counter()
    latest_offset = offsets[order[0]]
    for before, after in zip(order[:-1], order[1:]):
        if onsets[after] - latest_offset <= bout_gap_ms:  # same bout
            counts[(labels[before], labels[after])] += 1
            latest_offset = max(latest_offset, offsets[after])
        else:
            latest_offset = offsets[after]
    return counts


@pytest.mark.shared_data
@pytest.mark.parametrize("bout_gap_ms", [DEFAULT_BOUT_GAP_MS, 100_000.0])
def test_finch_transitions_match_the_not_mat_files(shared_data, tmp_path, capsys, bout_gap_ms):
    finch = shared_data / "finch"
    songs = sorted(finch.glob("*.cbin.not.mat"))
    assert len(songs) == 7
    rc, out, err = run(capsys, "--out", tmp_path / "syntax", "--bout-gap-ms", bout_gap_ms, "--no-figures", finch)
    assert (rc, err) == (0, "")
    expected_by_song = {song.name.removesuffix(".not.mat"): notmat_transitions(song, bout_gap_ms) for song in songs}
    if bout_gap_ms == 100_000.0:  # one bout per song: every two successive syllables of its label string
        for song in songs:
            labels = str(scipy.io.loadmat(song, squeeze_me=True)["labels"])
            assert expected_by_song[song.name.removesuffix(".not.mat")] == Counter(zip(labels, labels[1:]))
    expected = sum(expected_by_song.values(), Counter())
    written = rows(tmp_path / "syntax" / "transitions.csv")
    assert list(written[0]) == ["from", "to", "count", "probability"]
    assert {(r["from"], r["to"]): int(r["count"]) for r in written} == dict(expected)
    out_of = Counter()
    for (before, _), count in expected.items():
        out_of[before] += count
    for row in written:
        assert float(row["probability"]) == pytest.approx(int(row["count"]) / out_of[row["from"]], rel=1e-12)
    per_recording = Counter()
    for row in rows(tmp_path / "syntax" / "transitions-per-recording.csv"):
        per_recording[(Path(row["recording"]).name, row["from"], row["to"])] += int(row["count"])
    assert per_recording == Counter({(song, *pair): n for song, counts in expected_by_song.items() for pair, n in counts.items()})
    assert f"{sum(expected.values())} transitions between 11 call type(s)" in out
    summary = rows(tmp_path / "syntax" / "summary.csv")
    assert summary[-1]["recording"] == "(pooled)" and int(summary[-1]["transitions"]) == sum(expected.values())
    assert int(summary[-1]["calls"]) == sum(len(str(scipy.io.loadmat(s, squeeze_me=True)["labels"])) for s in songs)


def write_recording(folder: Path, name: str, seconds: float = 3.0) -> Path:
    path = folder / name
    sf.write(path, np.zeros(int(seconds * RATE), dtype=np.float32), RATE)
    return path


def at(seconds: float) -> int:
    return int(round(seconds * RATE))


def annotated(recording: str, spec: list[tuple[str, float, float]], kind: Kind = Kind.ANNOTATED) -> list[Event]:
    return [Event(recording, at(start), at(stop), kind, label) for label, start, stop in spec]


# bouts a b a | b b (0.5 s silence between them): transitions a->b, b->a, b->b
SONG = [("a", 0.0, 0.1), ("b", 0.15, 0.25), ("a", 0.30, 0.40), ("b", 0.90, 1.00), ("b", 1.10, 1.20)]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "songs"
    root.mkdir()
    write_recording(root, "s.wav")
    write_csv(root / "s.wav-annotated-me.csv", annotated("s.wav", SONG))
    return root


def test_tables_and_figures_of_a_constructed_folder(folder, tmp_path, capsys):
    out_dir = tmp_path / "out"
    rc, out, err = run(capsys, "--out", out_dir, "--bout-gap-ms", 300, folder)
    assert (rc, err) == (0, "")
    assert out.strip() == f"{out_dir / 'transitions.csv'}: 3 transitions between 2 call type(s), 5 calls in 2 bouts of 1 recording(s)"
    assert rows(out_dir / "transitions.csv") == [
        {"from": "a", "to": "b", "count": "1", "probability": "1"},
        {"from": "b", "to": "a", "count": "1", "probability": "0.5"},
        {"from": "b", "to": "b", "count": "1", "probability": "0.5"},
    ]
    bouts = rows(out_dir / "bouts.csv")
    assert [(b["bout"], b["calls"], b["sequence"]) for b in bouts] == [("1", "3", "a b a"), ("2", "2", "b b")]
    assert float(bouts[0]["duration_s"]) == pytest.approx(0.4) and float(bouts[0]["call_rate_per_s"]) == pytest.approx(7.5)
    intervals = rows(out_dir / "intervals.csv")
    assert [float(i["onset_interval_s"]) for i in intervals] == pytest.approx([0.15, 0.15, 0.2])
    assert [float(i["gap_s"]) for i in intervals] == pytest.approx([0.05, 0.05, 0.1])
    (recording, pooled) = rows(out_dir / "summary.csv")
    assert recording["recording"] == str(folder / "s.wav") and pooled["recording"] == "(pooled)"
    assert (pooled["calls"], pooled["bouts"], pooled["call_types"]) == ("5", "2", "2")
    assert float(pooled["onset_interval_s_median"]) == pytest.approx(0.15)
    assert float(pooled["call_rate_per_s"]) == pytest.approx(5 / 0.7)
    for figure in ("transition-matrix.png", "transition-diagram.png"):
        data = (out_dir / figure).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_bout_edges_and_label_filter(folder, tmp_path, capsys):
    rc, _, err = run(capsys, "--out", tmp_path / "out", "--bout-edges", "--labels", "b", "--no-figures", folder)
    assert (rc, err) == (0, "")
    # the a's left out before the bouts are made: b (0.15) then b b after 0.65 s of silence
    assert {(r["from"], r["to"]): r["count"] for r in rows(tmp_path / "out" / "transitions.csv")} == {
        ("<start>", "b"): "2", ("b", "<end>"): "2", ("b", "b"): "1"
    }
    assert not (tmp_path / "out" / "transition-matrix.png").exists()


def test_a_csv_given_by_itself_takes_the_rate_from_the_option(tmp_path, capsys):
    table = tmp_path / "preds.csv"
    write_csv(table, annotated("gone.wav", SONG, Kind.PREDICTED))
    rc, _, err = run(capsys, "--out", tmp_path / "out", table)
    assert rc == 2 and "--rate HZ" in err and "gone.wav" in err and not (tmp_path / "out").exists()
    rc, _, err = run(capsys, "--out", tmp_path / "out", "--rate", RATE, "--kinds", "predicted", "--no-figures", table)
    assert (rc, err) == (0, "")
    assert len(rows(tmp_path / "out" / "transitions.csv")) == 3


def test_a_file_given_beside_its_folder_is_read_once(folder, tmp_path, capsys):
    rc, out, err = run(capsys, "--out", tmp_path / "out", "--no-figures", folder / "s.wav-annotated-me.csv", folder, folder)
    assert (rc, err) == (0, "")
    assert "3 transitions between 2 call type(s), 5 calls in 2 bouts of 1 recording(s)" in out


def test_one_call_type_is_allowed_with_a_note(tmp_path, capsys):
    root = tmp_path / "mice"
    root.mkdir()
    write_recording(root, "m.wav")
    write_csv(root / "m.wav-annotated-me.csv", annotated("m.wav", [("usv", 0.0, 0.01), ("usv", 0.05, 0.06), ("usv", 2.0, 2.01)]))
    rc, out, err = run(capsys, "--out", tmp_path / "out", root)
    assert (rc, err) == (0, "")
    assert out.startswith("note: one call type ('usv')")
    assert rows(tmp_path / "out" / "transitions.csv") == [{"from": "usv", "to": "usv", "count": "1", "probability": "1"}]
    assert (tmp_path / "out" / "transition-diagram.png").is_file()


def test_two_sources_of_one_recording_must_be_chosen_between(folder, tmp_path, capsys):
    write_csv(folder / "s.wav-predicted-1.0pr.csv", annotated("s.wav", SONG[:3], Kind.PREDICTED))
    rc, _, err = run(capsys, "--out", tmp_path / "out", folder)
    assert rc == 2 and "its events come from 2 files" in err and "--kinds" in err
    assert not (tmp_path / "out").exists()
    rc, _, err = run(capsys, "--out", tmp_path / "out", "--kinds", "predicted", "--no-figures", folder)
    assert (rc, err) == (0, "")
    assert len(rows(tmp_path / "out" / "transitions.csv")) == 2  # a->b, b->a


def bad_inputs(tmp_path: Path) -> dict[str, tuple[list, str]]:
    empty = tmp_path / "empty"
    empty.mkdir()
    unlabelled = tmp_path / "unlabelled"
    unlabelled.mkdir()
    write_recording(unlabelled, "u.wav")
    write_csv(unlabelled / "u.wav-annotated-me.csv", [])
    single = tmp_path / "single"
    single.mkdir()
    write_recording(single, "one.wav")
    write_csv(single / "one.wav-annotated-me.csv", annotated("one.wav", [("a", 0.1, 0.2)]))
    spread = tmp_path / "spread"
    spread.mkdir()
    write_recording(spread, "far.wav")
    write_csv(spread / "far.wav-annotated-me.csv", annotated("far.wav", [("a", 0.1, 0.2), ("b", 2.0, 2.1)]))
    return {
        "empty folder": ([empty], f"{empty}: no recordings and no annotation files there"),
        "no labelled events": ([unlabelled], f"{unlabelled}: no labelled events"),
        "single call": ([single], "only one call ('a' in"),
        "no two calls in a bout": ([spread], "no two calls are within 300 ms of each other: every bout is one call and there is no transition to count; give a longer --bout-gap-ms"),
        "negative gap": (["--bout-gap-ms", "-5", single], "--bout-gap-ms -5 must be at least 0"),
        "missing input": ([tmp_path / "nothing"], "nothing: no such file or folder"),
        "unknown kind": (["--kinds", "sung", single], "--kinds: unknown kind 'sung'"),
        "absent label": (["--labels", "zz", spread], "--labels zz: no events with these labels (there are a, b)"),
    }


@pytest.mark.parametrize("case", ["empty folder", "no labelled events", "single call", "no two calls in a bout", "negative gap", "missing input", "unknown kind", "absent label"])
def test_bad_inputs_are_one_line_errors_and_nothing_is_written(tmp_path, capsys, case):
    args, message = bad_inputs(tmp_path)[case]
    out_dir = tmp_path / "out"
    rc, out, err = run(capsys, "--out", out_dir, *args)
    assert rc == 2 and out == ""
    assert err.startswith("hark: error: ") and message in err and err.count("\n") == 1
    assert not out_dir.exists()


def test_help_shows_an_example_and_the_documented_default(capsys):
    assert main(["syntax", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "hark syntax --out syntax finch/" in help_text and "--bout-gap-ms" in help_text
    [option] = [p for p in typer.main.get_command(app).commands["syntax"].params if p.name == "bout_gap_ms"]
    assert option.default == SyntaxParams().bout_gap_ms == DEFAULT_BOUT_GAP_MS == 300.0  # said in docs/calls.md


@pytest.mark.shared_data
def test_the_docs_example_runs_as_printed(shared_data, tmp_path):
    block = find_block(page_blocks(REPO_ROOT / "docs" / "calls.md", REPO_ROOT), "Syntax: bouts and transitions (`hark syntax`)")
    work = shared_workdir(tmp_path, shared_data)
    Tutorial(work).run(block)  # checks the line it prints, counts included
    assert {"transition-matrix.png", "transition-diagram.png", "transitions.csv", "summary.csv"} <= {p.name for p in (work / "syntax").iterdir()}
