"""hark cluster: maps where sounds of one label gather, from every registered clusterer."""

import numpy as np
import pytest

from hark.embed import ActivationParams, ClusterParams, cluster_activations, clusterers, compute_activations, read_cluster_map
from hark.errors import HarkError


@pytest.fixture(scope="module")
def activations(fly_model, tmp_path_factory):
    data, model = fly_model
    out = tmp_path_factory.mktemp("act")
    compute_activations(model, data, ActivationParams(kinds=["annotated"], max_sounds=120, seed=1), out)
    return out


def _neighbour_agreement(coordinates: np.ndarray, labels: list[str], k: int = 5) -> float:
    """How often the majority of a sound's k nearest others has its label (leave one out)."""
    labels = np.array(labels)
    distances = np.linalg.norm(coordinates[:, None, :] - coordinates[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    hits = 0
    for i, row in enumerate(distances):
        near = labels[np.argsort(row)[:k]]
        values, counts = np.unique(near, return_counts=True)
        hits += values[np.argmax(counts)] == labels[i]
    return hits / len(labels)


@pytest.mark.parametrize("method", clusterers.names())
def test_every_clusterer_maps_every_sound_repeatably(activations, tmp_path, method):
    params = ClusterParams(method=method, dims=2, pca_dims=10, method_params={"perplexity": 20} if method == "tsne" else {})
    first = cluster_activations(activations, params, tmp_path / "one", figure=False)
    second = cluster_activations(activations, params, tmp_path / "two", figure=False)
    assert first.coordinates.shape == (len(first.sounds), 2) and np.isfinite(first.coordinates).all()
    np.testing.assert_allclose(first.coordinates, second.coordinates, rtol=1e-6, atol=1e-6)
    rows, coordinates = read_cluster_map(first.csv_path)
    assert [(r["wavfile"], int(r["start"]), r["label"]) for r in rows] == [(s.recording, s.start, s.label) for s in first.sounds]
    np.testing.assert_allclose(coordinates, first.coordinates, rtol=1e-5)


def test_the_trained_layers_separate_the_labels_better_than_the_front_end(activations, tmp_path):
    late = cluster_activations(activations, ClusterParams(method="pca", dims=2), tmp_path)
    early = cluster_activations(activations, ClusterParams(method="pca", dims=2, layer="front_end"), tmp_path, figure=False)
    labels = [s.label for s in late.sounds]
    late_score, early_score = _neighbour_agreement(late.coordinates, labels), _neighbour_agreement(early.coordinates, labels)
    assert late_score >= 0.9, late_score
    assert late_score > early_score
    assert (tmp_path / f"cluster-{late.layer}.png").stat().st_size > 10_000
    nearest = late.nearest(tuple(late.coordinates[5]), 3)
    assert nearest[0] == 5 and len(nearest) == 3


def test_three_dimensions_and_bad_settings(activations, tmp_path):
    result = cluster_activations(activations, ClusterParams(method="pca", dims=3), tmp_path, figure=False)
    assert result.coordinates.shape[1] == 3
    assert result.csv_path.read_text().splitlines()[0] == "wavfile,start,stop,kind,label,x,y,z"
    with pytest.raises(HarkError, match=r"perplexity 500 must be below the number of sounds \(120\)"):
        cluster_activations(activations, ClusterParams(method="tsne", method_params={"perplexity": 500}), tmp_path)
    with pytest.raises(HarkError, match=r"unknown clusterer 'kmeans'; known: pca, tsne, umap"):
        cluster_activations(activations, ClusterParams(method="kmeans"), tmp_path)
    with pytest.raises(HarkError, match=r"clusterer umap: .*n_neigbors"):
        cluster_activations(activations, ClusterParams(method="umap", method_params={"n_neigbors": 5}), tmp_path)
    with pytest.raises(HarkError, match=r"no activations of layer 'dense9'"):
        cluster_activations(activations, ClusterParams(method="pca", layer="dense9"), tmp_path)
