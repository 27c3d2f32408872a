"""A figure per cluster: a mosaic of its most typical calls' spectrograms, and its contour statistics.

The calls shown are the cluster's members nearest its centroid in feature space (up to
:data:`MOSAIC_CALLS`), each with a margin of a quarter of its length on both sides, on a
Hann-window power spectrogram (:func:`hark.dsp.spectral.power_spectrogram`) whose window
suits the cluster's median call length. With contour features, a side panel gives each
statistic's median and interquartile range in the cluster beside the median of all calls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from hark.embed.cluster_assign import centre_order, figure_name
from hark.embed.cluster_features import ClusterInput
from hark.embed.cluster_ids import Assignment
from hark.errors import HarkError
from hark.fileio import atomic_path, ensure_writable_dir

MOSAIC_CALLS = 20
COLUMNS = 5


def plot_cluster_mosaics(
    data: ClusterInput, assignment: Assignment, folder: Path, report: Callable[[str], None] = lambda message: None
) -> dict[str, Path]:
    """``folder/<id>.png`` for every cluster; clusters whose recordings cannot be opened are reported and skipped."""
    import matplotlib

    matplotlib.use("Agg")
    folder = ensure_writable_dir(folder)
    ids = np.array(assignment.ids)
    drawn = {}
    opened: dict[str, object] = {}
    for cid in assignment.clusters:
        members = centre_order(data.features, [int(i) for i in np.flatnonzero(ids == cid)])[:MOSAIC_CALLS]
        try:
            snippets = [_snippet(data, index, opened) for index in members]
        except HarkError as err:
            report(f"no figure of {cid}: {err}")
            continue
        path = folder / figure_name(cid)
        _draw(cid, int(np.sum(ids == cid)), snippets, _statistics(data, ids == cid), path)
        drawn[cid] = path
    return drawn


def _snippet(data: ClusterInput, index: int, opened: dict) -> tuple[np.ndarray, float, float]:
    """(power spectrogram ``[bin, frame]`` in dB, seconds shown, Nyquist Hz) of sound ``index`` with margins."""
    from hark.audio.recording import open_recording
    from hark.dsp.spectral import power_spectrogram

    sound = data.sounds[index]
    path = data.audio.get(sound.recording)
    if path is None or not Path(path).is_file():
        raise HarkError(f"recording {sound.recording} not found ({path})")
    if sound.recording not in opened:
        opened[sound.recording] = open_recording(path)
    recording = opened[sound.recording]
    length = max(sound.stop - sound.start, 1)
    window = int(np.clip(2 ** round(np.log2(max(length / 8, 1))), 16, 1024))
    margin = max(length // 4, window)
    first, last = sound.start - margin, sound.stop + margin
    samples = np.zeros(last - first)
    lo, hi = max(first, 0), min(last, recording.frames)
    if hi > lo:
        samples[lo - first : hi - first] = recording.read(lo, hi)
    power = power_spectrogram(samples, window, max(window // 4, 1))
    decibels = 10 * np.log10(np.maximum(np.asarray(power, dtype=np.float64), 1e-20))
    return decibels, (last - first) / recording.samplerate, recording.samplerate / 2


def _statistics(data: ClusterInput, members: np.ndarray) -> list[str]:
    if data.raw is None:
        return []
    lines = ["statistic: median [IQR] (all calls)"]
    for column, name in enumerate(data.feature_names):
        mine, every = data.raw[members, column], data.raw[:, column]
        q1, median, q3 = np.percentile(mine, [25, 50, 75])
        lines.append(f"{name}:\n  {median:.4g} [{q1:.4g}, {q3:.4g}] ({np.median(every):.4g})")
    return lines


def _draw(cid: str, size: int, snippets: list, statistics: list[str], path: Path) -> None:
    import matplotlib.pyplot as plt

    columns = min(COLUMNS, len(snippets))
    rows = -(-len(snippets) // columns)
    extra = 1 if statistics else 0
    fig = plt.figure(figsize=(2.3 * columns + 3.2 * extra, max(1.9 * rows + 0.7, 3.8 * extra)), constrained_layout=True)
    grid = fig.add_gridspec(rows, columns + extra, width_ratios=[1] * columns + [1.4] * extra)
    for index, (decibels, seconds, nyquist) in enumerate(snippets):
        ax = fig.add_subplot(grid[index // columns, index % columns])
        top = float(decibels.max())
        ax.imshow(decibels, origin="lower", aspect="auto", cmap="magma", vmin=top - 60, vmax=top,
                  extent=(0, seconds * 1000, 0, nyquist / 1000))  # fmt: skip
        ax.tick_params(labelsize=6)
        if index % columns == 0:
            ax.set_ylabel("kHz", fontsize=7)
        if index // columns == rows - 1 or index + columns >= len(snippets):
            ax.set_xlabel("ms", fontsize=7)
    if statistics:
        panel = fig.add_subplot(grid[:, columns])
        panel.set_axis_off()
        panel.text(0, 1, "\n".join(statistics), va="top", ha="left", fontsize=6.5, family="monospace", transform=panel.transAxes)
    fig.suptitle(f"cluster {cid}: {size} calls ({len(snippets)} most typical shown)", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
