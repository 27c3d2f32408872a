"""The annotate-less loop in Chromium, as a person works it: the Suggestions queue labelled with number keys,
"Retrain and suggest again" run as jobs with their progress in the page, and "find more like this" finding a
planted copy of a sound.

The data folder is generated: two demo fly recordings (annotated by ``demo``) a tiny model is trained on in
seconds, a new unannotated recording it suggests sounds of, and three minutes of noise with one sine bout
planted twice (``tests/embed/search_corpus.py``), embedded into ``index``.
"""

from __future__ import annotations

import pytest
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv, write_csv
from hark.demo import generate_fly
from hark.demo.fly import FLY_SAMPLERATE, synthesize_fly
from hark.embed.index import embed_corpus
from hark.gui.suggest_events import read_suggested_events
from hark.infer.suggest import suggest_sounds
from hark.infer.suggest_request import SuggestParams
from hark.train import DataParams, TrainParams, train_model
from tests.embed.search_corpus import COPY_S, ORIGINAL_S, planted_corpus
from tests.gui.conftest import running_gui
from tests.gui.helpers import model_value, open_page, wait_for_file, wait_for_message

REC = "new.wav"
TINY_NET = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8], "context_ms": 102.4}
KEYS = ["2", "3", "2", "1", "3"]  # the folder's labels, sorted from demo's files: 1 ambient, 2 mel-pulse, 3 mel-sine
LABEL_OF_KEY = {"1": "ambient", "2": "mel-pulse", "3": "mel-sine"}
ROUND_S = 300  # a round (a fresh job process loading torch, 20 steps) and a suggest job, on 2 busy cores


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("suggest-gui")
    generate_fly(root, n_recordings=2, duration_s=20.0, seed=3)
    samples, _ = synthesize_fly(20.0, FLY_SAMPLERATE, rng=11, recording=REC)
    sf.write(root / REC, samples, FLY_SAMPLERATE, subtype="PCM_16")
    model = root / "models" / "fly"
    training = TrainParams(steps=80, validation_period=40, batch_size=8, architecture_params=TINY_NET, learning_rate=0.003)
    train_model(root, DataParams(labels=["mel-pulse", "mel-sine", "ambient"]), training, model, progress=False)
    suggest_sounds(model, [root / REC], root, SuggestParams(budget=8))
    planted = planted_corpus(root, root)  # corpus/background.wav
    embed_corpus(model, [planted.folder], root / "index")
    bout = Event("background.wav", round(ORIGINAL_S * planted.samplerate), round((ORIGINAL_S + planted.bout_s) * planted.samplerate),
                 Kind.ANNOTATED, "mel-sine", annotator="bob")  # fmt: skip
    write_csv(planted.folder / "background.wav-annotated-bob.csv", [bout])
    return root


def review_info_starts(page, text: str, timeout_s: float = 30) -> None:
    page.wait_for_function("(t) => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith(t)", arg=text, timeout=timeout_s * 1000)


def fill(page, title: str, value: str) -> None:
    box = page.locator(".bk-input-group", has_text=title).locator("input")
    box.fill(value)
    box.press("Enter")


def test_label_suggestions_retrain_and_find_more_like_this(folder, page, shots):
    suggested_csv = folder / f"{REC}-suggested.csv"
    before = suggested_csv.read_text()
    suggestions = read_suggested_events(suggested_csv, REC)
    assert len(suggestions) == 8
    own_csv = folder / f"{REC}-annotated-tester.csv"
    with running_gui(folder, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator("select").first.select_option(REC)
        wait_for_message(page, f"opened {REC}")

        page.get_by_role("button", name="Suggestions queue").click()
        review_info_starts(page, "<b>Event 1 of 8</b>: suggested")
        shots(page, "suggestions queue")
        for number, key in enumerate(KEYS):
            page.keyboard.press(key)  # labels the suggestion; the next one comes up
            review_info_starts(page, f"<b>Event 1 of {8 - number - 1}</b>: suggested")
        shots(page, "five suggestions labelled")
        rows = wait_for_file(own_csv, lambda text: len(text.splitlines()) == 5)
        labelled = sorted((e.start, e.stop, e.label) for e in read_csv(own_csv))
        expected = sorted((s.start, s.stop, LABEL_OF_KEY[key]) for s, key in zip(suggestions, KEYS))  # in the file's order
        assert labelled == expected, rows
        assert all(e.kind is Kind.ANNOTATED and e.annotator == "tester" for e in read_csv(own_csv))
        assert suggested_csv.read_text() == before  # reviewing never writes the suggestions file

        fill(page, "Suggestions model", "models/fly")
        fill(page, "Round steps", "20")
        fill(page, "Budget (sounds)", "6")
        page.get_by_role("button", name="Retrain and suggest again").click()
        page.wait_for_function("() => /Retraining: .*train --continue models\\/fly-round1.* (queued|running)/.test("
                               "Bokeh.documents[0].get_model_by_name('suggest-status').text)", timeout=60_000)  # fmt: skip
        page.wait_for_function("() => /(running <b>[0-9]+%<\\/b>)|Suggesting/.test(Bokeh.documents[0].get_model_by_name('suggest-status').text)",
                               timeout=ROUND_S * 1000)  # fmt: skip
        shots(page, "retraining with progress")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('suggest-status').text.includes('queue reloaded')", timeout=ROUND_S * 1000)
        status = model_value(page, "suggest-status", "text")
        assert "6 new suggestions from models/fly-round1" in status, status
        review_info_starts(page, "<b>Event 1 of")  # the queue starts over with the new suggestions
        shots(page, "queue refreshed")
        assert model_value(page, "suggestions-model", "value") == "models/fly-round1"  # the next round continues this one
        assert (folder / "models" / "fly-round1" / "rounds.json").is_file()
        assert suggested_csv.read_text() != before and len(read_suggested_events(suggested_csv, REC)) == 6
        assert len(read_csv(own_csv)) == 5  # the round and the new suggestions left the person's rows alone

        page.locator("select").first.select_option("corpus/background.wav")
        wait_for_message(page, "opened corpus/background.wav")
        page.locator(".bk-input-group", has_text="Review kind").locator("select").select_option("annotated")
        review_info_starts(page, "<b>Event 1 of 1</b>: annotated: bob, <b>mel-sine</b>, 40.000")
        page.get_by_role("button", name="Find more like this").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('found-list').text.includes('sounds like this')", timeout=120_000)
        hits = page.locator("li.hark-hit").all_inner_texts()
        shots(page, "found more like this")
        assert "(this sound)" in hits[0] and hits[0].startswith("corpus/background.wav 39.9")
        copy_s = float(hits[1].split()[1].split("–")[0])
        assert abs(copy_s - COPY_S) < 0.1, hits  # the planted copy, second only to the sound itself
        page.get_by_role("button", name="Step through hits").click()
        review_info_starts(page, "<b>Event 1 of 10</b>: found, <b>mel-sine</b>, 39.9")
        page.keyboard.press("ArrowRight")
        review_info_starts(page, f"<b>Event 2 of 10</b>: found, <b>mel-sine</b>, {copy_s:.3f}")
        shots(page, "reviewing hits")
