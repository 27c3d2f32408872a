"""What runs ``hark embed``'s model: torch or onnxruntime, two chunks of a recording at once.

An embedding is a hidden layer (:mod:`hark.embed.index`), not the model's output, so
``hark freeze``'s ``frozen.onnx`` (the probabilities) does not serve: the layer itself is
exported, as ``hark classify`` exports its model (docs/annotate-less.md, "The engine"):

1. **Exported and checked.** :class:`hark.models.export.HiddenLayer` (``forward_hidden``'s
   layer as the output; the layers after it are left out) goes through the same TorchScript
   exporter as ``hark freeze``, with dynamic batch and time axes; onnxruntime must then
   reproduce torch's activations to :data:`hark.models.export.PARITY_TOLERANCE` on an input of another length and
   batch size than the one traced. The export is cached in the model folder as
   ``embedding-<layer>.onnx`` beside ``embedding-<layer>.json``, which records what it was made
   from (the checkpoint's and configuration's SHA-256, the layer): a changed checkpoint makes it
   stale, and it is exported again.
2. **Chosen where faster** (``engine`` ``auto``, the default). Work of at least
   :data:`AUTO_EXPORT_MIN_SAMPLES` samples (about 7 minutes at 250 kHz, like classify's
   automatic freeze) exports the layer, times both engines on a chunk of the run's size with
   the run's threads (best of :data:`TIMING_REPEATS`; CPU time for calls on one thread, which a
   busy machine barely changes), records the times and the machine in the
   JSON, and embeds with the faster. Later runs reuse the export and the times, for work of any
   length. Nothing of this is an error: onnxruntime missing, a read-only model folder or a layer
   that cannot be exported faithfully embed with torch, and the log says why. ``torch`` and
   ``onnx`` choose for themselves; ``onnx`` on a layer that cannot be exported is a one-line error.
3. **Two chunks in flight** (:func:`hark.jobs.threads.in_order`, the mechanism classify uses):
   each engine call gets ``cores // in_flight`` intra-op threads, and the rows are those of the
   serial run of the same engine, bit for bit (onnxruntime's differ from torch's by rounding).

This lies below ``hark.infer`` (docs/architecture.md), so it cannot use classify's engines;
it shares their exporter (:mod:`hark.models.export`) and their chunk mechanism instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import platform
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from hark import __version__
from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_path, atomic_write_text
from hark.jobs.threads import on_threads, threads_per_chunk

EngineName = Literal["auto", "torch", "onnx"]
"""Largest difference allowed between onnxruntime's and torch's activations on the check input."""

AUTO_EXPORT_MIN_SAMPLES = 100_000_000
"""Work of fewer samples embeds with torch unless an export is cached: exporting and timing take
seconds, which the faster engine must win back (the same threshold as hark classify's freeze)."""

TIMING_REPEATS = 3
"""Runs of each engine on the timing chunk; the fastest counts (the first also warms up)."""

TIMING_MAX_SAMPLES = 1 << 20
"""The timing chunk is the run's chunk, at most this long (4.2 s at 250 kHz: long enough that a call's overhead does not count)."""

INPUT_NAME, OUTPUT_NAME = "audio", "hidden"


class HiddenEngine(Protocol):
    """Maps one channel of audio, float32 ``(samples,)``, to a layer's activations ``(units, frames)``."""

    name: str

    def __call__(self, audio: np.ndarray) -> np.ndarray: ...


class TorchHidden:
    """The checkpoint's layer, run by torch (what ``hark embed`` always ran)."""

    name = "torch"

    def __init__(self, module: Any, layer: str):
        self.module = module  # a FrameModel in eval mode
        self.layer = layer

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            batch = torch.from_numpy(np.ascontiguousarray(audio, np.float32))[None, None, :]
            return self.module.forward_hidden(batch)[self.layer][0].numpy()


class OnnxHidden:
    """A layer exported to ``embedding-<layer>.onnx``, run by onnxruntime on the CPU."""

    name = "onnx"

    def __init__(self, path: Path, threads: int = 0):
        ort = import_onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or threads_per_chunk(1)
        options.log_severity_level = 3  # onnxruntime's warnings are not the user's business
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 - onnxruntime's own exception types
            raise HarkError(f"{path}: not a loadable ONNX model ({_first_line(err)}); delete it and embed again") from None
        self.path = Path(path)
        self.threads = options.intra_op_num_threads

    def with_threads(self, threads: int) -> OnnxHidden:
        """This export on ``threads`` intra-op threads (onnxruntime fixes them when it opens a session)."""
        return self if threads == self.threads else OnnxHidden(self.path, threads)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(audio, np.float32)[None, None, :]
        return self.session.run(None, {INPUT_NAME: batch})[0][0]


@contextlib.contextmanager
def engine_for_chunks(engine: HiddenEngine, in_flight: int, threads: int = 0) -> Iterator[HiddenEngine]:
    """``engine`` set up so that ``in_flight`` calls at once share ``threads`` cores (0: all usable
    ones), each on ``threads // in_flight`` intra-op threads; a serial run with ``threads`` 0 gets
    the engine as it is. torch's thread count belongs to the process and is restored afterwards."""
    if in_flight <= 1 and not threads:
        yield engine
        return
    with on_threads(engine, threads_per_chunk(in_flight, threads)) as shared:
        yield shared


def export_paths(folder: Path, layer: str) -> tuple[Path, Path]:
    """The export of ``layer`` in the model folder, and its JSON."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", layer)
    return folder / f"embedding-{safe}.onnx", folder / f"embedding-{safe}.json"


def made_from(embedder) -> dict[str, Any]:
    """What an export must have been made from to be up to date for ``embedder``."""
    fingerprint = embedder.fingerprint
    return {"checkpoint_sha256": fingerprint["checkpoint_sha256"], "config_sha256": fingerprint["config_sha256"],
            "layer": embedder.layer, "context": embedder.context, "stride": embedder.stride, "dims": embedder.dims}  # fmt: skip


def cached_export(folder: Path, embedder) -> dict[str, Any] | None:
    """The JSON of ``folder``'s export of the embedder's layer when it is there and up to date; else None."""
    model_path, info_path = export_paths(folder, embedder.layer)
    if not (model_path.is_file() and info_path.is_file()):
        return None
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("made_from") == made_from(embedder) else None


def export_hidden(folder: Path, embedder) -> dict[str, Any]:
    """Export the embedder's layer to ``folder`` and check it against torch (module docs); returns its JSON.

    A layer that cannot be exported, or whose export disagrees with torch, is a one-line error,
    and an earlier export of it is left out of use (its JSON is removed first)."""
    import torch

    from hark.models.export import PARITY_TOLERANCE, HiddenLayer, export_onnx, onnx_parity

    ort = import_onnxruntime()
    model_path, info_path = export_paths(folder, embedder.layer)
    info_path.unlink(missing_ok=True)  # the JSON says the export is good: never beside a stale one
    context, stride = embedder.context, embedder.stride
    example_length, check_length = context + 7 * stride, context + 13 * stride + max(stride // 2, 1)
    check = 0.1 * torch.randn(2, 1, check_length, generator=torch.Generator().manual_seed(0))
    began = time.perf_counter()
    with atomic_path(model_path) as tmp:
        try:
            with _quiet():
                export_onnx(HiddenLayer(embedder.module, embedder.layer), tmp, example_length, output_name=OUTPUT_NAME, frames=True)
        except HarkError:
            raise
        except Exception as err:  # noqa: BLE001 - the exporter raises many kinds
            raise ParameterError("engine", f"{folder}: layer {embedder.layer} cannot be exported to ONNX ({_first_line(err)}); use {{param}} torch") from None
        difference = onnx_parity(
            ort, tmp, lambda audio: embedder.module.forward_hidden(audio)[embedder.layer].numpy(), check, f"the ONNX export of layer {embedder.layer}"
        )
        if not difference <= PARITY_TOLERANCE:  # also catches NaN
            raise ParameterError(
                "engine",
                f"{folder}: the ONNX export of layer {embedder.layer} disagrees with torch by {difference:.3g} "
                f"(> {PARITY_TOLERANCE:g}) on {check_length} samples; it cannot be exported faithfully, use {{param}} torch",
            )
    info = {"hark_version": __version__, "made_from": made_from(embedder), "checkpoint": embedder.fingerprint["checkpoint"],
            "parity_max_abs_difference": difference, "parity_input_samples": check_length,
            "export_seconds": round(time.perf_counter() - began, 3)}  # fmt: skip
    atomic_write_text(info_path, json.dumps(info, indent=2) + "\n")
    return info


def choose_engine(
    embedder,
    wanted: EngineName,
    work_samples: int,
    in_flight: int = 1,
    threads: int = 0,
    min_samples: int = AUTO_EXPORT_MIN_SAMPLES,
) -> tuple[HiddenEngine, str]:
    """The engine to embed ``work_samples`` samples with, and a note of why (module docs, 2.);
    ``in_flight`` and ``threads`` are the run's, with which a timing is made."""
    folder = Path(embedder.fingerprint["model"])
    torch_engine = TorchHidden(embedder.module, embedder.layer)
    if wanted == "torch":
        return torch_engine, "asked for"
    if wanted == "onnx":
        note = "its cached export"
        try:
            if cached_export(folder, embedder) is None:
                export_hidden(folder, embedder)
                note = "exported now, checked against torch"
        except OSError as err:
            raise HarkError(f"{folder}: cannot write the export of layer {embedder.layer} ({err.strerror or err})") from None
        return OnnxHidden(export_paths(folder, embedder.layer)[0]), note
    if wanted != "auto":
        raise ParameterError("engine", f"{{param}} {wanted!r}: expected auto, torch or onnx")
    try:
        import_onnxruntime()
    except HarkError:
        return torch_engine, "onnxruntime is not installed"
    info = cached_export(folder, embedder)
    if info is None:
        if work_samples < min_samples:
            return torch_engine, f"short work (under {min_samples} samples), not worth an export"
        if not os.access(folder, os.W_OK):
            return torch_engine, f"{folder} is not writable, so the layer cannot be exported for onnxruntime"
        try:
            info = export_hidden(folder, embedder)
        except (HarkError, OSError) as err:
            return torch_engine, f"the layer could not be exported for onnxruntime ({err})"
    onnx_engine = OnnxHidden(export_paths(folder, embedder.layer)[0])
    machine = machine_fingerprint(threads_per_chunk(in_flight, threads))
    timing = info.get("timing")
    if not isinstance(timing, dict) or timing.get("machine") != machine:
        if work_samples < min_samples:
            return onnx_engine, "its cached export (not timed on this machine)"
        timing = _time_engines(torch_engine, onnx_engine, embedder, in_flight, threads, machine)
        _record_timing(folder, embedder.layer, info, timing)
    faster = onnx_engine if timing["onnx_s"] < timing["torch_s"] else torch_engine
    return faster, f"onnxruntime {timing['torch_s'] / timing['onnx_s']:.2f}x the speed of torch on this machine"


def machine_fingerprint(threads: int) -> str:
    """What an engine timing depends on, to tell whether one measured elsewhere applies here."""
    import torch

    return (f"{platform.machine()} {platform.processor() or platform.system()} {os.cpu_count()} cpus, "
            f"torch {torch.__version__}, {threads} thread(s) a call")  # fmt: skip


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise ParameterError("engine", "{param} onnx needs onnxruntime (pip install onnxruntime), or use {param} torch") from None
    return onnxruntime


def _time_engines(torch_engine: TorchHidden, onnx_engine: OnnxHidden, embedder, in_flight: int, threads: int, machine: str) -> dict[str, Any]:
    samples = min(embedder.context + (embedder.chunk_frames - 1) * embedder.stride, max(TIMING_MAX_SAMPLES, embedder.context))
    audio = (0.05 * np.random.default_rng(0).standard_normal(samples)).astype(np.float32)
    best = {"torch_s": float("inf"), "onnx_s": float("inf")}
    # A call on one thread is timed by the process's CPU time, which other work on a busy machine
    # barely changes (its wall time there is mostly waiting for a core: measured under a load of
    # 7 on 2 cores, wall times ranked the engines either way); calls on several threads by the
    # wall clock, which counts how well they share the work. Each call runs on the threads it gets
    # in the run, and the engines take turns, so that both see the same moments of the machine.
    clock = time.process_time if threads_per_chunk(in_flight, threads) == 1 else time.perf_counter
    with engine_for_chunks(torch_engine, in_flight, threads) as torch_run, engine_for_chunks(onnx_engine, in_flight, threads) as onnx_run:
        for _ in range(TIMING_REPEATS):
            for name, running in (("torch_s", torch_run), ("onnx_s", onnx_run)):
                began = clock()
                running(audio)
                best[name] = min(best[name], clock() - began)
    return {**best, "clock": "cpu" if clock is time.process_time else "wall", "samples": samples, "machine": machine}


def _record_timing(folder: Path, layer: str, info: dict[str, Any], timing: dict[str, Any]) -> None:
    """The timing into the export's JSON, when the folder is writable (else it is timed again next time)."""
    info["timing"] = timing
    with contextlib.suppress(HarkError, OSError):
        atomic_write_text(export_paths(folder, layer)[1], json.dumps(info, indent=2) + "\n")




@contextlib.contextmanager
def _quiet():
    """The exporter prints progress and logs about optional packages; none of it concerns the user."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:200]
