"""Synthetic USV recordings with noise events: what a high-recall detector finds besides calls.

:func:`synthesize_usv` gives the calls; this adds, in the silences between them, the sounds
that fool a detector in a cage: broadband **bursts** (scratching, bedding; 5-60 ms of noise
spread over 2-120 kHz), **clicks** (0.3-3 ms impulses) and low **thuds** (10-80 ms of noise
below 25 kHz, knocks on the cage). Each is an ``annotated`` event labelled ``noise`` with the
band it fills as ``low_hz`` / ``high_hz``, so a folder of these is a reviewed set with known
answers: the calls are ``usv``, the rest ``noise`` (see ``hark train --supervision events``).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.demo.signals import RangedParams, add_at, as_generator, free_intervals, shaped_noise, tukey, uniform
from hark.demo.usv import USV_SAMPLERATE, UsvParams, synthesize_usv

NOISE_LABEL = "noise"
NOISE_SHAPES = ("burst", "click", "thud")


class UsvNoiseParams(RangedParams):
    """How many noise events and how loud. Amplitudes are in MADs of the hiss, as the calls'."""

    rate_per_s: float = Field(2.0, ge=0, le=100, description="noise events per second, on average")
    amplitude_mad_min: float = Field(8.0, gt=0, description="smallest peak-scale amplitude of a noise event")
    amplitude_mad_max: float = Field(30.0, gt=0, description="largest peak-scale amplitude of a noise event")
    guard_ms: float = Field(10.0, ge=0, description="silence kept between a noise event and any call (ms)")


def synthesize_usv_with_noise(
    duration_s: float = 10.0,
    samplerate: int = USV_SAMPLERATE,
    rng: np.random.Generator | int = 0,
    params: UsvParams | None = None,
    noise_params: UsvNoiseParams | None = None,
    recording: str = "usv.wav",
) -> tuple[np.ndarray, list[Event]]:
    """USV samples with calls (``usv``) and noise events (``noise``), and their sorted events."""
    rng = as_generator(rng)
    p = params or UsvParams()
    q = noise_params or UsvNoiseParams()
    samples, calls = synthesize_usv(duration_s, samplerate, rng, p, recording)
    samples = samples.astype(np.float64)
    guard = int(q.guard_ms / 1000 * samplerate)
    busy = [(e.start - guard, e.stop + guard) for e in calls]
    events = list(calls)
    for _ in range(int(rng.poisson(q.rate_per_s * duration_s))):
        shape = NOISE_SHAPES[int(rng.integers(len(NOISE_SHAPES)))]
        sound, low_hz, high_hz = _noise(shape, samplerate, rng)
        sound *= uniform(rng, q.span("amplitude_mad")) * p.noise_mad
        gaps = [(lo, hi - len(sound)) for lo, hi in free_intervals(busy, len(samples)) if hi - lo > len(sound)]
        if not gaps:
            break
        lo, hi = gaps[int(rng.integers(len(gaps)))]
        start = int(rng.integers(lo, max(hi, lo + 1)))
        add_at(samples, start, sound)
        busy.append((start - guard, start + len(sound) + guard))
        events.append(Event(recording, start, start + len(sound), Kind.ANNOTATED, NOISE_LABEL, low_hz=low_hz, high_hz=high_hz))
    return samples.astype(np.float32), sorted(events)


def _noise(shape: str, samplerate: int, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """One noise sound scaled to MAD 1 inside its band, and the band (Hz)."""
    if shape == "burst":
        n, low_hz, high_hz = int(rng.uniform(5, 60) / 1000 * samplerate), 2000.0, 120_000.0
    elif shape == "click":
        n, low_hz, high_hz = int(rng.uniform(0.3, 3) / 1000 * samplerate), 1000.0, 120_000.0
    else:
        n, low_hz, high_hz = int(rng.uniform(10, 80) / 1000 * samplerate), 500.0, 25_000.0
    n = max(n, 8)
    sound = shaped_noise(n, samplerate, rng, 0.0, low_hz, min(high_hz, samplerate / 2))
    ramp = max(1, n // 10) if shape != "click" else 1
    return sound * tukey(n, ramp), low_hz, min(high_hz, samplerate / 2)
