"""A person keeps their label keys while adding labels, and works through a narrowed review queue, in Chromium.

The recordings are generated (a quiet 8 s WAV) with machine-made CSVs of known events and
scores, so every expected row is known in advance and no shared data is needed.
"""

from __future__ import annotations

import pytest

from hark.annotations.event import Event, Kind, Status
from hark.annotations.label_list import LABELS_FILE, PALETTE
from hark.annotations.songexplorer import read_csv, write_csv
from tests.annotations.helpers import write_wav
from tests.gui.conftest import running_gui
from tests.gui.helpers import double_click, drag, lane_y, model_value, open_page, wait_for_file, wait_for_message, wait_for_text_end

REC = "song.wav"
RATE = 8000
OLD_LABELS = [f"call-{letter}" for letter in "abcdefghij"]  # ten labels: keys 1-9 and 0 are taken


def selected_label(page) -> str:
    buttons = page.evaluate("() => { const m = Bokeh.documents[0].get_model_by_name('labels'); return [m.labels, m.active]; }")
    return buttons[0][buttons[1]]


@pytest.fixture
def folder(tmp_path):
    write_wav(tmp_path / REC, samplerate=RATE, frames=8 * RATE)
    detected = [  # three classes of the detector, with scores; one without
        Event(REC, 4000, 4400, Kind.DETECTED, "time", score=0.95),
        Event(REC, 8000, 8400, Kind.DETECTED, "frequency", score=0.6),
        Event(REC, 12000, 12400, Kind.DETECTED, "neither", score=0.3),
        Event(REC, 16000, 16400, Kind.DETECTED, "time", score=0.8),
        Event(REC, 20000, 20400, Kind.DETECTED, "neither", score=0.7),
        Event(REC, 24000, 24400, Kind.DETECTED, "time"),
    ]
    predicted = [Event(REC, 6000, 6400, Kind.PREDICTED, "call-b", score=0.75), Event(REC, 30000, 30400, Kind.PREDICTED, "call-c", score=0.9)]
    write_csv(tmp_path / f"{REC}-detected.csv", detected)
    write_csv(tmp_path / f"{REC}-predicted-1.0pr.csv", predicted)
    bob = [Event(REC, 1000 + 100 * i, 1000 + 100 * i, Kind.ANNOTATED, label, annotator="bob") for i, label in enumerate(reversed(OLD_LABELS))]
    write_csv(tmp_path / f"{REC}-annotated-bob.csv", bob)
    return tmp_path


def test_keys_and_colours_stay_put_when_a_label_is_added(folder, page, shots):
    own_csv = folder / f"{REC}-annotated-tester.csv"
    with running_gui(folder, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator("select").first.select_option(REC)
        wait_for_message(page, f"opened {REC}")
        # the list was made from bob's labels, sorted; the detector's classes are not labels
        labels_file = (folder / LABELS_FILE).read_text()
        assert labels_file.splitlines() == ["label,color", *(f"{label},{PALETTE[i]}" for i, label in enumerate(OLD_LABELS))]
        assert model_value(page, "labels", "labels") == [f"{(i + 1) % 10}: {label} (0)" for i, label in enumerate(OLD_LABELS)]
        shots(page, "ten labels")

        page.keyboard.press("0")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 9")
        # a new label sorts first but is appended: it takes the second bank's first key
        page.locator(".bk-input-group", has_text="New label").locator("input").fill("a-click")
        page.locator(".bk-input-group", has_text="New label").locator("input").press("Enter")
        page.get_by_role("button", name="Add label").click()
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').labels.length === 11")
        assert model_value(page, "labels", "labels")[:2] == ["1: call-a (0)", "2: call-b (0)"]
        assert model_value(page, "labels", "labels")[10] == "⇧1: a-click (0)"
        assert (folder / LABELS_FILE).read_text() == labels_file + f"a-click,{PALETTE[10]}\n"  # nothing renumbered or recoloured
        shots(page, "label added")

        page.keyboard.press("2")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 1")
        page.keyboard.press("Shift+Digit1")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 10")
        assert selected_label(page) == "⇧1: a-click (0)"
        double_click(page, "waveform", 3.0, 0.0)
        wait_for_message(page, "add point 'a-click'")
        wait_for_text_end(page, "file-info", "(1 rows)")
        shots(page, "point with the second bank's label")

    # another page, after a restart: the same keys
    with running_gui(folder, "--annotator", "tester") as url:
        open_page(page, url)
        wait_for_message(page, f"opened {REC}")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').labels[10] === '⇧1: a-click (1)'")
    assert [(e.label, e.start == e.stop) for e in read_csv(own_csv)] == [("a-click", True)]


def test_a_review_queue_narrowed_to_a_kind_and_scores_stepped_in_score_order(folder, page, shots):
    own_csv = folder / f"{REC}-annotated-tester.csv"
    machine = {name: (folder / name).read_bytes() for name in (f"{REC}-detected.csv", f"{REC}-predicted-1.0pr.csv")}
    with running_gui(folder, "--annotator", "tester") as url:
        open_page(page, url)
        page.locator("select").first.select_option(REC)
        wait_for_message(page, f"opened {REC}")
        page.keyboard.press("5")  # call-e: the label verdicts on detections get
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 4")

        page.get_by_role("button", name="Review").click()
        wait_for_text_end(page, "review-queue", "to review")
        assert "<b>18</b> to review" in model_value(page, "review-queue", "text")  # 6 detected, 2 predicted, 10 of bob's

        page.locator(".bk-input-group", has_text="Review kind").locator("select").select_option("detected")
        wait_for_text_end(page, "review-queue", "(kind detected)")
        page.locator(".bk-input-group", has_text="Score from").locator("input").fill("0.5")
        page.locator(".bk-input-group", has_text="Score from").locator("input").press("Enter")
        wait_for_text_end(page, "review-queue", "(kind detected, score 0.5–)")
        page.locator(".bk-input-group", has_text="Score to").locator("input").fill("0.9")
        page.locator(".bk-input-group", has_text="Score to").locator("input").press("Enter")
        wait_for_text_end(page, "review-queue", "(kind detected, score 0.5–0.9)")
        page.locator(".bk-input-group", has_text="Review order").locator("select").select_option("score, highest first")
        text = wait_for_text_end(page, "review-queue", "(kind detected, score 0.5–0.9)")
        assert "<b>3</b> to review" in text  # 0.8, 0.7 and 0.6: not 0.95, 0.3 or the unscored one
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith('<b>Event 1 of 3</b>: detected, <b>time</b>, 2.000')")
        shots(page, "queue filtered by kind and score")
        # no click elsewhere needed: once Enter applied a score or a menu's choice was made, the keys go to the review

        page.keyboard.press("a")  # accept the 0.8 'time' detection: an own row labelled call-e
        wait_for_message(page, "accept 'call-e' at 16000")
        # the message and the queue's count reach the page one after the other
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-queue').text.includes('<b>2</b> to review')")
        assert model_value(page, "review-queue", "text").endswith("(kind detected, score 0.5–0.9)")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith('<b>Event 1 of 2</b>: detected, <b>neither</b>, 2.500')")
        page.keyboard.press("r")
        wait_for_message(page, "reject 'call-e' at 20000")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith('<b>Event 1 of 1</b>: detected, <b>frequency</b>, 1.000')")
        shots(page, "last in the queue")

        # redraw the last one's box on the spectrogram: it leaves the queue, no duplicate stays
        drag(page, "spectrogram", 0.98, 1.08, 500.0, 2000.0)
        wait_for_message(page, "redraw 'call-e' at 8000")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('review-queue').text.includes('<b>0</b> to review')")
        shots(page, "queue empty")
        wait_for_file(own_csv, lambda t: len(t.splitlines()) == 3)

    rows = read_csv(own_csv)
    assert [(e.kind, e.label, e.status) for e in rows] == [
        (Kind.ANNOTATED, "call-e", None), (Kind.ANNOTATED, "call-e", Status.ACCEPTED), (Kind.ANNOTATED, "call-e", Status.REJECTED),
    ]  # fmt: skip
    redrawn, accepted, rejected = rows
    assert (accepted.start, accepted.stop, accepted.score) == (16000, 16400, 0.8)
    assert (rejected.start, rejected.stop, rejected.score) == (20000, 20400, 0.7)
    assert abs(redrawn.start - 0.98 * RATE) <= 8 and abs(redrawn.stop - 1.08 * RATE) <= 8  # within a pixel or two
    assert abs(redrawn.low_hz - 500) <= 40 and abs(redrawn.high_hz - 2000) <= 40
    assert {name: (folder / name).read_bytes() for name in machine} == machine  # the machine-made files are untouched
    assert "time" not in (folder / LABELS_FILE).read_text()  # no detector class became a label
