"""Synthetic rodent ultrasonic vocalizations (USVs) at 250 kHz, with time-frequency boxes.

Calls are whistles of 20-150 ms between 40 and 100 kHz: upward or downward sweeps or
nearly flat tones, some with a sinusoidal frequency modulation, some with a second
harmonic. The background is broadband hiss plus a much louder low-frequency rumble below
5 kHz, as a cage microphone picks up; that rumble swamps a time-domain detector unless it
is removed first (hark's ``highpass`` reader does that).

Ground truth: one ``annotated`` range per call labelled ``usv``, with ``low_hz`` and
``high_hz`` the lowest and highest instantaneous frequency of the call, harmonic included,
i.e. the box that holds all of its energy.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.demo.signals import RangedParams, add_at, as_generator, chirp, shaped_noise, tukey, uniform
from hark.errors import HarkError

USV_SAMPLERATE = 250_000
USV_LABEL = "usv"
CALL_SHAPES = ("up", "down", "flat")


class UsvParams(RangedParams):
    """What the synthetic USVs sound like. Amplitudes are in MADs of the broadband hiss."""

    noise_mad: float = Field(0.002, gt=0, lt=0.05, description="MAD of the broadband hiss in full-scale units")
    noise_low_hz: float = Field(1000.0, ge=0, description="the hiss is band-limited above this (Hz)")
    noise_high_hz: float = Field(120_000.0, gt=0, description="the hiss is band-limited below this (Hz)")
    rumble_mad: float = Field(10.0, ge=0, description="MAD of the low-frequency rumble, in MADs of the hiss (0: none)")
    rumble_high_hz: float = Field(5000.0, gt=0, description="the rumble lies below this (Hz)")

    call_low_hz: float = Field(40_000.0, gt=0, description="no part of a call, harmonic included, is below this (Hz)")
    call_high_hz: float = Field(100_000.0, gt=0, description="no part of a call, harmonic included, is above this (Hz)")
    duration_ms_min: float = Field(20.0, gt=0, description="shortest call (ms)")
    duration_ms_max: float = Field(150.0, gt=0, description="longest call (ms)")
    sweep_hz_min: float = Field(5000.0, ge=0, description="smallest frequency change of an up or down sweep (Hz)")
    sweep_hz_max: float = Field(30_000.0, ge=0, description="largest frequency change of an up or down sweep (Hz)")
    flat_sweep_hz: float = Field(2000.0, ge=0, description="a flat call changes frequency by at most this (Hz)")
    fm_probability: float = Field(0.5, ge=0, le=1, description="chance that a call is frequency-modulated")
    fm_depth_hz_max: float = Field(4000.0, ge=0, description="largest frequency-modulation depth (Hz, peak)")
    fm_rate_hz_min: float = Field(20.0, gt=0, description="slowest frequency modulation (Hz)")
    fm_rate_hz_max: float = Field(100.0, gt=0, description="fastest frequency modulation (Hz)")
    harmonic_probability: float = Field(0.3, ge=0, le=1, description="chance of a second harmonic (only where it fits below call_high_hz)")
    harmonic_level: float = Field(0.35, ge=0, le=1, description="amplitude of the harmonic relative to the fundamental")
    amplitude_mad_min: float = Field(6.0, gt=0, description="smallest amplitude of a call's fundamental")
    amplitude_mad_max: float = Field(30.0, gt=0, description="largest amplitude of a call's fundamental")
    ramp_ms: float = Field(3.0, ge=0, description="raised-cosine on- and offset of a call (ms)")
    gap_ms_min: float = Field(30.0, gt=0, description="shortest silence between calls (ms)")
    gap_ms_max: float = Field(800.0, gt=0, description="longest silence between calls (ms)")


def synthesize_usv(
    duration_s: float = 10.0,
    samplerate: int = USV_SAMPLERATE,
    rng: np.random.Generator | int = 0,
    params: UsvParams | None = None,
    recording: str = "usv.wav",
) -> tuple[np.ndarray, list[Event]]:
    """USV samples (float32, full scale 1.0) and their sorted ground-truth events.

    The hiss has MAD ``params.noise_mad``; the rumble is ``params.rumble_mad`` times louder.
    """
    p = params or UsvParams()
    rng = as_generator(rng)
    _check_frequencies(p, samplerate)
    n = int(round(duration_s * samplerate))
    if n <= 0:
        raise HarkError(f"usv demo: duration {duration_s:g} s holds no samples at {samplerate} Hz")

    # Brown rumble (1/f**2) concentrated below rumble_high_hz, then broadband hiss.
    samples = p.rumble_mad * shaped_noise(n, samplerate, rng, 2.0, 0.0, p.rumble_high_hz)
    samples += shaped_noise(n, samplerate, rng, 0.0, p.noise_low_hz, p.noise_high_hz)

    events: list[Event] = []
    cursor = int(uniform(rng, p.span("gap_ms")) / 1000 * samplerate)
    while True:
        call, low_hz, high_hz = _call(p, samplerate, rng)
        if not events and len(call) <= n:
            cursor = min(cursor, n - len(call))  # a short recording still gets one call
        if cursor + len(call) > n:
            break
        add_at(samples, cursor, call)
        events.append(Event(recording, cursor, cursor + len(call), Kind.ANNOTATED, USV_LABEL, low_hz=low_hz, high_hz=high_hz))
        cursor += len(call) + int(uniform(rng, p.span("gap_ms")) / 1000 * samplerate)
    return (samples * p.noise_mad).astype(np.float32), events


def _check_frequencies(p: UsvParams, samplerate: int) -> None:
    nyquist = samplerate / 2
    for name in ("noise_high_hz", "call_high_hz", "rumble_high_hz"):
        if getattr(p, name) > nyquist:
            raise HarkError(f"usv demo: {name} {getattr(p, name):g} Hz is above the Nyquist frequency {nyquist:g} Hz")
    if p.call_low_hz >= p.call_high_hz:
        raise HarkError(f"usv demo: call_low_hz {p.call_low_hz:g} Hz is not below call_high_hz {p.call_high_hz:g} Hz")


def _call(p: UsvParams, samplerate: int, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    """One call and the bounds of its instantaneous frequency (harmonic included), in whole Hz."""
    n = max(int(uniform(rng, p.span("duration_ms")) / 1000 * samplerate), 2)
    shape = CALL_SHAPES[int(rng.integers(len(CALL_SHAPES)))]
    # A harmonic at twice the fundamental must stay below call_high_hz too.
    room_for_harmonic = p.call_high_hz / 2 - p.call_low_hz > 1000
    harmonic = room_for_harmonic and rng.random() < p.harmonic_probability
    top_hz = p.call_high_hz / 2 if harmonic else p.call_high_hz
    room_hz = top_hz - p.call_low_hz

    modulated = rng.random() < p.fm_probability
    depth_hz = rng.uniform(0, min(p.fm_depth_hz_max, room_hz / 4)) if modulated else 0.0
    rate_hz = uniform(rng, p.span("fm_rate_hz"))
    widest = max(room_hz - 2 * depth_hz, 0.0)
    if shape == "flat":
        sweep_hz = rng.uniform(0, min(p.flat_sweep_hz, widest))
    else:
        sweep_hz = min(uniform(rng, p.span("sweep_hz")), widest)
    lowest_centre = p.call_low_hz + depth_hz
    base_hz = lowest_centre + rng.uniform(0, widest - sweep_hz)
    ramp = np.linspace(0, 1, n) if shape != "down" else np.linspace(1, 0, n)
    t = np.arange(n) / samplerate
    inst_hz = base_hz + sweep_hz * ramp + depth_hz * np.sin(2 * np.pi * rate_hz * t + rng.uniform(0, 2 * np.pi))

    phase = rng.uniform(0, 2 * np.pi)
    tone = chirp(inst_hz, samplerate, phase)
    if harmonic:
        tone += p.harmonic_level * chirp(2 * inst_hz, samplerate, 2 * phase)
    amplitude = uniform(rng, p.span("amplitude_mad"))
    call = amplitude * tukey(n, int(p.ramp_ms / 1000 * samplerate)) * tone
    low_hz = math.floor(inst_hz.min())
    high_hz = math.ceil(inst_hz.max() * (2 if harmonic else 1))
    return call, float(low_hz), float(high_hz)
