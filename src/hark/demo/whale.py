"""Synthetic whale-upcall clips at 2 kHz, for clip classification (upcall or noise).

Like the right-whale upcall data sets, each clip is a couple of seconds long and labelled as
a whole. Half of the clips hold an upcall: a tone rising from ~50-100 Hz to ~150-250 Hz
over about a second under a smooth envelope, at a random time. Both kinds of clip share
the same deliberately untidy background, so that neither loudness nor the mere presence of
a tone gives the answer away:

* red ocean noise whose level drifts slowly within the clip and varies between clips;
* with some chance, tonal interference (ship-like: a steady or slowly gliding tone,
  sometimes falling), which overlaps the upcall's band;
* with some chance, a few broadband clicks.

Ground truth: one ``annotated`` event per clip covering all of it, ``[0, frames]``, labelled
``upcall`` or ``noise``. The call's true position is returned as metadata, not as an event.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.demo.signals import RangedParams, add_at, as_generator, chirp, shaped_noise, uniform
from hark.errors import HarkError

WHALE_SAMPLERATE = 2000
UPCALL_LABEL = "upcall"
NOISE_LABEL = "noise"


class WhaleParams(RangedParams):
    """What the synthetic clips sound like. Amplitudes are in MADs of the clip's ocean noise."""

    clip_s: float = Field(2.0, gt=0, description="length of a clip (s)")
    noise_mad: float = Field(0.01, gt=0, lt=0.05, description="MAD of the ocean noise at unit gain, full-scale units")
    noise_exponent: float = Field(1.5, ge=0, le=2, description="ocean noise spectrum ~ 1/f**exponent")
    noise_low_hz: float = Field(10.0, ge=0, description="ocean noise is band-limited above this (Hz)")
    noise_high_hz: float = Field(900.0, gt=0, description="ocean noise is band-limited below this (Hz)")
    clip_gain_db_min: float = Field(-6.0, description="quietest clip, relative to noise_mad (dB); scales calls too")
    clip_gain_db_max: float = Field(6.0, description="loudest clip (dB)")
    level_drift: float = Field(0.4, ge=0, lt=1, description="depth of the slow level change within a clip (0: steady)")

    call_start_hz_min: float = Field(50.0, gt=0, description="lowest starting frequency of an upcall (Hz)")
    call_start_hz_max: float = Field(100.0, gt=0, description="highest starting frequency of an upcall (Hz)")
    call_end_hz_min: float = Field(150.0, gt=0, description="lowest final frequency of an upcall (Hz)")
    call_end_hz_max: float = Field(250.0, gt=0, description="highest final frequency of an upcall (Hz)")
    call_duration_s_min: float = Field(0.7, gt=0, description="shortest upcall (s)")
    call_duration_s_max: float = Field(1.2, gt=0, description="longest upcall (s)")
    call_amplitude_mad_min: float = Field(2.0, gt=0, description="weakest upcall (peak amplitude)")
    call_amplitude_mad_max: float = Field(6.0, gt=0, description="strongest upcall (peak amplitude)")
    call_margin_s: float = Field(0.05, ge=0, description="an upcall keeps this far from the clip's edges (s)")

    tone_probability: float = Field(0.5, ge=0, le=1, description="chance of tonal interference in a clip, whatever its label")
    tone_hz_min: float = Field(40.0, gt=0, description="lowest interfering tone (Hz)")
    tone_hz_max: float = Field(400.0, gt=0, description="highest interfering tone (Hz)")
    tone_glide_hz: float = Field(60.0, ge=0, description="an interfering tone glides by up to +- this over the clip (Hz)")
    tone_amplitude_mad_min: float = Field(1.0, gt=0, description="weakest interfering tone")
    tone_amplitude_mad_max: float = Field(4.0, gt=0, description="strongest interfering tone")
    click_probability: float = Field(0.3, ge=0, le=1, description="chance of clicks in a clip, whatever its label")
    click_amplitude_mad: float = Field(15.0, ge=0, description="peak of a click")


def synthesize_whale_clip(
    has_upcall: bool,
    samplerate: int = WHALE_SAMPLERATE,
    rng: np.random.Generator | int = 0,
    params: WhaleParams | None = None,
    recording: str = "whale.wav",
) -> tuple[np.ndarray, list[Event], dict[str, float]]:
    """One clip (float32, full scale 1.0), its clip-label event, and the call's truth.

    The truth is empty for a noise clip; for an upcall clip it holds ``call_start`` and
    ``call_stop`` (samples, stop exclusive), ``call_start_hz`` and ``call_end_hz``, and
    ``call_amplitude`` (peak, full-scale units).
    """
    p = params or WhaleParams()
    rng = as_generator(rng)
    _check(p, samplerate)
    n = int(round(p.clip_s * samplerate))
    t = np.arange(n) / samplerate

    clip = shaped_noise(n, samplerate, rng, p.noise_exponent, p.noise_low_hz, p.noise_high_hz)
    # A slow level change (one cycle or less per clip) so that loudness is not a constant.
    clip *= 1 + p.level_drift * np.sin(2 * np.pi * rng.uniform(0, 0.5) * t + rng.uniform(0, 2 * np.pi))
    if rng.random() < p.tone_probability:
        glide_hz = rng.uniform(-1, 1) * p.tone_glide_hz
        inst_hz = uniform(rng, p.span("tone_hz")) + glide_hz * t / p.clip_s
        inst_hz = np.clip(inst_hz, 1.0, samplerate / 2 * 0.9)
        clip += uniform(rng, p.span("tone_amplitude_mad")) * chirp(inst_hz, samplerate, rng.uniform(0, 2 * np.pi))
    if rng.random() < p.click_probability:
        for _ in range(int(rng.integers(1, 6))):
            width = int(rng.integers(3, 12))
            click = p.click_amplitude_mad * rng.uniform(0.3, 1) * np.hanning(width) * rng.standard_normal(width)
            add_at(clip, int(rng.integers(0, n - width)), click)

    truth: dict[str, float] = {}
    if has_upcall:
        call, truth = _upcall(p, samplerate, rng, n)
        add_at(clip, int(truth["call_start"]), call)

    gain = p.noise_mad * 10 ** (uniform(rng, p.span("clip_gain_db")) / 20)
    if truth:
        truth["call_amplitude"] *= gain
    label = UPCALL_LABEL if has_upcall else NOISE_LABEL
    return (clip * gain).astype(np.float32), [Event(recording, 0, n, Kind.ANNOTATED, label)], truth


def _check(p: WhaleParams, samplerate: int) -> None:
    nyquist = samplerate / 2
    for name in ("noise_high_hz", "call_end_hz_max", "tone_hz_max"):
        if getattr(p, name) >= nyquist:
            raise HarkError(f"whale demo: {name} {getattr(p, name):g} Hz is not below the Nyquist frequency {nyquist:g} Hz")
    if p.call_start_hz_max >= p.call_end_hz_min:
        raise HarkError(f"whale demo: call_start_hz_max {p.call_start_hz_max:g} Hz is not below call_end_hz_min {p.call_end_hz_min:g} Hz, so a call might not rise")
    room = p.clip_s - 2 * p.call_margin_s
    if p.call_duration_s_max > room:
        raise HarkError(f"whale demo: an upcall of {p.call_duration_s_max:g} s does not fit in a {p.clip_s:g} s clip with {p.call_margin_s:g} s margins")
    if int(round(p.clip_s * samplerate)) < 16:
        raise HarkError(f"whale demo: a {p.clip_s:g} s clip holds too few samples at {samplerate} Hz")


def _upcall(p: WhaleParams, samplerate: int, rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[str, float]]:
    """An upcall at a random place in the clip: a linear rise under a Hann envelope."""
    length = int(uniform(rng, p.span("call_duration_s")) * samplerate)
    margin = int(p.call_margin_s * samplerate)
    start = int(rng.integers(margin, n - margin - length + 1))
    start_hz = uniform(rng, p.span("call_start_hz"))
    end_hz = uniform(rng, p.span("call_end_hz"))
    amplitude = uniform(rng, p.span("call_amplitude_mad"))
    # Hann: no hard edge, so the call fades in and out of the noise as real ones do.
    call = amplitude * np.hanning(length) * chirp(np.linspace(start_hz, end_hz, length), samplerate, rng.uniform(0, 2 * np.pi))
    truth = {"call_start": start, "call_stop": start + length, "call_start_hz": start_hz, "call_end_hz": end_hz, "call_amplitude": amplitude}
    return call, truth
