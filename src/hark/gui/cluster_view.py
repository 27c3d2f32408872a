"""The Cluster tab: a map of sounds (``hark cluster``), and the sounds behind a spot of it.

Click a spot of the scatter: the nearest sounds appear as a grid of spectrogram thumbnails
(colour-mapped, each scaled to its own loudest 60 dB) with their kind and label under the
image. The menus above the map narrow it (and the nearest sounds) by kind, species and word
(labels split at the first hyphen), or to labels without a hyphen; the legend beside them
gives each label's colour and each kind's marker. Click a thumbnail: the sound opens in the context window (the
Recording tab). Double-click a thumbnail: the sound gets the current label, through the
same editor as every other edit (a detected sound becomes an annotated copy). With the
kinds in the map, this is how false positives, misses and mistaken annotations are found
and fixed, as in SongExplorer.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from bokeh.events import DoubleTap, Tap
from bokeh.layouts import column, row
from bokeh.models import Button, CDSView, CheckboxGroup, ColumnDataSource, Div, IndexFilter, LinearColorMapper, Select, Slider
from bokeh.palettes import Inferno256
from bokeh.plotting import figure

from hark.annotations.edits import AnnotationEditor
from hark.annotations.event import Event, Kind
from hark.audio.recording import open_recording
from hark.errors import HarkError
from hark.gui.keys import release_focus_after_change
from hark.gui.signal import compute_view, default_nfft

if TYPE_CHECKING:
    from hark.gui.session import GuiSession

GRID_COLUMNS = 4
GRID_ROWS = 4
THUMB_COLUMNS = 64
THUMB_ROWS = 40
DOUBLE_CLICK_MS = 400  # a click opens its sound only if no second click follows this soon
MARKERS = {"annotated": "circle", "detected": "triangle", "predicted": "square", "missed": "diamond", "mistaken": "x", "correct": "hex"}
MARKER_SYMBOLS = {"circle": "●", "triangle": "▲", "square": "■", "diamond": "◆", "x": "✕", "hex": "⬢"}
THUMB_RANGE_DB = 60.0  # a thumbnail shows its loudest 60 dB, black below
ANY = "(any)"


def thumbnail_levels(spectrogram_db: np.ndarray) -> np.ndarray:
    """A thumbnail's dB scaled to 0..1 over its loudest :data:`THUMB_RANGE_DB` (its 99.5th percentile at 1): the sound
    stands out of its background whatever the recording's level, and every thumbnail is comparable to the next."""
    if not spectrogram_db.size:
        return np.zeros((2, 2), np.float32)
    top = float(np.percentile(spectrogram_db, 99.5))
    return np.clip((spectrogram_db - (top - THUMB_RANGE_DB)) / THUMB_RANGE_DB, 0.0, 1.0).astype(np.float32)


class ClusterView:
    def __init__(self, session: GuiSession):
        self.session = session
        self.sounds: list[Event] = []  # row i of the map
        self.recordings: list[str] = []  # each sound's recording, relative to the data folder
        self.coordinates = np.zeros((0, 2))
        self.snippets: list[int] = []  # map rows shown in the grid, tile by tile

        self.map_menu = Select(title="Cluster map (cluster-*.csv)", options=[], width=420, name="cluster-map")
        self.map_menu.on_change("value", lambda attr, old, new: self.load_map(new) if new else None)
        self.refresh_button = Button(label="Find maps", width=100)
        self.refresh_button.on_click(self.refresh_maps)
        self.dot_size = Slider(title="Dot size", start=2, end=30, step=1, value=8, width=200)
        self.dot_alpha = Slider(title="Dot alpha", start=0.05, end=1, step=0.05, value=0.6, width=200)
        self.info = Div(text="", width=500, name="cluster-info")
        self.kind_filter = Select(title="Kind", options=[ANY], value=ANY, width=120, name="cluster-kind")
        self.species_filter = Select(title="Species", options=[ANY], value=ANY, width=120, name="cluster-species")
        self.word_filter = Select(title="Word", options=[ANY], value=ANY, width=120, name="cluster-word")
        self.no_hyphen = CheckboxGroup(labels=["only labels without a hyphen"], active=[], name="cluster-no-hyphen")
        for menu in (self.kind_filter, self.species_filter, self.word_filter):
            menu.on_change("value", lambda attr, old, new: self.apply_filters())
            release_focus_after_change(menu)
        self.no_hyphen.on_change("active", lambda attr, old, new: self.apply_filters())
        self.legend = Div(text="", width=300, name="cluster-legend")
        self.kept = np.zeros(0, np.int64)  # map rows passing the filters

        self.scatter = figure(width=560, height=520, tools="pan,wheel_zoom,reset", name="cluster-scatter", title="Click a spot")
        self.scatter.toolbar.logo = None
        self.points = ColumnDataSource({"x": [], "y": [], "color": [], "marker": [], "label": [], "kind": []})
        self.shown_rows = IndexFilter(indices=[])
        self.dots = self.scatter.scatter(x="x", y="y", color="color", marker="marker", size=8, alpha=0.6, source=self.points,
                                         view=CDSView(filter=self.shown_rows))  # fmt: skip
        self.near = ColumnDataSource({"x": [], "y": []})
        self.scatter.scatter(x="x", y="y", source=self.near, size=16, fill_alpha=0, line_color="red", line_width=2)
        self.dot_size.on_change("value", lambda attr, old, new: setattr(self.dots.glyph, "size", new))
        self.dot_alpha.on_change("value", lambda attr, old, new: self.dots.glyph.update(fill_alpha=new, line_alpha=new))
        self.scatter.on_event(Tap, lambda event: self.show_nearest(event.x, event.y))

        self.grid = figure(width=560, height=520, tools="", name="cluster-grid", title="Click a sound to open it; double-click to label it",
                           x_range=(0, GRID_COLUMNS), y_range=(0, GRID_ROWS))  # fmt: skip
        self.grid.axis.visible = False
        self.grid.grid.visible = False
        self.grid.toolbar.logo = None
        self.thumbs = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": [], "text": [], "ty": []})
        self.grid.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.thumbs,
                        color_mapper=LinearColorMapper(palette=Inferno256, low=0, high=1))  # fmt: skip
        # the caption under its image, never over it
        self.grid.text(x="x", y="ty", text="text", source=self.thumbs, text_font_size="10px", text_color="#202020", x_offset=2,
                       text_baseline="bottom")  # fmt: skip
        self.grid.on_event(Tap, lambda event: self._tapped(event.x, event.y))
        self.grid.on_event(DoubleTap, lambda event: self._double_tapped(event.x, event.y))
        self._pending_open = None  # a click waits a moment: it may be the first half of a double-click
        self.refresh_maps()

    def layout(self):
        filters = row(self.kind_filter, self.species_filter, self.word_filter, column(Div(text=""), self.no_hyphen))
        return column(row(self.map_menu, column(Div(text=""), self.refresh_button), self.dot_size, self.dot_alpha), filters, self.info,
                      row(self.scatter, self.grid, self.legend))  # fmt: skip

    # -- maps ------------------------------------------------------------------------------

    def refresh_maps(self) -> None:
        root = self.session.folder.root
        found = []
        for path in root.rglob("cluster-*.csv"):
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            try:  # a map linked in from outside the data folder is not offered
                found.append(self.session.folder.relative(path))
            except HarkError:
                continue
        self.map_menu.options = [""] + sorted(found)

    def load_map(self, relative: str) -> None:
        try:
            path = self.session.folder.resolve(relative, must_exist=True, what="cluster map")
            from hark.embed.cluster import read_cluster_map  # loads torch: only once a map is opened

            rows, coordinates = read_cluster_map(path)
            data_root = self._data_root(path)
            sounds, recordings = [], []
            for number, values in enumerate(rows, start=2):
                try:
                    event = Event(values["wavfile"], values["start"], values["stop"], values["kind"], values["label"])
                except (KeyError, ValueError) as err:
                    raise HarkError(f"{relative}:{number}: {err}") from None
                sounds.append(event)
                recordings.append(self.session.folder.relative(self.session.folder.resolve(data_root / event.recording, what="sound's recording")))
        except HarkError as err:
            self.session.report(f"cannot open the cluster map: {err}", error=True)
            return
        self.sounds, self.recordings = sounds, recordings
        self.session.add_labels(sorted({s.label for s in sounds if s.kind is Kind.ANNOTATED}))
        self.coordinates = coordinates if len(coordinates) else np.zeros((0, 2))
        self.points.data = {
            "x": self.coordinates[:, 0], "y": self.coordinates[:, 1], "color": [self.session.label_color(s.label) for s in sounds],
            "marker": [MARKERS.get(s.kind.value, "circle") for s in sounds], "label": [s.label for s in sounds],
            "kind": [s.kind.value for s in sounds],
        }  # fmt: skip
        self.near.data = {"x": [], "y": []}
        self.thumbs.data = {name: [] for name in self.thumbs.data}
        labels = sorted({s.label for s in sounds})
        for menu, values in ((self.kind_filter, sorted({s.kind.value for s in sounds})), (self.species_filter, sorted({l.partition("-")[0] for l in labels})),
                             (self.word_filter, sorted({l.partition("-")[2] for l in labels} - {""}))):  # fmt: skip
            menu.options = [ANY, *values]
            if menu.value not in menu.options:
                menu.value = ANY
        self.apply_filters()
        self.session.report(f"opened cluster map {relative}: {len(sounds)} sounds")

    # -- filters and legend ----------------------------------------------------------------

    def passes(self, sound: Event) -> bool:
        """Whether ``sound`` passes the kind, species, word and no-hyphen filters."""
        species, hyphen, word = sound.label.partition("-")
        return (self.kind_filter.value in (ANY, sound.kind.value) and self.species_filter.value in (ANY, species)
                and self.word_filter.value in (ANY, word) and not (self.no_hyphen.active and hyphen))  # fmt: skip

    def apply_filters(self) -> None:
        self.kept = np.array([i for i, sound in enumerate(self.sounds) if self.passes(sound)], dtype=np.int64)
        self.shown_rows.indices = self.kept.tolist()
        three = " (a 3-D map: x and y shown)" if self.coordinates.shape[1] > 2 else ""
        narrowed = f" of {len(self.sounds)}" if len(self.kept) < len(self.sounds) else ""
        self.info.text = f"{len(self.kept)}{narrowed} sounds{three}; click a spot to see the nearest"
        self._draw_legend()

    def _draw_legend(self) -> None:
        kept = [self.sounds[i] for i in self.kept]
        labels = sorted({s.label for s in kept}, key=lambda label: (label not in self.session.labels, label))
        kinds = sorted({s.kind.value for s in kept})
        lines = [f'<span style="color:{self.session.label_color(label)}">●</span> {html.escape(label)} '
                 f"({sum(1 for s in kept if s.label == label)})" for label in labels]  # fmt: skip
        lines += [f"{MARKER_SYMBOLS[MARKERS.get(kind, 'circle')]} {html.escape(kind)}" for kind in kinds]
        self.legend.text = "<b>Legend</b><br>" + "<br>".join(lines) if kept else "<b>Legend</b><br>(no sounds pass the filters)"

    def _data_root(self, map_path: Path) -> Path:
        """The ground-truth folder the map's sounds come from (recorded by hark activations), else the data folder."""
        try:
            folder = self.session.folder  # every file read here lies inside the data folder, links followed
            description = json.loads(folder.resolve(map_path.with_suffix(".json"), what="the map's description").read_text())
            activations = folder.resolve(Path(description["activations"]) / "activations.json", what="the map's activations")
            meta = json.loads(activations.read_text())
        except (OSError, ValueError, KeyError, TypeError):
            return self.session.folder.root
        try:
            return folder.resolve(meta["data_root"], what="the activations' data folder")
        except (KeyError, TypeError):
            return self.session.folder.root

    # -- snippets --------------------------------------------------------------------------

    def show_nearest(self, x: float, y: float) -> None:
        if not self.sounds:
            self.session.report("open a cluster map first", error=True)
            return
        if not len(self.kept):
            self.session.report("no sounds pass the map's filters", error=True)
            return
        distances = np.hypot(self.coordinates[self.kept, 0] - x, self.coordinates[self.kept, 1] - y)
        self.snippets = [int(self.kept[i]) for i in np.argsort(distances, kind="stable")[: GRID_COLUMNS * GRID_ROWS]]
        self.near.data = {"x": self.coordinates[self.snippets, 0], "y": self.coordinates[self.snippets, 1]}
        images, xs, ys, texts = [], [], [], []
        opened: dict[str, object] = {}
        for tile, index in enumerate(self.snippets):
            sound, relative = self.sounds[index], self.recordings[index]
            try:
                recording = opened.get(relative) or open_recording(self.session.folder.resolve(relative))
                opened[relative] = recording
                rate = recording.samplerate
                half = max((sound.stop - sound.start) * 0.75, 0.1 * rate)
                middle = (sound.start + sound.stop) / 2
                view = compute_view(recording, int(middle - half), int(middle + half), THUMB_COLUMNS, THUMB_ROWS, default_nfft(rate))
                image = thumbnail_levels(view.spectrogram)
            except HarkError as err:
                self.session.report(f"cannot read the sound in {relative}: {err}", error=True)
                image = np.zeros((2, 2), np.float32)
            column_, row_ = tile % GRID_COLUMNS, GRID_ROWS - 1 - tile // GRID_COLUMNS
            images.append(image.astype(np.float32))
            xs.append(column_ + 0.03)
            ys.append(row_ + 0.2)
            texts.append(f"{sound.kind.value} {sound.label}")
        self.thumbs.data = {"image": images, "x": xs, "y": ys, "dw": [0.94] * len(xs), "dh": [0.77] * len(xs), "text": texts,
                            "ty": [y - 0.18 for y in ys]}  # fmt: skip
        self.info.text = f"the {len(self.snippets)} sounds nearest ({x:.2f}, {y:.2f})"

    def _snippet_at(self, x: float, y: float) -> int | None:
        tile = int((GRID_ROWS - 1 - int(np.floor(y))) * GRID_COLUMNS + int(np.floor(x)))
        if not 0 <= x < GRID_COLUMNS or not 0 <= y < GRID_ROWS or not 0 <= tile < len(self.snippets):
            return None
        return self.snippets[tile]

    def _tapped(self, x: float, y: float) -> None:
        self._cancel_pending()
        self._pending_open = self.session.doc.add_timeout_callback(lambda: self._open_pending(x, y), DOUBLE_CLICK_MS)

    def _double_tapped(self, x: float, y: float) -> None:
        self._cancel_pending()
        self.label_snippet(x, y)

    def _cancel_pending(self) -> None:
        if self._pending_open is not None:
            try:
                self.session.doc.remove_timeout_callback(self._pending_open)
            except ValueError:  # it already ran
                pass
            self._pending_open = None

    def _open_pending(self, x: float, y: float) -> None:
        self._pending_open = None
        self.open_snippet(x, y)

    def open_snippet(self, x: float, y: float) -> None:
        index = self._snippet_at(x, y)
        if index is None:
            return
        sound, relative = self.sounds[index], self.recordings[index]
        view = self.session.view
        if (view.loaded is None or view.loaded.relative != relative) and not view.open(relative):
            return
        rate = view.loaded.samplerate
        view.show_around(sound.start / rate, sound.stop / rate)
        view.highlight = next((s for s in view.shown if (s.event.start, s.event.stop, s.event.label) == (sound.start, sound.stop, sound.label)), None)
        view.draw_events()
        self.session.tabs.active = 0
        self.session.report(f"opened {sound.kind.value} {sound.label!r} at {sound.start / rate:.3f} s of {relative}")

    def label_snippet(self, x: float, y: float) -> None:
        index = self._snippet_at(x, y)
        label = self.session.annotate.current_label
        if index is None:
            return
        if not label:
            self.session.report("choose a label first (Recording tab, or a number key)", error=True)
            return
        sound, relative = self.sounds[index], self.recordings[index]
        view = self.session.view
        try:
            if view.loaded is not None and view.loaded.relative == relative and view.loaded.editor is not None:
                editor = view.loaded.editor
            else:
                recording = open_recording(self.session.folder.resolve(relative))
                editor = AnnotationEditor(recording.path, self.session.annotator, recording.frames)
            event = sound.with_(recording=editor.recording.name, kind=Kind(sound.kind), annotator=self.session.annotator)
            target = next((own for own in editor.events if own == event), event)
            editor.relabel(target, label)
        except HarkError as err:
            self.session.report(str(err), error=True)
            return
        self.session.report(f"{editor.history[-1]} — saved to {editor.path.name}")
        self.sounds[index] = sound.with_(label=label, kind=Kind.ANNOTATED)
        self.points.patch({"label": [(index, label)], "kind": [(index, "annotated")], "color": [(index, self.session.label_color(label))]})
        tile = self.snippets.index(index)
        self.thumbs.patch({"text": [(tile, f"annotated {label}")]})
        self._draw_legend()
        if view.loaded is not None and view.loaded.relative == relative:
            self.session.annotate.after_edit()

    def on_key(self, key: str) -> None:
        label = self.session.label_list.label_of_key(key)  # 1-9 and 0, then shift+1..0, as in the Recording tab
        if label is not None:
            self.session.annotate.choose_label(label)
