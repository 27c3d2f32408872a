"""The cluster view in a real browser: a map of a small model's activations, a spot, its sounds, one opened, one labelled."""

from __future__ import annotations

import csv

import pytest

from hark.annotations.songexplorer import read_csv
from hark.demo import generate_fly
from hark.embed import ActivationParams, ClusterParams, cluster_activations, compute_activations
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import train_model
from tests.gui.conftest import running_gui
from tests.gui.helpers import model_value, open_page, screen_point, wait_for_file, wait_for_message, x_range

SMALL = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}


@pytest.fixture(scope="module")
def cluster_folder(tmp_path_factory):
    """A data folder with generated fly song, a small model trained on it (seconds), its activations and a PCA map."""
    data = tmp_path_factory.mktemp("gui-cluster") / "data"
    generate_fly(data / "demo", n_recordings=2, duration_s=20.0, seed=11)
    train_model(
        data / "demo", DataParams(labels=["mel-pulse", "mel-sine", "ambient"]),
        TrainParams(architecture="convnet", architecture_params=SMALL, steps=60, batch_size=16, validation_period=60),
        data / "model", progress=False,
    )  # fmt: skip
    compute_activations(data / "model", data / "demo", ActivationParams(kinds=["annotated"], max_sounds=200), data / "activations")
    result = cluster_activations(data / "activations", ClusterParams(method="pca"), figure=False)
    return data, result.csv_path


def test_click_a_spot_then_open_one_sound_and_label_another(cluster_folder, browser, page, shots):
    data, map_csv = cluster_folder
    with open(map_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    with running_gui(data, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator(".bk-tab", has_text="Cluster").click()
        page.locator("select").filter(has_text="cluster-").select_option(f"activations/{map_csv.name}")
        wait_for_message(page, "opened cluster map")
        shots(page, "map")

        # a click on the first sound's spot shows the 16 nearest sounds, that one first
        first = rows[0]
        page.mouse.click(*screen_point(page, "cluster-scatter", float(first["x"]), float(first["y"])))
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('cluster-info').text.startsWith('the 16 sounds nearest')")
        labels = page.evaluate("() => Bokeh.documents[0].get_model_by_name('cluster-grid').renderers[1].data_source.data.text")
        assert len(labels) == 16 and labels[0] == f"{first['kind']} {first['label']}"
        shots(page, "nearest sounds")

        # a click on the first thumbnail opens that sound in the context window
        page.mouse.click(*screen_point(page, "cluster-grid", 0.5, 3.5))
        wait_for_message(page, f"opened {first['kind']} '{first['label']}'")
        assert model_value(page, "tabs", "active") == 0
        assert model_value(page, "recording", "value") == f"demo/{first['wavfile']}"
        start, stop = x_range(page)
        assert start <= int(first["start"]) / 2500 and int(first["stop"]) / 2500 <= stop
        shots(page, "sound opened")

        # back on the map, key 1 chooses the first label; a double-click labels the second sound with it
        page.locator(".bk-tab", has_text="Cluster").click()
        page.keyboard.press("1")
        page.mouse.dblclick(*screen_point(page, "cluster-grid", 1.5, 3.5))
        wait_for_message(page, "as 'ambient'")
        shots(page, "sound labelled")

        # the legend names every label; the Word filter narrows the map and the nearest sounds to pulses
        legend = model_value(page, "cluster-legend", "text")
        assert all(f"{label} (" in legend for label in ("ambient", "mel-pulse", "mel-sine")) and "● annotated" in legend
        page.locator("select:visible").filter(has_text="sine").select_option("pulse")
        pulses = [i for i, r in enumerate(rows) if r["label"] == "mel-pulse"]
        page.wait_for_function("(n) => Bokeh.documents[0].get_model_by_name('cluster-info').text.startsWith(n + ' of ')", arg=len(pulses))
        page.mouse.click(*screen_point(page, "cluster-scatter", float(rows[pulses[0]]["x"]), float(rows[pulses[0]]["y"])))
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('cluster-info').text.startsWith('the 16 sounds nearest')")
        captions = page.evaluate("() => Bokeh.documents[0].get_model_by_name('cluster-grid').renderers[1].data_source.data.text")
        assert captions and all(caption.endswith("mel-pulse") for caption in captions)
        shots(page, "filtered to pulses")
        page.get_by_text("only labels without a hyphen").click()  # with the word 'pulse' too: nothing passes
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('cluster-legend').text.includes('no sounds pass')")
    second = [r for r in rows if f"{r['kind']} {r['label']}" == labels[1]]
    own = wait_for_file(next((data / "demo").glob("*-annotated-tester.csv")), lambda text: text.strip() != "")
    [row] = read_csv(next((data / "demo").glob("*-annotated-tester.csv")))
    assert row.label == "ambient" and any((int(r["start"]), int(r["stop"])) == (row.start, row.stop) for r in second), own
