"""The review queue and verdicts on machine-made events, without a browser: the queue logic, then a real page's session."""

from __future__ import annotations

import pytest
from bokeh.document import Document

from hark.annotations.event import Event, Kind, Status
from hark.annotations.label_list import LABELS_FILE, PALETTE
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError
from hark.gui.jobqueue import JobQueue
from hark.gui.loaded import ShownEvent
from hark.gui.paths import DataFolder
from hark.gui.review import ReviewFilter, ReviewQueue, parse_score, read_suggestions, suggestion_scores, verdict_label
from hark.gui.server import GuiServerContext, GuiSettings
from hark.gui.session import GuiSession
from tests.annotations.helpers import write_wav

REC = "song.wav"


def detected(start, label, score):
    return Event(REC, start, start + 50, Kind.DETECTED, label, score=score)


def shown(event, own=False):
    return ShownEvent(event, "annotated: me" if own else (event.kind.value if event.kind is not Kind.ANNOTATED else f"annotated: {event.annotator}"), own)


EVENTS = [
    detected(100, "time", 0.9), detected(300, "neither", 0.2), detected(500, "time", 0.5), detected(700, "frequency", 0.7),
    Event(REC, 900, 950, Kind.PREDICTED, "pulse", score=0.95), Event(REC, 1100, 1150, Kind.ANNOTATED, "sine", annotator="bob"),
    Event(REC, 1300, 1350, Kind.DETECTED, "time"),
]  # fmt: skip


def starts(queue):
    return [s.event.start for s in queue.items]


def test_filters_narrow_the_queue_by_kind_label_annotator_and_score():
    candidates = [shown(e) for e in EVENTS]
    assert starts(ReviewQueue(candidates, (), ReviewFilter())) == [100, 300, 500, 700, 900, 1100, 1300]
    assert starts(ReviewQueue(candidates, (), ReviewFilter(kinds=frozenset({"detected"})))) == [100, 300, 500, 700, 1300]
    assert starts(ReviewQueue(candidates, (), ReviewFilter(labels=frozenset({"time"})))) == [100, 500, 1300]
    assert starts(ReviewQueue(candidates, (), ReviewFilter(annotators=frozenset({"bob"})))) == [1100]
    # a score range: the unscored event at 1300 no longer passes, the bounds are inclusive
    in_range = ReviewFilter(kinds=frozenset({"detected"}), min_score=0.5, max_score=0.9)
    assert starts(ReviewQueue(candidates, (), in_range)) == [100, 500, 700]
    with pytest.raises(HarkError, match="lower bound is above the upper"):
        ReviewFilter(min_score=0.8, max_score=0.2)
    assert parse_score(" ", "Score from") is None and parse_score("0.25", "Score from") == 0.25
    with pytest.raises(HarkError, match="Score to 'high' is not a number"):
        parse_score("high", "Score to")


def test_orders_by_time_score_and_suggestion_and_steps_from_a_reviewed_event():
    candidates = [shown(e) for e in EVENTS]
    detections = frozenset({"detected"})
    by_score = ReviewQueue(candidates, (), ReviewFilter(kinds=detections, order="score"))
    assert starts(by_score) == [100, 700, 500, 300, 1300]  # highest first, the unscored last
    assert starts(ReviewQueue(candidates, (), ReviewFilter(kinds=detections, order="score-up"))) == [300, 500, 700, 100, 1300]
    # the event at 700 was reviewed (an own copy at its place): it leaves, and stepping on from it goes to 500
    own = [EVENTS[3].with_(kind=Kind.ANNOTATED, label="pulse", annotator="me", status=Status.ACCEPTED)]
    after = ReviewQueue(candidates + [shown(own[0], own=True)], own, ReviewFilter(kinds=detections, order="score"))
    assert starts(after) == [100, 500, 300, 1300]
    assert after.index(candidates[3]) is None and after.after(candidates[3]).event.start == 500
    assert after.before(candidates[3]).event.start == 100
    # suggestions rank the events they overlap, highest score first; the rest follow in time order
    suggestions = [(520, 530, 0.8), (290, 310, 0.99), (0, 10, 1.0), (510, 515, 0.1)]
    assert suggestion_scores([e for e in EVENTS[:3]], suggestions) == [None, 0.99, 0.8]
    by_suggestion = ReviewQueue(candidates, (), ReviewFilter(kinds=detections, order="suggestion"), suggestions=suggestions)
    assert starts(by_suggestion) == [300, 500, 100, 700, 1300]


def test_a_detector_class_never_becomes_the_label_of_a_verdict():
    labels = ["pulse", "sine"]
    assert verdict_label(EVENTS[0], "sine", labels) == "sine"  # 'time' is no label of the folder
    assert verdict_label(EVENTS[0], None, labels) is None  # the person must choose one
    assert verdict_label(EVENTS[4], "sine", labels) == "pulse"  # a prediction of a real label keeps it
    assert verdict_label(EVENTS[5], "pulse", labels) == "sine"  # another person's label stays theirs


def test_the_suggestions_file_is_read_or_named_with_its_line(tmp_path):
    path = tmp_path / "song.wav-suggested.csv"
    path.write_text("song.wav,10,20,suggested,x,,,0.5\n\nsong.wav,30,40,suggested,x,100,200,0.75\n")
    assert read_suggestions(path) == [(10, 20, 0.5), (30, 40, 0.75)]
    path.write_text("song.wav,10,20,suggested,x,,,0.5\nsong.wav,30,40,detected,x,,,0.7\n")
    with pytest.raises(HarkError, match="song.wav-suggested.csv:2: expected"):
        read_suggestions(path)


# -- a real page's session, without a browser ------------------------------------------------


def open_page(root, annotator="me"):
    settings = GuiSettings(root, annotator=annotator)
    folder = DataFolder(root)
    context = GuiServerContext(settings, folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    return GuiSession(Document(), context, {"recording": REC})


@pytest.fixture
def data(tmp_path):
    write_wav(tmp_path / REC, samplerate=8000, frames=8000)
    write_csv(tmp_path / f"{REC}-detected.csv", EVENTS[:4] + EVENTS[6:])
    write_csv(tmp_path / f"{REC}-annotated-bob.csv", [EVENTS[5], Event(REC, 2000, 2000, Kind.ANNOTATED, "pulse", annotator="bob")])
    return tmp_path


def review(page, **filters):
    widgets = page.annotate.filters
    for name, value in filters.items():
        getattr(widgets, name).value = value
    page.annotate.mode.active = 1


def current_start(page):
    return page.view.highlight.event.start


def queue_length(page):
    return len(page.annotate._queue())


def test_a_verdict_on_a_detection_writes_the_person_s_label_and_takes_it_out_of_the_queue(data):
    detected_before = (data / f"{REC}-detected.csv").read_bytes()
    page = open_page(data)
    assert (data / LABELS_FILE).read_text().splitlines()[1:] == [f"pulse,{page.label_color('pulse')}", f"sine,{page.label_color('sine')}"]
    review(page, kind="detected", order="score, highest first", min_score="0.5", max_score="0.9")
    assert current_start(page) == 100 and queue_length(page) == 3
    page.annotate.on_key("a")  # no label chosen: the detector's 'time' is not taken
    assert "choose a label first: 'time' is a detector's class" in page.messages.text
    assert not (data / f"{REC}-annotated-me.csv").exists()
    page.annotate.on_key("2")  # the label list's second label: sine; in review it also relabels the current event
    assert [(e.start, e.label, e.status) for e in read_csv(data / f"{REC}-annotated-me.csv")] == [(100, "sine", None)]
    page.annotate.on_key("ArrowRight")
    assert current_start(page) == 700 and queue_length(page) == 2
    page.annotate.on_key("r")
    page.annotate.on_key("ArrowRight")
    assert current_start(page) == 500
    page.annotate.on_key("a")
    assert queue_length(page) == 0 and "Review queue: <b>0</b> to review" in page.annotate.queue_info.text
    rows = read_csv(data / f"{REC}-annotated-me.csv")
    assert [(e.start, e.stop, e.label, e.status) for e in rows] == [
        (100, 150, "sine", None), (500, 550, "sine", Status.ACCEPTED), (700, 750, "sine", Status.REJECTED),
    ]  # fmt: skip
    assert page.labels == ["pulse", "sine"]  # no detector class entered the list
    assert (data / f"{REC}-detected.csv").read_bytes() == detected_before
    page.annotate.undo()  # the last verdict undone: its detection is back in the queue, and shown
    assert queue_length(page) == 1 and page.view.highlight.event.kind is Kind.DETECTED and page.view.highlight.event.start == 500


def test_a_redrawn_detection_leaves_the_queue_for_good_and_an_undo_brings_it_back(data):
    page = open_page(data)
    page.annotate.choose_label("pulse")
    review(page, kind="detected")
    assert current_start(page) == 100 and queue_length(page) == 5
    rate = 8000
    page.annotate.on_drag(80 / rate, 170 / rate, (200.0, 900.0))  # redraw the current box elsewhere
    rows = read_csv(data / f"{REC}-annotated-me.csv")
    assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz) for e in rows] == [(80, 170, "pulse", 200.0, 900.0)]
    assert queue_length(page) == 4  # no duplicate: the detection went, its copy is not queued
    page.annotate.on_drag(90 / rate, 160 / rate, None)  # redrawn again (the copy is now current): still reviewed
    assert queue_length(page) == 4
    again = open_page(data)  # a reload: the link between the detection and its copy was kept
    review(again, kind="detected")
    assert len(again.annotate._queue()) == 4 and current_start(again) == 300
    again.annotate.undo()  # this page made no edit: nothing to undo
    page.annotate.undo()
    page.annotate.undo()
    assert read_csv(data / f"{REC}-annotated-me.csv", allow_empty=True) == []
    assert queue_length(page) == 5


def test_number_keys_follow_the_folder_s_label_list_with_a_shifted_second_bank(data):
    page = open_page(data)
    for label in ["c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]:
        page.annotate.add_new_label(label)
    assert page.labels[:3] == ["pulse", "sine", "c"] and len(page.labels) == 12
    page.annotate.on_key("0")
    assert page.annotate.current_label == "j"
    page.annotate.on_key("shift+2")
    assert page.annotate.current_label == "l"
    assert page.annotate.label_buttons.labels[0] == "1: pulse (0)" and page.annotate.label_buttons.labels[11] == "⇧2: l (0)"
    page.annotate.add_new_label("neither")  # typed in on purpose: allowed, at the end
    assert page.labels[-1] == "neither"


def test_a_malformed_labels_file_is_named_left_alone_and_the_page_still_works(data):
    (data / LABELS_FILE).write_text("label,color\npulse,red\n")
    page = open_page(data)
    assert f"{LABELS_FILE}:2: colour 'red' is not #rrggbb — labels are not remembered" in page.messages.text
    assert page.labels == ["pulse", "sine"]  # this recording's labels, in memory only
    page.annotate.add_new_label("click")
    assert page.labels[-1] == "click" and (data / LABELS_FILE).read_text() == "label,color\npulse,red\n"


def test_a_labels_file_broken_while_the_page_is_open_is_named_and_the_labels_kept(data):
    page = open_page(data)
    (data / LABELS_FILE).write_text("label,color\npulse,#000000\npulse,#000000\n")
    page.view.open(REC)
    assert f"{LABELS_FILE}:3: label 'pulse' is listed twice" in page.messages.text
    assert page.labels == ["pulse", "sine"] and page.label_color("sine") == PALETTE[1]


def test_review_by_suggestion_is_offered_when_a_suggestions_file_lies_beside_the_recording(data):
    page = open_page(data)
    assert "suggestion" not in page.annotate.filters.order.options
    (data / "song-suggested.csv").write_text("song.wav,700,710,suggested,x,,,0.9\nsong.wav,1320,1330,suggested,x,,,0.99\n")
    page.view.open(REC)
    assert "suggestion" in page.annotate.filters.order.options
    review(page, kind="detected", order="suggestion")
    assert current_start(page) == 1300  # the highest suggestion's event first, whatever its own score
    page.annotate.step(+1)
    assert current_start(page) == 700
    page.annotate.step(+1)
    assert current_start(page) == 100  # then the rest in time order


def test_stepping_through_an_unchanged_queue_reuses_it_and_any_change_rebuilds_it(data):
    page = open_page(data)
    page.annotate.choose_label("pulse")
    review(page, kind="detected")
    first = page.annotate._queue()
    page.annotate.on_key("ArrowRight")
    assert page.annotate._queue() is first  # a step changes nothing the queue is built from
    page.annotate.on_key("a")  # an edit: the own events change
    after_edit = page.annotate._queue()
    assert after_edit is not first and len(after_edit) == len(first) - 1
    page.annotate.filters.min_score.value = "0.5"  # a filter
    assert page.annotate._queue() is not after_edit
    page.annotate.undo()
    assert len(page.annotate._queue()) == len([s for s in first.items if s.event.score is not None and s.event.score >= 0.5])
