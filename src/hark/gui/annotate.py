"""Annotating (SongExplorer's gestures) and reviewing (DeepSqueak's) in the context window.

Annotate mode: pick a label (buttons with counters, number keys, or the species and word
menus that split labels at the hyphen); double-click a detected or predicted event (or
another person's annotation) to give it the label; drag across the waveform or the lanes to
lay a range (across the spectrogram: a box with a frequency extent); double-click blank space
to lay a point; double-click one of your annotations to delete it.

Review mode: the arrow keys step through the review queue (:mod:`hark.gui.review`: the
events of others still to review, narrowed by kind, label, annotator and score, ordered by
time, score or suggestion), each shown with its score; A accepts, R rejects, a number key
relabels, and a drag redraws the current box. A verdict on a machine-made event writes an
own copy with a real label (:func:`hark.gui.review.verdict_label`), never the detector's
class, and the event leaves the queue. On a suggestion or a search hit (the Suggestions queue,
:mod:`hark.gui.suggest_panel`; "find more like this", :mod:`hark.gui.find_similar`) the next one comes up.

Labels and their keys come from the data folder's label list
(:mod:`hark.annotations.label_list`): keys 1-9 and 0, then Shift+1..0.

Every change goes through :class:`hark.annotations.edits.AnnotationEditor`, which saves
at once; this module only turns gestures into its calls.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from bokeh.layouts import column, row
from bokeh.models import Button, Div, InlineStyleSheet, RadioButtonGroup, Select, TextInput

from hark.annotations.event import Event, Kind, Status, label_problem
from hark.errors import HarkError
from hark.gui.keys import release_focus_after_change
from hark.gui.loaded import LoadedRecording, ShownEvent, own_lane
from hark.gui.find_similar import FindPanel
from hark.gui.review import QueueMemo, ReviewLinks, ReviewQueue, place, suggestion_file, verdict_label
from hark.gui.review_widgets import ANY, ReviewFilters
from hark.gui.suggest_events import read_suggested_events, with_extra_events
from hark.gui.suggest_panel import SuggestPanel

if TYPE_CHECKING:
    from hark.gui.session import GuiSession

MODES = ["Annotate", "Review"]


class AnnotatePanel:
    """Label choice, gestures, review stepping and undo/redo for one session."""

    def __init__(self, session: GuiSession):
        self.session = session
        self.current_label: str | None = None
        self._current: ShownEvent | None = None  # review: the queue's event last stepped to (it stays after a verdict)
        self._links: ReviewLinks | None = None
        self._suggestions: list[tuple[int, int, float]] = []
        self._queue_memo = QueueMemo()
        self._label_css = ""

        self.mode = RadioButtonGroup(labels=MODES, active=0, name="mode")
        self.mode.on_change("active", lambda attr, old, new: self._mode_changed())
        self.label_buttons = RadioButtonGroup(labels=[], active=None, name="labels")
        self.label_buttons.on_change("active", lambda attr, old, new: self._pick_label_index(new))
        self.new_label = TextInput(title="New label (species-word)", width=200, name="new-label")
        self.add_label = Button(label="Add label", width=90)
        self.add_label.on_click(lambda: self.add_new_label(self.new_label.value))
        self.species = Select(title="Species", options=[], width=140)
        self.word = Select(title="Word", options=[], width=140)
        self.species.on_change("value", lambda attr, old, new: self._species_changed())
        self.word.on_change("value", lambda attr, old, new: self._word_changed())
        release_focus_after_change(self.species)
        release_focus_after_change(self.word)
        self.undo_button = Button(label="Undo (Ctrl+Z)", width=110)
        self.redo_button = Button(label="Redo (Ctrl+Y)", width=110)
        self.undo_button.on_click(self.undo)
        self.redo_button.on_click(self.redo)
        self.previous_button = Button(label="← Previous", width=100)
        self.next_button = Button(label="Next →", width=100)
        self.accept_button = Button(label="Accept (A)", button_type="success", width=100)
        self.reject_button = Button(label="Reject (R)", button_type="danger", width=100)
        self.previous_button.on_click(lambda: self.step(-1))
        self.next_button.on_click(lambda: self.step(+1))
        self.accept_button.on_click(lambda: self.set_status(Status.ACCEPTED))
        self.reject_button.on_click(lambda: self.set_status(Status.REJECTED))
        self.review_info = Div(text="", width=520, name="review-info")
        self.queue_info = Div(text="", width=520, name="review-queue")
        self.filters = ReviewFilters(self._filters_changed)
        self.file_info = Div(text="", width=520, name="file-info")
        self._quiet_filters = False  # while show_queue sets several filters at once
        self.suggest = SuggestPanel(session, self)
        self.find = FindPanel(session, self)
        self.refresh_labels()

    def layout(self):
        return column(
            row(self.mode, self.undo_button, self.redo_button),
            Div(text="<b>Label</b> (number keys choose; double-click a detected box to give it the label)"),
            self.label_buttons,
            row(self.species, self.word, self.new_label, column(Div(text=""), self.add_label)),
            row(self.previous_button, self.next_button, self.accept_button, self.reject_button),
            self.filters.layout(),
            self.suggest.layout(),
            self.find.layout(),
            self.queue_info,
            self.review_info,
            self.file_info,
        )  # fmt: skip

    # -- labels ----------------------------------------------------------------------------

    @property
    def view(self):
        return self.session.view

    @property
    def loaded(self) -> LoadedRecording | None:
        return self.session.view.loaded

    def recording_opened(self, loaded: LoadedRecording) -> None:
        self.session.reload_labels()  # another window (or a person's editor) may have changed them
        self.session.add_labels(loaded.labels())
        self._current = None
        session = self.session
        self._links = ReviewLinks.of(session.folder.settings_dir, loaded.relative, loaded.annotator)
        self._suggestions = []
        extra = []
        suggestions = suggestion_file(loaded.path)
        if suggestions is not None:  # shown in their own lane and reviewed in the Suggestions queue (hark.gui.suggest_panel)
            try:
                suggested = read_suggested_events(session.folder.readable(suggestions, what="suggestions file"), loaded.path.name)
                self._suggestions = [(e.start, e.stop, e.score) for e in suggested]
                extra += suggested
            except HarkError as err:
                session.report(f"{err} — its suggestions are not shown and review cannot be ordered by suggestion", error=True)
        extra += self.find.events_of(loaded.path.resolve())  # "find more like this" hits in this recording
        loaded = session.view.loaded = with_extra_events(loaded, extra)
        self.filters.set_choices(loaded.shown(set(Kind)), bool(self._suggestions))
        self.refresh_labels()
        self._show_review_info(None)

    def refresh_labels(self) -> None:
        """Label buttons with the number of the person's annotations of each label in this recording."""
        labels = self.session.labels
        own = self.loaded.editor.events if self.loaded is not None and self.loaded.editor is not None else ()
        counts = {label: sum(1 for e in own if e.label == label) for label in labels}
        texts = []
        for label in labels:
            key = self.session.label_list.key(label)
            shown_key = "" if key is None else key.replace("shift+", "⇧") + ": "
            texts.append(f"{shown_key}{label} ({counts[label]})")
        if self.label_buttons.labels != texts:
            self.label_buttons.labels = texts
        # each button underlined in its label's colour (colours are #rrggbb, checked when the labels file is read)
        css = "".join(f".bk-btn:nth-child({i + 1}){{border-bottom:4px solid {self.session.label_color(label)}}}"
                      for i, label in enumerate(labels))  # fmt: skip
        if css != self._label_css:
            self._label_css = css
            self.label_buttons.stylesheets = [InlineStyleSheet(css=css)]
        self.label_buttons.active = labels.index(self.current_label) if self.current_label in labels else None
        species = sorted({label.split("-", 1)[0] for label in labels})
        self.species.options = [""] + species
        if self.current_label:
            chosen_species, _, chosen_word = self.current_label.partition("-")
            self.species.value = chosen_species
            self.word.options = [""] + self._words_of(chosen_species)
            self.word.value = chosen_word
        self.undo_button.disabled = not (self.loaded and self.loaded.editor and self.loaded.editor.can_undo)
        self.redo_button.disabled = not (self.loaded and self.loaded.editor and self.loaded.editor.can_redo)
        if self.loaded is not None and self.loaded.editor is not None:
            editor = self.loaded.editor
            self.file_info.text = f"Saving to <code>{html.escape(self.session.folder.relative(editor.path))}</code> ({len(editor.events)} rows)"
        elif self.loaded is not None:  # never the previous recording's file: this one's cannot be written
            self.file_info.text = f"<b>Editing is off</b> for <code>{html.escape(self.loaded.relative)}</code>: its annotation file could not be read"

    def _words_of(self, species: str) -> list[str]:
        return sorted({label.partition("-")[2] for label in self.session.labels if label.partition("-")[0] == species} - {""})

    def _pick_label_index(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.session.labels):
            self.choose_label(self.session.labels[index])

    def choose_label(self, label: str) -> None:
        if label != self.current_label:
            self.current_label = label
            self.refresh_labels()
            self._remember()

    def _remember(self) -> None:
        """The label, mode and review position of this recording, kept for a reload (:meth:`restore`)."""
        if self.loaded is None:
            return
        current = self._current
        review = [current.event.start, current.event.stop, current.lane, current.event.label] if current is not None else None
        self.session.remember_view(self.loaded.relative, label=self.current_label, reviewing=self.reviewing, review=review)

    def restore(self, loaded: LoadedRecording) -> None:
        """After opening ``loaded``: the label, mode and review event this annotator last had there."""
        loaded = self.loaded or loaded  # with its suggestions and hits (recording_opened)
        remembered = self.session.remembered(loaded.relative)
        label = remembered.get("label")
        if isinstance(label, str) and label in self.session.labels and label != self.current_label:
            self.current_label = label
            self.refresh_labels()
        review = remembered.get("review")
        if isinstance(review, list) and len(review) == 4:
            key = tuple(review)
            self._current = next((s for s in loaded.shown(set(Kind)) if (s.event.start, s.event.stop, s.lane, s.event.label) == key), None)
        if remembered.get("reviewing") is True and self._current is not None:
            if self.reviewing:
                self.step(0)
            else:
                self.mode.active = 1  # the mode callback steps to the remembered event

    def add_new_label(self, label: str) -> None:
        label = label.strip()
        problem = label_problem(label)
        if problem:
            self.session.report(f"cannot add that label: {problem}", error=True)
            return
        self.session.add_labels([label], explicit=True)
        self.new_label.value = ""
        self.current_label = label
        self.refresh_labels()

    def _species_changed(self) -> None:
        species = self.species.value
        self.word.options = [""] + self._words_of(species)
        if species and species in self.session.labels and not self._words_of(species):
            self.choose_label(species)
        elif self.current_label is None or self.current_label.partition("-")[0] != species:
            self.word.value = ""

    def _word_changed(self) -> None:
        if self.species.value and self.word.value:
            self.choose_label(f"{self.species.value}-{self.word.value}")
        elif self.species.value in self.session.labels:
            self.choose_label(self.species.value)

    # -- gestures --------------------------------------------------------------------------

    def _editor(self):
        if self.loaded is None:
            self.session.report("open a recording first", error=True)
            return None
        if self.loaded.editor is None:
            self.session.report(f"editing is off for {self.loaded.relative}: its annotation file could not be read", error=True)
            return None
        return self.loaded.editor

    def _label_or_complain(self) -> str | None:
        if not self.current_label:
            self.session.report("choose a label first (a label button, a number key, or type a new one)", error=True)
        return self.current_label

    def on_double_tap(self, which: str, x: float, y: float) -> None:
        editor = self._editor()
        if editor is None:
            return
        hit = self.view.event_in_lane(x, y) if which == "lanes" else self.view.event_in_box(x, y) if which == "spectrogram" else None
        if hit is not None and hit.own:
            self._edit(lambda: editor.delete(hit.event), None)
            return
        label = self._label_or_complain()
        if label is None:
            return
        if hit is not None:
            self._edit(lambda: editor.relabel(hit.event, label), hit)
        else:
            start, stop = self._double_click_extent(self._tic(x))
            self._edit(lambda: editor.add(start, stop, label), None)

    def on_drag(self, start_s: float, stop_s: float, frequency: tuple[float, float] | None) -> None:
        editor = self._editor()
        if editor is None:
            return
        start, stop = self._tic(start_s), self._tic(stop_s)
        current = self.session.view.highlight
        if self.reviewing and current is not None:
            target = self._review_target(current)
            if target is not None:
                self._edit(lambda: self._reshape(editor, current, target, start, stop, frequency), current)
            return
        label = self._label_or_complain()
        if label is None:
            return
        low, high = frequency if frequency is not None else (None, None)
        self._edit(lambda: editor.add(start, stop, label, low, high), None)

    def _double_click_extent(self, tic: int) -> tuple[int, int]:
        """Where the double-click plugin ``hark gui --double-click`` chose puts the new annotation."""
        from hark.gui.double_click import double_click_plugins

        settings = self.session.context.settings
        plugin = double_click_plugins.get(settings.double_click)
        return plugin.place(self.loaded.recording, tic, plugin.validate(settings.double_click_params))

    def _review_target(self, shown: ShownEvent) -> Event | None:
        """The event to hand the editor for a verdict or a redraw: another's carries the label its own copy
        gets (never a detector's class; None, said in the page, when no label is chosen)."""
        if shown.own:
            return shown.event
        label = verdict_label(shown.event, self.current_label, self.session.labels)
        if label is None:
            self.session.report(f"choose a label first: {shown.event.label!r} is a detector's class, not a label of the folder "
                                "(a label button or a number key)", error=True)  # fmt: skip
            return None
        return shown.event if label == shown.event.label else shown.event.with_(label=label)

    def _reshape(self, editor, shown: ShownEvent, target: Event, start: int, stop: int, frequency) -> Event:
        """Redraw ``shown``'s box; remember which event of others the own copy stands for, so it leaves the queue."""
        result = editor.reshape(target, start, stop, frequency)
        if self._links is not None:
            if not shown.own:
                self._links.link(shown.event, result)
            else:
                self._links.moved(shown.event, result)
                for other in self.loaded.shown(set(Kind)):  # a verdict's copy, redrawn: the event it copied stays reviewed
                    if not other.own and place(other.event) == place(shown.event):
                        self._links.link(other.event, result)
        return result

    def _tic(self, seconds: float) -> int:
        return int(min(max(0, round(seconds * self.loaded.samplerate)), self.loaded.recording.frames))

    def _edit(self, change, target: ShownEvent | None) -> Event | None:
        """Run one editor call; report it (or its error), redraw, and follow the edited event."""
        editor = self.loaded.editor
        try:
            result = change()
        except HarkError as err:
            self.session.report(str(err), error=True)
            return None
        for notice in editor.notices:
            self.session.report(notice, error=True)
        editor.notices.clear()
        self.session.report(f"{editor.history[-1] if editor.history else 'done'} — saved to {editor.path.name}")
        highlight = self.session.view.highlight
        if result is not None and target is not None and highlight is not None and _position_of(target) == _position_of(highlight):
            self.session.view.highlight = ShownEvent(result, own_lane(self.loaded.annotator), True)
        self.after_edit()
        return result

    def after_edit(self) -> None:
        view = self.session.view
        queue = self._queue(quiet=True) if self.reviewing else None
        if view.highlight is not None and view.highlight.own and self.loaded is not None and self.loaded.editor is not None:
            editor = self.loaded.editor
            if not editor.owns(view.highlight.event):  # undone or changed elsewhere: the own event now there, else the original
                found = editor.find_own(view.highlight.event)
                if found is not None:
                    view.highlight = ShownEvent(found, own_lane(self.loaded.annotator), True)
                elif self._current is not None and queue is not None and queue.index(self._current) is not None:
                    view.highlight = self._current
                else:
                    view.highlight = None
        self.refresh_labels()
        view.draw_events()
        self._show_review_info(view.highlight, queue)

    def undo(self) -> None:
        self._step("undo")

    def redo(self) -> None:
        self._step("redo")

    def _step(self, verb: str) -> None:
        editor = self._editor()
        if editor is None:
            return
        try:  # another window may have changed what the step would revert: a conflict, said in the page
            description = editor.undo() if verb == "undo" else editor.redo()
        except HarkError as err:
            self.session.report(str(err), error=True)
            self.after_edit()
            return
        self._undo_redo(description, "undid" if verb == "undo" else "redid", f"nothing to {verb}")

    def _undo_redo(self, description: str | None, verb: str, nothing: str) -> None:
        for notice in self.loaded.editor.notices:
            self.session.report(notice, error=True)
        self.loaded.editor.notices.clear()
        self.session.report(f"{verb}: {description} — saved to {self.loaded.editor.path.name}" if description else nothing)
        self.after_edit()

    # -- review ----------------------------------------------------------------------------

    @property
    def reviewing(self) -> bool:
        return self.mode.active == 1

    def _mode_changed(self) -> None:
        if not self.reviewing:
            self.session.view.highlight = None
            self.session.view.draw_events()
            self._show_review_info(None)
            self._remember()
        else:
            self.step(+1 if self._current is None else 0)

    def _filters_changed(self) -> None:
        """A filter or the order changed: the queue starts again from its first event."""
        if self._quiet_filters:
            return
        self._current = None
        try:
            kinds = self.filters.current().kinds
        except HarkError as err:
            self.session.report(str(err), error=True)
            return
        view = self.session.view
        names = [k.value for k in Kind]  # the order of the view's kind buttons
        missing = [names.index(kind) for kind in kinds if names.index(kind) not in view.kinds.active]
        if missing:  # the chosen kind's lane is shown, so the event under review is seen
            view.kinds.active = sorted([*view.kinds.active, *missing])
        if self.reviewing and self.loaded is not None:
            self.step(+1)
        else:
            self._show_review_info(self.session.view.highlight, self._queue(quiet=True) if self.loaded else None)

    def show_queue(self, kind: str, order: str) -> None:
        """Review the events of ``kind`` (``suggested``: the Suggestions queue; ``found``: search hits) in ``order``, from the first."""
        if self.loaded is None:
            self.session.report("open a recording first", error=True)
            return
        filters = self.filters
        filters.set_choices(self.loaded.shown(set(Kind)), bool(self._suggestions))
        if kind not in filters.kind.options:
            self.session.report(f"no {kind} events in this recording", error=True)
            return
        self._quiet_filters = True
        try:
            filters.kind.value, filters.label.value, filters.annotator.value = kind, ANY, ANY
            filters.min_score.value = filters.max_score.value = ""
            filters.order.value = order
        finally:
            self._quiet_filters = False
        if self.reviewing:
            self._filters_changed()
        else:
            self._current = None
            self._filters_changed()
            self.mode.active = 1  # the mode callback steps to the first

    def _advance_after_verdict(self, reviewed: ShownEvent | None) -> None:
        """A verdict or label on a suggestion or a search hit brings up the next one (other reviews stay on the event)."""
        if reviewed is None or reviewed.own or reviewed.event.kind not in (Kind.SUGGESTED, Kind.FOUND) or not self.reviewing:
            return
        queue = self._queue(quiet=True)
        if queue is not None and queue.after(self._current) is None:
            self.session.report(f"that was the last {reviewed.event.kind.value} sound of the queue")
            return
        self.step(+1)

    def on_tap(self, which: str, x: float, y: float) -> None:
        """Annotate mode: a click on an event selects it (for "find more like this"); review keeps its own current event."""
        if self.reviewing or self.loaded is None:
            return
        view = self.view
        hit = view.event_in_lane(x, y) if which == "lanes" else view.event_in_box(x, y) if which == "spectrogram" else None
        if hit != view.highlight:
            view.highlight = hit
            view.draw_events()

    def _queue(self, quiet: bool = False) -> ReviewQueue | None:
        """The events still to review with the filters of the page (None when a filter is mistyped or nothing is open)."""
        if self.loaded is None:
            return None
        try:
            review_filter = self.filters.current()
        except HarkError as err:
            if not quiet:
                self.session.report(str(err), error=True)
            return None
        kinds = {Kind(kind) for kind in review_filter.kinds} or self.session.view.shown_kinds()
        own = self.loaded.editor.events if self.loaded.editor is not None else ()
        reviewed = self._links.reviewed_origins({place(e) for e in own}) if self._links is not None else set()
        return self._queue_memo.get(
            (self.loaded, own, self._suggestions), (review_filter, frozenset(kinds), frozenset(reviewed)),
            lambda: ReviewQueue(self.loaded.shown(kinds), own, review_filter, reviewed, self._suggestions),
        )  # fmt: skip

    def step(self, direction: int) -> None:
        """Go to the next (+1), previous (-1) or current (0) event of the review queue."""
        if self.loaded is None:
            self.session.report("open a recording first", error=True)
            return
        if not self.reviewing:
            self.mode.active = 1  # stepping is reviewing; the mode callback steps
            return
        queue = self._queue()
        if queue is None:
            return
        if not queue.items:
            self.session.report("no events left to review with these filters in this recording", error=True)
            self._show_review_info(self.session.view.highlight, queue)
            return
        current = self._current
        if current is None:  # in time order, start with what is in view
            rate = self.loaded.samplerate
            visible = [s for s in queue.items if s.event.stop / rate >= self.session.view.x_range.start]
            chosen = (visible or queue.items)[0] if queue.filter.order == "time" else queue.items[0]
            chosen = chosen if direction >= 0 else queue.items[-1]
        elif direction > 0:
            chosen = queue.after(current)
        elif direction < 0:
            chosen = queue.before(current)
        else:
            chosen = current if queue.index(current) is not None else queue.after(current) or queue.before(current)
        if chosen is None:
            self.session.report(f"that was the {'last' if direction > 0 else 'first'} event of the review queue", error=True)
            return
        self._current = chosen
        self.session.view.highlight = chosen
        rate = self.loaded.samplerate
        if not self.session.view.bring_into_view(chosen.event.start / rate, chosen.event.stop / rate):
            self.session.view.draw_events()  # a view that moved has drawn them already (with the outline)
        self._show_review_info(chosen, queue)
        self._remember()
        following = queue.before(chosen) if direction < 0 else queue.after(chosen)
        if following is not None:  # its picture, computed while the person looks at this one
            self.session.view.prefetch_later(following.event.start / rate, following.event.stop / rate)

    def _show_review_info(self, shown: ShownEvent | None, queue: ReviewQueue | None = None) -> None:
        if queue is not None:
            described = self.filters.describe()
            self.queue_info.text = f"Review queue: <b>{len(queue)}</b> to review" + (f" ({html.escape(described)})" if described else "")
        if shown is None or self.loaded is None:
            self.review_info.text = "Review: press → or Next to step through the queue (A accept, R reject, 1-9 and 0 relabel)."
            return
        index = queue.index(shown) if queue is not None and not shown.own else None
        where = f"Event {index + 1} of {len(queue)}" if index is not None else "Reviewed"
        event, rate = shown.event, self.loaded.samplerate
        score = "—" if event.score is None else f"{event.score:.3g}"
        status = event.status.value if event.status is not None else "not reviewed"
        frequency = f", {event.low_hz:.0f}–{event.high_hz:.0f} Hz" if event.has_frequency else ""
        self.review_info.text = (
            f"<b>{where}</b>: {html.escape(shown.lane)}, <b>{html.escape(event.label)}</b>, "
            f"{event.start / rate:.3f}–{event.stop / rate:.3f} s{frequency}, score <b>{score}</b>, <b>{status}</b>"
        )

    def set_status(self, status: Status) -> None:
        current = self.session.view.highlight
        if current is None or not self.reviewing:
            self.session.report("switch to Review and step to an event (→) before accepting or rejecting", error=True)
            return
        editor = self._editor()
        target = self._review_target(current) if editor is not None else None
        if target is not None and self._edit(lambda: editor.set_status(target, status), current) is not None:
            self._advance_after_verdict(current)

    def relabel_current(self, label: str) -> None:
        current = self.session.view.highlight
        editor = self._editor()
        if current is not None and editor is not None and self._edit(lambda: editor.relabel(current.event, label), current) is not None:
            self._advance_after_verdict(current)

    # -- keys ------------------------------------------------------------------------------

    def on_key(self, key: str) -> None:
        view = self.session.view
        lowered = key.lower() if len(key) == 1 else key
        if lowered in ("+", "="):
            view.zoom(0.5)
        elif lowered in ("-", "_"):
            view.zoom(2.0)
        elif key in ("ArrowLeft", "ArrowRight"):
            direction = -1 if key == "ArrowLeft" else 1
            if self.reviewing:
                self.step(direction)
            else:
                view.pan(0.5 * direction)
        elif key in ("shift+ArrowLeft", "shift+ArrowRight", "PageUp", "PageDown"):
            view.pan(-1.0 if key in ("shift+ArrowLeft", "PageUp") else 1.0)
        elif key == "Home":
            view.go_start()
        elif key == "End":
            view.go_end()
        elif lowered.isdigit() or (key.startswith("shift+") and key[6:].isdigit()):
            label = self.session.label_list.label_of_key(lowered)  # 1-9 and 0, then shift+1..0: the folder's label list
            if label is not None:
                self.choose_label(label)
                if self.reviewing and view.highlight is not None:
                    self.relabel_current(label)
        elif lowered == "a":
            self.set_status(Status.ACCEPTED)
        elif lowered == "r":
            self.set_status(Status.REJECTED)
        elif key == "ctrl+z":
            self.undo()
        elif key in ("ctrl+y", "ctrl+shift+z"):
            self.redo()
        elif key == " ":
            view.toggle_playing()
        elif key == "Escape" and self.reviewing:
            self.mode.active = 0


def _position_of(shown: ShownEvent) -> tuple:
    return (shown.event.start, shown.event.stop, shown.lane, shown.event.label)
