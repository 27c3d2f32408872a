"""Helpers for the annotation tests: tiny real WAV files and file snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def write_wav(path: Path, samplerate: int = 8000, frames: int = 800, channels: int = 1) -> Path:
    """A short real WAV (a quiet ramp) so that hark.audio can read its header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.linspace(-0.1, 0.1, frames * channels, dtype=np.float32).reshape(frames, channels)
    sf.write(path, data, samplerate, subtype="PCM_16")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes, to prove nothing changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
