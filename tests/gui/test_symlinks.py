"""Links out of the data folder: a page still builds, linked-in files are not read, forms refuse paths hidden in models."""

from __future__ import annotations

import os

import pytest
from bokeh.document import Document

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.demo import generate_fly
from hark.errors import HarkError
from hark.gui.actions import ACTIONS_BY_NAME, plan_action
from hark.gui.jobqueue import JobQueue
from hark.gui.paths import DataFolder
from hark.gui.server import GuiServerContext, GuiSettings, make_document_builder
from tests.annotations.helpers import snapshot, write_wav

SECRET = "top-secret-row-content"


@pytest.fixture
def data(tmp_path):
    """A data folder with one recording of its own and one linked in from a folder beside it."""
    root = tmp_path / "data"
    write_wav(root / "song.wav", samplerate=8000, frames=8000)
    outside = tmp_path / "outside"
    write_wav(outside / "far.wav", samplerate=8000, frames=8000)
    os.symlink(outside / "far.wav", root / "linked.wav")
    return root


def build_page(root, follow_symlinks=False):
    """The page a browser would get (the document Bokeh builds for it), without a browser."""
    settings = GuiSettings(root, annotator="me", follow_symlinks=follow_symlinks)
    folder = DataFolder(root, follow_symlinks=follow_symlinks)
    context = GuiServerContext(settings, folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    doc = Document()
    make_document_builder(lambda: context)(doc)
    return doc


def messages(doc) -> str:
    return doc.get_model_by_name("messages").text


def test_a_recording_linked_from_outside_is_skipped_with_the_reason_and_the_page_builds(data):
    doc = build_page(data)
    assert doc.get_model_by_name("recording").options == ["", "song.wav"]
    assert "recording 'linked.wav' is a symbolic link to outside the data folder; skipped" in messages(doc)
    assert "--follow-symlinks" in messages(doc)


def test_follow_symlinks_opens_a_linked_recording_with_its_annotations_beside_the_link(data):
    doc = build_page(data, follow_symlinks=True)
    assert doc.get_model_by_name("recording").options == ["", "linked.wav", "song.wav"]
    folder = DataFolder(data, follow_symlinks=True)
    assert folder.recording("linked.wav") == folder.root / "linked.wav"  # the link's own path, not its target
    with pytest.raises(HarkError, match="outside the data folder"):
        folder.resolve("linked.wav")  # forms and everything else still stop at the folder's edge
    with pytest.raises(HarkError, match="outside the data folder"):
        folder.recording("../outside/far.wav")  # only a link inside may lead out, not a path


def test_annotation_files_linked_from_outside_are_not_read_nor_echoed(data, tmp_path):
    from hark.gui.loaded import load_recording

    secret = tmp_path / "outside" / "secret.csv"
    secret.write_text(f"{SECRET}\n")
    os.symlink(secret, data / "song.wav-annotated-bob.csv")
    os.symlink(secret, data / "song.wav-annotated-me.csv")  # the person's own file, linked out
    before = snapshot(tmp_path / "outside")
    folder = DataFolder(data)
    from hark.annotations.folder import scan_folder

    entry = next(e for e in scan_folder(folder.root).entries if e.recording.name == "song.wav")
    loaded = load_recording(folder, "song.wav", "me", entry)
    problems = "\n".join(loaded.problems)
    assert "song.wav-annotated-bob.csv' is outside the data folder" in problems
    assert "your annotation file" in problems and "editing is off" in problems and loaded.editor is None
    assert SECRET not in problems and loaded.others == []
    assert snapshot(tmp_path / "outside") == before  # nothing written through the link either


@pytest.fixture
def demo(tmp_path):
    generate_fly(tmp_path / "data" / "demo", n_recordings=1, duration_s=2.0, seed=1)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "ckpt-1.pt").write_bytes(b"")
    return DataFolder(tmp_path / "data")


@pytest.mark.parametrize(
    ("action", "texts", "message"),
    [
        ("classify", {"files": {"model": "m", "recordings": "demo", "out": "p", "checkpoint": "../model/ckpt-1.pt"}},
         r"^files\.checkpoint '\.\./model/ckpt-1\.pt' is outside the data folder [^\n]*$"),
        ("freeze", {"freeze": {"model": "m", "checkpoint": "/etc/passwd"}}, r"^freeze\.checkpoint '/etc/passwd' is outside"),
        ("train", {"folders": {"data_root": "demo", "out": "model"}, "data": {"labels": "mel-pulse"},
                   "training": {"transfer": '{"models": ["../model"], "keep_layers": 1}'}},
         r"^training\.transfer\.models '\.\./model' is outside the data folder"),
    ],
)  # fmt: skip
def test_form_paths_hidden_in_models_outside_the_data_folder_are_refused(demo, tmp_path, action, texts, message):
    with pytest.raises(HarkError, match=message):
        plan_action(ACTIONS_BY_NAME[action], texts, demo, lambda kind: tmp_path / f"{kind}.log")


def test_form_paths_hidden_in_models_inside_the_data_folder_become_absolute(demo, tmp_path):
    texts = {"folders": {"data_root": "demo", "out": "model"}, "data": {"labels": "mel-pulse"},
             "training": {"transfer": '{"models": ["old-model"], "keep_layers": 1}'}}  # fmt: skip
    [job] = plan_action(ACTIONS_BY_NAME["train"], texts, demo, lambda kind: tmp_path / f"{kind}.log")
    assert job.params["training"]["transfer"]["models"] == [str(demo.root / "old-model")]
