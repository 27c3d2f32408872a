"""The context window: waveform, spectrogram and event lanes of the visible stretch of a recording.

Only the visible stretch is ever computed (:mod:`hark.gui.signal`), one column per pixel,
and only the events that overlap it are sent to the browser, so a redraw costs the same
for a ten-second file and a ten-hour one. The three plots share one time axis in seconds;
the lanes plot has one row per kind of event (the person's own annotations on top).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from bokeh.events import DoubleTap, RangesUpdate, SelectionGeometry, Tap
from bokeh.layouts import column, row
from bokeh.models import (
    BoxSelectTool,
    Button,
    CheckboxButtonGroup,
    ColumnDataSource,
    CustomJSTickFormatter,
    DataTable,
    Div,
    FixedTicker,
    HTMLTemplateFormatter,
    PanTool,
    Range1d,
    RangeSlider,
    Select,
    Slider,
    TableColumn,
    WheelZoomTool,
)
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from hark.annotations.event import Kind
from hark.errors import HarkError
from hark.gui.lane_layout import readable_labels
from hark.gui.loaded import AnnotationCache, LoadedRecording, ShownEvent, load_recording
from hark.gui.keys import release_focus_after_change
from hark.gui.playback import Player
from hark.gui.signal import ViewData, colour_map, compute_view, default_nfft, palette_rgba
from hark.gui.tables import replace_table_data
from hark.gui.traces import TraceLane
from hark.gui.video_view import VideoView
from hark.gui.view_updates import FIXED_WIDTH_TICKS_JS, TICK_FONT, replace_data

if TYPE_CHECKING:
    from hark.gui.session import GuiSession

WIDTH = 1100  # plot width in pixels: one spectrum and one waveform column per pixel
SPECTROGRAM_HEIGHT = 260
WAVEFORM_HEIGHT = 130
LANE_PIXELS = 26
KIND_NAMES = [kind.value for kind in Kind]
SHOWN_BY_DEFAULT = [Kind.ANNOTATED, Kind.DETECTED, Kind.PREDICTED, Kind.MISSED, Kind.MISTAKEN, Kind.FOUND, Kind.CLUSTERED, Kind.SUGGESTED]
SPEEDS = {"1x": 1.0, "1/2x": 0.5, "1/4x": 0.25, "1/8x": 0.125, "1/16x": 0.0625}
KHZ_ABOVE_HZ = 10_000  # a frequency axis reaching higher is labelled in kHz
# the spectrogram's frequencies stay in Hz (as in the CSVs); only their labels are divided
KHZ_FORMATTER_JS = "return String(Number((tick / 1000).toPrecision(6)));"
SPECTROGRAM_PALETTE = palette_rgba(Viridis256)


class RecordingView:
    """Plots, navigation and playback of one session's open recording."""

    def __init__(self, session: GuiSession):
        self.session = session
        self.loaded: LoadedRecording | None = None
        self.shown: list[ShownEvent] = []  # row i of the lane and box sources is shown[i]
        self.lane_names: list[str] = []
        self.highlight: ShownEvent | None = None
        self._drawn: tuple | None = None  # what the last redraw showed, to skip repeats
        self._prefetched: tuple[tuple, ViewData] | None = None  # a picture computed ahead (the review queue's next event)
        self._annotations = AnnotationCache()  # others' files, parsed once while unchanged (reopening is quick)
        self._ceiling_db = 0.0
        self._spectrogram_db = np.zeros((0, 0), np.float32)  # the drawn spectrogram in dB, coloured by the contrast sliders
        self._opening = False  # while a recording opens, its redraws are not remembered as the person's view
        self._lane_span: dict[str, tuple[int, int]] = {}  # lane name -> (lowest y, rows), in the lanes plot's units

        self.x_range = Range1d(0, 1, bounds=(0, 1), min_interval=1e-4)
        self.recording_menu = Select(title="Recording", options=[], width=420, name="recording")
        self.recording_menu.on_change("value", lambda attr, old, new: self._on_pick(new))
        self.rescan_button = Button(label="Rescan folder", width=110)
        self.rescan_button.on_click(lambda: self.session.rescan())
        self.kinds = CheckboxButtonGroup(labels=KIND_NAMES, active=[KIND_NAMES.index(k.value) for k in SHOWN_BY_DEFAULT])
        self.kinds.on_change("active", lambda attr, old, new: self.draw_events())
        self.nav_buttons = []
        for label, action in (("|◀ Start", self.go_start), ("◀ Back", lambda: self.pan(-0.5)), ("Forward ▶", lambda: self.pan(0.5)),
                              ("End ▶|", self.go_end), ("Zoom in (+)", lambda: self.zoom(0.5)), ("Zoom out (−)", lambda: self.zoom(2.0)),
                              ("Whole recording", self.go_whole)):  # fmt: skip
            button = Button(label=label, width=118)
            button.on_click(action)
            self.nav_buttons.append(button)
        self.play_button = Button(label="▶ Play visible", button_type="success", width=120)
        self.play_button.on_click(self.play)
        self.stop_button = Button(label="■ Stop", width=70)
        self.stop_button.on_click(self.stop_playing)
        self.speed = Select(title="Playback speed", options=list(SPEEDS), value="1x", width=110)
        self.audio = Div(text="", width=320, name="audio")
        self.position = Div(text="", width=420, name="position")

        self.contrast_db = (-100.0, 0.0)  # the dB drawn as the palette's first and last colour
        self.dynamic_range = Slider(title="Contrast: dynamic range (dB)", start=10, end=140, step=1, value=60, width=230, name="contrast")
        self.brightness = Slider(title="Brightness (dB)", start=-60, end=60, step=1, value=0, width=200)
        for slider in (self.dynamic_range, self.brightness):
            slider.on_change("value_throttled", lambda attr, old, new: self._apply_contrast())
        self.frequency = RangeSlider(title="Frequency range (Hz)", start=0, end=1, value=(0, 1), step=1, width=300)
        self.frequency.on_change("value_throttled", lambda attr, old, new: self.redraw(force=True))
        self.nfft = Select(title="Window (samples)", options=[str(2**k) for k in range(5, 13)], value="256", width=110)
        self.nfft.on_change("value", lambda attr, old, new: self.redraw(force=True))

        self._build_plots()
        self.player = Player(self)
        self.player.add_playheads(self.waveform, self.spectrogram, self.lanes, self.traces.plot)
        self.video = VideoView(self)  # the movie beside the sound, when the recording has one
        self._peak = 1.0  # the loudest sample of the last redraw: playback is scaled by it
        for menu in (self.recording_menu, self.speed, self.nfft):  # the arrow keys move the view, not the menu, once one is picked
            release_focus_after_change(menu)
        self.counts_source = ColumnDataSource({"lane": [], "label": [], "count": [], "color": []})
        swatch = HTMLTemplateFormatter(template='<span style="color:<%- color %>">■</span> <%- value %>')  # <%- escapes
        self.counts_table = DataTable(
            source=self.counts_source, width=360, height=220, index_position=None, name="counts",
            columns=[TableColumn(field="lane", title="Kind", width=150), TableColumn(field="label", title="Label", formatter=swatch, width=150),
                     TableColumn(field="count", title="Count", width=60)],
        )  # fmt: skip

    # -- layout ----------------------------------------------------------------------------

    def _build_plots(self) -> None:
        common = {"x_range": self.x_range, "width": WIDTH, "min_border_left": 110, "min_border_right": 20, "output_backend": "canvas"}
        self.waveform = figure(height=WAVEFORM_HEIGHT, tools="", name="waveform", y_range=Range1d(-1, 1), **common)
        self.spectrogram = figure(height=SPECTROGRAM_HEIGHT, tools="", name="spectrogram", y_range=Range1d(0, 1), **common)
        self.lanes = figure(height=80, tools="", name="lanes", y_range=Range1d(0, 1), **common)
        self.waveform.xaxis.visible = False
        # amplitude labels of one width whatever the peak: a new width would lay out the whole page again
        self.waveform.yaxis.formatter = CustomJSTickFormatter(code=FIXED_WIDTH_TICKS_JS)
        self.waveform.yaxis.major_label_text_font = TICK_FONT
        self.spectrogram.xaxis.visible = False
        self.lanes.xaxis.axis_label = "time (s)"
        self.spectrogram.yaxis.axis_label = "Hz"
        self._hz_formatter = self.spectrogram.yaxis[0].formatter
        self.lane_ticker = FixedTicker(ticks=[])  # one ticker, changed in place: a new model would re-index the document
        self.lanes.yaxis.ticker = self.lane_ticker
        self.lanes.ygrid.visible = False

        self.wave_source = ColumnDataSource({"t": [], "low": [], "high": []})
        self.waveform.varea(x="t", y1="low", y2="high", source=self.wave_source, fill_color="#3060a0", fill_alpha=0.6)
        self.waveform.line(x="t", y="high", source=self.wave_source, color="#3060a0", line_width=1)
        self.waveform.line(x="t", y="low", source=self.wave_source, color="#3060a0", line_width=1)
        # coloured on the server (hark.gui.signal.colour_map, as a LinearColorMapper would): the page copies pixels
        self.image_source = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []})
        self.spectrogram.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=self.image_source)

        columns = _empty()
        self.band_source = ColumnDataSource(dict(columns))  # time extent of every event, on the waveform
        self.waveform.quad(left="left", right="right", bottom=-1e9, top=1e9, fill_color="color", fill_alpha="alpha", line_alpha=0,
                           source=self.band_source)  # fmt: skip
        self.box_source = ColumnDataSource(dict(columns))  # events with a frequency extent, on the spectrogram
        self.spectrogram.quad(left="left", right="right", bottom="bottom", top="top", fill_alpha=0, line_color="color",
                              line_width="width", source=self.box_source)  # fmt: skip
        self.lane_source = ColumnDataSource(dict(columns))
        self.lanes.quad(left="left", right="right", bottom="bottom", top="top", fill_color="color", fill_alpha="alpha",
                        line_color="color", source=self.lane_source)  # fmt: skip
        self.rejected_source = ColumnDataSource(dict(columns))  # rejected events, hatched (few: hatching is slow to draw)
        self.lanes.quad(left="left", right="right", bottom="bottom", top="top", fill_alpha=0, line_color="color", hatch_pattern="/",
                        hatch_color="black", hatch_alpha=0.5, source=self.rejected_source)  # fmt: skip
        self.label_source = ColumnDataSource(dict(columns))  # the labels' text, only where each fits (lane_layout)
        self.lanes.text(x="left", y="bottom", text="text", text_font_size="10px", x_offset=2, y_offset=-3, source=self.label_source)
        self.highlight_source = ColumnDataSource({"left": [], "right": [], "bottom": [], "top": []})
        # the event under review: dashed black on white, a colour no label has
        for plot, source in ((self.spectrogram, self._spectrogram_highlight()), (self.lanes, self.highlight_source)):
            _outline(plot, source)
        _outline(self.waveform, self.highlight_source, bottom=-1e9, top=1e9)
        self.traces = TraceLane(self)

        for plot, dimensions in ((self.waveform, "width"), (self.spectrogram, "both"), (self.lanes, "width")):
            # the box tool lays or redraws annotations; it selects in a renderer of its own, which
            # draws nothing, so that no event box is dimmed as "not selected"
            dummy = plot.scatter(x=[], y=[], size=0)
            drag = BoxSelectTool(dimensions=dimensions, renderers=[dummy], description="Drag: lay a range (review: redraw the box)")
            wheel = WheelZoomTool(dimensions="width", description="Wheel: zoom in time")
            plot.add_tools(drag, wheel, PanTool(dimensions="width", description="Drag: move in time"))
            plot.toolbar.active_drag = drag
            plot.toolbar.active_scroll = wheel
            plot.toolbar.logo = None
            plot.on_event(RangesUpdate, lambda event: self.redraw())
            which = plot.name
            plot.on_event(DoubleTap, lambda event, which=which: self.session.annotate.on_double_tap(which, event.x, event.y))
            plot.on_event(Tap, lambda event, which=which: self.session.annotate.on_tap(which, event.x, event.y))  # selects (find more like this)
            plot.on_event(SelectionGeometry, lambda event, which=which: self._on_drag(which, event))

    def _spectrogram_highlight(self) -> ColumnDataSource:
        self.spectrogram_highlight_source = ColumnDataSource({"left": [], "right": [], "bottom": [], "top": []})
        return self.spectrogram_highlight_source

    def layout(self):
        controls = row(self.dynamic_range, self.brightness, self.frequency, self.nfft)
        top = row(self.recording_menu, column(Div(text=""), self.rescan_button), self.play_button, self.stop_button, self.speed, self.audio)
        return column(
            top, row(*self.nav_buttons), self.kinds, self.position,
            row(column(self.waveform, self.spectrogram, self.lanes, self.traces.layout()), self.video.layout()), controls,
        )  # fmt: skip

    # -- opening ---------------------------------------------------------------------------

    def set_recordings(self, relatives: list[str]) -> None:
        current = self.loaded.relative if self.loaded else None
        self.recording_menu.options = [""] + relatives if current is None else relatives
        if current is not None:
            self.recording_menu.value = current

    def _on_pick(self, relative: str) -> None:
        if relative and (self.loaded is None or relative != self.loaded.relative):
            self.open(relative)

    def open(self, relative: str, centre: tuple[float, float] | None = None) -> bool:
        """Open a recording (a path inside the data folder); ``centre`` is a stretch (s) to show."""
        try:
            session = self.session
            loaded = load_recording(session.folder, relative, session.annotator, session.entry_of(relative), self._annotations)
        except HarkError as err:
            if self.loaded is not None:  # keep showing what was open
                self.recording_menu.value = self.loaded.relative
            # the message last: each change reaches the page as its own patch, in order, so that
            # when the message shows, the menu already names what is still open
            self.session.report(f"cannot open {relative}: {err}", error=True)
            return False
        self.player.stop()  # nothing of the previous recording keeps playing, or stays offered
        self.audio.text = ""
        remembered = self.session.remembered_view(loaded.relative)  # before the redraws below replace it
        self._opening = True
        self.loaded = loaded
        self.highlight = None
        self._drawn = None
        self._prefetched = None
        self.session.remember_recording(loaded.relative)
        if self.recording_menu.value != loaded.relative:
            if loaded.relative not in self.recording_menu.options:
                self.recording_menu.options = [*self.recording_menu.options, loaded.relative]
            self.recording_menu.value = loaded.relative
        self.session.annotate.recording_opened(loaded)  # its labels first: they choose the colours
        duration = loaded.recording.duration
        nyquist = loaded.samplerate / 2
        self.frequency.update(start=0, end=nyquist, value=(0, nyquist), step=max(1, round(nyquist / 500)))
        self._frequency_unit(nyquist)
        self.traces.recording_opened(loaded.path)
        self.video.recording_opened(loaded)
        self.nfft.value = str(default_nfft(loaded.samplerate))
        self.x_range.bounds = (0, duration)
        self.x_range.min_interval = max(8 / loaded.samplerate, 1e-6)
        first = min(duration, 10.0 if loaded.samplerate <= 48000 else 2.0)
        self.speed.value = "1x" if loaded.samplerate <= 48000 else "1/8x"
        for problem in loaded.problems:
            self.session.report(problem, error=True)
        if not loaded.problems:
            self.session.report(f"opened {loaded.relative}: {duration:.1f} s at {loaded.samplerate} Hz")
        self._opening = False
        if centre is not None:
            self.show_around(*centre)
        elif remembered is not None:
            self.show_window(remembered[0], remembered[0] + remembered[1])
        else:
            self.show_window(0.0, first)
        self.session.annotate.restore(loaded)
        return True

    def _frequency_unit(self, nyquist: float) -> None:
        """Hz up to 10 kHz; above (ultrasonic recordings), kHz: 120 rather than 1.200e+5."""
        unit = "kHz" if nyquist > KHZ_ABOVE_HZ else "Hz"
        axis = self.spectrogram.yaxis[0]
        if axis.axis_label == unit:
            return
        axis.axis_label = unit
        self.frequency.title = f"Frequency range ({unit})"
        if unit == "kHz":
            axis.formatter = CustomJSTickFormatter(code=KHZ_FORMATTER_JS)
            self.frequency.format = CustomJSTickFormatter(code=KHZ_FORMATTER_JS)
        else:
            axis.formatter = self._hz_formatter
            self.frequency.format = "0[.]00"  # the slider's own default

    def reload_events(self) -> None:
        """Read the annotation files again (after a job wrote new ones), keeping the view."""
        if self.loaded is None:
            return
        window = (self.x_range.start, self.x_range.end)
        if self.open(self.loaded.relative):
            self.show_window(*window)

    # -- navigation ------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self.loaded.recording.duration if self.loaded else 1.0

    def _window(self, start: float, stop: float) -> tuple[float, float]:
        """The view ``show_window(start, stop)`` shows: at least the shortest width, inside the recording."""
        width = max(stop - start, self.x_range.min_interval or 0)
        width = min(width, self.duration)
        start = min(max(0.0, start), self.duration - width)
        return start, start + width

    def _around(self, start: float, stop: float) -> tuple[float, float]:
        width = max(self.x_range.end - self.x_range.start, (stop - start) * 1.25)
        middle = (start + stop) / 2
        return self._window(middle - width / 2, middle + width / 2)

    def show_window(self, start: float, stop: float) -> None:
        start, stop = self._window(start, stop)
        self.x_range.update(start=start, end=stop)
        self.redraw()

    def show_around(self, start: float, stop: float) -> None:
        """Centre the view on ``[start, stop]``, keeping the zoom unless the stretch does not fit."""
        self.show_window(*self._around(start, stop))

    def would_move_for(self, start: float, stop: float) -> bool:
        """Whether :meth:`bring_into_view` would move the view for ``[start, stop]``."""
        view_start, view_end = self.x_range.start, self.x_range.end
        margin = (view_end - view_start) / 10
        return not (view_start + margin <= start and stop <= view_end - margin)

    def prefetch_later(self, start: float, stop: float) -> None:
        """Once this change has reached the page, compute the picture :meth:`bring_into_view` will need
        for ``[start, stop]`` (the review queue's next event, while the person looks at the current one):
        the step to it then only sends it. One picture is kept, used only for exactly that view."""
        if self.loaded is not None and self.would_move_for(start, stop):
            self.session.doc.add_next_tick_callback(lambda relative=self.loaded.relative: self._prefetch(relative, start, stop))

    def _prefetch(self, relative: str, start: float, stop: float) -> None:
        if self.loaded is None or self.loaded.relative != relative or not self.would_move_for(start, stop):
            return
        key = self._key(*self._around(start, stop))
        if key == self._drawn or (self._prefetched is not None and self._prefetched[0] == key):
            return
        try:
            self._prefetched = (key, self._compute(key))
        except HarkError:
            self._prefetched = None  # the step itself will say what is wrong

    def bring_into_view(self, start: float, stop: float) -> bool:
        """Leave the view where it is when ``[start, stop]`` lies well inside it (a tenth of the width
        from either edge), else centre it there: stepping through close events then redraws only
        the events, not the sound, and the picture does not jump. True when the view moved (and
        so was redrawn, events included)."""
        view_start, view_end = self.x_range.start, self.x_range.end
        if not self.would_move_for(start, stop):
            return False
        self.show_around(start, stop)
        return (self.x_range.start, self.x_range.end) != (view_start, view_end)  # not moved at the recording's ends

    def pan(self, fraction: float) -> None:
        width = self.x_range.end - self.x_range.start
        self.show_window(self.x_range.start + fraction * width, self.x_range.end + fraction * width)

    def zoom(self, factor: float) -> None:
        middle = (self.x_range.start + self.x_range.end) / 2
        half = (self.x_range.end - self.x_range.start) * factor / 2
        self.show_window(middle - half, middle + half)

    def go_start(self) -> None:
        self.show_window(0.0, self.x_range.end - self.x_range.start)

    def go_end(self) -> None:
        width = self.x_range.end - self.x_range.start
        self.show_window(self.duration - width, self.duration)

    def go_whole(self) -> None:
        self.show_window(0.0, self.duration)

    def seconds_per_pixel(self) -> float:
        return (self.x_range.end - self.x_range.start) / WIDTH

    # -- drawing ---------------------------------------------------------------------------

    def redraw(self, force: bool = False) -> None:
        """Recompute the waveform and spectrogram of the visible stretch, then the events."""
        if self.loaded is None:
            return
        key = self._key(self.x_range.start, self.x_range.end)
        if key == self._drawn and not force:
            return
        self._drawn = key
        prefetched, self._prefetched = self._prefetched, None
        try:
            view = prefetched[1] if prefetched is not None and prefetched[0] == key else self._compute(key)
        except HarkError as err:
            self.session.report(f"cannot read {self.loaded.relative}: {err}", error=True)
            return
        self.wave_source.data = {"t": view.times, "low": view.low, "high": view.high}
        peak = float(max(np.max(np.abs(view.low), initial=0), np.max(np.abs(view.high), initial=0))) or 1.0
        self.waveform.y_range.update(start=-1.1 * peak, end=1.1 * peak)
        self._spectrogram_db = view.spectrogram
        self._ceiling_db = float(np.percentile(view.spectrogram, 99.5)) if view.spectrogram.size else 0.0
        self.contrast_db = self._contrast()
        self.image_source.data = {"image": [self.spectrogram_pixels()], "x": [view.start_s], "y": [view.low_hz],
                                  "dw": [view.stop_s - view.start_s], "dh": [view.high_hz - view.low_hz]}  # fmt: skip
        self.spectrogram.y_range.update(start=view.low_hz, end=view.high_hz)
        self.position.text = (
            f"<b>{html.escape(self.loaded.relative)}</b>: {self.x_range.start:.3f} – {self.x_range.end:.3f} s of {self.duration:.1f} s"
        )
        self._peak = peak
        if not self._opening:
            self.session.remember_view(self.loaded.relative, start=self.x_range.start, width=self.x_range.end - self.x_range.start)
        self.draw_events()

    def _key(self, start_s: float, stop_s: float) -> tuple:
        """What a redraw of the view ``[start_s, stop_s]`` depends on (the samples, the window, the frequencies)."""
        rate = self.loaded.samplerate
        low_hz, high_hz = self.frequency.value
        return (self.loaded.relative, int(start_s * rate), int(np.ceil(stop_s * rate)), self.nfft.value, low_hz, high_hz)

    def _compute(self, key: tuple) -> ViewData:
        _, start, stop, nfft, low_hz, high_hz = key
        return compute_view(self.loaded.recording, start, stop, WIDTH, SPECTROGRAM_HEIGHT, int(nfft), (low_hz, high_hz))

    def _contrast(self) -> tuple[float, float]:
        return (self._ceiling_db - self.brightness.value - self.dynamic_range.value, self._ceiling_db - self.brightness.value)

    def spectrogram_pixels(self) -> np.ndarray:
        """The drawn spectrogram as RGBA pixels (``uint32``), coloured with :attr:`contrast_db`."""
        return colour_map(self._spectrogram_db, *self.contrast_db, SPECTROGRAM_PALETTE)

    def _apply_contrast(self) -> None:
        """A contrast slider moved: colour the same spectrogram again (the sound is not read again)."""
        self.contrast_db = self._contrast()
        if self.loaded is not None and self._spectrogram_db.size:
            self.image_source.data = {**dict(self.image_source.data), "image": [self.spectrogram_pixels()]}

    def shown_kinds(self) -> set[Kind]:
        return {Kind(KIND_NAMES[i]) for i in self.kinds.active}

    def draw_events(self) -> None:
        """The events overlapping the visible stretch, in their lanes, on the waveform and on the spectrogram."""
        if self.loaded is None:
            return
        kinds = self.shown_kinds()
        self.lane_names = self.loaded.lanes(kinds)
        rate = self.loaded.samplerate
        margin = self.seconds_per_pixel() * 3  # a point is drawn 3 pixels wide
        t0, t1 = self.x_range.start - margin, self.x_range.end + margin
        self.shown = self.loaded.shown(kinds, int(np.floor(t0 * rate)), int(np.ceil(t1 * rate)))
        rows, depths = self.loaded.rows(self.shown)
        self._layout_lanes(depths)
        lanes, bands, boxes, rejects = _empty(), _empty(), _empty(), _empty()
        texts: dict[str, list] = {"left": [], "bottom": [], "text": [], "row": []}
        colors: dict[str, str] = {}
        lane_index = {name: i for i, name in enumerate(self.lane_names)}
        for shown, row_ in zip(self.shown, rows):
            event = shown.event
            left, right = event.start / rate, max(event.stop / rate, event.start / rate + margin)
            color = colors.get(event.label) or colors.setdefault(event.label, self.session.label_color(event.label))
            rejected = event.status is not None and event.status.value == "rejected"
            mark = {"accepted": " ✓", "rejected": " ✗"}.get(event.status.value if event.status else "", "")
            base, depth = self._lane_span[shown.lane]
            row_ = min(row_, depth - 1)
            top = base + depth - row_ - 0.1
            bottom = top - 0.8
            _append(rejects if rejected else lanes, left, right, bottom, top, color, 0.6, 1, event.label + mark)
            _append(bands, left, right, 0, 0, color, 0.12 if shown.own else 0.06, 1, "")
            if event.has_frequency:
                _append(boxes, left, right, event.low_hz, event.high_hz, color, 1, 3 if shown.own else 1.5, event.label)
            texts["left"].append(left)
            texts["bottom"].append(bottom)
            texts["text"].append(event.label + mark)
            texts["row"].append(lane_index[shown.lane] * 8 + row_)
        lanes, bands, boxes, rejects = (_as_arrays(columns) for columns in (lanes, bands, boxes, rejects))
        sources = (self.lane_source, self.band_source, self.box_source, self.rejected_source)
        for source, columns in zip(sources, (lanes, bands, boxes, rejects)):
            replace_data(source, columns)  # unchanged events (a review step in place) are not sent again
        # a label text only where it does not run into its neighbour at this zoom (pixels, not counts)
        pixels = ((np.asarray(texts["left"], dtype=np.float64) - self.x_range.start) / self.seconds_per_pixel()).tolist()
        keep = readable_labels(pixels, texts["text"], texts["row"])
        replace_data(self.label_source, {name: [v for v, k in zip(texts[name], keep) if k] for name in ("left", "bottom", "text")})
        self._draw_highlight()
        self._draw_counts(self.loaded.counts(kinds))
        self.traces.draw()

    def _layout_lanes(self, depths: dict[str, int]) -> None:
        """Each lane as tall as the most events that overlap in it (a row per event), the first lane on top."""
        self._lane_span = {}
        base = 0
        for name in reversed(self.lane_names):
            depth = max(1, depths.get(name, 1))
            self._lane_span[name] = (base, depth)
            base += depth
        self.lanes.y_range.update(start=0, end=max(1, base))
        _set_if_changed(self.lanes, "height", 40 + LANE_PIXELS * max(1, base))
        ticks = {self._lane_span[n][0] + self._lane_span[n][1] / 2: n for n in self.lane_names}
        _set_if_changed(self.lane_ticker, "ticks", sorted(ticks))
        _set_if_changed(self.lanes.yaxis[0], "major_label_overrides", ticks)

    def _draw_highlight(self) -> None:
        if self.highlight is None or self.loaded is None or self.highlight.lane not in self.lane_names:
            for source in (self.highlight_source, self.spectrogram_highlight_source):
                replace_data(source, {"left": [], "right": [], "bottom": [], "top": []})
            return
        event, rate = self.highlight.event, self.loaded.samplerate
        left, right = event.start / rate, max(event.stop / rate, event.start / rate + 3 * self.seconds_per_pixel())
        base, depth = self._lane_span[self.highlight.lane]
        replace_data(self.highlight_source, {"left": [left], "right": [right], "bottom": [base + 0.02], "top": [base + depth - 0.02]})
        low, high = (event.low_hz, event.high_hz) if event.has_frequency else self.frequency.value
        replace_data(self.spectrogram_highlight_source, {"left": [left], "right": [right], "bottom": [low], "top": [high]})

    def _draw_counts(self, counts: Counter) -> None:
        order = {name: i for i, name in enumerate(self.lane_names)}
        keys = sorted(counts, key=lambda k: (order.get(k[0], 99), k[1]))
        replace_table_data(self.counts_table, {
            "lane": [k[0] for k in keys], "label": [k[1] for k in keys], "count": [counts[k] for k in keys],
            "color": [self.session.label_color(k[1]) for k in keys],
        })  # fmt: skip

    # -- finding what the mouse is on ------------------------------------------------------

    def event_in_lane(self, x: float, y: float) -> ShownEvent | None:
        """The drawn event under ``(x, y)`` of the lanes plot (in the row under the mouse first; the shortest, if several), or None."""
        if not self.lane_names or self.loaded is None:
            return None
        lane = next((n for n in self.lane_names if self._lane_span[n][0] <= y < sum(self._lane_span[n])), None)
        if lane is None:
            return None
        base, depth = self._lane_span[lane]
        row_ = depth - 1 - int(np.floor(y - base))
        in_lane = [(s, r) for s, r in zip(self.shown, self.loaded.rows(self.shown)[0]) if s.lane == lane]
        return self._under(x, [s for s, r in in_lane if min(r, depth - 1) == row_]) or self._under(x, [s for s, _ in in_lane])

    def event_in_box(self, x: float, y: float) -> ShownEvent | None:
        """The drawn event whose frequency box on the spectrogram holds ``(x, y)``, own ones first."""
        boxed = [s for s in self.shown if s.event.has_frequency and s.event.low_hz <= y <= s.event.high_hz]
        return self._under(x, boxed)

    def _under(self, x: float, candidates: list[ShownEvent]) -> ShownEvent | None:
        rate, slack = self.loaded.samplerate, 3 * self.seconds_per_pixel()
        hits = [s for s in candidates if s.event.start / rate - slack <= x <= s.event.stop / rate + slack]
        return min(hits, key=lambda s: (not s.own, s.event.duration_tics, abs((s.event.start + s.event.stop) / 2 / rate - x)), default=None)

    def _on_drag(self, which: str, event: SelectionGeometry) -> None:
        geometry = event.geometry
        if not event.final or geometry.get("type") != "rect":
            return
        x0, x1 = sorted((geometry["x0"], geometry["x1"]))
        frequency = tuple(sorted((geometry["y0"], geometry["y1"]))) if which == "spectrogram" else None
        self.session.annotate.on_drag(x0, x1, frequency)

    # -- playback --------------------------------------------------------------------------

    def play(self) -> None:
        """Play the visible stretch, however long, at the chosen speed (sent in chunks: :mod:`hark.gui.playback`)."""
        if self.loaded is None:
            self.session.report("open a recording first", error=True)
            return
        speed = SPEEDS[self.speed.value]
        seconds = self.player.play(self.x_range.start, self.x_range.end, speed, self._peak)
        self.audio.text = f"<small>playing {self.x_range.end - self.x_range.start:.2f} s ({seconds:.1f} s of sound at {self.speed.value})</small>"

    def stop_playing(self) -> None:
        self.player.stop()
        self.audio.text = ""

    def toggle_playing(self) -> None:
        if self.player.state.playing:
            self.stop_playing()
        else:
            self.play()


def _outline(plot, source: ColumnDataSource, bottom="bottom", top="top") -> None:
    for color, width, dash in (("white", 5, "solid"), ("black", 2.5, "dashed")):
        plot.quad(left="left", right="right", bottom=bottom, top=top, fill_alpha=0, line_color=color, line_width=width, line_dash=dash,
                  source=source)  # fmt: skip


def _set_if_changed(model, attribute: str, value) -> None:
    if getattr(model, attribute) != value:
        setattr(model, attribute, value)


COLUMNS = ("left", "right", "bottom", "top", "color", "alpha", "width", "text")


def _empty() -> dict[str, list]:
    return {name: [] for name in COLUMNS}


NUMERIC_COLUMNS = ("left", "right", "bottom", "top", "alpha", "width")


def _as_arrays(columns: dict[str, list]) -> dict:
    """Numbers as float64 arrays, which Bokeh sends to the page as binary buffers rather than JSON
    lists: the whole hour's 21,748 detections in three glyph sets were a large share of a zoom-out."""
    return {name: np.asarray(values, dtype=np.float64) if name in NUMERIC_COLUMNS else values for name, values in columns.items()}


def _append(columns: dict[str, list], *values) -> None:
    for name, value in zip(COLUMNS, values):
        columns[name].append(value)
