"""Synthetic recordings with calls of known frequency tracks, for the call-statistics tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.demo.signals import chirp, tukey

RATE = 250_000
NOISE_RMS = 1e-4  # quiet background hiss, about 60 dB below the calls


def background(seconds: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, NOISE_RMS, int(seconds * RATE))


def add_call(samples: np.ndarray, start_s: float, inst_hz: np.ndarray, amplitude: float | np.ndarray = 0.1) -> tuple[int, int]:
    """Add a tone following ``inst_hz`` (one value per sample) at ``start_s``; returns its [start, stop) samples."""
    start = int(round(start_s * RATE))
    samples[start : start + len(inst_hz)] += amplitude * tukey(len(inst_hz), int(0.001 * RATE)) * chirp(inst_hz, RATE)
    return start, start + len(inst_hz)


def sweep_hz(low_hz: float, high_hz: float, seconds: float) -> np.ndarray:
    return np.linspace(low_hz, high_hz, int(round(seconds * RATE)))


def write(path: Path, samples: np.ndarray) -> Path:
    sf.write(path, samples.astype(np.float32), RATE, subtype="FLOAT")
    return path


def call(span: tuple[int, int], label: str = "usv", recording: str = "calls.wav", **extras) -> Event:
    return Event(recording, span[0], span[1], Kind.ANNOTATED, label, **extras)
