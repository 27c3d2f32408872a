"""Two writers on one annotation file, seen from a page: the other's rows are kept and a conflict is said in the page."""

from __future__ import annotations

from bokeh.document import Document

from hark.annotations.edits import AnnotationEditor
from hark.annotations.songexplorer import read_csv
from hark.gui.jobqueue import JobQueue
from hark.gui.paths import DataFolder
from hark.gui.server import GuiServerContext, GuiSettings
from hark.gui.session import GuiSession
from tests.annotations.helpers import write_wav


def open_page(root):
    settings = GuiSettings(root, annotator="me")
    folder = DataFolder(root)
    context = GuiServerContext(settings, folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    return GuiSession(Document(), context, {"recording": "song.wav"})


def test_an_undo_that_another_window_made_impossible_is_said_in_the_page(tmp_path):
    write_wav(tmp_path / "song.wav", samplerate=8000, frames=8000)
    page = open_page(tmp_path)
    mine = page.view.loaded.editor
    point = mine.add(100, 100, "pulse")
    other = AnnotationEditor(tmp_path / "song.wav", "me")  # a second window of the same person
    other.add(500, 500, "sine")
    other.delete(point)
    page.annotate.undo()
    text = page.messages.text
    assert "cannot undo \"add point 'pulse' at 100\"" in text
    assert "another window or program changed those annotations" in text and "hark-error" in text
    assert [e.label for e in read_csv(tmp_path / "song.wav-annotated-me.csv")] == ["sine"]  # the other's row kept


def test_an_edit_after_another_window_wrote_is_merged_and_said(tmp_path):
    write_wav(tmp_path / "song.wav", samplerate=8000, frames=8000)
    page = open_page(tmp_path)
    AnnotationEditor(tmp_path / "song.wav", "me").add(500, 500, "sine")
    editor = page.view.loaded.editor
    page.annotate._edit(lambda: editor.add(100, 100, "pulse"), None)
    assert "reloaded it and applied your edit on top of its rows" in page.messages.text
    assert [e.label for e in read_csv(tmp_path / "song.wav-annotated-me.csv")] == ["pulse", "sine"]
