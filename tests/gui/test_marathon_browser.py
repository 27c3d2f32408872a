"""One long annotation sitting on a real fly recording, in Chromium: 300 edits of every kind, reloads and a restart.

A person (seeded, so the same every run) lays points, ranges and boxes, deletes some, gives
labels with number keys, accepts, rejects and relabels events of the review queue (detected
events and two other people's annotations), undoes and redoes, reloads the page now and then
and restarts the server once. The test keeps its own model of what the editor must do (the
rows of the annotator's CSV, the undo and redo history, the review queue and the event under
review) and after every edit compares the CSV with the model, row for row; the page's review
text must name exactly the event the model expects. The machine-made and other people's CSVs
must stay byte for byte what they were.

Drawn rows get their exact samples (and frequencies) from the CSV once the model has checked
they lie within two pixels of where the mouse drew them; from then on the model knows them
exactly (undo and redo bring back those very rows).
"""

from __future__ import annotations

import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from hark.annotations.event import Kind
from hark.annotations.label_list import LABELS_FILE
from hark.annotations.songexplorer import read_csv
from hark.detect.run import detect_files
from hark.gui.loaded import own_lane
from tests.gui.conftest import running_gui
from tests.gui.helpers import double_click, drag, lane_y, messages, open_page, wait_for_message, wait_for_range

RECORDING = "PS_20130625111709_ch3.wav"
OTHERS = ("person1", "notsong")  # the folder's two people: their annotations are in the review queue too
RATE = 2500
DURATION_S = 200.0
WIDTH_S = 10.0  # the view's width: it opens at 0-10 s and no gesture here zooms
PIXEL_S = WIDTH_S / 1100  # the plots are 1100 pixels wide
LABELS = ["ambient", "mel-pulse", "mel-sine", "not_mel-pulse", "not_mel-sine"]  # the folder's labels, sorted: keys 1-5
EDITS = 300
SEED = 13
ANNOTATOR = "tester"
OWN_LANE = own_lane(ANNOTATOR)
SLOTS = range(1, 20)  # where a draw view lays things: 0.5 s apart, each used once, so they never overlap
PHASE_EDITS = (10, 20)
RELOAD_EVERY = 3  # phases
NEWEST_MESSAGE_JS = "() => Bokeh.documents[0].get_model_by_name('messages').text.split('</div>')[0]"


@dataclass(frozen=True)
class Row:
    """A row of the annotator's CSV, every field a person can change."""

    start: int
    stop: int
    label: str
    low_hz: float | None = None
    high_hz: float | None = None
    status: str | None = None
    score: float | None = None

    @property
    def place(self) -> tuple:
        return (self.start, self.stop, self.low_hz, self.high_hz)


@dataclass(frozen=True)
class Other:
    """An event of someone else's file (a machine's or another person's), as the review queue holds it."""

    start: int
    stop: int
    kind: Kind
    label: str
    lane: str
    score: float | None = None

    @property
    def place(self) -> tuple:
        return (self.start, self.stop, None, None)

    @property
    def key(self) -> tuple:
        return (self.start, self.stop, self.lane, self.label)

    def as_row(self, label: str | None = None) -> Row:
        return Row(self.start, self.stop, self.label if label is None else label, score=self.score)


def event_order(row: Row) -> tuple:
    return (row.start, row.stop, row.label, row.low_hz or 0.0, row.high_hz or 0.0)


def rows_of(path: Path) -> list[Row]:
    events = read_csv(path, allow_empty=True) if path.exists() else []
    assert all(e.kind is Kind.ANNOTATED and e.annotator == ANNOTATOR and e.recording == RECORDING for e in events)
    return [Row(e.start, e.stop, e.label, e.low_hz, e.high_hz, e.status.value if e.status else None, e.score) for e in events]


class Model:
    """What the annotator's file, the undo history and the review must hold, by the rules of docs/gui.md."""

    def __init__(self, others: list[Other]):
        self.rows: list[Row] = []
        self.undo: list[tuple[tuple[Row, ...], tuple[Row, ...]]] = []
        self.redo: list[tuple[tuple[Row, ...], tuple[Row, ...]]] = []
        self.others = sorted(others, key=lambda o: o.key)
        self.label: str | None = None
        self.reviewing = False
        self.current: Other | None = None  # the queue's event last stepped to
        self.highlight: Row | Other | None = None  # the event under review: an own row or another's event
        self.stepped_to: Counter = Counter()  # lanes of the events the review stepped to

    # -- the editor ----------------------------------------------------------------------------

    def commit(self, removed: tuple[Row, ...], added: tuple[Row, ...]) -> None:
        rows = list(self.rows)
        for gone in removed:
            rows.remove(gone)
        self.rows = sorted(rows + list(added), key=event_order)

    def edit(self, removed: tuple[Row, ...], added: tuple[Row, ...]) -> None:
        self.commit(removed, added)
        self.undo.append((removed, added))
        self.redo.clear()
        self.after_edit()

    def step_history(self, verb: str) -> None:
        source, target = (self.undo, self.redo) if verb == "undo" else (self.redo, self.undo)
        removed, added = source.pop()
        self.commit(*((added, removed) if verb == "undo" else (removed, added)))
        target.append((removed, added))
        self.after_edit()

    def forget_history(self) -> None:
        """A reload or a restart: a new page has a new editor, with no history."""
        self.undo.clear()
        self.redo.clear()
        self.reviewing, self.highlight = False, None

    def find_own(self, place: tuple, label: str) -> Row | None:
        found = [row for row in self.rows if row.place == place]
        return next((row for row in found if row.label == label), found[0] if found else None)

    def change(self, target: Row | Other, **changes) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
        """The rows an editor change of ``target`` removes and adds (an own row changes; another's event gets a copy)."""
        own = target if isinstance(target, Row) else target.as_row() if target.kind is Kind.ANNOTATED else None
        if own is not None and own in self.rows:
            return (own,), (replace(own, **changes),)
        existing = self.find_own(target.place, target.label)
        if existing is not None:  # edited before: that copy changes
            return (existing,), (replace(existing, **changes),)
        return (), (replace(target.as_row(), **changes),)

    # -- the review queue -----------------------------------------------------------------------

    def queue(self) -> list[Other]:
        own_places = {row.place for row in self.rows}
        return [other for other in self.others if other.place not in own_places]

    def step(self, direction: int, view_start: float = 0.0) -> Other:
        queue = self.queue()
        if self.current is None:
            chosen = next(o for o in queue if o.stop / RATE >= view_start)
        elif direction == 0 and self.current in queue:
            chosen = self.current
        else:
            chosen = next(o for o in queue if o.key > self.current.key)
        self.current = self.highlight = chosen
        self.stepped_to[chosen.lane] += 1
        return chosen

    def after_edit(self) -> None:
        if not self.reviewing or not isinstance(self.highlight, Row) or self.highlight in self.rows:
            return
        found = self.find_own(self.highlight.place, self.highlight.label)
        self.highlight = found if found is not None else self.current if self.current in self.queue() else None

    def review_target(self) -> Row | Other:
        """What a verdict acts on: an own row, or another's event carrying the label its copy gets."""
        shown = self.highlight
        if isinstance(shown, Row) or shown.kind is Kind.ANNOTATED or shown.label in LABELS:
            return shown
        return replace(shown, label=self.label)

    def review_text(self) -> str:
        queue, shown = self.queue(), self.highlight
        return (f"<b>Event {queue.index(shown) + 1} of {len(queue)}</b>: {shown.lane}, <b>{shown.label}</b>, "
                f"{shown.start / RATE:.3f}–{shown.stop / RATE:.3f} s")  # fmt: skip


def others_of(folder: Path) -> list[Other]:
    events = read_csv(folder / f"{RECORDING}-detected.csv")
    for who in OTHERS:
        events += read_csv(folder / f"{RECORDING}-annotated-{who}.csv")
    return [Other(e.start, e.stop, e.kind, e.label, own_lane(e.annotator) if e.kind is Kind.ANNOTATED else e.kind.value, e.score)
            for e in events]  # fmt: skip


@pytest.fixture
def fly_folder(shared_data, tmp_path):
    """One fly recording with its two people's annotations (copied, writable), plus hark detect's events."""
    data = tmp_path / "data"
    data.mkdir()
    for name in (RECORDING, *(f"{RECORDING}-annotated-{who}.csv" for who in OTHERS)):
        shutil.copyfile(shared_data / "fly" / name, data / name)
    [result] = detect_files([data / RECORDING])
    assert result.ok
    return data


class Sitting:
    """The person at the page: gestures and keys, each edit checked against the model once saved."""

    def __init__(self, page, folder: Path, model: Model, rng: random.Random, shots):
        self.page, self.folder, self.model, self.rng, self.shots = page, folder, model, rng, shots
        self.own_csv = folder / f"{RECORDING}-annotated-{ANNOTATOR}.csv"
        self.edits = 0
        self.draw_views = 0
        self.phases = 0
        self.counts: Counter = Counter()

    # -- waiting and checking ------------------------------------------------------------------

    def saved(self, gesture, what: str) -> list[Row]:
        """Make the gesture and wait until the edit is saved (the file's bytes change) and its message has
        reached the page (a person sees what happened before the next gesture); the rows the file then holds."""
        before = self.own_csv.read_bytes() if self.own_csv.exists() else None
        shown = self.page.evaluate(NEWEST_MESSAGE_JS)
        gesture()
        deadline = time.monotonic() + 20
        while (self.own_csv.read_bytes() if self.own_csv.exists() else None) == before:
            if time.monotonic() > deadline:
                self.shots(self.page, f"edit {self.edits + 1} never saved")
                raise AssertionError(f"edit {self.edits + 1} ({what}) was never saved; the page says:\n{messages(self.page)}")
            time.sleep(0.01)
        self.page.wait_for_function(f"(shown) => ({NEWEST_MESSAGE_JS})() !== shown", arg=shown)
        self.edits += 1
        self.counts[what] += 1
        return rows_of(self.own_csv)

    def check(self, rows: list[Row], what: str) -> None:
        assert rows == self.model.rows, (
            f"after edit {self.edits} ({what}) the file holds\n{rows}\nbut the model says\n{self.model.rows}\npage: {messages(self.page)}"
        )

    def known_edit(self, gesture, removed, added, what: str) -> None:
        rows = self.saved(gesture, what)
        self.model.edit(removed, added)
        self.check(rows, what)

    def drawn_edit(self, gesture, expected: Row, what: str) -> None:
        """An add whose samples depend on pixels: the new row must lie within two pixels of ``expected``."""
        rows = self.saved(gesture, what)
        new = list((Counter(rows) - Counter(self.model.rows)).elements())
        assert len(new) == 1 and len(rows) == len(self.model.rows) + 1, f"{what}: the file gained {new}"
        [row] = new
        tolerance = 2 * PIXEL_S * RATE
        assert (row.label, row.status, row.score) == (expected.label, None, None), (what, row, expected)
        assert abs(row.start - expected.start) <= tolerance and abs(row.stop - expected.stop) <= tolerance, (what, row, expected)
        assert (row.start == row.stop) == (expected.start == expected.stop), (what, row, expected)
        if expected.low_hz is None:
            assert (row.low_hz, row.high_hz) == (None, None), (what, row)
        else:
            assert abs(row.low_hz - expected.low_hz) <= 15 and abs(row.high_hz - expected.high_hz) <= 15, (what, row, expected)
        self.model.edit((), (row,))
        self.check(rows, what)

    def history(self, verb: str) -> None:
        rows = self.saved(lambda: self.page.keyboard.press("Control+z" if verb == "undo" else "Control+y"), verb)
        self.model.step_history(verb)
        self.check(rows, verb)

    def wait_for_review_text(self) -> None:
        self.page.wait_for_function(
            "(t) => Bokeh.documents[0].get_model_by_name('review-info').text.startsWith(t)", arg=self.model.review_text(),
        )  # fmt: skip

    def choose_label(self, label: str) -> None:
        self.page.keyboard.press(str(LABELS.index(label) + 1))
        self.model.label = label

    # -- opening, reloading ---------------------------------------------------------------------

    def opened(self, rows_shown: int) -> None:
        wait_for_message(self.page, f"opened {RECORDING}")
        self.page.wait_for_function(
            "(n) => Bokeh.documents[0].get_model_by_name('file-info').text.endsWith(`(${n} rows)`)", arg=rows_shown,
        )  # fmt: skip

    def reload(self) -> None:
        self.page.reload()
        self.page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].get_model_by_name('messages') != null")
        self.opened(len(self.model.rows))
        self.model.forget_history()
        if self.model.label is not None:  # the label comes back with the page
            index = LABELS.index(self.model.label)
            self.page.wait_for_function("(i) => Bokeh.documents[0].get_model_by_name('labels').active === i", arg=index)

    # -- phases ---------------------------------------------------------------------------------

    def work_until(self, edits: int) -> None:
        while self.edits < edits:
            count = min(self.rng.randint(*PHASE_EDITS), edits - self.edits)
            if self.phases % 2 == 0:
                self.review_phase(count)
            else:
                self.draw_phase(count)
            self.phases += 1
            if self.phases % RELOAD_EVERY == 0 and self.edits < edits:
                self.reload()
                self.counts["reload"] += 1

    def review_phase(self, count: int) -> None:
        model, page, rng = self.model, self.page, self.rng
        page.get_by_role("button", name="Review", exact=True).click()
        model.reviewing = True
        model.step(0 if model.current is not None else +1)
        self.wait_for_review_text()
        target = self.edits + count
        while self.edits < target:
            if model.redo and rng.random() < 0.3:  # (there is something to redo only just after an undo)
                self.history("redo")
            elif model.highlight is None or rng.random() < (0.6 if isinstance(model.highlight, Row) else 0.15):
                page.keyboard.press("ArrowRight")  # on to the next event (now and then one is skipped)
                model.step(+1)
                self.wait_for_review_text()
            else:
                choice = rng.random()
                if choice < 0.12 and model.undo:
                    self.history("undo")
                elif choice < 0.56:
                    self.verdict()
                else:
                    self.relabel_by_key()
        page.keyboard.press("Escape")
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('mode').active === 0")
        model.reviewing, model.highlight = False, None
        if self.phases == 0:
            self.shots(page, "first review")

    def verdict(self) -> None:
        model = self.model
        target = model.review_target()
        status = self.rng.choice(["accepted", "rejected"])
        removed, added = model.change(target, status=status)
        if removed == added:  # the same verdict again changes nothing: give the other one
            status = "rejected" if status == "accepted" else "accepted"
            removed, added = model.change(target, status=status)
        self.known_edit(lambda: self.page.keyboard.press("a" if status == "accepted" else "r"), removed, added, status)

    def relabel_by_key(self) -> None:
        model = self.model
        shown = model.highlight
        label = self.rng.choice([label for label in LABELS if label != shown.label])
        removed, added = model.change(shown, label=label)
        if removed == added:
            return
        model.label = label
        self.known_edit(lambda: self.page.keyboard.press(str(LABELS.index(label) + 1)), removed, added, "relabel")

    def draw_phase(self, count: int) -> None:
        """Lay, delete, undo and redo in a view of its own (the views step back from the recording's end)."""
        page, rng, model = self.page, self.rng, self.model
        start = DURATION_S - WIDTH_S * (self.draw_views + 1)
        self.draw_views += 1
        page.keyboard.press("End")
        for _ in range(self.draw_views - 1):
            page.keyboard.press("Shift+ArrowLeft")
        wait_for_range(page, lambda a, b: abs(a - start) < 1e-6 and abs(b - start - WIDTH_S) < 1e-6)
        free = list(SLOTS)
        rng.shuffle(free)
        target = self.edits + count
        while self.edits < target:
            in_view = [row for row in model.rows if start + 0.3 < (row.start + row.stop) / 2 / RATE < start + WIDTH_S - 0.3]
            choice = rng.random()
            if model.redo and rng.random() < 0.3:
                self.history("redo")
            elif choice < 0.12 and model.undo:
                self.history("undo")
            elif choice < 0.33 and in_view:
                self.delete(rng.choice(in_view))
            elif free:
                if rng.random() < 0.3:
                    self.choose_label(rng.choice(LABELS))
                elif model.label is None:
                    self.choose_label(LABELS[1])
                self.lay(start + 0.5 * free.pop(), rng.choice(["point", "range", "box"]))
            elif not model.undo and not in_view:
                break  # nothing left to do in this view
        if self.draw_views == 1:
            self.shots(page, "first draw view")

    def lay(self, middle: float, what: str) -> None:
        page, label = self.page, self.model.label
        half = self.rng.uniform(0.05, 0.18)
        tic = lambda seconds: round(seconds * RATE)  # noqa: E731
        if what == "point":
            expected = Row(tic(middle), tic(middle), label)
            self.drawn_edit(lambda: double_click(page, "waveform", middle, 0.0), expected, what)
        elif what == "range":
            expected = Row(tic(middle - half), tic(middle + half), label)
            self.drawn_edit(lambda: drag(page, "waveform", middle - half, middle + half, 0.0, 0.0), expected, what)
        else:
            low, high = self.rng.uniform(150, 450), self.rng.uniform(600, 1100)
            expected = Row(tic(middle - half), tic(middle + half), label, low, high)
            self.drawn_edit(lambda: drag(page, "spectrogram", middle - half, middle + half, low, high), expected, what)

    def delete(self, row: Row) -> None:
        """A double-click on an own row deletes it: a box on the spectrogram, a point or range in the own lane."""
        page, middle = self.page, (row.start + row.stop) / 2 / RATE
        # the lanes' rows follow the own file: wait until the page shows its latest count before aiming at the lane
        page.wait_for_function(
            "(n) => Bokeh.documents[0].get_model_by_name('file-info').text.endsWith(`(${n} rows)`)", arg=len(self.model.rows),
        )  # fmt: skip
        if row.low_hz is not None and self.rng.random() < 0.5:
            gesture = lambda: double_click(page, "spectrogram", middle, (row.low_hz + row.high_hz) / 2)  # noqa: E731
        else:
            gesture = lambda: double_click(page, "lanes", middle, lane_y(page, OWN_LANE))  # noqa: E731
        self.known_edit(gesture, (row,), (), "delete")


@pytest.mark.shared_data
def test_three_hundred_edits_with_reloads_and_a_restart(fly_folder, page, shots):
    own_csv = fly_folder / f"{RECORDING}-annotated-{ANNOTATOR}.csv"
    machine = {path: path.read_bytes() for path in fly_folder.glob("*.csv")}  # detected, person1's and notsong's
    model = Model(others_of(fly_folder))
    sitting = Sitting(page, fly_folder, model, random.Random(SEED), shots)
    started = time.monotonic()

    with running_gui(fly_folder, "--annotator", ANNOTATOR) as url:
        open_page(page, url)
        page.locator("select").first.select_option(RECORDING)
        sitting.opened(0)
        wait_for_range(page, lambda a, b: (a, b) == (0.0, WIDTH_S))
        assert [line.split(",")[0] for line in (fly_folder / LABELS_FILE).read_text().splitlines()[1:]] == LABELS
        sitting.choose_label(LABELS[1])
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('labels').active === 1")
        sitting.work_until(EDITS // 2)
        shots(page, "before the restart")
    assert rows_of(own_csv) == model.rows  # what the first server left
    assert {path: path.read_bytes() for path in machine} == machine

    # a new server on the same folder: the page opens the same recording, label and rows, then goes on
    model.forget_history()
    with running_gui(fly_folder, "--annotator", ANNOTATOR) as url:
        open_page(page, url)
        sitting.opened(len(model.rows))
        page.wait_for_function("(i) => Bokeh.documents[0].get_model_by_name('labels').active === i", arg=LABELS.index(model.label))
        shots(page, "after the restart")
        sitting.work_until(EDITS)
        shots(page, "the end")

    assert sitting.edits == EDITS
    assert rows_of(own_csv) == model.rows
    assert {path: path.read_bytes() for path in machine} == machine  # untouched byte for byte
    assert {path.name for path in fly_folder.glob("*.csv")} == {path.name for path in machine} | {own_csv.name, LABELS_FILE}
    # every kind of edit was made, many times over
    assert all(sitting.counts[what] >= 10 for what in ("point", "range", "box", "delete", "accepted", "rejected", "relabel", "undo")), sitting.counts
    assert sitting.counts["redo"] >= 5 and sitting.counts["reload"] >= 2, sitting.counts
    assert set(model.stepped_to) == {"detected", own_lane("person1"), own_lane("notsong")}, model.stepped_to  # machines' and people's
    assert [line.split(",")[0] for line in (fly_folder / LABELS_FILE).read_text().splitlines()[1:]] == LABELS  # no class became a label
    print(f"{EDITS} edits in {time.monotonic() - started:.0f} s: {dict(sitting.counts)}; reviewed {dict(model.stepped_to)}")
