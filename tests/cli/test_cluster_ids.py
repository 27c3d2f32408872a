"""hark cluster --assign and --rename as a user types them: contour features, activations, one-line errors."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from hark.annotations import Kind, read_csv
from hark.cli.app import main
from tests.embed.cluster_calls import activations_folder, blobs, typed_calls_recording


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(["cluster", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_contour_features_then_rename(tmp_path, capsys):
    truth = typed_calls_recording(tmp_path / "rec", {"up": 10, "down": 7, "flat": 5})
    assert main(["calls", "--out", str(tmp_path / "calls"), "-p", "min_hz=20000", "--no-progress", str(tmp_path / "rec" / "calls.wav")]) == 0
    capsys.readouterr()
    rc, out, err = run(capsys, tmp_path / "calls", "--features", "contour", "--recordings", tmp_path / "rec", "--assign", "kmeans")
    assert (rc, err) == (0, "")
    assert any(line.startswith("3 ") and line.endswith("<- chosen") for line in out.splitlines())
    assert "22 sounds in 3 clusters (c1 10, c2 7, c3 5)" in out
    events = read_csv(tmp_path / "rec" / "calls.wav-clustered.csv")
    type_at = {event.start: kind for event, kind in truth}
    assert adjusted_rand_score([type_at[e.start] for e in events], [e.label for e in events]) == 1.0

    rc, out, err = run(capsys, tmp_path / "calls", "--rename", "c2=down")
    assert (rc, err) == (0, "") and "renamed c2=down" in out
    renamed = read_csv(tmp_path / "rec" / "calls.wav-clustered.csv")
    assert [(e.start, e.stop) for e in renamed] == [(e.start, e.stop) for e in events]
    assert {e.label for e in renamed} == {"c1", "down", "c3"}


def test_activations_with_kmeans_write_the_ids_under_out(tmp_path, capsys):
    rows, truth = blobs([12, 8], dims=6)
    act = activations_folder(tmp_path / "act", rows, tmp_path / "data")
    rc, out, err = run(capsys, act, "--method", "pca", "--assign", "kmeans", "--k", "2", "--out", tmp_path / "out", "--no-figure")
    assert (rc, err) == (0, "")
    events = read_csv(tmp_path / "out" / "a.wav-clustered.csv")
    assert len(events) == 20 and {e.kind for e in events} == {Kind.CLUSTERED}
    assert adjusted_rand_score(truth[np.argsort([e.start for e in events])], [e.label for e in events]) == 1.0
    assert (tmp_path / "out" / "cluster-dense.csv").is_file() and (tmp_path / "out" / "assignments.csv").is_file()


def test_help_lists_the_options(capsys):
    assert main(["cluster", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--assign", "--k", "--min-cluster-size", "--features", "--rename", "--recordings"):
        assert option in text


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    rc, _, err = run(capsys, tmp_path / "empty", "--features", "contour", "--assign", "kmeans")
    assert rc == 2 and err.strip() == f"hark: error: {tmp_path / 'empty'}: no <rec>-calls.csv tables (run hark calls --out {tmp_path / 'empty'} first)"

    typed_calls_recording(tmp_path / "one", {"up": 1})
    assert main(["calls", "--out", str(tmp_path / "one"), "-p", "min_hz=20000", "--no-progress", str(tmp_path / "one" / "calls.wav")]) == 0
    capsys.readouterr()
    rc, _, err = run(capsys, tmp_path / "one", "--features", "contour", "--assign", "kmeans")
    assert rc == 2 and err.strip() == "hark: error: clustering needs at least 2 sounds, got 1"

    act = activations_folder(tmp_path / "act", blobs([40], dims=8)[0], tmp_path / "data")
    rc, _, err = run(capsys, act, "--method", "pca", "--assign", "kmeans", "--no-figure")
    assert rc == 2 and "no cluster structure" in err and len(err.strip().splitlines()) == 1

    for args, message in [
        (["--assign", "spectral"], "cluster --assign: method: Input should be 'kmeans' or 'hdbscan'"),
        (["--assign", "kmeans", "--k", "three"], "--k 'three': a whole number or auto"),
        (["--features", "contour"], "--features contour clusters calls into IDs: give --assign kmeans or --assign hdbscan"),
        (["--rename", "c1=x"], "clusters.json: cannot read"),
        (["--assign", "kmeans", "--k", "99"], "--k 99: must be from 1 to the 40 distinct sounds"),  # the flag, as typed
        (["--assign", "hdbscan", "--min-cluster-size", "99"], "--min-cluster-size 99: more than the 40 sounds"),
        (["--assign", "kmeans", "--k", "2"], "cluster IDs cannot be written beside it; give an output folder"),  # the data folder is gone
    ]:
        rc, _, err = run(capsys, act, "--method", "pca", "--no-figure", *args)
        assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_assign_runs_as_a_cluster_ids_job_with_the_same_ids(tmp_path, capsys):
    typed_calls_recording(tmp_path / "rec", {"up": 6, "down": 5, "flat": 4})
    assert main(["calls", "--out", str(tmp_path / "calls"), "-p", "min_hz=20000", "--no-progress", str(tmp_path / "rec" / "calls.wav")]) == 0
    args = [tmp_path / "calls", "--features", "contour", "--recordings", tmp_path / "rec", "--assign", "kmeans", "--no-figure"]
    rc, out, err = run(capsys, *args, "--out", tmp_path / "here")
    assert rc == 0, err
    rc, out, err = run(capsys, *args, "--out", tmp_path / "job", "--cluster", "local")
    assert rc == 0, err
    assert "15 sounds in 3 clusters (c1 6, c2 5, c3 4)" in out and (tmp_path / "job" / "cluster-ids.log").is_file()
    assert read_csv(tmp_path / "job" / "calls.wav-clustered.csv") == read_csv(tmp_path / "here" / "calls.wav-clustered.csv")
