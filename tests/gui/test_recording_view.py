"""The context window without a browser: lanes that stay readable, kHz axes, no stale state, what a reload restores,
playback of any length in chunks, and the probability lane."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bokeh.document import Document

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.evaluate.metrics import ThresholdRow
from hark.evaluate.report import write_thresholds
from hark.gui.jobqueue import JobQueue
from hark.gui.lane_layout import overlap_rows, readable_labels
from hark.gui.paths import DataFolder
from hark.gui.playback import CHUNK_SECONDS
from hark.gui.server import GuiServerContext, GuiSettings
from hark.gui.session import GuiSession
from hark.infer.ethogram import thresholds_path
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer
from tests.annotations.helpers import write_wav

RATE = 8000


def open_page(root, recording, annotator="me"):
    settings = GuiSettings(root, annotator=annotator)
    folder = DataFolder(root)
    context = GuiServerContext(settings, folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    return GuiSession(Document(), context, {"recording": recording})


@pytest.fixture
def data(tmp_path):
    """A 10 s recording at 8 kHz with 200 detected pulses 50 ms apart and bob's annotations, two of them overlapping."""
    write_wav(tmp_path / "song.wav", samplerate=RATE, frames=10 * RATE)
    pulses = [Event("song.wav", i * 400, i * 400 + 40, Kind.DETECTED, "mel-pulse") for i in range(200)]
    write_csv(tmp_path / "song.wav-detected.csv", pulses)
    write_csv(tmp_path / "song.wav-annotated-bob.csv", [
        Event("song.wav", 8000, 16000, Kind.ANNOTATED, "mel-sine"), Event("song.wav", 12000, 20000, Kind.ANNOTATED, "mel-pulse"),
        Event("song.wav", 24000, 28000, Kind.ANNOTATED, "mel-sine"),
    ])  # fmt: skip
    write_wav(tmp_path / "usv.wav", samplerate=250_000, frames=25_000)
    return tmp_path


def test_overlapping_intervals_get_separate_rows_and_labels_show_only_where_they_fit():
    rows, depth = overlap_rows([(0, 10), (5, 15), (12, 20), (30, 40), (31, 32), (31, 33)])
    assert rows == [0, 1, 0, 0, 1, 2] and depth == 3
    assert overlap_rows([(0, 100)] * 6, max_rows=4) == ([0, 1, 2, 3, 3, 3], 4)  # beyond the cap they share the last row
    assert overlap_rows([]) == ([], 1)
    # "pulse" and its gap take 36 px: of texts 10 px apart the ones at 0 and 40 show; 50 px apart, all; another row is independent
    assert readable_labels([0, 10, 20, 30, 40, 50], ["pulse"] * 6) == [True, False, False, False, True, False]
    assert all(readable_labels([0, 50, 100], ["pulse"] * 3))
    assert readable_labels([0, 10], ["pulse", "pulse"], rows=[0, 1]) == [True, True]


def test_lanes_give_overlapping_annotations_rows_and_thin_labels_by_pixels(data):
    page = open_page(data, "song.wav")
    view = page.view
    view.show_window(0.0, 5.0)
    base, depth = view._lane_span["annotated: bob"]
    assert depth == 2 and view._lane_span["detected"][1] == 1  # bob's two overlapping events: two rows
    bob = [(b, t) for b, t, text in zip(view.lane_source.data["bottom"], view.lane_source.data["top"], view.lane_source.data["text"])
           if base <= b < base + depth]  # fmt: skip
    assert len(bob) == 3 and len({b for b, _ in bob}) == 2  # the overlapping ones in different rows, the third back in the first
    assert view.lanes.height == 40 + 26 * sum(d for _, d in view._lane_span.values())
    # at 5 s, 100 pulses are 11 px apart: 'mel-pulse' and its gap (60 px) show on one in six, never running into the last
    detected_base = view._lane_span["detected"][0]
    lefts = [left * 1100 / 5.0 for left, bottom in zip(view.label_source.data["left"], view.label_source.data["bottom"])
             if detected_base <= bottom < detected_base + 1]  # fmt: skip
    assert len(lefts) == math.ceil(100 / 6) and np.all(np.diff(lefts) >= 60) and np.all(np.diff(lefts) < 60 + 11 + 1e-6)
    view.show_window(0.0, 0.5)
    assert view.label_source.data["text"].count("mel-pulse") == 11  # 110 px apart: every one, that at 0.5 s on the edge too
    # a double-click on either row of bob's lane finds the event drawn there
    view.show_window(1.0, 3.0)
    assert view.event_in_lane(1.75, base + 0.5).event.start == 12000 and view.event_in_lane(1.75, base + 1.5).event.start == 8000


def test_the_review_outline_is_a_colour_no_label_uses(data):
    page = open_page(data, "song.wav")
    outlines = [r.glyph for r in page.view.lanes.renderers if r.data_source is page.view.highlight_source]
    assert [(g.line_color, g.line_dash) for g in outlines] == [("white", "solid"), ("black", "dashed")]
    assert {"white", "black"}.isdisjoint(page.label_color(label) for label in page.labels)


def test_ultrasonic_frequencies_are_labelled_in_khz(data):
    page = open_page(data, "usv.wav")
    axis = page.view.spectrogram.yaxis[0]
    assert axis.axis_label == "kHz" and "tick / 1000" in axis.formatter.code and page.view.frequency.title == "Frequency range (kHz)"
    page.view.open("song.wav")  # 4 kHz at most: Hz, as before
    assert axis.axis_label == "Hz" and page.view.frequency.title == "Frequency range (Hz)" and page.view.frequency.format == "0[.]00"


def test_opening_another_recording_leaves_nothing_of_the_last(data):
    write_csv(data / "usv.wav-annotated-me.csv", [])
    (data / "usv.wav-annotated-me.csv").write_text("usv.wav,1,2,annotated\n")  # malformed: a column short
    page = open_page(data, "song.wav")
    page.view.play()
    assert page.view.player.state.playing and page.view.audio.text
    page.view.open("usv.wav")
    assert not page.view.player.state.playing and page.view.player.state.chunk == "" and page.view.audio.text == ""
    assert "usv.wav-annotated-me.csv:1" in page.messages.text
    assert "Editing is off" in page.annotate.file_info.text and "usv.wav" in page.annotate.file_info.text
    assert "song.wav" not in page.annotate.file_info.text


def test_a_reload_restores_the_view_the_label_and_the_review_position(data):
    page = open_page(data, "song.wav")
    page.view.show_window(2.0, 4.5)
    page.annotate.choose_label("mel-sine")
    page.annotate.filters.kind.value = "detected"
    page.annotate.mode.active = 1
    for _ in range(3):
        page.annotate.step(+1)
    current = page.view.highlight.event
    again = open_page(data, "song.wav")  # a reload builds a new page's session
    assert again.annotate.current_label == "mel-sine" and again.annotate.reviewing
    assert again.view.highlight.event == current
    other = open_page(data, "song.wav", annotator="eve")  # another annotator's memory is their own
    assert other.annotate.current_label is None and (other.view.x_range.start, other.view.x_range.end) == (0.0, 10.0)
    page.annotate.mode.active = 0
    page.view.show_window(2.0, 4.5)
    again = open_page(data, "song.wav")
    assert (again.view.x_range.start, again.view.x_range.end) == (2.0, 4.5) and not again.annotate.reviewing


def test_a_long_stretch_plays_whole_in_chunks_the_page_asks_for(data):
    page = open_page(data, "song.wav")
    player = page.view.player
    page.view.go_whole()  # 10 s; at 1/4 speed, 40 s of sound: beyond the old 30 s cap
    page.view.speed.value = "1/4x"
    page.view.play()
    chunks, starts = [], []
    while True:
        state = player.state
        chunks.append(state.chunk)
        starts.append(state.chunk_start_s)
        if state.last:
            break
        state.wanted = state.index + 1  # what the page does once it has scheduled a chunk
    assert len(chunks) == math.ceil(40 / CHUNK_SECONDS) and all(c.startswith("data:audio/wav;base64,") for c in chunks)
    assert np.allclose(starts, np.arange(len(chunks)) * CHUNK_SECONDS / 4)
    player.state.wanted = 3  # a stale or repeated request sends nothing
    assert player.state.index == len(chunks) - 1
    page.view.stop_playing()
    assert not player.state.playing and player.state.chunk == ""


def write_probabilities(data, model):
    """Probabilities of two labels for song.wav, a row every 10 ms: 'mel-pulse' rising over the recording, 'ambient' falling."""
    frames = 1000
    meta = ProbabilitiesMeta("song.wav", ["ambient", "mel-pulse"], RATE, stride=80, offset=40, context=80, frames=frames,
                             recording_samples=10 * RATE, model=str(model))  # fmt: skip
    array_path, _ = probabilities_paths("song.wav", data)
    rising = np.linspace(0, 1, frames, dtype=np.float32)
    with probabilities_writer(array_path, meta) as write:
        write(0, np.stack([1 - rising, rising], axis=1))
    thresholds_path(model).parent.mkdir(parents=True)
    write_thresholds(thresholds_path(model), [ThresholdRow("ambient", 1.0, 0.4, 0.9, 0.9), ThresholdRow("mel-pulse", 1.0, 0.6, 0.9, 0.9),
                                             ThresholdRow("mel-pulse", 2.0, 0.8, 0.95, 0.7)])  # fmt: skip


def test_classify_probabilities_show_as_a_lane_with_the_thresholds_of_the_chosen_ratio(data):
    page = open_page(data, "song.wav")
    assert not page.view.traces.plot.visible  # none beside the recording yet
    write_probabilities(data, data / "model")
    page.view.open("song.wav")
    traces = page.view.traces
    assert traces.plot.visible and traces.ratio.options == ["1", "2"] and traces.ratio.value == "1"
    page.view.show_window(2.0, 4.0)
    lines = traces.lines.data
    assert lines["label"] == ["ambient", "mel-pulse"] and lines["color"] == [page.label_color("ambient"), page.label_color("mel-pulse")]
    times, pulse = np.asarray(lines["xs"][1]), np.asarray(lines["ys"][1])
    assert times[0] <= 2.0 and times[-1] >= 4.0 - 0.01 and np.all(np.diff(times) > 0)
    expected = (times * RATE - 40) / 80 / 999  # the rising line, row by row
    assert np.allclose(pulse, expected, atol=1e-5)
    assert traces.thresholds.data["y"] == [0.4, 0.6] and traces.thresholds.data["x0"] == [2.0, 2.0]
    traces.ratio.value = "2"
    assert traces.thresholds.data["y"] == [0.8] and traces.thresholds.data["color"] == [page.label_color("mel-pulse")]
    page.view.go_whole()  # 1000 rows into 1100 columns: every row; a long recording gets one value per column
    assert len(traces.lines.data["xs"][0]) == 1000


def test_probabilities_without_thresholds_still_show_and_say_why(data):
    write_probabilities(data, data / "model")
    thresholds_path(data / "model").unlink()
    page = open_page(data, "song.wav")
    assert page.view.traces.plot.visible and not page.view.traces.ratio.visible and page.view.traces.thresholds.data["y"] == []
    assert "probability traces without thresholds" in page.messages.text and "hark accuracy" in page.messages.text


def test_unreadable_probabilities_are_named_and_the_recording_still_opens(data):
    write_probabilities(data, data / "model")
    array_path, _ = probabilities_paths("song.wav", data)
    array_path.write_bytes(b"not an array")
    page = open_page(data, "song.wav")
    assert "song.wav-probabilities.npy: unreadable" in page.messages.text and "no probability traces" in page.messages.text
    assert not page.view.traces.plot.visible and page.view.loaded is not None and len(page.view.lane_source.data["left"])


def test_the_trace_lane_names_files_as_classify_and_accuracy_do_without_loading_torch():
    from hark.gui import traces
    from hark.infer.probabilities import ARRAY_SUFFIX, META_SUFFIX

    assert (traces.ARRAY_SUFFIX, traces.META_SUFFIX) == (ARRAY_SUFFIX, META_SUFFIX)
    assert traces._thresholds_path(Path("m")) == thresholds_path("m")
    # a page is built without torch (hark gui starts in seconds); it loads only once a model's files are opened
    loaded = subprocess.run([sys.executable, "-c", "import sys, hark.gui.session; print('torch' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert loaded == "False"
