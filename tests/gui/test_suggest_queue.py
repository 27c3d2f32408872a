"""The Suggestions queue without a browser: suggested sounds as events, stepped in the file's order, verdicts
written as the person's own rows (the suggestions file untouched), and suggestions never read as training data."""

from __future__ import annotations

import pytest

from hark.annotations.event import Event, Kind, Status
from hark.annotations.folder import scan_folder
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError
from hark.gui.suggest_events import read_suggested_events
from hark.train.continue_jobs import next_round_folder
from hark.train.data_load import read_folder
from tests.annotations.helpers import write_wav
from tests.gui.test_review import open_page

REC = "song.wav"
# in the order picked (falling scores); the second overlaps a detection, the fourth has a frequency box
SUGGESTED = [(3000, 3100, "pulse", 0.9), (500, 560, "sine", 0.7), (6000, 6050, "pulse", 0.5), (1200, 1300, "sine", 0.3)]


def suggestions_text() -> str:
    rows = []
    for number, (start, stop, label, score) in enumerate(SUGGESTED):
        box = "200,900" if number == 3 else ","
        rows.append(f"{REC},{start},{stop},suggested,{label},{box},{score},near threshold")
    return "\n".join(rows) + "\n"


@pytest.fixture
def data(tmp_path):
    write_wav(tmp_path / REC, samplerate=8000, frames=8000)
    write_csv(tmp_path / f"{REC}-detected.csv", [Event(REC, 500, 560, Kind.DETECTED, "time", score=0.4)])
    write_csv(tmp_path / f"{REC}-annotated-bob.csv", [Event(REC, 100, 150, Kind.ANNOTATED, "pulse"), Event(REC, 200, 250, Kind.ANNOTATED, "sine")])
    (tmp_path / f"{REC}-suggested.csv").write_text(suggestions_text())
    return tmp_path


def test_a_suggestions_file_is_read_as_suggested_events_in_its_order_or_named_with_its_line(data):
    events = read_suggested_events(data / f"{REC}-suggested.csv", REC)
    assert [(e.start, e.stop, e.label, e.score, e.kind) for e in events] == [(*row, Kind.SUGGESTED) for row in SUGGESTED]
    assert (events[3].low_hz, events[3].high_hz) == (200.0, 900.0) and events[0].low_hz is None
    bad = data / "bad-suggested.csv"
    bad.write_text(f"{REC},1,2,suggested,x,,,0.5\n{REC},5,2,suggested,x,,,0.5\n")
    with pytest.raises(HarkError, match="bad-suggested.csv:2: start 5 is after stop 2"):
        read_suggested_events(bad, REC)
    bad.write_text(f"{REC},1,2,detected,x,,,0.5\n")
    with pytest.raises(HarkError, match="bad-suggested.csv:1: expected wav,start,stop,suggested"):
        read_suggested_events(bad, REC)


def test_suggestions_are_never_training_data(data):
    """The folder scan claims no suggestions file: not even asking for the kind reads one."""
    folder = scan_folder(data)
    assert all(path.name != f"{REC}-suggested.csv" for entry in folder.entries for path in entry.annotation_paths())
    assert not any(e.kind is Kind.SUGGESTED for e in folder.load_events())
    contents = read_folder(data, ["annotated", "suggested"])
    assert sorted(a.event.label for a in contents.annotations) == ["pulse", "sine"]  # bob's two, none of the four suggestions


def test_the_suggestions_queue_steps_in_the_file_s_order_and_each_verdict_brings_up_the_next(data):
    before = (data / f"{REC}-suggested.csv").read_bytes()
    page = open_page(data)
    assert "suggested" in page.view.loaded.lanes({Kind.SUGGESTED, Kind.ANNOTATED})
    page.annotate.suggest.open_queue()
    assert page.annotate.reviewing and page.annotate.filters.kind.value == "suggested"
    assert page.view.highlight.event.start == 3000 and "Event 1 of 4" in page.annotate.review_info.text
    page.annotate.on_key("1")  # pulse: relabels (here: confirms) and the next suggestion comes up
    assert page.view.highlight.event.start == 500
    page.annotate.on_key("r")
    assert page.view.highlight.event.start == 6000
    page.annotate.on_key("2")  # sine, where the model said pulse
    assert page.view.highlight.event.start == 1200
    page.annotate.on_key("a")
    assert "that was the last suggested sound of the queue" in page.messages.text
    rows = read_csv(data / f"{REC}-annotated-me.csv")
    assert [(e.start, e.stop, e.label, e.status, e.kind) for e in rows] == [
        (500, 560, "sine", Status.REJECTED, Kind.ANNOTATED), (1200, 1300, "sine", Status.ACCEPTED, Kind.ANNOTATED),
        (3000, 3100, "pulse", None, Kind.ANNOTATED), (6000, 6050, "sine", None, Kind.ANNOTATED),
    ]  # fmt: skip
    assert (rows[1].low_hz, rows[1].high_hz) == (200.0, 900.0)
    assert len(page.annotate._queue()) == 0
    assert (data / f"{REC}-suggested.csv").read_bytes() == before  # the suggestions file is never written
    page.annotate.undo()  # the last verdict undone: that suggestion is back in the queue
    assert len(page.annotate._queue()) == 1


def test_other_reviews_stay_on_the_event_after_a_verdict(data):
    page = open_page(data)
    page.annotate.show_queue("detected", "time")
    assert page.view.highlight.event.start == 500
    page.annotate.on_key("1")
    assert page.view.highlight.event.start == 500 and page.view.highlight.own


def test_the_queue_and_retrain_say_what_is_missing(data, tmp_path_factory):
    (data / f"{REC}-suggested.csv").unlink()
    page = open_page(data)
    page.annotate.suggest.open_queue()
    assert "no suggestions for song.wav: run hark suggest" in page.messages.text
    page.annotate.suggest.retrain()
    assert "name the model the suggestions came from" in page.messages.text
    page.annotate.suggest.model.value = "models/none"
    page.annotate.suggest.retrain()
    assert "suggestions model models/none: not a model folder" in page.messages.text
    page.annotate.find.find()
    assert "select a sound first" in page.messages.text
    page.annotate.show_queue("detected", "time")
    page.annotate.find.find()
    assert "no index at index: build one with `hark embed --model MODEL --out index" in page.messages.text


def test_a_round_goes_into_the_next_free_round_folder(tmp_path):
    model = tmp_path / "pulses"
    assert next_round_folder(model) == tmp_path / "pulses-round1"
    (tmp_path / "pulses-round1").mkdir()
    assert next_round_folder(model) == tmp_path / "pulses-round2"
    assert next_round_folder(tmp_path / "pulses-round1") == tmp_path / "pulses-round2"


def test_a_click_selects_an_event_in_annotate_mode_only(data):
    page = open_page(data)
    view = page.view
    view.show_window(0.0, 1.0)
    base, depth = view._lane_span["suggested"]
    page.annotate.on_tap("lanes", 530 / 8000, base + depth / 2)  # the suggestion at 500-560
    assert view.highlight.event.kind is Kind.SUGGESTED and view.highlight.event.start == 500
    page.annotate.on_tap("lanes", 0.9, base + depth / 2)  # blank: nothing selected
    assert view.highlight is None
    page.annotate.show_queue("suggested", "suggestion")
    current = view.highlight
    page.annotate.on_tap("lanes", 530 / 8000, base + depth / 2)  # review keeps its own current event
    assert view.highlight == current and current.event.start == 3000


def test_a_retrain_job_with_bad_parameters_is_one_line():
    from hark.params import validate_params
    from hark.train.continue_jobs import ContinueJobParams

    with pytest.raises(HarkError, match="train-continue job"):
        validate_params(ContinueJobParams, {"model": "m", "data_root": "d"}, "train-continue job")
