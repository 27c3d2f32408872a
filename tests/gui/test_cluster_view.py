"""The cluster view's filters, legend and thumbnails without a browser (the browser test clicks through a real map)."""

from __future__ import annotations

import numpy as np

from hark.annotations.event import Event, Kind
from hark.gui.cluster_view import THUMB_RANGE_DB, thumbnail_levels
from tests.gui.test_recording_view import data, open_page  # noqa: F401  (the fixture)

SOUNDS = [
    Event("song.wav", 100, 200, Kind.ANNOTATED, "mel-pulse"), Event("song.wav", 300, 400, Kind.ANNOTATED, "mel-sine"),
    Event("song.wav", 500, 600, Kind.DETECTED, "time"), Event("song.wav", 700, 800, Kind.ANNOTATED, "ambient"),
    Event("song.wav", 900, 1000, Kind.PREDICTED, "sim-pulse"),
]  # fmt: skip


def test_thumbnails_show_their_loudest_60_db_on_a_colour_map():
    spectrogram = np.array([[-200.0, -100.0], [-40.0, -10.0]])
    levels = thumbnail_levels(np.repeat(spectrogram, 100, axis=0))
    top = np.percentile(np.repeat(spectrogram, 100, axis=0), 99.5)
    assert levels.min() == 0.0 and levels.max() == 1.0 and levels.dtype == np.float32
    assert np.isclose(levels[-1, 0], (-40 - (top - THUMB_RANGE_DB)) / THUMB_RANGE_DB)  # 60 dB below the top is black
    assert thumbnail_levels(np.zeros((0, 0))).shape == (2, 2)


def test_the_map_narrows_by_kind_species_word_and_no_hyphen_with_a_legend(data):  # noqa: F811
    page = open_page(data, "song.wav")
    cluster = page.cluster
    cluster.sounds, cluster.recordings = list(SOUNDS), ["song.wav"] * len(SOUNDS)
    cluster.coordinates = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
    cluster.kind_filter.options = ["(any)", "annotated", "detected", "predicted"]
    cluster.apply_filters()
    assert cluster.shown_rows.indices == [0, 1, 2, 3, 4] and "5 sounds" in cluster.info.text
    assert f'<span style="color:{page.label_color("mel-pulse")}">●</span> mel-pulse (1)' in cluster.legend.text
    assert "▲ detected" in cluster.legend.text and "■ predicted" in cluster.legend.text
    cluster.kind_filter.value = "annotated"
    assert cluster.shown_rows.indices == [0, 1, 3] and "3 of 5 sounds" in cluster.info.text and "detected" not in cluster.legend.text
    cluster.species_filter.options = ["(any)", "mel", "sim", "ambient", "time"]
    cluster.species_filter.value = "mel"
    assert cluster.shown_rows.indices == [0, 1]
    cluster.word_filter.options = ["(any)", "pulse", "sine"]
    cluster.word_filter.value = "pulse"
    assert cluster.shown_rows.indices == [0]
    cluster.kind_filter.value = cluster.species_filter.value = cluster.word_filter.value = "(any)"
    cluster.no_hyphen.active = [0]
    assert cluster.shown_rows.indices == [2, 3]  # 'time' and 'ambient'
    # the nearest sounds come from those passing the filters only, each a colour-mapped image with its caption under it
    cluster.show_nearest(3.9, 0.0)
    assert cluster.snippets == [3, 2] and cluster.thumbs.data["text"] == ["annotated ambient", "detected time"]
    image_bottoms = np.array(cluster.thumbs.data["y"])
    assert np.all(np.array(cluster.thumbs.data["ty"]) < image_bottoms)  # captions below the images, not over them
