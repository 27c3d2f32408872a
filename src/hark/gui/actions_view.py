"""The Actions tab: a button per action, its form, a file browser and the job list with logs.

A form is generated from the action's parameter models (:mod:`hark.gui.forms`); pressing
Run validates it and plans the jobs (:func:`hark.gui.actions.plan_action`) before anything
starts, so a bad value is shown under the form. The texts of the last run are remembered
per data folder. The file browser lists only the data folder and puts the chosen path into
one of the form's path fields.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from bokeh.layouts import column, row
from bokeh.models import Button, Checkbox, ColumnDataSource, DataTable, Div, MultiSelect, Select, TableColumn, TextInput

from hark.errors import HarkError
from hark.gui.actions import ACTIONS, ACTIONS_BY_NAME, Action, Section, plan_action
from hark.gui.forms import field_specs
from hark.gui.tables import replace_table_data

if TYPE_CHECKING:
    from hark.gui.jobqueue import JobRecord
    from hark.gui.session import GuiSession

REFRESH_MS = 1000


class ActionsView:
    def __init__(self, session: GuiSession):
        self.session = session
        self.action: Action | None = None
        self.sections: tuple[Section, ...] = ()
        self.widgets: dict[tuple[str, str], Any] = {}
        self._callback = None
        # jobs that finished before this page opened are listed but not announced
        self._finished_seen = {r.number for r in session.context.jobs.records() if r.state in ("done", "failed")}

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
        self.browse_list = MultiSelect(title="Files", options=[], size=14, width=300, name="browse-list")
        self.up_button = Button(label="Up", width=60)
        self.up_button.on_click(self.browse_up)
        self.enter_button = Button(label="Open folder", width=100)
        self.enter_button.on_click(self.browse_enter)
        self.target_field = Select(title="Put the chosen path into", options=[], width=300)
        self.use_button = Button(label="Use chosen path", width=140)
        self.use_button.on_click(self.use_chosen)

        self.jobs_source = ColumnDataSource({"number": [], "name": [], "state": [], "progress": [], "message": []})
        self.jobs_table = DataTable(
            source=self.jobs_source, width=900, height=200, index_position=None, name="jobs",
            columns=[TableColumn(field="number", title="#", width=40), TableColumn(field="name", title="Job", width=260),
                     TableColumn(field="state", title="State", width=80), TableColumn(field="progress", title="Done", width=60),
                     TableColumn(field="message", title="Result", width=460)],
        )  # fmt: skip
        self.jobs_source.selected.on_change("indices", lambda attr, old, new: self.show_log())
        self.log = Div(text="", width=900, name="job-log")
        self.browse(".")
        session.doc.add_next_tick_callback(self._start_refresh)

    def layout(self):
        browser = column(Div(text="<b>File browser</b> (the data folder only)"), self.browse_path, row(self.up_button, self.enter_button),
                         self.browse_list, self.target_field, self.use_button)  # fmt: skip
        forms = column(row(*self.buttons[:5]), row(*self.buttons[5:]), self.title, self.form, self.run_button, self.form_message)
        return column(row(forms, browser), Div(text="<b>Jobs</b> (click one for its log)"), self.jobs_table, self.log)

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
            fields = []
            for spec in field_specs(section.model):
                widget = _widget(spec, values.get(spec.name), f"hark-field-{section.key}-{spec.name}")
                self.widgets[(section.key, spec.name)] = widget
                fields.append(widget)
            children.extend(row(*fields[i : i + 4]) for i in range(0, len(fields), 4))
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
        self._callback = self.session.doc.add_periodic_callback(self.refresh, REFRESH_MS)

    def refresh(self) -> None:
        records = self.session.context.jobs.records()
        data = {
            "number": [r.number for r in records], "name": [r.job.name for r in records], "state": [r.state for r in records],
            "progress": [f"{100 * r.progress:.0f}%" for r in records], "message": [r.message for r in records],
        }  # fmt: skip
        replace_table_data(self.jobs_table, data)
        newly_finished = [r for r in records if r.state in ("done", "failed") and r.number not in self._finished_seen]
        if newly_finished:
            self._finished_seen.update(r.number for r in newly_finished)
            self._jobs_finished(newly_finished)
        self.show_log()

    def _jobs_finished(self, records: list[JobRecord]) -> None:
        for record in records:
            if record.state == "done":
                self.session.report(f"job {record.job.name} done: {record.message}")
            else:
                self.session.report(f"job {record.job.name} failed: {record.message}", error=True)
        self.session.rescan(quiet=True)
        self.session.view.reload_events()
        self.session.cluster.refresh_maps()

    def show_log(self) -> None:
        indices = self.jobs_source.selected.indices
        if not indices or indices[0] >= len(self.jobs_source.data["number"]):
            return
        record = self.session.context.jobs.record(self.jobs_source.data["number"][indices[0]])
        if record is not None:
            text = f"<b>{html.escape(record.job.name)}</b> ({record.state}), log {html.escape(str(record.job.log))}:"
            self.log.text = text + f"<pre style='max-height:300px;overflow:auto'>{html.escape(record.log_text())}</pre>"

    def close(self) -> None:
        if self._callback is not None:
            try:
                self.session.doc.remove_periodic_callback(self._callback)
            except ValueError:
                pass
            self._callback = None


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
                     placeholder="default" if spec.optional else "")  # fmt: skip
