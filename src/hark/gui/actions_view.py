"""The Actions tab: a button per action, its form, a file browser and the job list with logs.

A form is generated from the action's parameter models (:mod:`hark.gui.forms`); pressing
Run validates it and plans the jobs (:func:`hark.gui.actions.plan_action`) before anything
starts, so a bad value is shown under the form. The texts of the last run are remembered
per data folder. The file browser lists only the data folder and puts the chosen path into
one of the form's path fields.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING, Any

from bokeh.layouts import column, row
from bokeh.models import (
    Button, Checkbox, ColumnDataSource, DataRange1d, DataTable, Div, InlineStyleSheet, Legend, LinearAxis, MultiSelect, Range1d, Select, TableColumn, TextInput,
)
from bokeh.plotting import figure

from hark.errors import HarkError
from hark.gui.actions import ACTIONS, ACTIONS_BY_NAME, Action, Section, plan_action
from hark.gui.forms import field_specs
from hark.gui.jobqueue import FINISHED
from hark.gui.tables import replace_table_data

if TYPE_CHECKING:
    from hark.gui.jobqueue import JobRecord
    from hark.gui.session import GuiSession

REFRESH_MS = 1000
BUTTONS_PER_ROW = 7


class ActionsView:
    def __init__(self, session: GuiSession):
        self.session = session
        self.action: Action | None = None
        self.sections: tuple[Section, ...] = ()
        self.widgets: dict[tuple[str, str], Any] = {}
        self._callback = None
        self._closed = False
        self._selected_job: int | None = None
        # jobs that finished before this page opened are listed but not announced
        self._finished_seen = {r.number for r in session.context.jobs.records() if r.state in FINISHED}

        self.buttons = []
        for action in ACTIONS:
            button = Button(label=action.name, width=96)
            button.on_click(lambda action=action: self.open_form(action.name))
            self.buttons.append(button)
        self.title = Div(text="<b>Choose an action.</b>", width=700)
        self.form = column(Div(text=""), name="form")
        self.run_button = Button(label="Run", button_type="primary", width=120, disabled=True, name="run")
        self.run_button.on_click(self.run)
        self.form_message = Div(text="", width=700, name="form-message")

        self.browse_path = TextInput(title="Folder (inside the data folder)", value=".", width=300, name="browse-path")
        self.browse_path.on_change("value", lambda attr, old, new: self.browse(new))
        self.browse_list = MultiSelect(title="Files", options=[], size=14, width=360, name="browse-list")
        # a long name is cut in the list: the chosen ones are shown whole below it
        self.browse_list.on_change("value", lambda attr, old, new: self._show_chosen())
        self.chosen = Div(text="", width=360, name="browse-chosen", styles={"overflow-wrap": "anywhere", "font-size": "12px"})
        self.up_button = Button(label="Up", width=60)
        self.up_button.on_click(self.browse_up)
        self.enter_button = Button(label="Open folder", width=100)
        self.enter_button.on_click(self.browse_enter)
        self.target_field = Select(title="Put the chosen path into", options=[], width=300)
        self.use_button = Button(label="Use chosen path", width=140)
        self.use_button.on_click(self.use_chosen)

        self.jobs_source = ColumnDataSource({"number": [], "name": [], "state": [], "progress": [], "time": [], "message": []})
        self.jobs_table = DataTable(
            source=self.jobs_source, width=1000, height=200, index_position=None, name="jobs", autosize_mode="none",
            columns=[TableColumn(field="number", title="#", width=30), TableColumn(field="name", title="Job", width=200),
                     TableColumn(field="state", title="State", width=70), TableColumn(field="progress", title="Done", width=45),
                     TableColumn(field="time", title="Time", width=55), TableColumn(field="message", title="Now / result", width=600)],
        )  # fmt: skip
        self.jobs_source.selected.on_change("indices", lambda attr, old, new: self._job_chosen(new))
        self.cancel_button = Button(label="Cancel chosen job", width=160, name="cancel-job", disabled=True)
        self.cancel_button.on_click(self.cancel_chosen)
        self.log = Div(text="", width=1000, name="job-log")
        self.curve_source = ColumnDataSource({"step": [], "loss": [], "validation_accuracy": [], "train_accuracy": []})
        self.curve = _learning_curve_plot(self.curve_source)
        self.browse(".")
        session.doc.add_next_tick_callback(self._start_refresh)

    def layout(self):
        browser = column(Div(text="<b>File browser</b> (the data folder only)"), self.browse_path, row(self.up_button, self.enter_button),
                         self.browse_list, self.chosen, self.target_field, self.use_button)  # fmt: skip
        button_rows = [row(*self.buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(self.buttons), BUTTONS_PER_ROW)]
        forms = column(*button_rows, self.title, self.form, self.run_button, self.form_message)
        jobs = column(Div(text="<b>Jobs</b> (click one for its log, live while it runs)"), self.jobs_table, self.cancel_button)
        return column(row(forms, browser), row(jobs, self.curve), self.log)

    # -- forms -----------------------------------------------------------------------------

    def open_form(self, name: str) -> None:
        action = ACTIONS_BY_NAME[name]
        try:
            sections = action.sections()
        except HarkError as err:
            self.session.report(f"{name}: {err}", error=True)
            return
        self.action, self.sections = action, sections
        remembered = self.session.memory.action_values(name)
        self.widgets = {}
        children = []
        for section in sections:
            children.append(Div(text=f"<b>{html.escape(section.title)}</b>"))
            values = remembered.get(section.key, {}) if isinstance(remembered.get(section.key), dict) else {}
            specs = {spec.name: spec for spec in field_specs(section.model)}
            for title, names, is_open in section.grouped(list(specs)):
                fields = []
                for field_name in names:
                    css_class = f"hark-field-{section.key}-{field_name.replace('.', '-')}"
                    widget = _widget(specs[field_name], values.get(field_name), css_class)
                    self.widgets[(section.key, field_name)] = widget
                    fields.append(widget)
                rows = column(*(row(*fields[i : i + 4]) for i in range(0, len(fields), 4)), visible=is_open)
                if section.groups:
                    children.append(_group_toggle(title, len(names), rows, f"hark-group-{section.key}-{title.split(':')[0]}"))
                children.append(rows)
        self.form.children = children
        self.title.text = f"<b>{html.escape(name)}</b>: {html.escape(action.description)}"
        self.run_button.disabled = False
        self.form_message.text = ""
        self.target_field.options = [f"{s.key}.{p}" for s in sections for p in s.paths]
        self.target_field.value = self.target_field.options[0] if self.target_field.options else ""

    def texts(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for (section, name), widget in self.widgets.items():
            out.setdefault(section, {})[name] = widget.active if isinstance(widget, Checkbox) else widget.value
        return out

    def run(self) -> None:
        if self.action is None:
            return
        texts = self.texts()
        queue = self.session.context.jobs
        try:
            jobs = plan_action(self.action, texts, self.session.folder, queue.log_path)
        except HarkError as err:
            self.form_message.text = f"<span class='hark-error' style='color:#b00020'>{html.escape(str(err))}</span>"
            self.session.report(f"{self.action.name} not started: {err}", error=True)
            return
        if not self.session.memory.set_action_values(self.action.name, texts):
            self.session.report(self.session.memory.problem or "cannot remember the form", error=True)
        records = queue.submit(jobs)
        names = ", ".join(r.job.name for r in records)
        self.form_message.text = f"<span style='color:#1b5e20'>queued: {html.escape(names)}</span>"
        self.session.report(f"queued {len(records)} job(s): {names}")
        self.refresh()

    # -- file browser ----------------------------------------------------------------------

    def browse(self, folder: str) -> None:
        try:
            entries = self.session.folder.listing(folder)
            relative = self.session.folder.relative(folder)
        except HarkError as err:
            self.session.report(str(err), error=True)
            self.form_message.text = f"<span class='hark-error' style='color:#b00020'>{html.escape(str(err))}</span>"
            return
        if self.browse_path.value != relative:
            self.browse_path.value = relative
        self.browse_list.options = [(e.relative, e.name + ("/" if e.is_dir else "")) for e in entries]
        self.browse_list.value = []
        self._show_chosen()

    def _show_chosen(self) -> None:
        chosen = self.browse_list.value
        self.chosen.text = ("Chosen: " + ", ".join(f"<code>{html.escape(c)}</code>" for c in chosen)) if chosen else ""

    def browse_up(self) -> None:
        current = self.browse_path.value
        self.browse("." if current in (".", "") or "/" not in current else current.rsplit("/", 1)[0])

    def browse_enter(self) -> None:
        chosen = self.browse_list.value
        if chosen:
            self.browse(chosen[0])

    def use_chosen(self) -> None:
        chosen = self.browse_list.value or [self.browse_path.value]
        if not self.target_field.value:
            self.session.report("open an action's form first", error=True)
            return
        section, name = self.target_field.value.split(".", 1)
        widget = self.widgets.get((section, name))
        if widget is not None:
            widget.value = ",".join(chosen)

    # -- jobs ------------------------------------------------------------------------------

    def _start_refresh(self) -> None:
        if not self._closed:
            self._callback = self.session.doc.add_periodic_callback(self.refresh, REFRESH_MS)

    def refresh(self) -> None:
        if self._closed:
            return
        records = self.session.context.jobs.records()
        now = time.time()
        data = {
            "number": [r.number for r in records], "name": [r.job.name for r in records], "state": [r.state for r in records],
            "progress": [_percent(r.progress) for r in records], "time": [_elapsed(r, now) for r in records],
            "message": [r.live_status() for r in records],
        }  # fmt: skip
        replace_table_data(self.jobs_table, data)
        # rows move down as jobs are added: keep the chosen job chosen
        if self._selected_job is not None and self._selected_job in data["number"]:
            index = data["number"].index(self._selected_job)
            if self.jobs_source.selected.indices != [index]:
                self.jobs_source.selected.indices = [index]
        newly_finished = [r for r in records if r.state in FINISHED and r.number not in self._finished_seen]
        if newly_finished:
            self._finished_seen.update(r.number for r in newly_finished)
            self._jobs_finished(newly_finished)
        self.show_log()
        self.show_curve(records)

    def _job_chosen(self, indices: list[int]) -> None:
        numbers = self.jobs_source.data["number"]
        if indices and indices[0] < len(numbers):
            self._selected_job = numbers[indices[0]]
        self.show_log()
        self.show_curve(self.session.context.jobs.records())

    def cancel_chosen(self) -> None:
        if self._selected_job is None:
            self.session.report("choose a job in the list first", error=True)
            return
        try:
            said = self.session.context.jobs.cancel(self._selected_job)
        except HarkError as err:
            self.session.report(str(err), error=True)
            return
        self.session.report(said)
        self.refresh()

    def _jobs_finished(self, records: list[JobRecord]) -> None:
        for record in records:
            if record.state == "done":
                self.session.report(f"job {record.job.name} done: {record.message}")
            elif record.state == "cancelled":
                self.session.report(f"job {record.job.name} {record.message}")
            else:
                self.session.report(f"job {record.job.name} failed: {record.message}", error=True)
        self.session.rescan(quiet=True)
        self.session.view.reload_events()
        self.session.cluster.refresh_maps()

    def _chosen_record(self) -> JobRecord | None:
        return None if self._selected_job is None else self.session.context.jobs.record(self._selected_job)

    def show_log(self) -> None:
        record = self._chosen_record()
        self.cancel_button.disabled = record is None or record.state in FINISHED
        if record is None:
            return
        text = f"<b>{html.escape(record.job.name)}</b> ({record.state}), log {html.escape(str(record.job.log))}:"
        # a column-reverse box stays scrolled to its end: the newest lines are in view as they arrive
        self.log.text = text + ("<div style='max-height:300px;overflow:auto;display:flex;flex-direction:column-reverse'>"
                                f"<pre style='margin:0'>{html.escape(record.log_text())}</pre></div>")  # fmt: skip

    def show_curve(self, records: list[JobRecord]) -> None:
        """The learning curve of the chosen train job, else of the newest one."""
        record = self._chosen_record()
        if record is None or record.job.kind != "train":
            record = next((r for r in records if r.job.kind == "train"), None)
        rows = record.learning_curve() if record is not None else []
        data = {name: [row.get(name, float("nan")) for row in rows] for name in ("step", "loss", "validation_accuracy", "train_accuracy")}
        if data != dict(self.curve_source.data):
            self.curve_source.data = data
        title = f"Learning curve: {record.job.name} ({record.state})" if record is not None else "Learning curve (train jobs)"
        if self.curve.title.text != title:
            self.curve.title.text = title

    def close(self) -> None:
        """The page was closed. Bokeh has already removed the page's callbacks with its document
        (a removal now would touch the destroyed document); only stop refreshing."""
        self._closed = True
        if self._callback is not None and self.session.doc.session_context is not None:
            try:
                self.session.doc.remove_periodic_callback(self._callback)
            except (ValueError, AttributeError):
                pass
        self._callback = None


def _percent(fraction: float) -> str:
    """``0.4%`` early on (a long training moves slowly), ``37%`` later."""
    return f"{100 * fraction:.1f}%" if 0 < fraction < 0.1 else f"{100 * fraction:.0f}%"


def _elapsed(record: JobRecord, now: float) -> str:
    if record.started is None:
        return ""
    seconds = (record.finished or now) - record.started
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _learning_curve_plot(source: ColumnDataSource):
    """A small plot of accuracy (left axis, 0-1) and training loss (right axis) against the step."""
    plot = figure(width=400, height=280, title="Learning curve (train jobs)", toolbar_location=None, name="learning-curve",
                  x_axis_label="step", y_range=Range1d(0, 1.02))  # fmt: skip
    plot.yaxis.axis_label = "accuracy"
    validation = plot.line("step", "validation_accuracy", source=source, color="#1f77b4", line_width=2)
    training = plot.line("step", "train_accuracy", source=source, color="#1f77b4", line_dash="dashed")
    loss = plot.line("step", "loss", source=source, color="#d62728", line_width=2, y_range_name="loss")
    plot.extra_y_ranges = {"loss": DataRange1d(renderers=[loss], start=0)}
    plot.add_layout(LinearAxis(y_range_name="loss", axis_label="loss"), "right")
    items = [("validation accuracy", [validation]), ("training accuracy", [training]), ("loss", [loss])]
    plot.add_layout(Legend(items=items, orientation="horizontal", label_text_font_size="8pt", padding=2, spacing=6), "below")
    return plot


def _group_toggle(title: str, count: int, rows, css_class: str) -> Button:
    """A button that opens and closes one group of a form's fields."""
    label = lambda is_open: f"{'▾' if is_open else '▸'} {title} ({count})"  # noqa: E731
    button = Button(label=label(rows.visible), button_type="light", width=300, css_classes=[css_class],
                    stylesheets=[InlineStyleSheet(css=".bk-btn { text-align: left; font-weight: bold; }")])  # fmt: skip

    def toggle() -> None:
        rows.visible = not rows.visible
        button.label = label(rows.visible)

    button.on_click(toggle)
    return button


def _widget(spec, remembered: Any, css_class: str):
    title = spec.name + (f" ({spec.limits})" if spec.limits else "")
    if spec.kind == "bool":
        active = remembered if isinstance(remembered, bool) else spec.default_text == "true"
        return Checkbox(label=spec.name, active=active, css_classes=[css_class], width=180)
    value = remembered if isinstance(remembered, str) else spec.default_text
    if spec.kind == "choice":
        return Select(title=title, options=list(spec.choices), value=value if value in spec.choices else spec.default_text,
                      description=spec.description or None, css_classes=[css_class], width=180)  # fmt: skip
    return TextInput(title=title, value=value, description=spec.description or None, css_classes=[css_class], width=180,
                     placeholder="required" if spec.required else "default" if spec.optional else "")  # fmt: skip
