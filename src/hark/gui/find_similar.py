""""Find more like this": search by example (:func:`hark.embed.search.search_index`) from the sound the page has selected.

The selected sound is the review's current event, or, in Annotate mode, the event last
clicked in the lanes or on the spectrogram. The search runs over an index built by ``hark
embed`` (the "Index" box: a folder inside the data folder, ``index`` unless changed; remembered
in ``DATA_DIR/.hark/gui-params.json``); without one the page says how to build it. The model
of the index is loaded once per index and page, so a further search takes well under a second.

The hits, best first, are listed under the button (recording, times, similarity) and the
open recording's hits are drawn as ``found`` events in their lane, labelled as the query,
with the similarity as their score: "Step through hits" steps through them, highest first, as the
Suggestions queue does. They live in the page only (nothing is written); a new search replaces them.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from bokeh.layouts import column, row
from bokeh.models import Button, Div, TextInput

from hark.annotations.event import Event, Kind
from hark.errors import HarkError

if TYPE_CHECKING:
    from hark.gui.annotate import AnnotatePanel
    from hark.gui.session import GuiSession

INDEX_KEY = "find-index"  # in the GUI's memory: the index folder last searched
DEFAULT_INDEX = "index"
DEFAULT_TOP = 10


class FindPanel:
    """The "Find more like this" button, its index and number of hits, and the list of hits."""

    def __init__(self, session: GuiSession, annotate: AnnotatePanel):
        self.session = session
        self.annotate = annotate
        remembered = session.memory.get(INDEX_KEY)
        self.index = TextInput(title="Index (hark embed)", value=remembered if isinstance(remembered, str) else DEFAULT_INDEX,
                               width=160, name="find-index")  # fmt: skip
        self.top = TextInput(title="Hits", value=str(DEFAULT_TOP), width=60, name="find-top")
        self.find_button = Button(label="Find more like this", width=160, name="find-more")
        self.find_button.on_click(self.find)
        self.review_button = Button(label="Step through hits", width=140, name="review-hits")
        self.review_button.on_click(lambda: self.annotate.show_queue(Kind.FOUND.value, "score, highest first"))
        self.hits_list = Div(text="", width=700, name="found-list")
        self.hits: list[tuple[Path, Event, int]] = []  # (recording, found event, its sample rate), best first
        self._embedders: dict[tuple[str, float], object] = {}  # (index folder, manifest time) -> its checked embedder

    def layout(self):
        return column(
            row(self.index, self.top, column(Div(text=""), self.find_button), column(Div(text=""), self.review_button)),
            self.hits_list,
        )  # fmt: skip

    def events_of(self, recording: Path) -> list[Event]:
        """The hits in ``recording`` (drawn in its ``found`` lane)."""
        return [event for path, event, _ in self.hits if path == recording]

    def find(self) -> None:
        session = self.session
        loaded, selected = session.view.loaded, session.view.highlight
        if loaded is None:
            session.report("open a recording first", error=True)
            return
        if selected is None:
            session.report("select a sound first: step to it in Review, or click it in the lanes", error=True)
            return
        try:
            hits = self._search(loaded.path, selected.event, loaded.samplerate, loaded.recording.duration)
        except HarkError as err:
            session.report(f"find more like this: {err}", error=True)
            self.hits_list.text = f"<span class='hark-error' style='color:#b00020'>{html.escape(str(err))}</span>"
            return
        label = selected.event.label
        self.hits = [(hit.recording.resolve(), hit.event(label), hit.samplerate) for hit in hits]
        self._list(selected.event, loaded.path.resolve())
        session.report(f"found {len(hits)} sounds like {label!r} at {selected.event.start / loaded.samplerate:.3f} s, best first")
        session.view.reload_events()  # draws this recording's hits in the found lane
        view = session.view
        found = Kind.FOUND.value
        from hark.gui.recording_view import KIND_NAMES

        if KIND_NAMES.index(found) not in view.kinds.active:
            view.kinds.active = sorted([*view.kinds.active, KIND_NAMES.index(found)])

    def _search(self, recording: Path, event: Event, samplerate: int, duration_s: float):
        from hark.embed.index import MANIFEST, read_index
        from hark.embed.search import SearchParams, index_embedder, search_index

        folder = self.session.folder
        text = self.index.value.strip() or DEFAULT_INDEX
        path = folder.resolve(text, what="index")
        if not (path / MANIFEST).is_file():
            raise HarkError(f"no index at {text}: build one with `hark embed --model MODEL --out {text} {folder.root}` "
                            "(or the Actions tab's embed), then search again")  # fmt: skip
        try:
            top = int(self.top.value.strip())
        except ValueError:
            raise HarkError(f"hits {self.top.value!r} is not a whole number") from None
        params = SearchParams(top=max(1, min(top, 1000)))
        self.session.memory.set(INDEX_KEY, text)
        index = read_index(path)
        key = (str(path), (path / MANIFEST).stat().st_mtime)
        embedder = self._embedders.get(key)
        if embedder is None:
            embedder = self._embedders[key] = index_embedder(index)
        start_s, stop_s = event.start / samplerate, event.stop / samplerate
        if stop_s <= start_s:  # a point: the stretch of one row of the index around it
            half = embedder.context / embedder.samplerate / 2
            start_s, stop_s = max(0.0, start_s - half), min(duration_s, start_s + half)
        return search_index(index, recording, start_s, stop_s, params, embedder=embedder)

    def _list(self, query: Event, recording: Path) -> None:
        lines = []
        for path, event, rate in self.hits:
            itself = path == recording and event.start <= query.stop and query.start <= event.stop
            where = html.escape(self.session.folder.relative(path))
            lines.append(f"<li class='hark-hit'>{where} {event.start / rate:.3f}–{event.stop / rate:.3f} s, similarity "
                         f"<b>{event.score:.3f}</b>{' (this sound)' if itself else ''}</li>")  # fmt: skip
        self.hits_list.text = f"<b>{len(self.hits)} sounds like this</b>, best first:<ol style='margin:2px 0'>{''.join(lines)}</ol>"
