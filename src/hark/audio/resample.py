"""A recording written at another sample rate (:func:`resample_file`), and sample indices mapped
between the rates. :func:`hark.annotations.resample.resample_recordings` (``hark resample``)
uses it for whole folders, scaling the annotation CSVs that come with each recording.

The audio goes through scipy's polyphase filter (:func:`scipy.signal.resample_poly`, rate
ratio ``up/down`` in lowest terms) in blocks, each read with enough audio on either side to fill
the filter, so memory stays that of one block whatever the recording's length and the result
equals resampling the whole recording at once (to float rounding).
"""

from __future__ import annotations

from collections.abc import Callable
from math import gcd
from pathlib import Path

import soundfile as sf
from scipy.signal import resample_poly

from hark.errors import HarkError
from hark.fileio import atomic_path

BLOCK_SECONDS = 4.0
# WAV's sizes are 32-bit: larger outputs are written as RF64, which soundfile and every reader
# of hark's read.
WAV_LIMIT_BYTES = 4_000_000_000


def rate_ratio(source_rate: int, rate: int) -> tuple[int, int]:
    """``(up, down)`` in lowest terms, ``rate / source_rate == up / down``."""
    common = gcd(int(rate), int(source_rate))
    return int(rate) // common, int(source_rate) // common


def resampled_length(frames: int, up: int, down: int) -> int:
    """The number of samples :func:`scipy.signal.resample_poly` gives for ``frames`` samples."""
    return -(-frames * up // down)


def scale_tick(tick: int, up: int, down: int) -> int:
    """A sample index at the old rate as the nearest one at the new rate."""
    return int(round(tick * up / down))


def resample_file(
    source: Path,
    output: Path,
    rate: int,
    *,
    subtype: str | None = None,
    block_seconds: float = BLOCK_SECONDS,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``source`` resampled to ``rate`` at ``output`` (atomically); returns its length in samples.

    Every channel is kept. ``subtype`` is the sample format (``PCM_16``, ``FLOAT``, ...;
    default: the source's). ``progress`` gets the number of source samples done after each block.
    """
    info = sf.info(str(source))
    up, down = rate_ratio(info.samplerate, rate)
    subtype = subtype or info.subtype
    frames = info.frames
    total = resampled_length(frames, up, down)
    # the filter reaches 10 * max(up, down) samples of the upsampled signal on either side
    # (resample_poly's default); in source samples, rounded up to whole multiples of ``down`` so
    # that each block's first output sample falls on an output sample of the whole recording
    reach = -(-10 * max(up, down) // up) + 2
    pad = -(-reach // down) * down
    block = max(1, round(block_seconds * info.samplerate / down)) * down
    out_format = info.format if info.format != "WAV" else "RF64" if _wav_bytes(total, info.channels, subtype) > WAV_LIMIT_BYTES else "WAV"
    try:
        with atomic_path(output) as tmp, sf.SoundFile(str(source)) as reader:
            with sf.SoundFile(str(tmp), "w", int(rate), info.channels, subtype, format=out_format) as writer:
                written = 0
                for start in range(0, frames, block):
                    first, last = max(start - pad, 0), min(start + block + pad, frames)
                    reader.seek(first)
                    audio = reader.read(last - first, dtype="float64", always_2d=True)
                    resampled = resample_poly(audio, up, down, axis=0)
                    skip = (start - first) * up // down
                    keep = min(block * up // down, total - written)
                    writer.write(resampled[skip : skip + keep])
                    written += keep
                    if progress is not None:
                        progress(min(start + block, frames))
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise HarkError(f"{output}: cannot write {subtype} {out_format} audio at {rate} Hz ({err})") from None
    return total


def _wav_bytes(frames: int, channels: int, subtype: str) -> int:
    bits = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}.get(subtype, 64)
    return frames * channels * bits // 8


__all__ = ["rate_ratio", "resample_file", "resampled_length", "scale_tick"]
