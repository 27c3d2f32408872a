"""The fast engine without knowing it: ``hark classify`` exports a model to ONNX on first use.

onnxruntime classifies the shipped architectures faster than torch on a CPU (issue 17: the USV
``calls`` detector at 64 against 37 seconds of audio per second), but a user who never heard
of ``hark freeze`` ran torch. With ``--engine auto`` (the default) and no ``--checkpoint``,
classify now freezes the model itself when the work is long enough for the export to pay:

1. **Only long work.** Exporting, checking and timing take a few seconds, so it is done when the
   recordings hold at least :data:`AUTO_FREEZE_MIN_SAMPLES` samples (about 7 minutes at 250 kHz,
   3 hours at 10 kHz); shorter work runs on torch as before.
2. **Exported and checked** exactly as ``hark freeze`` does (:func:`hark.infer.freeze.freeze_model`:
   onnxruntime must reproduce torch's probabilities to 1e-4 on another length and batch size),
   and cached in the model folder as ``frozen.onnx`` and ``frozen.json``, so later runs reuse it
   while it is up to date (the same checkpoint, configuration and calibration).
3. **Kept only where it is faster.** Both engines classify the same chunk of audio (the chunk
   classify uses) on this machine, best of :data:`TIMING_REPEATS`; the times and the machine
   are recorded in ``frozen.json`` (``timing``), and ``--engine auto`` runs the export only on a
   machine where it was measured faster, or where nothing was measured (an explicit
   ``hark freeze``, which asks for the export).

Nothing of this is an error for the user: a model that cannot be exported faithfully, a model
folder that is not writable (a model someone gave you, on a read-only share) or a GPU run
(onnxruntime's CUDA provider is rarely installed) simply classify with torch. ``--engine torch``
or ``--engine onnx`` choose for themselves, as before.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hark.audio import open_recording
from hark.errors import HarkError
from hark.fileio import atomic_write_text
from hark.infer.engines import (
    FROZEN_INFO,
    FROZEN_MODEL,
    OnnxEngine,
    TorchEngine,
    choose_engine,
    import_onnxruntime,
    machine_fingerprint,
    measured_slower_here,
)
from hark.models.channels import input_channels_of

AUTO_FREEZE_MIN_SAMPLES = 100_000_000
"""Recordings holding fewer samples in all run on torch: the export would not pay for itself."""

TIMING_REPEATS = 3
"""Runs of each engine on the timing chunk; the fastest counts (the first also warms up)."""


def total_samples(recordings: Sequence[str | Path], channel: int, reader: str, reader_params: dict[str, Any] | None) -> int:
    """The frames of every recording that opens (headers only); unreadable ones count nothing
    here and fail later with their own message."""
    total = 0
    for path in recordings:
        try:
            total += open_recording(path, channel=channel, reader=reader, reader_params=reader_params).frames
        except (HarkError, OSError):
            continue
    return total


def freeze_if_it_pays(
    folder: str | Path,
    recordings: Sequence[str | Path],
    device: str,
    torch_engine: TorchEngine,
    chunk_samples: int,
    *,
    channel: int = 0,
    reader: str = "auto",
    reader_params: dict[str, Any] | None = None,
    min_samples: int = AUTO_FREEZE_MIN_SAMPLES,
) -> str | None:
    """Export ``folder``'s model for ``--engine auto`` when the work is long enough (module docs).

    Returns a one-line note of what was done (None when nothing was: short work, already
    frozen, a GPU, or a model that classifies whole clips).
    """
    folder = Path(folder)
    if resolved_device(device) != "cpu" or choose_engine(folder, "auto", None, "cpu") == "onnx":
        return None
    if total_samples(recordings, channel, reader, reader_params) < min_samples:
        return None
    if (folder / FROZEN_MODEL).is_file() and measured_slower_here(folder):
        return None
    if not os.access(folder, os.W_OK):
        return f"{folder} is not writable, so its model cannot be frozen for onnxruntime: classifying with torch"
    from hark.infer.freeze import freeze_model  # freeze imports torch.onnx: only when it pays

    try:
        import_onnxruntime()
        freeze_model(folder)
        timing = _time_engines(folder, torch_engine, chunk_samples)
    except (HarkError, OSError) as err:
        return f"the model could not be frozen for onnxruntime ({err}): classifying with torch"
    _record_timing(folder, timing)
    faster = "onnx" if timing["onnx_s"] < timing["torch_s"] else "torch"
    return (
        f"froze {folder} to {FROZEN_MODEL} on first use: onnxruntime {timing['torch_s'] / timing['onnx_s']:.2f}x "
        f"the speed of torch here, classifying with {faster}"
    )


def resolved_device(device: str) -> str:
    return "cuda" if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()) else "cpu"


def _time_engines(folder: Path, torch_engine: TorchEngine, chunk_samples: int) -> dict[str, Any]:
    onnx_engine = OnnxEngine(folder, "cpu")
    spec = torch_engine.spec
    samples = (chunk_samples or spec.samplerate) + spec.context
    channels = input_channels_of(torch_engine.model)  # a model of several channels times (1, C, samples)
    shape = (1, samples) if channels == 1 else (1, channels, samples)
    audio = (0.05 * np.random.default_rng(0).standard_normal(shape)).astype(np.float32)
    times = {}
    for name, engine in (("torch", torch_engine), ("onnx", onnx_engine)):
        best = float("inf")
        for _ in range(TIMING_REPEATS):
            start = time.perf_counter()
            engine(audio)
            best = min(best, time.perf_counter() - start)
        times[f"{name}_s"] = best
    return {**times, "samples": samples, "machine": machine_fingerprint("cpu")}


def _record_timing(folder: Path, timing: dict[str, Any]) -> None:
    info_path = folder / FROZEN_INFO
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["exported_by"] = "hark classify --engine auto (first use)"
    info["timing"] = timing
    atomic_write_text(info_path, json.dumps(info, indent=2) + "\n")
