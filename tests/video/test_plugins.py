"""Video plugins: a finder from outside hark registers through its entry point group, and every shipped
plugin and parameter is described and documented."""

from __future__ import annotations

import os
import subprocess
import sys

from hark.video import video_finders, video_readers
from tests.conftest import REPO_ROOT
from tests.plugins import TOYS, fake_distribution

FIND = "import sys; from hark.video import find_video; print(find_video(sys.argv[1], sys.argv[2], dict(a.split('=') for a in sys.argv[3:])))"


def test_a_finder_from_another_package_is_found_through_its_entry_point(tmp_path):
    site = fake_distribution(tmp_path, "hark_toy_video", {"hark.video_finders": {"movies-folder": "toy_video_finder:MoviesFolderFinder"}},
                             [TOYS / "toy_video_finder.py"])  # fmt: skip
    (tmp_path / "data" / "clips").mkdir(parents=True)
    (tmp_path / "data" / "rec.wav").write_bytes(b"x")
    (tmp_path / "data" / "clips" / "rec.mkv").write_bytes(b"x")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))

    def find(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", FIND, str(tmp_path / "data" / "rec.wav"), *args], capture_output=True, text=True, env=env)

    assert find("movies-folder", "folder=clips").stdout.strip() == str(tmp_path / "data" / "clips" / "rec.mkv")
    assert find("movies-folder").stdout.strip() == "None"  # its default folder, video/, is not there
    refused = find("same-names")
    assert "unknown video finder 'same-names'; known: movies-folder, same-name, strip-channel" in refused.stderr


def test_every_video_plugin_and_parameter_is_described_and_documented():
    docs = (REPO_ROOT / "docs" / "video.md").read_text() + (REPO_ROOT / "docs" / "gui.md").read_text()
    for registry in (video_readers, video_finders):
        for name, plugin in registry.items():
            assert f"`{name}`" in docs, f"{registry.kind} {name} is not in docs/video.md"
            for field_name, field in plugin.Params.model_fields.items():
                assert field.description, f"{registry.kind} {name}: {field_name} has no description"
                assert f"`{field_name}`" in docs, f"{registry.kind} {name}: {field_name} is not in docs/video.md"
