"""Video finders: which movie belongs to a recording (SongExplorer's ``video_findfile`` plugins).

A finder has a ``Params`` model and ``find(recording, params) -> movie path or None``. The
shipped ones:

- ``same-name`` (default, SongExplorer's): the movie beside the recording with its base
  name: ``rec.wav`` -> ``rec.mp4``, ``rec.MOV``, ``rec.avi`` or ``rec.mkv`` (endings in any
  case; with several, the first of ``.mp4 .mov .avi .mkv``).
- ``strip-channel``: the same, after taking a channel suffix off the recording's name
  (``pattern``, by default ``_ch3``, ``-chan3``, ``_channel3``): one camera filmed what
  several microphones recorded, ``rec_ch1.wav`` and ``rec_ch2.wav`` -> ``rec.mp4``.

Third-party packages add theirs through the entry point group ``hark.video_finders``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from hark.params import NoParams, Params, validate_params
from hark.registry import Registry
from hark.video.base import VIDEO_SUFFIXES


class VideoFinder:
    """Base of video finders."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams

    @classmethod
    def validate(cls, values: Params | dict | None) -> Params:
        if isinstance(values, Params):
            return values
        return validate_params(cls.Params, values, f"video finder {cls.name}")

    @classmethod
    def find(cls, recording: Path, params: Params) -> Path | None:
        raise NotImplementedError


video_finders: Registry[type[VideoFinder]] = Registry("video finder", "hark.video_finders")
register_video_finder = video_finders.register_class


def find_video(recording: str | Path, finder: str = "same-name", params: Params | dict | None = None) -> Path | None:
    """The movie of ``recording`` by the registered finder ``finder``, or None (an unknown name lists the known ones)."""
    plugin = video_finders.get(finder)
    return plugin.find(Path(recording), plugin.validate(params))


def movie_named(folder: Path, stem: str) -> Path | None:
    """The movie ``folder/stem.<ending>`` (ending in any case, one of :data:`VIDEO_SUFFIXES`), or None."""
    try:
        candidates = [p for p in folder.iterdir() if p.stem == stem and p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()]
    except OSError:
        return None
    if not candidates:
        return None
    return min(candidates, key=lambda p: (VIDEO_SUFFIXES.index(p.suffix.lower()), p.name))


@register_video_finder("same-name")
class SameNameFinder(VideoFinder):
    """The movie beside the recording with its base name (``rec.wav`` -> ``rec.mp4``)."""

    @classmethod
    def find(cls, recording: Path, params: Params) -> Path | None:
        return movie_named(recording.parent, recording.stem)


class StripChannelParams(Params):
    pattern: str = Field(
        r"[_-]ch(an(nel)?)?\d+$",
        min_length=1,
        description="strip-channel: a regular expression taken off the end of the recording's base name before looking for its movie",
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a regular expression ({err})") from None
        return value


@register_video_finder("strip-channel")
class StripChannelFinder(VideoFinder):
    """The movie named as the recording without its channel suffix (``rec_ch3.wav`` -> ``rec.mp4``)."""

    Params = StripChannelParams

    @classmethod
    def find(cls, recording: Path, params: StripChannelParams) -> Path | None:
        stem = re.sub(params.pattern, "", recording.stem)
        return movie_named(recording.parent, stem) if stem else None
