"""The movie beside the sound: the frame at the view's start, and during playback the frame at the playhead.

When the opened recording has a movie (found by the video-finder plugin ``hark gui
--video-finder`` chose, :mod:`hark.video.finders`; by default ``rec.mp4``, ``rec.avi``,
``rec.mov`` or ``rec.mkv`` beside ``rec.wav``), a picture beside the plots shows one frame,
scaled down to :data:`FRAME_WIDTH` pixels and sent as a JPEG data URL (a few kB: cheap to send
25 times a second). It is the frame at the left edge of the view, where *Play visible* starts,
whenever the view moves; while sound plays, the page moves the playhead (a
:class:`~bokeh.models.Span` of :mod:`hark.gui.playback`) from its audio clock and the frame at
the playhead follows it. A movie that cannot be read, lies outside the data folder, or ends
before its recording is named in a message; the rest of the page works as without it.
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import numpy as np
from bokeh.layouts import column
from bokeh.models import Div
from PIL import Image

from hark.errors import HarkError
from hark.video import VideoTooShortError, check_covers, find_video, open_video

if TYPE_CHECKING:
    from hark.gui.loaded import LoadedRecording
    from hark.gui.recording_view import RecordingView
    from hark.video import VideoStream

FRAME_WIDTH = 320  # pixels: the frame as sent to the page (the movie's own size is often 4-10 times larger)
JPEG_QUALITY = 80


def frame_data_url(image: np.ndarray) -> str:
    """An RGB ``uint8`` picture as a JPEG ``data:`` URL."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class VideoView:
    """The movie of the open recording, if it has one: a frame and a line saying which."""

    def __init__(self, view: RecordingView):
        self.view = view
        self.session = view.session
        settings = self.session.context.settings
        self.finder, self.finder_params = settings.video_finder, settings.video_finder_params
        self.stream: VideoStream | None = None
        self.movie_name = ""
        self.shown_index: int | None = None  # the frame now in the picture
        self.frame = Div(text="", width=FRAME_WIDTH, name="video", styles={"line-height": "0"})
        self.caption = Div(text="", width=FRAME_WIDTH, name="video-caption")
        self.panel = column(self.frame, self.caption, visible=False, name="video-panel")
        # the view moved (a button, a drag, a reload): the frame at its start
        view.x_range.on_change("start", lambda attr, old, new: self.show_time(new))
        # the page moved the playhead while sound plays: the frame under it
        # (only the page moves it, and only while playing; its last moves may arrive after Stop: they count too)
        view.player.playheads[0].on_change("location", lambda attr, old, new: self.show_time(new))

    def layout(self):
        return self.panel

    def recording_opened(self, loaded: LoadedRecording) -> None:
        """Find and open the movie of ``loaded`` (closing the previous one); say why there is none when one is there but unusable."""
        self.close()
        try:
            movie = find_video(loaded.path, self.finder, self.finder_params)
        except HarkError as err:
            self.session.report(f"cannot look for a movie of {loaded.relative}: {err}", error=True)
            return
        if movie is None:
            return
        try:
            name = self._relative(movie)
            self.stream = open_video(movie)
        except HarkError as err:
            self.session.report(f"the movie of {loaded.relative} is not shown: {err}", error=True)
            return
        self.movie_name = name
        try:
            check_covers(self.stream.info, loaded.recording.duration, name, loaded.relative)
        except VideoTooShortError as err:  # shown all the same, up to its end
            self.session.report(str(err), error=True)
        self.panel.visible = True
        self.show_time(self.view.x_range.start)

    def _relative(self, movie) -> str:
        """The movie's name inside the data folder; one linked in from outside only with ``--follow-symlinks``."""
        folder = self.session.folder
        try:
            return folder.relative(folder.readable(movie, what="movie"))
        except HarkError:
            if not folder.follow_symlinks:
                raise
            return movie.relative_to(folder.root).as_posix() if folder.root in movie.parents else movie.name

    def show_time(self, seconds: float) -> None:
        """Show the frame at ``seconds`` of the recording (nothing past the movie's end)."""
        if self.stream is None:
            return
        info = self.stream.info
        if seconds >= info.duration + 1 / info.fps:  # (within one frame of the end: the last frame)
            self.shown_index = None
            self.frame.text = ""
            self.caption.text = f"<small>{html.escape(self.movie_name)}: no frame at {seconds:.3f} s (the movie ends at {info.duration:.3f} s)</small>"
            return
        index = info.index_at(seconds)
        if index == self.shown_index:
            return
        try:
            image = self.stream.frame(index, FRAME_WIDTH)
        except HarkError as err:
            self.session.report(f"cannot show the movie: {err}", error=True)
            self.close()
            return
        self.shown_index = index
        height = image.shape[0]
        self.frame.text = (
            f"<img src='{frame_data_url(image)}' width='{FRAME_WIDTH}' height='{height}' alt='frame {index}' "
            f"data-index='{index}' data-time='{info.time_of(index):.6f}'>"
        )
        self.caption.text = (
            f"<small>{html.escape(self.movie_name)}: frame {index + 1} of {info.frames} "
            f"({info.time_of(index):.3f} s; {info.fps:g} fps, {info.width}x{info.height})</small>"
        )

    def close(self) -> None:
        """Forget the movie (another recording was opened, or the page closed)."""
        if self.stream is not None:
            self.stream.close()
        self.stream = None
        self.movie_name = ""
        self.shown_index = None
        self.frame.text = ""
        self.caption.text = ""
        self.panel.visible = False

