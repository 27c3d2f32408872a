"""Double-click plugins: what a double-click on blank space lays down (SongExplorer's "double-click" plugins).

A plugin has a ``Params`` model and ``place(recording, tic, params) -> (start, stop)``, the
new annotation's extent in samples for a double-click at sample ``tic``. The shipped ones:

- ``point`` (default): a point at the click.
- ``snap-to-peak``: the loudest moment near the click, and the stretch around it where the
  smoothed amplitude envelope stays within ``drop_db`` of that peak (a range), or just the
  peak (``as_point``). Clicking a few milliseconds off a pulse or a call still lays it exactly.

Third-party packages add theirs through the entry point group ``hark.double_click``.
``hark gui --double-click NAME --double-click-param NAME=VALUE`` chooses one.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from hark.audio.recording import Recording
from hark.params import NoParams, Params, validate_params
from hark.registry import Registry


class DoubleClickPlugin:
    """Base of double-click plugins."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams

    @classmethod
    def validate(cls, values: dict | None) -> Params:
        return validate_params(cls.Params, values, f"double-click plugin {cls.name}")

    @classmethod
    def place(cls, recording: Recording, tic: int, params: Params) -> tuple[int, int]:
        raise NotImplementedError


double_click_plugins: Registry[type[DoubleClickPlugin]] = Registry("double-click plugin", "hark.double_click")
register_double_click = double_click_plugins.register_class


@register_double_click("point")
class PointPlugin(DoubleClickPlugin):
    """A point annotation exactly where the double-click was."""

    @classmethod
    def place(cls, recording: Recording, tic: int, params: Params) -> tuple[int, int]:
        tic = int(min(max(tic, 0), recording.frames))
        return tic, tic


class SnapToPeakParams(Params):
    search_ms: float = Field(10.0, gt=0, le=10_000, description="snap-to-peak: look this far either side of the click for the loudest moment (ms)")
    drop_db: float = Field(12.0, gt=0, le=120, description="snap-to-peak: the range runs while the envelope stays within this many dB of the peak")
    smooth_ms: float = Field(1.0, gt=0, le=1000, description="snap-to-peak: the amplitude envelope is averaged over this long (ms)")
    max_ms: float = Field(1000.0, gt=0, le=60_000, description="snap-to-peak: a range extends at most this far either side of the peak (ms)")
    as_point: bool = Field(False, description="snap-to-peak: lay a point at the peak instead of a range")


@register_double_click("snap-to-peak")
class SnapToPeakPlugin(DoubleClickPlugin):
    """The loudest moment near the click, and the stretch around it within ``drop_db`` of it."""

    Params = SnapToPeakParams

    @classmethod
    def place(cls, recording: Recording, tic: int, params: SnapToPeakParams) -> tuple[int, int]:
        return snap_to_peak(recording, tic, params)


def snap_to_peak(recording: Recording, tic: int, params: SnapToPeakParams) -> tuple[int, int]:
    """The extent :class:`SnapToPeakPlugin` lays for a double-click at ``tic`` (reads only what it needs)."""
    rate = recording.samplerate
    search, reach = _samples(params.search_ms, rate), _samples(params.max_ms, rate)
    smooth = _samples(params.smooth_ms, rate)
    first = max(0, tic - search - reach - smooth)
    last = min(recording.frames, tic + search + reach + smooth + 1)
    if last <= first:
        return PointPlugin.place(recording, tic, params)
    envelope = _envelope(recording.read(first, last), smooth)
    lo, hi = max(0, tic - search - first), min(len(envelope), tic + search + 1 - first)
    if hi <= lo:
        return PointPlugin.place(recording, tic, params)
    peak = lo + int(np.argmax(envelope[lo:hi]))
    if params.as_point or envelope[peak] <= 0:
        return first + peak, first + peak
    floor = envelope[peak] * 10 ** (-params.drop_db / 20)
    below = envelope < floor
    left_limit, right_limit = max(0, peak - reach), min(len(envelope) - 1, peak + reach)
    left = peak
    while left > left_limit and not below[left - 1]:
        left -= 1
    right = peak
    while right < right_limit and not below[right + 1]:
        right += 1
    return first + left, first + right


def _samples(ms: float, rate: int) -> int:
    return max(1, int(round(ms * rate / 1000)))


def _envelope(samples: np.ndarray, smooth: int) -> np.ndarray:
    """Moving average of the absolute amplitude over ``smooth`` samples, centred."""
    magnitude = np.abs(samples.astype(np.float64))
    if smooth <= 1:
        return magnitude
    kernel = np.ones(smooth) / smooth
    return np.convolve(magnitude, kernel, mode="same")
