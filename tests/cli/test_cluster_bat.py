"""Call types of ../shared/data/bat found without labels, compared with the species tags (docs/clusters.md).

The whombat project is converted and resampled to 250 kHz as tests/cli/test_bat.py does, its
433 boxes measured by hark calls, and the contour statistics clustered. Ten species, one per
recording: the clusters must agree with the species far above chance (adjusted Rand index 0).
"""

import csv

import pytest
from sklearn.metrics import adjusted_rand_score

from hark.annotations import Kind, scan_folder
from hark.cli.app import main


def _assignments(folder):
    with open(folder / "assignments.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.shared_data
def test_contour_clusters_of_bat_calls_follow_the_species(shared_data, tmp_path, capsys):
    bat, truth, resampled, calls = shared_data / "bat", tmp_path / "GT", tmp_path / "GT250", tmp_path / "calls"
    assert main(["convert", str(bat / "example_annotation_project.json"), str(truth), "--to", "hark"]) == 0
    for wav in bat.glob("*.wav"):
        (truth / wav.name).symlink_to(wav)
    assert main(["resample", "--rate", "250000", "--subtype", "FLOAT", "--out", str(resampled), str(truth), "--no-progress"]) == 0
    recordings = sorted(str(p) for p in resampled.glob("*.wav"))
    assert main(["calls", "--out", str(calls), "-p", "min_hz=10000", "--no-progress", *recordings]) == 0
    capsys.readouterr()

    base = ["cluster", str(calls), "--features", "contour", "--recordings", str(resampled), "--no-figure"]
    assert main([*base, "--assign", "kmeans", "--k", "auto"]) == 0
    assert "<- chosen" in capsys.readouterr().out
    rows = _assignments(calls)
    assert len(rows) == 433 and len({r["label"] for r in rows}) == 10
    assert adjusted_rand_score([r["label"] for r in rows], [r["cluster"] for r in rows]) > 0.4
    clustered = scan_folder(resampled).load_events(kinds=[Kind.CLUSTERED])
    assert len(clustered) == 433 and {e.label for e in clustered} == {r["cluster"] for r in rows}

    assert main([*base, "--assign", "hdbscan", "--out", str(tmp_path / "hdbscan")]) == 0
    assigned = [r for r in _assignments(tmp_path / "hdbscan") if r["cluster"] != "noise"]
    assert len(assigned) > 0.75 * 433
    assert adjusted_rand_score([r["label"] for r in assigned], [r["cluster"] for r in assigned]) > 0.8
