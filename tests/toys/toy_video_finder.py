"""A video finder from outside hark (tests/video/test_plugins.py): movies kept in a ``video/`` folder beside the recordings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hark.params import Params
from hark.video import VideoFinder, movie_named


class MoviesFolderParams(Params):
    folder: str = Field("video", min_length=1, description="movies-folder: the folder beside the recordings that holds their movies")


class MoviesFolderFinder(VideoFinder):
    """``rec.wav`` -> ``video/rec.mp4``."""

    name = "movies-folder"
    Params = MoviesFolderParams

    @classmethod
    def find(cls, recording: Path, params: MoviesFolderParams) -> Path | None:
        return movie_named(recording.parent / params.folder, recording.stem)
