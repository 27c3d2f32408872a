"""``cluster_activations``: 2-D or 3-D maps of sounds from their activations (``hark cluster``).

One layer's activations (``hark activations``) are standardised per feature, optionally
reduced by PCA first (``pca_dims``; UMAP and t-SNE on thousands of features are slow and
noisy), then embedded by a clusterer plugin. Written beside the activations, or to ``out``:

- ``cluster-<layer>.csv``: a header row, then ``wavfile,start,stop,kind,label,x,y[,z]`` per sound;
- ``cluster-<layer>.json``: the parameters, so the map can be reproduced;
- ``cluster-<layer>.png``: the map coloured by label and shaped by kind.

The GUI's cluster view reads the CSV: a spot of the map is a sound of ``sounds.csv``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from hark.annotations.event import Event
from hark.embed.activations import Activations, layer_file_stem, read_activations
from hark.embed.clusterers import clusterers
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text, ensure_writable_dir
from hark.params import Params

COORDINATE_NAMES = ("x", "y", "z")


class ClusterParams(Params):
    """How to map one layer's activations to 2 or 3 dimensions."""

    method: str = Field("umap", description="clusterer plugin: umap, tsne or pca (hark cluster --help lists them)")
    method_params: dict[str, Any] = Field(default_factory=dict, description="the clusterer's parameters")
    dims: Literal[2, 3] = Field(2, description="dimensions of the map")
    layer: str | None = Field(None, description="layer to map (default: the last hidden layer before the output)")
    pca_dims: int = Field(0, ge=0, le=10_000, description="reduce to this many principal components first (0: no)")
    seed: int = Field(1, ge=0, description="seed of the clusterer")


@dataclass(frozen=True)
class ClusterMap:
    """Where each sound lands: ``coordinates[i]`` is ``sounds[i]``."""

    layer: str
    sounds: list[Event]
    coordinates: np.ndarray  # (sounds, dims)
    csv_path: Path

    def nearest(self, point: tuple[float, ...], count: int) -> list[int]:
        """Indices of the ``count`` sounds closest to ``point`` in the map, nearest first."""
        distances = np.linalg.norm(self.coordinates - np.asarray(point, float)[None, : self.coordinates.shape[1]], axis=1)
        return [int(i) for i in np.argsort(distances, kind="stable")[:count]]


def default_layer(activations: Activations) -> str:
    """The last hidden layer before the output (what separates the model's classes best)."""
    names = [name for name in activations.layers if name != "output"]
    return names[-1] if names else next(iter(activations.layers))


def cluster_activations(
    activations_dir: str | Path,
    params: ClusterParams,
    out: str | Path | None = None,
    figure: bool = True,
    report: Callable[[str], None] = lambda message: None,
) -> ClusterMap:
    """Map the sounds of ``activations_dir`` with ``params``; writes the CSV, JSON and figure."""
    clusterer = clusterers.get(params.method)
    method_params = clusterer.validate(params.method_params)
    activations = read_activations(activations_dir)
    layer = params.layer or default_layer(activations)
    features = np.asarray(activations.layer(layer), dtype=np.float64)
    n_sounds = len(activations.sounds)
    clusterer.check(method_params, n_sounds)
    if params.dims > n_sounds:
        raise HarkError(f"dims {params.dims}: more than the {n_sounds} sounds")
    features = _standardise(features)
    if params.pca_dims and params.pca_dims < features.shape[1]:
        from sklearn.decomposition import PCA

        components = min(params.pca_dims, n_sounds)
        report(f"PCA to {components} components")
        features = PCA(n_components=components, random_state=params.seed).fit_transform(features)
    report(f"{params.method} of {n_sounds} sounds, layer {layer} ({features.shape[1]} features)")
    coordinates = np.asarray(clusterer.build(method_params, params.dims, params.seed).fit_transform(features), dtype=np.float64)

    folder = ensure_writable_dir(out if out is not None else activations_dir)
    stem = f"cluster-{layer_file_stem(layer)}"
    csv_path = folder / f"{stem}.csv"
    _write_map_csv(csv_path, activations.sounds, coordinates)
    description = {"activations": str(Path(activations_dir).resolve()), "layer": layer, **params.model_dump(mode="json")}
    description["method_params"] = method_params.model_dump(mode="json")
    atomic_write_text(folder / f"{stem}.json", json.dumps(description, indent=1) + "\n")
    if figure:
        from hark.embed.figures import plot_cluster_map

        plot_cluster_map(activations.sounds, coordinates, folder / f"{stem}.png", f"{params.method} of layer {layer}")
    return ClusterMap(layer, activations.sounds, coordinates, csv_path)


def read_cluster_map(path: str | Path) -> tuple[list[dict[str, str]], np.ndarray]:
    """The rows (wavfile, start, stop, kind, label) and coordinates of a ``cluster-<layer>.csv``."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        dims = [name for name in COORDINATE_NAMES if rows and name in rows[0]]
        coordinates = np.array([[float(row[name]) for name in dims] for row in rows])
    except (OSError, ValueError, KeyError) as err:
        raise HarkError(f"{path}: not a cluster map ({err})") from None
    return rows, coordinates


def _standardise(features: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per feature; constant features (dead units) become 0."""
    centred = features - features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    return centred / scale


def _write_map_csv(path: Path, sounds: list[Event], coordinates: np.ndarray) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["wavfile", "start", "stop", "kind", "label", *COORDINATE_NAMES[: coordinates.shape[1]]])
    for sound, point in zip(sounds, coordinates):
        writer.writerow([sound.recording, sound.start, sound.stop, sound.kind.value, sound.label, *(f"{v:.6g}" for v in point)])
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
