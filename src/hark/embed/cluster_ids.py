"""Cluster IDs: which call type each sound is, found without labels (``hark cluster --assign``).

Two methods over standardised feature rows (a layer's activations or call-contour
statistics, :mod:`hark.embed.cluster_features`), both scikit-learn's own estimators:

- ``kmeans``: k-means with ``k`` clusters, or ``k="auto"``: every k from ``k_min`` to
  ``min(k_max, sounds - 1)`` is fitted and the one with the highest mean silhouette is
  kept (each k's silhouette is returned, so that the choice can be checked). A best
  silhouette below ``min_silhouette`` means the sounds show no cluster structure (one
  type only, Kaufman and Rousseeuw's 0.25) and is refused, unless k is given.
- ``hdbscan``: density clusters of at least ``min_cluster_size`` sounds; sounds in no dense
  region are outliers, left unassigned (:data:`NOISE`).

Cluster IDs are ``c1``, ``c2``, ... in order of size (``c1`` the largest; ties by the first
member's position), so that the same sounds and seed give the same IDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field

from hark.errors import HarkError, ParameterError
from hark.params import Params

NOISE = "noise"  # the ID of an HDBSCAN outlier: no cluster
SILHOUETTE_SAMPLE = 4000  # silhouettes of more sounds are estimated on this many (quadratic cost)


class AssignParams(Params):
    """How to assign each sound a cluster ID."""

    method: Literal["kmeans", "hdbscan"] = Field("kmeans", description="kmeans (a chosen or automatic k) or hdbscan (density; outliers unassigned)")
    k: int | Literal["auto"] = Field("auto", description="kmeans: number of clusters, or auto (best silhouette from k_min to k_max)")
    k_min: int = Field(2, ge=2, le=1000, description="kmeans, k auto: smallest k tried")
    k_max: int = Field(12, ge=2, le=1000, description="kmeans, k auto: largest k tried (at most sounds - 1)")
    min_silhouette: float = Field(0.25, ge=-1, le=1, description="kmeans, k auto: refuse when the best silhouette is below this (no cluster structure)")
    min_cluster_size: int = Field(5, ge=2, description="hdbscan: fewest sounds that make a cluster")
    min_samples: int | None = Field(None, ge=1, description="hdbscan: neighbours that make a sound a core point (default: min_cluster_size)")
    seed: int = Field(1, ge=0, description="seed of k-means (and of the silhouette's sample)")


@dataclass(frozen=True)
class Assignment:
    """``ids[i]`` is sound i's cluster ID (``c1``...) or :data:`NOISE`."""

    ids: list[str]
    method: str
    k: int  # clusters found
    silhouettes: dict[int, float] = field(default_factory=dict)  # k auto: k -> mean silhouette

    @property
    def clusters(self) -> list[str]:
        """The IDs in order: c1, c2, ..."""
        return [f"c{i}" for i in range(1, self.k + 1)]

    def sizes(self) -> dict[str, int]:
        return {cid: self.ids.count(cid) for cid in [*self.clusters, NOISE] if cid in self.ids}

    @property
    def outliers(self) -> int:
        return self.ids.count(NOISE)


def assign_clusters(features: np.ndarray, params: AssignParams) -> Assignment:
    """Cluster the rows of ``features`` (already standardised) by ``params``."""
    features = np.asarray(features, dtype=np.float64)
    n = len(features)
    if n < 2:
        raise HarkError(f"clustering needs at least 2 sounds, got {n}")
    if not np.all(np.isfinite(features)):
        raise HarkError("the sounds' features hold NaN or infinite values, so they cannot be clustered")
    distinct = len(np.unique(features, axis=0))
    if params.method == "hdbscan":
        return _hdbscan(features, params)
    if params.k == "auto":
        return _kmeans_auto(features, params, distinct)
    if params.k < 1 or params.k > distinct:
        raise ParameterError("k", f"{{param}} {params.k}: must be from 1 to the {distinct} distinct sounds")
    return Assignment(_ordered_ids(_kmeans(features, params.k, params.seed)), "kmeans", params.k)


def _kmeans(features: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features)


def _kmeans_auto(features: np.ndarray, params: AssignParams, distinct: int) -> Assignment:
    from sklearn.metrics import silhouette_score

    n = len(features)
    top = min(params.k_max, n - 1, distinct)
    if top < params.k_min:
        raise ParameterError(
            "k", f"{{param}} auto: {n} sounds ({distinct} distinct) are too few to try k from {params.k_min} ({{k_min}}); give {{param}} a number", others=("k_min",)
        )
    silhouettes: dict[int, float] = {}
    labels_of: dict[int, np.ndarray] = {}
    sample = min(n, SILHOUETTE_SAMPLE)
    for k in range(params.k_min, top + 1):
        labels = _kmeans(features, k, params.seed)
        if len(np.unique(labels)) < 2:
            continue
        silhouettes[k] = float(silhouette_score(features, labels, sample_size=sample, random_state=params.seed))
        labels_of[k] = labels
    if not silhouettes:
        raise ParameterError("k", "{param} auto: k-means found fewer than 2 clusters at every k (the sounds are alike)")
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))  # ties: the fewer clusters
    if silhouettes[best] < params.min_silhouette:
        raise ParameterError(
            "k",
            f"{{param}} auto: no cluster structure (best silhouette {silhouettes[best]:.3f} at k={best}, below "
            f"{{min_silhouette}} {params.min_silhouette:g}: one type only?); give {{param}} a number to split anyway",
            others=("min_silhouette",),
        )
    return Assignment(_ordered_ids(labels_of[best]), "kmeans", best, silhouettes)


def _hdbscan(features: np.ndarray, params: AssignParams) -> Assignment:
    from sklearn.cluster import HDBSCAN

    n = len(features)
    if params.min_cluster_size > n:
        raise ParameterError("min_cluster_size", f"{{param}} {params.min_cluster_size}: more than the {n} sounds")
    labels = HDBSCAN(min_cluster_size=params.min_cluster_size, min_samples=params.min_samples, copy=True).fit_predict(features)
    if np.all(labels < 0):
        raise ParameterError("min_cluster_size", f"hdbscan found no cluster: all {n} sounds are outliers (lower {{param}} {params.min_cluster_size})")
    ids = _ordered_ids(labels)
    return Assignment(ids, "hdbscan", len({i for i in ids if i != NOISE}))


def _ordered_ids(labels: np.ndarray) -> list[str]:
    """``c1``... by cluster size, largest first (ties: the earlier first member); negative labels are noise."""
    labels = np.asarray(labels)
    found = [int(v) for v in np.unique(labels) if v >= 0]
    first = {v: int(np.argmax(labels == v)) for v in found}
    order = sorted(found, key=lambda v: (-int(np.sum(labels == v)), first[v]))
    name = {v: f"c{i}" for i, v in enumerate(order, start=1)}
    return [name.get(int(v), NOISE) for v in labels]
