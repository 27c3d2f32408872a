"""Contract tests over every registered video finder, and the two shipped naming schemes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hark.errors import HarkError
from hark.video import find_video, video_finders


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"x")


@pytest.mark.parametrize("name", video_finders.names())
def test_every_finder_gives_an_existing_movie_beside_the_recording_or_none(name, tmp_path):
    plugin = video_finders.get(name)
    params = plugin.validate({})
    touch(tmp_path, "rec.wav", "other.mp4", "rec.wav-annotated-me.csv")
    assert plugin.find(tmp_path / "rec.wav", params) is None  # no movie of its name
    touch(tmp_path, "rec.mp4")
    found = plugin.find(tmp_path / "rec.wav", params)
    assert found == tmp_path / "rec.mp4" and found.is_file()
    with pytest.raises(HarkError, match=f"video finder {name}: nonsense: unknown parameter"):
        plugin.validate({"nonsense": 1})


def test_same_name_takes_any_case_of_the_ending_and_prefers_mp4(tmp_path):
    touch(tmp_path, "rec.wav", "rec.AVI", "rec2.mp4", "rec.wav.mp4", "rec.txt")
    assert find_video(tmp_path / "rec.wav") == tmp_path / "rec.AVI"
    touch(tmp_path, "rec.Mp4")
    assert find_video(tmp_path / "rec.wav") == tmp_path / "rec.Mp4"
    (tmp_path / "sub").mkdir()
    touch(tmp_path / "sub", "rec.wav")
    assert find_video(tmp_path / "sub" / "rec.wav") is None  # only beside the recording
    (tmp_path / "dir.mov").mkdir()
    assert find_video(tmp_path / "dir.wav") is None  # a folder is no movie


def test_strip_channel_finds_the_one_movie_of_every_channel(tmp_path):
    touch(tmp_path, "PS_2013_ch1.wav", "PS_2013_ch3.wav", "PS_2013.mov", "bout-chan12.wav", "bout.avi", "plain.wav", "plain.mkv")
    assert find_video(tmp_path / "PS_2013_ch1.wav", "strip-channel") == tmp_path / "PS_2013.mov"
    assert find_video(tmp_path / "PS_2013_ch3.wav", "strip-channel") == tmp_path / "PS_2013.mov"
    assert find_video(tmp_path / "bout-chan12.wav", "strip-channel") == tmp_path / "bout.avi"
    assert find_video(tmp_path / "plain.wav", "strip-channel") == tmp_path / "plain.mkv"  # no suffix to strip
    assert find_video(tmp_path / "PS_2013_ch1.wav") is None  # same-name does not strip
    touch(tmp_path, "take-A.wav", "take.mp4")
    assert find_video(tmp_path / "take-A.wav", "strip-channel", {"pattern": "-[A-Z]$"}) == tmp_path / "take.mp4"


def test_finder_names_and_patterns_are_checked(tmp_path):
    with pytest.raises(HarkError, match="unknown video finder 'basename'; known: same-name, strip-channel"):
        find_video(tmp_path / "rec.wav", "basename")
    with pytest.raises(HarkError, match=r"video finder strip-channel: pattern: not a regular expression"):
        find_video(tmp_path / "rec.wav", "strip-channel", {"pattern": "(ch"})
