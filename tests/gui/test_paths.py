"""The one path check of the GUI: nothing outside the data folder, however the path is written."""

from __future__ import annotations

import os

import pytest

from hark.errors import HarkError
from hark.gui.paths import DataFolder


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.wav").write_bytes(b"")
    (root / ".hark").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    os.symlink(tmp_path / "secret.txt", root / "link-out.txt")
    os.symlink(root / "sub", root / "link-in")
    return DataFolder(root)


@pytest.mark.parametrize("path", ["../secret.txt", "sub/../../secret.txt", "/etc/passwd", "link-out.txt", "sub/\x00x"])
def test_paths_leaving_the_data_folder_are_refused(folder, path):
    with pytest.raises(HarkError, match="outside the data folder|not a valid path"):
        folder.resolve(path)


def test_paths_inside_resolve_to_absolute_ones(folder):
    assert folder.resolve("sub/a.wav") == folder.root / "sub" / "a.wav"
    assert folder.resolve(str(folder.root / "sub")) == folder.root / "sub"
    assert folder.resolve("") == folder.root and folder.relative("sub/../sub/a.wav") == "sub/a.wav"
    assert folder.resolve("link-in/a.wav") == folder.root / "sub" / "a.wav"  # a link that stays inside is fine
    assert folder.resolve("new/out") == folder.root / "new" / "out"  # outputs need not exist yet
    with pytest.raises(HarkError, match="no such file"):
        folder.resolve("missing.wav", must_exist=True)


def test_the_listing_shows_folders_first_and_hides_links_out_and_hidden_files(folder):
    names = [(e.name, e.is_dir) for e in folder.listing(".")]
    assert names == [("link-in", True), ("sub", True)]
    assert [e.relative for e in folder.listing("sub")] == ["sub/a.wav"]
    with pytest.raises(HarkError, match="outside the data folder"):
        folder.listing("..")
