"""The probability lane: ``hark classify``'s probabilities of the open recording, under the spectrogram.

When ``<rec>-probabilities.npy`` and its ``.json`` (:mod:`hark.infer.probabilities`) lie beside
the recording, a plot under the event lanes draws one line per label (in the label's colour)
for the visible stretch, and, when the model that wrote them has ``accuracy/thresholds.csv``
(``hark accuracy``), each label's threshold at the chosen precision-recall ratio as a dashed
line: where a line crosses its threshold, ``hark ethogram`` at that ratio predicts the label.
As for the waveform, only the visible stretch is read (the array is memory-mapped), one value
per pixel column: the highest probability of the rows the column covers.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, Div, Range1d, Select
from bokeh.plotting import figure

from hark.errors import HarkError
from hark.gui.view_updates import replace_data

if TYPE_CHECKING:
    from hark.gui.recording_view import RecordingView
    from hark.infer.probabilities import ProbabilitiesMeta

TRACE_HEIGHT = 130
ARRAY_SUFFIX, META_SUFFIX = "-probabilities.npy", "-probabilities.json"  # as hark.infer.probabilities names them
STRIDED_READ_ROWS = 1 << 21  # a view of more rows than this reads every k-th row (an overview) instead of all


@dataclass
class Probabilities:
    """One recording's probabilities, memory-mapped, and the thresholds of the model that wrote them (``{ratio: {label: threshold}}``)."""

    array: np.ndarray
    meta: ProbabilitiesMeta
    thresholds: dict[float, dict[str, float]]
    problem: str | None = None  # why no thresholds are drawn


def find_probabilities(recording: Path, readable) -> Probabilities | None:
    """The probabilities beside ``recording`` (None when there are none); ``readable(path)`` refuses paths outside the data folder.

    A clip model's single row per recording has no trace to draw: None too.
    """
    array_path, meta_path = (recording.with_name(recording.name + suffix) for suffix in (ARRAY_SUFFIX, META_SUFFIX))
    if not meta_path.is_file() or not array_path.is_file():
        return None
    # hark.infer loads its engines (torch) when imported whole: only the pieces needed, and only now
    from hark.evaluate.report import read_thresholds
    from hark.infer.probabilities import open_probabilities

    readable(array_path)
    readable(meta_path)
    array, meta = open_probabilities(array_path)
    if meta.kind == "clip":
        return None
    thresholds: dict[float, dict[str, float]] = {}
    problem = None
    try:
        model = Path(meta.model)
        # a relative model folder was named from where classify ran: beside the recording, or the data folder
        candidates = [model] if model.is_absolute() else [recording.parent / model, model]
        paths = [readable(_thresholds_path(candidate)) for candidate in candidates]
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            raise HarkError(f"{_thresholds_path(model)}: no thresholds yet (hark accuracy writes them)")
        for row in read_thresholds(path):
            thresholds.setdefault(row.ratio, {})[row.label] = row.threshold
    except HarkError as err:
        problem = str(err)
    return Probabilities(array, meta, thresholds, problem)


def _thresholds_path(model: Path) -> Path:
    """``MODEL/accuracy/thresholds.csv``, as :func:`hark.infer.ethogram.thresholds_path` names it (without importing the engines)."""
    return model / "accuracy" / "thresholds.csv"


def trace_columns(probabilities: Probabilities, start_s: float, stop_s: float, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """``(times, values)`` of ``[start_s, stop_s)``: ``values`` is ``(points, labels)``, at most ``columns`` points,
    each the highest probability of the rows its column covers (every row when there are fewer)."""
    meta = probabilities.meta
    first, stop = meta.rows_between(start_s, stop_s)
    first, stop = max(0, first - 1), min(meta.frames, stop + 1)  # one row either side: the lines reach the edges
    if stop <= first:
        return np.zeros(0), np.zeros((0, len(meta.output_names)), np.float32)
    step = max(1, math.ceil((stop - first) / STRIDED_READ_ROWS))
    rows = np.arange(first, stop, step)
    values = np.asarray(probabilities.array[first:stop:step], dtype=np.float32)
    if len(rows) > 2 * columns:
        edges = np.linspace(0, len(rows), columns + 1).astype(np.int64)[:-1]
        values = np.maximum.reduceat(values, edges, axis=0)
        rows = rows[edges]
    return _row_times(meta, rows), values


def _row_times(meta: ProbabilitiesMeta, rows: np.ndarray) -> np.ndarray:
    return (meta.offset + meta.stride * rows.astype(np.float64)) / meta.samplerate


class TraceLane:
    """The plot of the probabilities and the menu of the ratio whose thresholds are drawn."""

    def __init__(self, view: RecordingView):
        self.view = view
        self.probabilities: Probabilities | None = None
        self.plot = figure(height=TRACE_HEIGHT, tools="", name="traces", x_range=view.x_range, y_range=Range1d(0, 1.02),
                           width=view.waveform.width, min_border_left=110, min_border_right=20, output_backend="canvas",
                           visible=False)  # fmt: skip
        self.plot.yaxis.axis_label = "probability"
        self.plot.xaxis.visible = False
        self.plot.toolbar.logo = None
        self.lines = ColumnDataSource({"xs": [], "ys": [], "color": [], "label": []})
        self.plot.multi_line(xs="xs", ys="ys", line_color="color", line_width=1.5, source=self.lines)
        self.thresholds = ColumnDataSource({"x0": [], "x1": [], "y": [], "color": []})
        self.plot.segment(x0="x0", x1="x1", y0="y", y1="y", line_color="color", line_dash="dashed", line_width=1.5, source=self.thresholds)
        self.ratio = Select(title="Thresholds at precision/recall ratio", options=[], width=230, name="trace-ratio", visible=False)
        self.ratio.on_change("value", lambda attr, old, new: self.draw())
        self.legend = Div(text="", width=800, name="trace-legend", visible=False)

    def layout(self):
        return column(self.plot, self.legend, self.ratio)

    def recording_opened(self, recording: Path) -> None:
        session = self.view.session
        try:
            self.probabilities = find_probabilities(recording, lambda path: session.folder.readable(path, what="probabilities"))
        except HarkError as err:
            self.probabilities = None
            session.report(f"{err} — no probability traces", error=True)
        found = self.probabilities
        for widget in (self.plot, self.legend):
            widget.visible = found is not None
        ratios = [f"{r:g}" for r in sorted(found.thresholds)] if found is not None else []
        self.ratio.update(options=ratios, visible=bool(ratios))
        if ratios and self.ratio.value not in ratios:
            self.ratio.value = "1" if "1" in ratios else ratios[0]
        if found is not None and found.problem:
            session.report(f"probability traces without thresholds: {found.problem}")
        self.draw()

    def draw(self) -> None:
        found, view = self.probabilities, self.view
        if found is None or view.loaded is None:
            replace_data(self.lines, {"xs": [], "ys": [], "color": [], "label": []})  # not sent again while empty
            replace_data(self.thresholds, {"x0": [], "x1": [], "y": [], "color": []})
            return
        times, values = trace_columns(found, view.x_range.start, view.x_range.end, view.waveform.width)
        labels = found.meta.output_names
        colors = [view.session.label_color(label) for label in labels]
        self.lines.data = {"xs": [times] * len(labels), "ys": [values[:, i] for i in range(len(labels))], "color": colors, "label": labels}
        chosen = found.thresholds.get(float(self.ratio.value), {}) if self.ratio.value else {}
        drawn = [(label, color, chosen[label]) for label, color in zip(labels, colors) if label in chosen]
        self.thresholds.data = {"x0": [view.x_range.start] * len(drawn), "x1": [view.x_range.end] * len(drawn),
                                "y": [t for _, _, t in drawn], "color": [c for _, c, _ in drawn]}  # fmt: skip
        legend = " ".join(f'<span style="color:{c}">━</span> {html.escape(label)}' for label, c in zip(labels, colors))
        ratio = f" · dashed: thresholds at ratio {html.escape(self.ratio.value)}" if drawn else ""
        text = f"<small>probabilities ({html.escape(Path(found.meta.model).name or 'model')}): {legend}{ratio}</small>"
        if self.legend.text != text:
            self.legend.text = text
