"""`hark info FOLDER` reports conflicts (same place, different labels); `hark train --annotators` settles them."""

from __future__ import annotations

import json

from hark.cli.app import main
from tests.annotations.helpers import write_wav


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main([*map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def _relabelled(folder, n_places: int = 7):
    """person1 marked ``n_places`` calls of a.wav; alice relabelled each ``noise``; b.wav agrees."""
    write_wav(folder / "a.wav", samplerate=1000, frames=20_000)
    write_wav(folder / "b.wav", samplerate=1000, frames=20_000)
    places = [(1000 * i + 100, 1000 * i + 300) for i in range(n_places)]
    (folder / "a.wav-annotated-person1.csv").write_text("".join(f"a.wav,{a},{b},annotated,call\n" for a, b in places))
    (folder / "a.wav-annotated-alice.csv").write_text("".join(f"a.wav,{a},{b},annotated,noise\n" for a, b in places))
    (folder / "b.wav-annotated-person1.csv").write_text("b.wav,100,300,annotated,call\nb.wav,500,500,annotated,call\n")
    (folder / "b.wav-annotated-alice.csv").write_text("b.wav,100,300,annotated,call\nb.wav,500,500,annotated,not_pulse\n")
    return places


def test_info_counts_the_conflicts_and_lists_the_first_with_their_files(tmp_path, capsys):
    places = _relabelled(tmp_path)
    rc, out, err = run(capsys, "info", tmp_path)
    assert rc == 0 and err == ""
    assert "conflicts: 7 place(s) where annotation files disagree" in out
    listed = [line.strip() for line in out.splitlines() if line.startswith("  ") and "says" in line]
    assert len(listed) == 5 and "... and 2 more" in out
    first = listed[0]
    assert "a.wav-annotated-alice.csv" in first and "a.wav-annotated-person1.csv" in first
    assert "'call'" in first and "'noise'" in first and f"a.wav {places[0][0]}..{places[0][1]}" in first

    rc, out, _ = run(capsys, "info", "--json", tmp_path)
    conflicts = json.loads(out)["conflicts"]
    assert conflicts["count"] == 7 and len(conflicts["places"]) == 5
    place = conflicts["places"][0]
    assert (place["recording"], place["start"], place["stop"]) == ("a.wav", *places[0])
    assert sorted(place["files"]) == ["a.wav-annotated-alice.csv", "a.wav-annotated-person1.csv"]
    assert sorted(place["labels"]) == ["call", "noise"]


def test_info_of_a_folder_that_agrees_says_nothing_of_conflicts(tmp_path, capsys):
    _relabelled(tmp_path)
    (tmp_path / "a.wav-annotated-alice.csv").unlink()
    rc, out, _ = run(capsys, "info", tmp_path)
    assert rc == 0 and "conflicts" not in out
    rc, out, _ = run(capsys, "info", "--json", tmp_path)
    assert json.loads(out)["conflicts"] == {"count": 0, "places": []}


def test_train_refuses_the_conflict_and_a_bad_ranking_in_one_line(tmp_path, capsys):
    _relabelled(tmp_path, n_places=2)
    common = ["train", "--data", tmp_path, "--labels", "call,noise", "--steps", "1", "--out", tmp_path / "model"]
    rc, _, err = run(capsys, *common)
    assert rc != 0 and len(err.strip().splitlines()) == 1
    assert "--annotators" in err and "a.wav-annotated-alice.csv" in err and "(and 1 more" in err
    for bad, says in (("alice,alice", "listed twice"), ("alice,bobby", "'bobby' annotated nothing")):
        rc, _, err = run(capsys, *common, "--annotators", bad)
        assert rc != 0 and len(err.strip().splitlines()) == 1 and says in err, err
    assert not any((tmp_path / "model").glob("*"))  # no checkpoint, configuration or split written
