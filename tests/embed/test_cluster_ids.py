"""Cluster IDs (hark cluster --assign) on constructed feature rows and on generated calls of known types."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from hark.annotations import Kind, read_csv, scan_folder
from hark.calls.run import write_call_statistics
from hark.calls.stats import CallStatsParams
from hark.embed.cluster_assign import cluster_ids, parse_renames, rename_clusters
from hark.embed.cluster_features import calls_tables, contour_input
from hark.embed.cluster_ids import NOISE, AssignParams, assign_clusters
from hark.errors import HarkError
from hark.train.data import DataParams, split_examples
from tests.embed.cluster_calls import blobs, typed_calls_recording


def test_k_auto_finds_the_three_blobs_and_names_them_by_size():
    rows, truth = blobs([30, 20, 10])
    assignment = assign_clusters(rows, AssignParams(method="kmeans", k="auto"))
    assert assignment.k == 3
    assert sorted(assignment.silhouettes) == list(range(2, 13))
    assert max(assignment.silhouettes, key=assignment.silhouettes.get) == 3
    assert adjusted_rand_score(truth, assignment.ids) == 1.0
    assert assignment.sizes() == {"c1": 30, "c2": 20, "c3": 10}
    assert {assignment.ids[i] for i in np.flatnonzero(truth == 0)} == {"c1"}  # the largest blob is c1


def test_a_given_k_is_kept_and_the_range_of_k_auto_is_capped_by_the_sounds():
    rows, _ = blobs([30, 20, 10])
    assert assign_clusters(rows, AssignParams(k=5)).k == 5
    few, truth = blobs([3, 2])
    assignment = assign_clusters(few, AssignParams())
    assert sorted(assignment.silhouettes) == [2, 3, 4] and adjusted_rand_score(truth, assignment.ids) == 1.0


def test_hdbscan_leaves_a_planted_outlier_unassigned():
    rows, truth = blobs([30, 20])
    planted = np.vstack([rows, np.full((1, rows.shape[1]), 60.0)])
    assignment = assign_clusters(planted, AssignParams(method="hdbscan", min_cluster_size=5))
    assert assignment.ids[-1] == NOISE and assignment.outliers == 1 and assignment.k == 2
    assert adjusted_rand_score(truth, assignment.ids[:-1]) == 1.0


@pytest.mark.parametrize("method", ["kmeans", "hdbscan"])
def test_the_same_seed_gives_the_same_ids(method):
    rows, _ = blobs([25, 25, 25], spread=2.5, seed=3)  # overlapping blobs: ties that a seed must settle
    first = assign_clusters(rows, AssignParams(method=method, k=4, seed=7))
    assert assign_clusters(rows, AssignParams(method=method, k=4, seed=7)).ids == first.ids


@pytest.mark.parametrize(
    ("rows", "params", "message"),
    [
        (np.zeros((1, 3)), AssignParams(), "needs at least 2 sounds, got 1"),
        (blobs([60], dims=8)[0], AssignParams(), "no cluster structure (best silhouette"),
        (np.ones((10, 3)), AssignParams(), "10 sounds (1 distinct) are too few to try k from 2"),
        (blobs([5, 5])[0], AssignParams(k=11), "k 11: must be from 1 to the 10 distinct sounds"),
        (blobs([5, 5])[0], AssignParams(method="hdbscan", min_cluster_size=20), "min_cluster_size 20: more than the 10 sounds"),
    ],
)
def test_bad_inputs_are_one_line_errors(rows, params, message):
    with pytest.raises(HarkError) as error:
        assign_clusters(rows, params)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert "--" not in str(error.value)  # the library names parameters, not the command line's flags


@pytest.fixture
def measured_calls(tmp_path):
    """A recording of 12 up sweeps, 9 down sweeps and 6 flat tones, measured by hark calls."""
    truth = typed_calls_recording(tmp_path / "rec", {"up": 12, "down": 9, "flat": 6})
    write_call_statistics([tmp_path / "rec" / "calls.wav"], tmp_path / "calls", CallStatsParams(min_hz=20_000))
    return tmp_path, {event.start: kind for event, kind in truth}


def test_contour_features_find_the_call_types_and_write_them_as_clustered_events(measured_calls):
    root, type_at = measured_calls
    data = contour_input(calls_tables(root / "calls"), root / "rec")
    assert data.source == "contour" and "slope_hz_per_s" in data.feature_names
    result = cluster_ids(data, AssignParams(method="kmeans"), root / "calls")
    assert result.assignment.k == 3
    assert adjusted_rand_score([type_at[s.start] for s in data.sounds], result.assignment.ids) == 1.0
    assert result.assignment.sizes() == {"c1": 12, "c2": 9, "c3": 6}  # up, down, flat by size

    clustered = root / "rec" / "calls.wav-clustered.csv"
    assert result.csvs == [clustered]
    events = read_csv(clustered)
    assert {e.kind for e in events} == {Kind.CLUSTERED}
    assert sorted((e.start, e.stop) for e in events) == sorted((s.start, s.stop) for s in data.sounds)
    folder = scan_folder(root / "rec")
    assert sorted(e.label for e in folder.load_events(kinds=[Kind.CLUSTERED])) == sorted(result.assignment.ids)
    examples = split_examples(root / "rec", DataParams(labels=["c1", "c2", "c3"], kinds=["clustered"]))  # hark train --kinds clustered
    assert sum(len(split) for split in examples.values()) == 27

    with open(root / "calls" / "assignments.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["cluster"] for r in rows] == result.assignment.ids and rows[0].keys() >= {"wavfile", "start", "stop", "cluster"}
    silhouette = (root / "calls" / "silhouette.csv").read_text().splitlines()
    assert silhouette[0] == "k,silhouette,chosen" and sum(line.endswith(",1") for line in silhouette) == 1
    assert sorted(p.name for p in (root / "calls" / "clusters").iterdir()) == ["c1.png", "c2.png", "c3.png"]


def test_renaming_keeps_every_member_and_its_times(measured_calls):
    root, _ = measured_calls
    data = contour_input(calls_tables(root / "calls"), root / "rec")
    cluster_ids(data, AssignParams(method="kmeans", k=3), root / "calls")
    clustered = root / "rec" / "calls.wav-clustered.csv"
    before = read_csv(clustered)
    rename_clusters(root / "calls", parse_renames("c3=flat,c1=upsweep"))
    after = read_csv(clustered)
    names = {"c3": "flat", "c1": "upsweep", "c2": "c2"}
    assert [(e.recording, e.start, e.stop, names[e.label]) for e in before] == [(e.recording, e.start, e.stop, e.label) for e in after]
    assert sorted(p.name for p in (root / "calls" / "clusters").iterdir()) == ["c2.png", "flat.png", "upsweep.png"]
    rename_clusters(root / "calls", {"flat": "c2", "c2": "flat"})  # a swap
    assert sorted(e.label for e in read_csv(clustered)) == sorted({"flat": "c2", "c2": "flat"}.get(names[e.label], names[e.label]) for e in before)


@pytest.mark.parametrize(
    ("renames", "message"),
    [
        ("c9=x", "no cluster c9 (the clusters are c1, c2, c3)"),
        ("c1=c2", "c2 is already a cluster's name"),
        ("c1=a,c2=a", "two clusters would be named a"),
        ("c1=noise", "cannot be a cluster's name (noise marks outliers)"),
        ("c1", "'c1' is not OLD=NEW"),
    ],
)
def test_bad_renames_change_nothing(measured_calls, renames, message):
    root, _ = measured_calls
    cluster_ids(contour_input(calls_tables(root / "calls"), root / "rec"), AssignParams(k=3), root / "calls", figures=False)
    before = (root / "rec" / "calls.wav-clustered.csv").read_text()
    with pytest.raises(HarkError) as error:
        rename_clusters(root / "calls", parse_renames(renames))
    assert message in str(error.value)
    assert (root / "rec" / "calls.wav-clustered.csv").read_text() == before
