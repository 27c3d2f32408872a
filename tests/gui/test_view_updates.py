"""What a redraw sends, without a browser: the spectrogram coloured on the server exactly as Bokeh's colour mapper
colours it, unchanged events not sent again, a review step that moves the view drawn once, and the picture of the
queue's next event computed ahead and used as it is."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import soundfile as sf
from bokeh.document import Document
from bokeh.document.events import ColumnDataChangedEvent
from bokeh.models import ColumnDataSource
from bokeh.palettes import Viridis256
from bokeh.server.callbacks import NextTickCallback

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.gui.jobqueue import JobQueue
from hark.gui.paths import DataFolder
from hark.gui.server import GuiServerContext, GuiSettings
from hark.gui.session import GuiSession
from hark.gui.signal import colour_map, compute_view, palette_rgba
from hark.gui.view_updates import replace_data

RATE = 8000
FOUR = palette_rgba(["#000000", "#ff0000", "#00ff00", "#0000ff"])


def bokeh_js_colour(value: float, low: float, high: float, n: int) -> int:
    """The palette index BokehJS's LinearColorMapper picks for one value (its value_to_index and cmap, transcribed)."""
    if value == high:
        return n - 1
    index = int(np.floor((value - low) * (1 / (high - low)) / (1 / n)))
    return min(max(index, 0), n - 1)


def test_palette_pixels_are_rgba_bytes_in_memory():
    pixels = palette_rgba(["#102030", "#ffffff"])
    assert pixels.dtype == np.uint32
    assert pixels.view(np.uint8).tolist() == [0x10, 0x20, 0x30, 255, 255, 255, 255, 255]


def test_colours_are_those_of_the_colour_mapper_at_the_bins_edges_outside_and_for_nan():
    values = np.array([-1.0, 0.0, 0.999, 1.0, 2.5, 3.999, 4.0, 5.0, np.nan], dtype=np.float32)
    pixels = colour_map(values, 0.0, 4.0, FOUR)
    assert pixels.tolist() == [FOUR[0], FOUR[0], FOUR[0], FOUR[1], FOUR[2], FOUR[3], FOUR[3], FOUR[3], palette_rgba(["#808080"])[0]]
    # a flat mapping: at it the last colour, below the first, above the last
    assert colour_map(np.array([-1.0, 2.0, 3.0]), 2.0, 2.0, FOUR).tolist() == [FOUR[0], FOUR[3], FOUR[3]]


def test_a_spectrogram_coloured_on_the_server_equals_what_the_mapper_gives_for_the_same_values():
    rng = np.random.default_rng(5)
    values = rng.normal(-60, 25, size=(40, 50)).astype(np.float32)
    low, high = float(np.percentile(values, 99.5)) - 60, float(np.percentile(values, 99.5))
    values[0, :3] = [low, high, np.float32(high)]
    pixels = colour_map(values, low, high, palette_rgba(Viridis256))
    expected = [palette_rgba(Viridis256)[bokeh_js_colour(float(v), low, high, 256)] for v in values.ravel()]
    assert pixels.shape == values.shape and pixels.ravel().tolist() == expected


def test_replace_data_sends_only_what_changed():
    doc = Document()
    source = ColumnDataSource({"left": np.array([1.0, 2.0]), "text": ["a", "b"]})
    doc.add_root(source)
    sent = []
    doc.on_change(sent.append)
    assert not replace_data(source, {"left": np.array([1.0, 2.0]), "text": ["a", "b"]})
    assert sent == []
    assert replace_data(source, {"left": np.array([1.0, 3.0]), "text": ["a", "b"]}) and len(sent) == 1
    assert replace_data(source, {"left": np.array([1.0, 3.0]), "text": ["a", "c"]}) and len(sent) == 2
    assert list(source.data["text"]) == ["a", "c"]


@pytest.fixture
def page(tmp_path):
    """A 60 s noise recording at 8 kHz, detections every 0.5 s from 1 s and two far ones at 40 and 55 s; a page opened at 10 s wide."""
    rng = np.random.default_rng(1)
    sf.write(tmp_path / "song.wav", rng.normal(0, 0.1, 60 * RATE).astype(np.float32), RATE, subtype="PCM_16")
    starts = [int((1 + 0.5 * i) * RATE) for i in range(8)] + [40 * RATE, 55 * RATE]
    write_csv(tmp_path / "song.wav-detected.csv", [Event("song.wav", s, s + 400, Kind.DETECTED, "time") for s in starts])
    folder = DataFolder(tmp_path)
    context = GuiServerContext(GuiSettings(tmp_path, annotator="me"), folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    session = GuiSession(Document(), context, {"recording": "song.wav"})
    yield session
    context.jobs.stop()


def changes(session, action) -> Counter:
    """How many times each source's data was sent while ``action`` ran."""
    sent: list = []
    session.doc.on_change(sent.append)
    try:
        action()
    finally:
        session.doc.remove_on_change(sent.append)
    return Counter(id(e.model) for e in sent if isinstance(e, ColumnDataChangedEvent))


def test_the_drawn_spectrogram_is_the_coloured_view_and_the_contrast_recolours_it(page):
    view = page.view
    image = view.image_source.data["image"][0]
    fresh = compute_view(view.loaded.recording, 0, int(view.x_range.end * RATE), 1100, 260, int(view.nfft.value))
    low, high = view.contrast_db
    ceiling = float(np.percentile(fresh.spectrogram, 99.5))
    assert (low, high) == (ceiling - view.dynamic_range.value, ceiling)
    assert image.dtype == np.uint32 and np.array_equal(image, colour_map(fresh.spectrogram, low, high, palette_rgba(Viridis256)))
    view.dynamic_range.value = 30
    view.brightness.value = 5
    view._apply_contrast()  # what the sliders' throttled change runs
    assert view.contrast_db == (ceiling - 5 - 30, ceiling - 5)
    assert np.array_equal(view.image_source.data["image"][0], colour_map(fresh.spectrogram, *view.contrast_db, palette_rgba(Viridis256)))


def test_a_review_step_in_place_sends_only_what_changed_and_one_that_moves_draws_once(page):
    view, annotate = page.view, page.annotate
    annotate.mode.active = 1  # review: the first event, at 1 s, in view
    assert annotate._current.event.start == RATE
    sent = changes(page, lambda: annotate.step(+1))  # 1.5 s: still well inside the view
    assert annotate._current.event.start == int(1.5 * RATE) and view.x_range.start == 0.0
    assert set(sent) == {id(view.highlight_source), id(view.spectrogram_highlight_source)}  # the outline only
    for _ in range(6):
        annotate.step(+1)
    sent = changes(page, lambda: annotate.step(+1))  # 40 s: the view moves there
    assert annotate._current.event.start == 40 * RATE and view.x_range.start < 40 < view.x_range.end
    assert max(sent.values()) == 1 and sent[id(view.image_source)] == 1 and sent[id(view.highlight_source)] == 1


def test_the_next_events_picture_is_computed_ahead_and_is_the_one_drawn(page):
    view, annotate = page.view, page.annotate
    annotate.mode.active = 1
    for _ in range(8):  # to 40 s, the view moved; the next (55 s) lies outside it, so its picture is wanted
        annotate.step(+1)
    callbacks = [c for c in page.doc.session_callbacks if isinstance(c, NextTickCallback)]
    assert callbacks, "no picture was asked for ahead"
    for callback in callbacks:
        callback.callback()
    key, ahead = view._prefetched
    annotate.step(+1)
    assert annotate._current.event.start == 55 * RATE and view._drawn == key and view._prefetched is None
    fresh = compute_view(view.loaded.recording, key[1], key[2], 1100, 260, int(view.nfft.value))
    assert np.array_equal(ahead.spectrogram, fresh.spectrogram)
    assert np.array_equal(view.image_source.data["image"][0], colour_map(fresh.spectrogram, *view.contrast_db, palette_rgba(Viridis256)))


def test_reopening_reuses_the_parsed_machine_files_until_one_changes(page):
    view = page.view
    first = view.loaded.others
    view.open("song.wav")
    assert view.loaded.others[0] is first[0]  # not parsed again
    detected = page.folder.root / "song.wav-detected.csv"
    write_csv(detected, [Event("song.wav", 2 * RATE, 2 * RATE + 400, Kind.DETECTED, "time")])  # a job wrote new detections
    view.open("song.wav")
    assert [e.start for e in view.loaded.others] == [2 * RATE]
