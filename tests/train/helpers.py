"""Small hand-made ground-truth folders for the training-data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def write_recording(folder: Path, name: str, rows: list[tuple[int, int, str]], frames: int = 2000, samplerate: int = 1000,
                    samples: np.ndarray | None = None, annotator: str = "test") -> Path:
    """``folder/name`` (16-bit WAV, a ramp unless ``samples``) and its ``-annotated-<annotator>.csv`` of ``rows``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if samples is None:
        samples = np.linspace(-0.5, 0.5, frames, dtype=np.float32)
    sf.write(path, samples, samplerate, subtype="PCM_16")
    if rows:
        csv = path.parent / f"{path.name}-annotated-{annotator}.csv"
        csv.write_text("".join(f"{path.name},{start},{stop},annotated,{label}\n" for start, stop, label in rows))
    return path


def window_start(ref_position: int, centre_offset: int) -> int:
    return ref_position - centre_offset
