"""One browser page's state: everything a person sees and does lives in one :class:`GuiSession`.

Each page load builds a new session (Bokeh calls :func:`build_session` with a fresh
document), so two windows never share widgets; what they do share lives on disk (the
annotation files, ``DATA_DIR/.hark``) or in the server's :class:`hark.gui.jobqueue.JobQueue`.
"""

from __future__ import annotations

import hashlib
import html
import time
from typing import TYPE_CHECKING

from bokeh.events import DocumentReady
from bokeh.layouts import column, row
from bokeh.models import Div, TabPanel, Tabs
from bokeh.palettes import Category10_10

from hark.annotations.event import Kind
from hark.annotations.folder import GroundTruthFolder, RecordingEntry, scan_folder
from hark.annotations.label_list import LABELS_FILE, LabelList
from hark.annotations.songexplorer import read_csv
from hark.errors import HarkError
from hark.gui.annotate import AnnotatePanel
from hark.gui.gestures import drags_never_become_presses
from hark.gui.keys import KeyPress, key_listener
from hark.gui.memory import GuiMemory
from hark.gui.paths import DataFolder
from hark.gui.recording_view import RecordingView
from hark.gui.review import detector_classes

if TYPE_CHECKING:
    from bokeh.document import Document

    from hark.gui.server import GuiServerContext

MESSAGES_SHOWN = 6
MESSAGES_HEIGHT = 112  # pixels: the message area never grows, so the plots under it never move
VIEWS_KEY = "views"  # in the GUI's memory: per annotator and recording, the view, label and review position


def _relative_name(root, path) -> str:
    """``path`` as found under ``root`` by the folder scan (not following links), POSIX style."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


class GuiSession:
    """The widgets and state of one page."""

    def __init__(self, doc: Document, context: GuiServerContext, arguments: dict[str, str]):
        self.doc = doc
        self.context = context
        self.folder: DataFolder = context.folder
        self.annotator = context.settings.annotator
        self.memory = GuiMemory(self.folder.settings_dir)
        self.label_list = LabelList(None)  # read once the folder is scanned
        self._messages: list[tuple[float, str, bool]] = []
        self.ground_truth: GroundTruthFolder | None = None

        # a fixed-height area that scrolls: messages arriving never push the plots down under the mouse
        self.messages = Div(text="", width=1100, height=MESSAGES_HEIGHT, name="messages",
                            styles={"overflow-y": "auto", "border-bottom": "1px solid #ddd"})  # fmt: skip
        self.view = RecordingView(self)
        self.annotate = AnnotatePanel(self)
        from hark.gui.actions_view import ActionsView
        from hark.gui.cluster_view import ClusterView

        self.cluster = ClusterView(self)
        self.actions = ActionsView(self)

        recording_tab = column(self.view.layout(), row(self.annotate.layout(), self.view.counts_table))
        self.tabs = Tabs(tabs=[
            TabPanel(child=recording_tab, title="Recording"),
            TabPanel(child=self.cluster.layout(), title="Cluster"),
            TabPanel(child=self.actions.layout(), title="Actions"),
        ], name="tabs")  # fmt: skip
        header = Div(text=f"<h2 style='margin:4px 0'>hark — {html.escape(str(self.folder.root))}</h2>"
                          f"<span>annotator: <b>{html.escape(self.annotator)}</b></span>")  # fmt: skip
        self.keys = KeyPress()
        self.keys.on_change("count", lambda attr, old, new: self._on_key(self.keys.key))
        doc.add_root(column(header, self.messages, self.tabs))
        doc.add_root(self.keys)
        doc.add_root(self.view.player.state)  # what plays: the page's player script reads it (hark.gui.playback)
        doc.js_on_event(DocumentReady, key_listener(self.keys))
        doc.js_on_event(DocumentReady, drags_never_become_presses())
        doc.title = f"hark — {self.folder.root.name}"

        self.rescan(quiet=True)
        self._open_label_list()
        wanted = arguments.get("recording") or self.memory.get("recording")
        if wanted and isinstance(wanted, str):
            self.view.open(wanted)
        if self.memory.problem:
            self.report(self.memory.problem, error=True)

    # -- messages --------------------------------------------------------------------------

    def report(self, text: str, error: bool = False) -> None:
        """Show a message at the top of the page (errors in red); the newest first."""
        self._messages.insert(0, (time.time(), text, error))
        del self._messages[MESSAGES_SHOWN:]
        lines = []
        for index, (stamp, message, is_error) in enumerate(self._messages):
            color = "#b00020" if is_error else "#1b5e20"
            weight = "bold" if index == 0 else "normal"
            when = time.strftime("%H:%M:%S", time.localtime(stamp))
            prefix = "error: " if is_error else ""
            lines.append(f"<div class='hark-{'error' if is_error else 'info'}' style='color:{color};font-weight:{weight}'>"
                         f"{when} {prefix}{html.escape(message, quote=False)}</div>")  # fmt: skip
        self.messages.text = "".join(lines)

    # -- the folder ------------------------------------------------------------------------

    def rescan(self, quiet: bool = False) -> None:
        """List the recordings of the data folder again (a job may have written new files)."""
        try:
            self.ground_truth = scan_folder(self.folder.root)
        except HarkError as err:
            self.report(f"cannot list the data folder: {err}", error=True)
            return
        relatives, skipped = [], []
        for entry in self.ground_truth.entries:
            try:  # a recording linked in from outside is skipped, with why, unless --follow-symlinks
                relatives.append(self.folder.recording_relative(entry.recording))
            except HarkError as err:
                skipped.append(str(err))
        self.view.set_recordings(relatives)
        if not quiet:
            self.report(f"{len(relatives)} recordings in the data folder")
            self.view.reload_events()
        for reason in skipped[:3]:
            self.report(reason, error=True)
        if len(skipped) > 3:
            self.report(f"{len(skipped)} recordings skipped in all (symbolic links to outside the data folder)", error=True)
        for orphan in self.ground_truth.orphans[:3]:
            self.report(f"{_relative_name(self.folder.root, orphan.path)}: {orphan.reason}", error=True)

    def entry_of(self, relative: str) -> RecordingEntry | None:
        if self.ground_truth is None:
            return None
        path = self.folder.recording(relative)
        return next((e for e in self.ground_truth.entries if e.recording == path), None) or next(
            (e for e in self.ground_truth.entries if e.recording.resolve() == path.resolve()), None
        )

    def remember_recording(self, relative: str) -> None:
        self.memory.set("recording", relative)

    def _views(self) -> dict:
        views = self.memory.get(VIEWS_KEY, {})
        return views if isinstance(views, dict) else {}

    def remembered(self, relative: str) -> dict:
        """What this annotator last had of ``relative`` (``start``, ``width``, ``label``, ``review``, ``reviewing``), or {}."""
        mine = self._views().get(self.annotator, {})
        found = mine.get(relative, {}) if isinstance(mine, dict) else {}
        return found if isinstance(found, dict) else {}

    def remembered_view(self, relative: str) -> tuple[float, float] | None:
        """``(start, width)`` in seconds of this annotator's last view of ``relative``."""
        found = self.remembered(relative)
        start, width = found.get("start"), found.get("width")
        if isinstance(start, (int, float)) and isinstance(width, (int, float)) and start >= 0 and width > 0:
            return float(start), float(width)
        return None

    def remember_view(self, relative: str, **values) -> None:
        """Keep ``values`` for this annotator and recording (in ``DATA_DIR/.hark/gui-params.json``): restored on reload."""
        views = self._views()  # read once: the file is re-read before every write, another window may share it
        mine = views.get(self.annotator)
        mine = mine if isinstance(mine, dict) else {}
        old = mine.get(relative)
        old = old if isinstance(old, dict) else {}
        new = {**old, **values}
        if new != old:
            self.memory.set(VIEWS_KEY, {**views, self.annotator: {**mine, relative: new}})

    # -- labels ----------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        """The data folder's labels in order of creation (``DATA_DIR/hark-labels.csv``)."""
        return self.label_list.labels

    def _open_label_list(self) -> None:
        """Read the folder's label list; on first open make it from the labels people used so far."""
        path = self.folder.root / LABELS_FILE
        try:
            self.folder.readable(path, what="the labels file")
            self.label_list = LabelList.open(self.folder.root, [] if path.exists() else self._existing_labels())
        except HarkError as err:  # a malformed file, or one linked in from outside: left as it is, never read again
            self.label_list = LabelList(None)
            self.report(f"{err} — labels are not remembered until it is fixed", error=True)
        self.annotate.refresh_labels()

    def reload_labels(self) -> None:
        try:
            self.label_list.reload()
        except HarkError as err:  # the file was broken meanwhile: keep the labels in memory, leave it as it is
            self.label_list = LabelList(None, self.label_list.entries)
            self.report(f"{err} — labels are not remembered until it is fixed", error=True)

    def _existing_labels(self) -> list[str]:
        """Labels of every person's annotations in the folder (and those the GUI remembered before), never a detector's class."""
        found = {label for label in self.memory.get("labels", []) or [] if isinstance(label, str)}
        for entry in self.ground_truth.entries if self.ground_truth is not None else ():
            for path in entry.annotation_paths([Kind.ANNOTATED]):
                try:
                    self.folder.readable(path)
                    found.update(e.label for e in read_csv(path, allow_empty=True) if e.kind is Kind.ANNOTATED)
                except HarkError:
                    continue  # reported when its recording is opened
        return sorted(found - detector_classes())

    def add_labels(self, labels, explicit: bool = False) -> None:
        """Append labels new to the folder's list (a detector's class only when typed in as a ``explicit`` new label)."""
        classes = set() if explicit else detector_classes()
        wanted = [label for label in labels if isinstance(label, str) and label and label not in classes]
        if not wanted or all(label in self.label_list for label in wanted):
            return
        try:
            self.label_list.add(wanted)
        except HarkError as err:
            self.report(str(err), error=True)
        self.annotate.refresh_labels()

    def label_color(self, label: str) -> str:
        """A colour per label: the one the folder's labels file gives it, so it is the same in every window and never moves."""
        color = self.label_list.color(label)
        if color is not None:
            return color
        # a label seen only in machine-made files: a colour of its own name, the same in every window
        return Category10_10[int(hashlib.sha1(label.encode()).hexdigest(), 16) % len(Category10_10)]

    # -- keys ------------------------------------------------------------------------------

    def _on_key(self, key: str) -> None:
        if self.tabs.active == 0:
            self.annotate.on_key(key)
        elif self.tabs.active == 1:
            self.cluster.on_key(key)

    def close(self) -> None:
        """The page was closed: stop its periodic callbacks (and let go of its movie)."""
        self.actions.close()
        self.view.video.close()
