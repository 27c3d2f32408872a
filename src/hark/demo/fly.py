"""Synthetic Drosophila melanogaster courtship song, with SongExplorer-style ground truth.

A recording is background noise with song bouts separated by silences. A bout is one to a
few elements, alternating pulse trains and sine song:

* a pulse is a few cycles of a ~200 Hz carrier under a Gaussian envelope, peaking at
  20-40 noise MADs, so a time-domain threshold (SongExplorer's 9 MADs) finds every pulse;
* sine song is a ~150 Hz tone of 0.2-1 s at 3-6 noise MADs, mostly *below* that
  threshold but clearly tonal, so that only a frequency test (multitaper F-test) finds it.

Ground truth, as the SongExplorer fly data has it: one point per pulse at the pulse's
centre (``mel-pulse``), a range per sine bout (``mel-sine``) and ranges of pure background
(``ambient``) inside the silences.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.demo.signals import RangedParams, add_at, as_generator, free_intervals, shaped_noise, tukey, uniform
from hark.errors import HarkError

FLY_SAMPLERATE = 2500
PULSE_LABEL = "mel-pulse"
SINE_LABEL = "mel-sine"
AMBIENT_LABEL = "ambient"

# A Gaussian's full width at half maximum is this many standard deviations.
_FWHM_PER_SIGMA = 2 * np.sqrt(2 * np.log(2))
# Pulses are cut off where the Gaussian has fallen below 1e-4 of its peak.
_PULSE_HALF_EXTENT_SIGMAS = 4.3


class FlySongParams(RangedParams):
    """What the synthetic fly song sounds like. Amplitudes are in MADs of the background."""

    noise_mad: float = Field(0.003, gt=0, lt=0.05, description="MAD of the background in full-scale units (16-bit full scale is 1.0)")
    noise_exponent: float = Field(1.0, ge=0, le=2, description="background spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown)")
    noise_low_hz: float = Field(30.0, ge=0, description="background is band-limited above this (Hz)")
    noise_high_hz: float = Field(1000.0, gt=0, description="background is band-limited below this (Hz)")
    hum_hz: float = Field(60.0, gt=0, description="frequency of the mains hum (Hz)")
    hum_mad: float = Field(0.3, ge=0, description="hum amplitude; low enough not to trip a short-window F-test (0: none)")

    pulse_carrier_hz: float = Field(200.0, gt=0, description="carrier frequency of a pulse (Hz)")
    pulse_carrier_jitter_hz: float = Field(15.0, ge=0, description="each pulse's carrier is uniform within +- this of pulse_carrier_hz")
    pulse_width_ms: float = Field(7.0, gt=0, description="full width at half maximum of a pulse's Gaussian envelope (ms)")
    pulse_width_jitter_ms: float = Field(1.0, ge=0, description="each pulse's width is uniform within +- this of pulse_width_ms")
    pulse_ipi_ms: float = Field(35.0, gt=0, description="inter-pulse interval within a train (ms)")
    pulse_ipi_jitter_ms: float = Field(1.5, ge=0, description="standard deviation of each interval around pulse_ipi_ms (ms)")
    pulses_per_train_min: int = Field(5, ge=1, description="fewest pulses in a train")
    pulses_per_train_max: int = Field(30, ge=1, description="most pulses in a train")
    pulse_peak_mad_min: float = Field(20.0, gt=0, description="each pulse's peak is at least this")
    pulse_peak_mad_max: float = Field(40.0, gt=0, description="each pulse's peak is at most this")
    pulse_amplitude_jitter: float = Field(0.1, ge=0, description="relative standard deviation of a pulse's peak around its train's")

    sine_hz: float = Field(150.0, gt=0, description="frequency of sine song (Hz)")
    sine_hz_jitter: float = Field(10.0, ge=0, description="each bout's frequency is uniform within +- this of sine_hz; it drifts by half that within the bout")
    sine_duration_s_min: float = Field(0.2, gt=0, description="shortest sine bout (s)")
    sine_duration_s_max: float = Field(1.0, gt=0, description="longest sine bout (s)")
    sine_amplitude_mad_min: float = Field(3.0, gt=0, description="smallest sine amplitude")
    sine_amplitude_mad_max: float = Field(6.0, gt=0, description="largest sine amplitude")
    sine_ramp_ms: float = Field(40.0, ge=0, description="raised-cosine on- and offset of a sine bout (ms)")

    bout_elements_min: int = Field(1, ge=1, description="fewest pulse trains and sine bouts in one song bout")
    bout_elements_max: int = Field(3, ge=1, description="most pulse trains and sine bouts in one song bout")
    element_gap_s_min: float = Field(0.05, ge=0, description="shortest pause between elements of a bout (s)")
    element_gap_s_max: float = Field(0.3, ge=0, description="longest pause between elements of a bout (s)")
    silence_s_min: float = Field(2.0, gt=0, description="shortest silence between bouts (s)")
    silence_s_max: float = Field(8.0, gt=0, description="longest silence between bouts (s)")
    ambient_s_min: float = Field(1.0, gt=0, description="shortest ambient annotation (s); shorter silences get none")
    ambient_s_max: float = Field(3.0, gt=0, description="longest ambient annotation (s)")
    ambient_guard_s: float = Field(0.1, ge=0, description="ambient annotations keep this far from any song (s)")


def synthesize_fly(
    duration_s: float = 60.0,
    samplerate: int = FLY_SAMPLERATE,
    rng: np.random.Generator | int = 0,
    params: FlySongParams | None = None,
    recording: str = "fly.wav",
) -> tuple[np.ndarray, list[Event]]:
    """Fly song samples (float32, full scale 1.0) and their sorted ground-truth events.

    ``recording`` is the name the events refer to (SongExplorer's ``wavfile`` column).
    The background's MAD is exactly ``params.noise_mad``.
    """
    p = params or FlySongParams()
    rng = as_generator(rng)
    _check_frequencies(p, samplerate)
    n = int(round(duration_s * samplerate))
    if n <= 0:
        raise HarkError(f"fly demo: duration {duration_s:g} s holds no samples at {samplerate} Hz")

    background = shaped_noise(n, samplerate, rng, p.noise_exponent, p.noise_low_hz, p.noise_high_hz)
    t = np.arange(n) / samplerate
    background += p.hum_mad * np.sin(2 * np.pi * p.hum_hz * t + rng.uniform(0, 2 * np.pi))
    background /= np.median(np.abs(background - np.median(background)))  # MAD 1 again, hum included

    song = np.zeros(n)
    events: list[Event] = []
    bouts: list[tuple[int, int]] = []
    cursor = int(uniform(rng, p.span("silence_s")) * samplerate / 2)
    while True:
        elements, length = _bout(p, samplerate, rng)
        if not bouts and length <= n:
            cursor = min(cursor, n - length)  # a short recording still gets one bout
        if cursor + length > n:
            break
        for offset, sound, element_events in elements:
            at = cursor + offset
            add_at(song, at, sound)
            events += [Event(recording, at + lo, at + hi, Kind.ANNOTATED, label) for lo, hi, label in element_events]
        bouts.append((cursor, cursor + length))
        cursor += length + int(uniform(rng, p.span("silence_s")) * samplerate)

    events += _ambient_events(bouts, n, samplerate, rng, p, recording)
    samples = (background + song) * p.noise_mad
    return samples.astype(np.float32), sorted(events)


def _check_frequencies(p: FlySongParams, samplerate: int) -> None:
    nyquist = samplerate / 2
    for name in ("noise_high_hz", "hum_hz", "pulse_carrier_hz", "sine_hz"):
        if getattr(p, name) >= nyquist:
            raise HarkError(f"fly demo: {name} {getattr(p, name):g} Hz is not below the Nyquist frequency {nyquist:g} Hz")


def _bout(p: FlySongParams, samplerate: int, rng: np.random.Generator):
    """Elements of one song bout as ``(offset, sound, [(start, stop, label), ...])`` and its length.

    Pulse trains and sine alternate, as they do in melanogaster song; which comes first is random.
    """
    n_elements = int(rng.integers(p.bout_elements_min, p.bout_elements_max + 1))
    pulse_first = rng.random() < 0.6  # pulse song is the more common
    elements, offset = [], 0
    for i in range(n_elements):
        if i:
            offset += int(uniform(rng, p.span("element_gap_s")) * samplerate)
        if (i % 2 == 0) == pulse_first:
            sound, marks = _pulse_train(p, samplerate, rng)
        else:
            sound, marks = _sine_bout(p, samplerate, rng)
        elements.append((offset, sound, marks))
        offset += len(sound)
    return elements, offset


def _pulse_train(p: FlySongParams, samplerate: int, rng: np.random.Generator):
    """One train; each pulse is marked as a point at its centre, where its envelope peaks."""
    n_pulses = int(rng.integers(p.pulses_per_train_min, p.pulses_per_train_max + 1))
    sigmas = [(p.pulse_width_ms + rng.uniform(-1, 1) * p.pulse_width_jitter_ms) / 1000 / _FWHM_PER_SIGMA for _ in range(n_pulses)]
    half = int(np.ceil(_PULSE_HALF_EXTENT_SIGMAS * max(sigmas) * samplerate))
    intervals = np.maximum(p.pulse_ipi_ms + p.pulse_ipi_jitter_ms * rng.standard_normal(n_pulses - 1), 1.0)
    centres = half + np.concatenate([[0], np.round(np.cumsum(intervals) * samplerate / 1000)]).astype(int)
    train = np.zeros(centres[-1] + half + 1)

    train_peak = uniform(rng, p.span("pulse_peak_mad"))
    peaks = np.clip(train_peak * (1 + p.pulse_amplitude_jitter * rng.standard_normal(n_pulses)), *p.span("pulse_peak_mad"))
    t = np.arange(-half, half + 1) / samplerate
    for centre, sigma, peak in zip(centres, sigmas, peaks):
        carrier = p.pulse_carrier_hz + rng.uniform(-1, 1) * p.pulse_carrier_jitter_hz
        # A cosine centred on the pulse puts the largest |sample| exactly at the centre; the
        # sign varies, as real pulses are recorded with either polarity.
        polarity = 1.0 if rng.random() < 0.5 else -1.0
        train[centre - half : centre + half + 1] += polarity * peak * np.exp(-0.5 * (t / sigma) ** 2) * np.cos(2 * np.pi * carrier * t)
    return train, [(int(c), int(c), PULSE_LABEL) for c in centres]


def _sine_bout(p: FlySongParams, samplerate: int, rng: np.random.Generator):
    """One sine bout, marked as a range over all of it, on- and offset ramps included."""
    n = max(int(uniform(rng, p.span("sine_duration_s")) * samplerate), 2)
    start_hz = p.sine_hz + rng.uniform(-1, 1) * p.sine_hz_jitter
    drift_hz = rng.uniform(-0.5, 0.5) * p.sine_hz_jitter  # real sine glides a little
    inst_hz = start_hz + drift_hz * np.linspace(0, 1, n)
    phase = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.cumsum(inst_hz) / samplerate
    amplitude = uniform(rng, p.span("sine_amplitude_mad"))
    sound = amplitude * tukey(n, int(p.sine_ramp_ms / 1000 * samplerate)) * np.sin(phase)
    return sound, [(0, n, SINE_LABEL)]


def _ambient_events(bouts, n, samplerate, rng, p: FlySongParams, recording: str) -> list[Event]:
    """One ``ambient`` range, at a random place, in every silence long enough to hold one."""
    guard = int(p.ambient_guard_s * samplerate)
    shortest = int(p.ambient_s_min * samplerate)
    events = []
    for lo, hi in free_intervals([(a - guard, b + guard) for a, b in bouts], n):
        room = hi - lo
        if room < shortest:
            continue
        length = min(int(uniform(rng, p.span("ambient_s")) * samplerate), room)
        start = lo + int(rng.integers(0, room - length + 1))
        events.append(Event(recording, start, start + length, Kind.ANNOTATED, AMBIENT_LABEL))
    return events
