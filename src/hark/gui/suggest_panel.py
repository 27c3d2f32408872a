"""The review's Suggestions queue and its "Retrain and suggest again" button.

- *Suggestions queue*: Review mode, narrowed to the recording's suggested sounds
  (``<rec>-suggested.csv``, :mod:`hark.gui.suggest_events`) in suggestion order; A accepts,
  R rejects, a number key relabels, and each verdict brings up the next suggestion.
- *Retrain and suggest again*: the model the suggestions came from is named once in the
  "Suggestions model" box (a model folder inside the data folder; remembered in
  ``DATA_DIR/.hark/gui-params.json``). The button queues a ``train-continue`` job (one round of
  ``hark train --continue MODEL`` on the data folder's annotations as they now stand, into a new
  folder ``<MODEL>-round<N>`` beside it), then, once it is done, a ``suggest`` job with the new
  model on the open recording, written beside it. Both show their progress here and in the
  Actions tab's job list; when the suggestions are written the recording is read again and the
  queue starts over with the new suggestions. The new round becomes the suggestions model.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from bokeh.layouts import column, row
from bokeh.models import Button, Div, TextInput

from hark.annotations.event import Kind
from hark.errors import HarkError
from hark.jobs.spec import Job

if TYPE_CHECKING:
    from hark.gui.annotate import AnnotatePanel
    from hark.gui.session import GuiSession

MODEL_KEY = "suggestions-model"  # in the GUI's memory: the model the current suggestions came from
POLL_MS = 500
DEFAULT_ROUND_STEPS = 100
DEFAULT_BUDGET = 20


class SuggestPanel:
    """Buttons and fields of the Suggestions queue, and the retrain-then-suggest round it runs."""

    def __init__(self, session: GuiSession, annotate: AnnotatePanel):
        self.session = session
        self.annotate = annotate
        self.queue_button = Button(label="Suggestions queue", width=150, name="suggestions-queue")
        self.queue_button.on_click(self.open_queue)
        remembered = session.memory.get(MODEL_KEY)
        self.model = TextInput(title="Suggestions model (model folder)", value=remembered if isinstance(remembered, str) else "",
                               width=240, name="suggestions-model")  # fmt: skip
        self.steps = TextInput(title="Round steps", value=str(DEFAULT_ROUND_STEPS), width=90, name="retrain-steps")
        self.budget = TextInput(title="Budget (sounds)", value=str(DEFAULT_BUDGET), width=90, name="retrain-budget")
        self.retrain_button = Button(label="Retrain and suggest again", button_type="primary", width=200, name="retrain")
        self.retrain_button.on_click(self.retrain)
        self.status = Div(text="", width=700, name="suggest-status")
        self._round: dict | None = None
        self._callback = None

    def layout(self):
        return column(
            row(column(Div(text=""), self.queue_button), self.model, self.steps, self.budget, column(Div(text=""), self.retrain_button)),
            self.status,
        )  # fmt: skip

    # -- the queue -------------------------------------------------------------------------

    def open_queue(self) -> None:
        loaded = self.session.view.loaded
        if loaded is None:
            self.session.report("open a recording first", error=True)
            return
        if not any(e.kind is Kind.SUGGESTED for e in loaded.others):
            self.session.report(f"no suggestions for {loaded.relative}: run hark suggest (or the Actions tab's suggest) with its folder as --out, "
                                "or Retrain and suggest again", error=True)  # fmt: skip
            return
        self.annotate.show_queue(Kind.SUGGESTED.value, "suggestion")

    # -- a round ---------------------------------------------------------------------------

    def _whole_number(self, widget: TextInput, what: str) -> int:
        try:
            value = int(widget.value.strip())
        except ValueError:
            raise HarkError(f"{what} {widget.value!r} is not a whole number") from None
        if value < 1:
            raise HarkError(f"{what} {value} must be at least 1")
        return value

    def retrain(self) -> None:
        """Queue a round of ``train --continue`` on the suggestions model; its suggest job follows when it is done."""
        session = self.session
        loaded = session.view.loaded
        if loaded is None:
            session.report("open a recording first", error=True)
            return
        if self._round is not None:
            session.report("a round of retraining is already running: wait for its suggestions", error=True)
            return
        from hark.train.continue_jobs import next_round_folder

        try:
            if not self.model.value.strip():
                raise HarkError("name the model the suggestions came from in 'Suggestions model' first (a model folder in the data folder)")
            model = session.folder.resolve(self.model.value.strip(), what="suggestions model")
            if not (model / "config.json").is_file():
                raise HarkError(f"suggestions model {self.model.value.strip()}: not a model folder (no config.json)")
            steps = self._whole_number(self.steps, "round steps")
            budget = self._whole_number(self.budget, "suggestions")
        except HarkError as err:
            session.report(str(err), error=True)
            self.status.text = f"<span class='hark-error' style='color:#b00020'>{html.escape(str(err))}</span>"
            return
        session.memory.set(MODEL_KEY, session.folder.relative(model))
        out = next_round_folder(model)
        queue = session.context.jobs
        try:
            job = Job("train-continue", {"model": str(model), "data_root": str(session.folder.root), "out": str(out), "params": {"steps": steps}},
                      f"train --continue {session.folder.relative(out)}", queue.log_path("train-continue"))  # fmt: skip
            [record] = queue.submit([job])
        except HarkError as err:
            session.report(str(err), error=True)
            return
        self._round = {"train": record.number, "suggest": None, "out": out, "recording": loaded.path, "relative": loaded.relative, "budget": budget}
        session.report(f"queued {job.name}; its suggestions for {loaded.relative} follow")
        self._show(f"Retraining: <b>{html.escape(job.name)}</b> queued")
        self._callback = session.doc.add_periodic_callback(self.poll, POLL_MS)

    def poll(self) -> None:
        """Follow the round's jobs: progress in the page, the suggest job once training is done, the queue reloaded at the end."""
        if self._round is None:
            return
        session, state = self.session, self._round
        queue = session.context.jobs
        train = queue.record(state["train"])
        if train is None or train.state in ("failed", "cancelled"):
            self._end(f"retraining {train.state if train else 'lost'}: {train.message if train else ''} (its log: Actions tab)", error=True)
            return
        if train.state != "done":
            self._show(f"Retraining: <b>{html.escape(train.job.name)}</b> {train.state} <b>{_percent(train.progress)}</b>"
                       f" {html.escape(train.live_status())}, then suggest")  # fmt: skip
            return
        if state["suggest"] is None:
            self._queue_suggest(train)
            return
        suggest = queue.record(state["suggest"])
        if suggest is None or suggest.state in ("failed", "cancelled"):
            self._end(f"suggesting {suggest.state if suggest else 'lost'}: {suggest.message if suggest else ''} (its log: Actions tab)", error=True)
            return
        if suggest.state != "done":
            self._show(f"Retrained ({html.escape(train.message)}). Suggesting: <b>{html.escape(suggest.job.name)}</b> {suggest.state} "
                       f"<b>{_percent(suggest.progress)}</b>")  # fmt: skip
            return
        self._finished(suggest.message)

    def _queue_suggest(self, train) -> None:
        session, state = self.session, self._round
        out, recording = state["out"], state["recording"]
        self.model.value = session.folder.relative(out)
        session.memory.set(MODEL_KEY, self.model.value)
        request = {"recordings": [str(recording)], "model": str(out), "out": str(Path(recording).parent), "budget": state["budget"]}
        queue = session.context.jobs
        job = Job("suggest", {"request": request}, f"suggest {state['relative']} with {session.folder.relative(out)}", queue.log_path("suggest"))
        [record] = queue.submit([job])
        state["suggest"] = record.number
        self._show(f"Retrained ({html.escape(train.message)}). Suggesting: <b>{html.escape(job.name)}</b> queued")

    def _finished(self, message: str) -> None:
        session, state = self.session, self._round
        self._stop()
        view = session.view
        if view.loaded is not None and view.loaded.path == state["recording"]:
            view.reload_events()
        loaded = view.loaded
        shown = loaded is not None and loaded.path == state["recording"]
        if shown:
            count = sum(1 for e in loaded.others if e.kind is Kind.SUGGESTED)
            text = f"queue reloaded: {count} new suggestions from {session.folder.relative(state['out'])} ({message})"
        else:  # another recording is open now: its queue is not this round's
            count = 0
            text = f"new suggestions for {state['relative']} from {session.folder.relative(state['out'])} ({message}); open it to review them"
        self._round = None
        self._show(html.escape(text))
        session.report(text)
        if shown and count:
            self.annotate.show_queue(Kind.SUGGESTED.value, "suggestion")

    def _end(self, text: str, error: bool) -> None:
        self._stop()
        self._round = None
        self.session.report(text, error=error)
        self._show(f"<span class='hark-error' style='color:#b00020'>{html.escape(text)}</span>")

    def _show(self, text: str) -> None:
        if self.status.text != text:
            self.status.text = text

    def _stop(self) -> None:
        if self._callback is not None:
            try:
                self.session.doc.remove_periodic_callback(self._callback)
            except (ValueError, AttributeError):
                pass
            self._callback = None


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"
