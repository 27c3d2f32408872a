"""The movie beside the sound, without a browser: found, opened, the frame at the view's start and at the playhead."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from bokeh.document import Document
from PIL import Image

from hark.errors import HarkError
from hark.gui.jobqueue import JobQueue
from hark.gui.paths import DataFolder
from hark.gui.server import GuiServerContext, GuiSettings
from hark.gui.session import GuiSession
from hark.video import frame_index_of, write_time_movie
from tests.annotations.helpers import write_wav

RATE = 8000
FPS = 25.0


def open_page(root, recording, **settings):
    settings = GuiSettings(root, annotator="me", **settings).check()
    folder = DataFolder(root)
    context = GuiServerContext(settings, folder, JobQueue(folder.root, folder.settings_dir / "jobs"))
    return GuiSession(Document(), context, {"recording": recording})


def shown_index(session) -> int:
    """The frame index the picture on the page carries (decoded from the JPEG sent)."""
    src = re.search(r"src='data:image/jpeg;base64,([^']+)'", session.view.video.frame.text).group(1)
    return frame_index_of(np.asarray(Image.open(io.BytesIO(base64.b64decode(src))).convert("RGB")))


@pytest.fixture
def data(tmp_path):
    write_wav(tmp_path / "song.wav", samplerate=RATE, frames=20 * RATE)
    write_time_movie(tmp_path / "song.MP4", 20.0, fps=FPS)
    write_wav(tmp_path / "quiet.wav", samplerate=RATE, frames=5 * RATE)
    return tmp_path


def test_the_frame_follows_the_view_and_the_playhead(data):
    session = open_page(data, "song.wav")
    video = session.view.video
    assert video.panel.visible and video.stream is not None
    assert shown_index(session) == 0 and "song.MP4: frame 1 of 500" in video.caption.text
    session.view.show_window(12.5, 14.5)
    assert shown_index(session) == int(12.5 * FPS)
    session.view.pan(0.5)  # 13.5 s
    assert shown_index(session) == int(13.5 * FPS)
    # playback: the page moves the playhead from its audio clock; the frame follows it
    session.view.play()
    for seconds in (13.5, 13.54, 13.9, 14.37):
        session.view.player.playheads[0].location = seconds
        assert shown_index(session) == int(seconds * FPS)
    session.view.stop_playing()
    session.view.player.playheads[0].location = 14.45  # the page's last moves may arrive after Stop: the frame follows them too
    assert shown_index(session) == int(14.45 * FPS)
    # another recording without a movie: the picture goes away, nothing of the last movie stays
    assert session.view.open("quiet.wav")
    assert not video.panel.visible and video.frame.text == "" and video.stream is None


def test_a_movie_shorter_than_its_recording_is_shown_up_to_its_end_with_a_warning(data):
    write_time_movie(data / "song.mp4", 8.0, fps=FPS)
    (data / "song.MP4").unlink()
    session = open_page(data, "song.wav")
    assert "song.mp4: the movie lasts 8.000 s, shorter than song.wav (20.000 s)" in session.messages.text
    session.view.show_window(7.9, 9.9)
    assert shown_index(session) == int(7.9 * FPS)
    session.view.show_window(10.0, 12.0)
    assert session.view.video.frame.text == "" and "the movie ends at 8.000 s" in session.view.video.caption.text


def test_an_unreadable_movie_is_named_and_the_recording_still_opens(data):
    (data / "song.MP4").write_text("not a movie")
    session = open_page(data, "song.wav")
    assert session.view.loaded is not None and session.view.loaded.relative == "song.wav"
    assert "the movie of song.wav is not shown:" in session.messages.text and "not a readable movie" in session.messages.text
    assert not session.view.video.panel.visible


def test_a_movie_linked_in_from_outside_is_not_read(data, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    write_time_movie(outside / "real.mp4", 2.0, fps=FPS)
    (data / "song.MP4").unlink()
    (data / "song.mp4").symlink_to(outside / "real.mp4")
    session = open_page(data, "song.wav")
    assert "movie" in session.messages.text and "outside the data folder" in session.messages.text
    assert session.view.video.stream is None


def test_the_finder_is_chosen_and_checked_by_the_settings(data):
    (data / "song.MP4").rename(data / "take.mp4")
    (data / "song.wav").rename(data / "take_ch2.wav")
    session = open_page(data, "take_ch2.wav", video_finder="strip-channel")
    assert "take.mp4: frame 1 of 500" in session.view.video.caption.text
    assert open_page(data, "take_ch2.wav").view.video.stream is None  # same-name finds none
    with pytest.raises(HarkError, match="unknown video finder 'nope'; known: same-name, strip-channel"):
        GuiSettings(data, video_finder="nope").check()
    with pytest.raises(HarkError, match="video finder strip-channel: patern: unknown parameter"):
        GuiSettings(data, video_finder="strip-channel", video_finder_params={"patern": "x"}).check()
