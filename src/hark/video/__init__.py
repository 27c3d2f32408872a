"""Video beside audio: movies filmed with a recording, read frame by frame (SongExplorer's video).

>>> movie = find_video("rec.wav")                   # rec.mp4, rec.avi, rec.MOV, ... beside it, or None
>>> stream = open_video(movie)                      # the "pyav" reader: FFmpeg inside PyAV's wheel
>>> stream.info.fps, stream.info.frames, stream.info.duration
>>> image = frame_at(stream, 12.5, width=320)       # the frame shown at 12.5 s, RGB uint8
>>> frames, times = frames_between(stream, 10.0, 11.0, width=64)   # (n, h, w, 3), for a model
>>> check_covers(stream.info, recording_seconds, movie)            # refuses a movie shorter than its recording

Two plugin kinds, each a typed registry filled like any third party's: video readers
(:data:`video_readers`, entry point group ``hark.video_readers``; ``pyav`` ships) and video
finders (:data:`video_finders`, ``hark.video_finders``; ``same-name`` and ``strip-channel``
ship). This layer sits beside :mod:`hark.audio` and imports nothing above it. See docs/video.md.
"""

from hark.video import pyav_reader as _pyav_reader  # noqa: F401  (registers the plugin)
from hark.video.base import (
    VIDEO_SUFFIXES,
    VideoInfo,
    VideoReader,
    VideoStream,
    VideoTooShortError,
    check_covers,
    frame_at,
    frames_between,
    open_video,
    register_video_reader,
    video_readers,
)
from hark.video.finders import VideoFinder, find_video, movie_named, register_video_finder, video_finders
from hark.video.pyav_reader import PyAVParams, PyAVReader
from hark.video.synthetic import frame_index_of, time_code_frame, write_time_movie

__all__ = [
    "VIDEO_SUFFIXES",
    "PyAVParams",
    "PyAVReader",
    "VideoFinder",
    "VideoInfo",
    "VideoReader",
    "VideoStream",
    "VideoTooShortError",
    "check_covers",
    "find_video",
    "frame_at",
    "frame_index_of",
    "frames_between",
    "movie_named",
    "open_video",
    "register_video_finder",
    "register_video_reader",
    "time_code_frame",
    "video_finders",
    "video_readers",
    "write_time_movie",
]
