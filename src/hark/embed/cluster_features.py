"""What ``hark cluster --assign`` clusters: one feature row per sound, and where its audio is.

Two sources:

- ``activations``: a folder written by ``hark activations``; one layer (default the last
  hidden one), standardised per feature, optionally reduced by PCA (as the map is).
- ``contour``: the call tables of ``hark calls`` (a folder of ``<rec>-calls.csv``, or such
  files): the columns of :data:`CONTOUR_FEATURES`, standardised. A cell left empty (a
  statistic undefined for that call) takes its column's median; a column empty for every
  call is left out. The recordings are looked up by name in ``recordings`` (default: the
  calls folder) for their sample rate, so that the sounds become events in samples; a call
  measured in a box keeps the box's frequency bounds.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np

from hark.annotations.event import Event, Kind
from hark.errors import HarkError, ParameterError

CONTOUR_FEATURES = (
    "duration_s", "low_frequency_hz", "high_frequency_hz", "principal_frequency_hz", "start_frequency_hz",
    "end_frequency_hz", "slope_hz_per_s", "sinuosity", "mean_power_db", "tonality",
)  # fmt: skip
CALLS_SUFFIX = "-calls.csv"


@dataclass(frozen=True)
class ClusterInput:
    """``features[i]`` (standardised) describes ``sounds[i]``; ``audio[sound.recording]`` is its file."""

    sounds: list[Event]
    features: np.ndarray
    audio: dict[str, Path]
    source: str  # activations or contour
    feature_names: tuple[str, ...] = ()
    raw: np.ndarray | None = None  # contour: the unstandardised statistics (for the figures)


def standardise(features: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per feature; constant features (dead units) become 0."""
    centred = features - features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    return centred / scale


def activation_input(activations_dir: str | Path, layer: str | None = None, pca_dims: int = 0, seed: int = 1) -> ClusterInput:
    """The sounds of a ``hark activations`` folder and one layer's rows (standardised, PCA'd)."""
    from hark.embed.activations import read_activations
    from hark.embed.cluster import default_layer

    activations = read_activations(activations_dir)
    layer = layer or default_layer(activations)
    features = reduce(standardise(np.asarray(activations.layer(layer), dtype=np.float64)), pca_dims, seed)
    root = Path(activations.meta.get("data_root", activations.folder))
    audio = {s.recording: root / s.recording for s in activations.sounds}
    return ClusterInput(list(activations.sounds), features, audio, "activations")


def reduce(features: np.ndarray, pca_dims: int, seed: int) -> np.ndarray:
    """``features`` reduced to ``pca_dims`` principal components (0, or not fewer: unchanged)."""
    if not pca_dims or pca_dims >= features.shape[1]:
        return features
    from sklearn.decomposition import PCA

    return PCA(n_components=min(pca_dims, len(features)), random_state=seed).fit_transform(features)


def calls_tables(path: str | Path) -> list[Path]:
    """The ``<rec>-calls.csv`` files of a folder (or the file itself); a one-line error if none."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise HarkError(f"{path}: no such folder or calls table")
    tables = sorted(p for p in path.iterdir() if p.name.endswith(CALLS_SUFFIX) and p.is_file())
    if not tables:
        raise HarkError(f"{path}: no <rec>{CALLS_SUFFIX} tables (run hark calls --out {path} first)")
    return tables


def contour_input(tables: list[Path], recordings: str | Path) -> ClusterInput:
    """The calls of ``hark calls`` tables as sounds, their contour statistics as features."""
    rows: list[dict[str, str]] = []
    for table in tables:
        try:
            with open(table, newline="", encoding="utf-8") as f:
                found = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise HarkError(f"{table}: cannot read ({err})") from None
        if found and not {"recording", "start_s", "duration_s", "label"} <= set(found[0]):
            raise HarkError(f"{table}: not a hark calls table (no recording, start_s, duration_s and label columns)")
        rows.extend({**row, "_table": str(table)} for row in found)
    if not rows:
        raise HarkError(f"{', '.join(str(t) for t in tables[:3])}: no calls in the tables")
    names = [name for name in CONTOUR_FEATURES if any((row.get(name) or "").strip() for row in rows)]
    if not names:
        raise HarkError("the calls tables have none of the contour columns " + ", ".join(CONTOUR_FEATURES))
    raw = np.array([[_number(row, name) for name in names] for row in rows], dtype=np.float64)
    medians = np.nanmedian(raw, axis=0)
    raw = np.where(np.isnan(raw), medians[None, :], raw)
    samplerates, audio = _recordings(sorted({row["recording"] for row in rows}), Path(recordings))
    sounds = []
    for row in rows:
        rate = samplerates[row["recording"]]
        start = round(_number(row, "start_s") * rate)
        stop = start + round(_number(row, "duration_s") * rate)
        try:
            box = {}
            if row.get("frequency_bounds") == "box":  # the event's own box, not the contour's extent
                box = {"low_hz": _number(row, "low_frequency_hz"), "high_hz": _number(row, "high_frequency_hz")}
            sounds.append(Event(row["recording"], start, stop, Kind.CLUSTERED, row["label"] or "call", **box))
        except ValueError as err:
            raise HarkError(f"{row['_table']}: call {row.get('call', '?')}: {err}") from None
    return ClusterInput(sounds, standardise(raw), audio, "contour", tuple(names), raw)


def _number(row: dict[str, str], name: str) -> float:
    cell = (row.get(name) or "").strip()
    if not cell:
        return float("nan")
    try:
        value = float(cell)
    except ValueError:
        raise HarkError(f"{row['_table']}: call {row.get('call', '?')}: {name} {cell!r} is not a number") from None
    if not np.isfinite(value):
        raise HarkError(f"{row['_table']}: call {row.get('call', '?')}: {name} {cell!r} is not a finite number")
    return value


def _recordings(names: list[str], folder: Path) -> tuple[dict[str, int], dict[str, Path]]:
    """Sample rate and path of each named recording in ``folder`` (a one-line error naming --recordings)."""
    from hark.audio.recording import open_recording

    rates, paths = {}, {}
    for name in names:
        path = folder / PurePath(name).name
        if not path.is_file():
            raise ParameterError("recordings", f"recording {name} of the calls tables is not in {folder} (name its folder with {{param}})")
        rates[name] = open_recording(path).samplerate
        paths[name] = path
    return rates, paths
