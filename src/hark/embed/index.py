"""``embed_corpus`` (``hark embed``): every stretch of a corpus embedded once, into an index folder.

What a row is. A frame model's hidden layer at the output's frame rate (by default the last
one before the output: a convnet's last dense layer, an autoencoder's code, a TCN's skip
sum) gives one feature vector per model frame, frame ``j`` seeing the samples
``[j * stride, j * stride + context)``. A row of the index is the **mean of those vectors over
``window`` seconds of frames, every ``hop`` seconds**, L2-normalised. By default the hop is a
quarter of the model's context (rounded to whole frames) and the window equals the hop, so
every frame of a recording counts in exactly one row; each row then describes
``window + context - stride`` samples of audio. Row ``r`` of a recording starts (its
``start`` sample) at the time its first frame describes: ``r * hop + context // 2``.

The stored rows are then **centred**: the corpus's mean row is subtracted and each row
normalised again (a query is treated alike). Hidden layers after a ReLU are all positive, so
raw cosines of any two stretches lie near 1; centred, a similarity measures what sets a
stretch apart from the corpus's typical one (mostly background), and unrelated stretches
score near 0.

The index folder::

    INDEX/index.json    the manifest: model fingerprint (folder, checkpoint, its size, mtime
                        and SHA-256, the configuration's digest), layer, hop, window, context,
                        stride, dimensions, dtype, the corpus's mean row, and each recording
                        (path, sample rate, samples, first row, rows)
    INDEX/vectors.npy   (rows, dims) float16 or float32, centred and L2-normalised: memory-mappable
    INDEX/rows.npy      (rows, 2) int64: the recording's index in the manifest and the start sample
    INDEX/parts/        one finished part per recording (<key>.npy, then <key>.json)
    INDEX/embed.log     progress, one line per recording

Recordings are streamed in chunks whose size comes from a memory estimate (the model's
activations per frame, measured on a probe, times the frames of a chunk, kept under
``memory_mb``), so an hour at 250 kHz is never in memory. Each recording's part is written
atomically (array first, its JSON last), so a run that is killed resumes where it stopped: a
recording whose part is there, made by the same model and settings from the same file (size
and mtime), is skipped. The manifest and the two arrays are rewritten atomically at the end.
An index folder that holds another model's or other settings' embeddings is refused.

The model runs on torch or onnxruntime (``engine``: by default onnxruntime where it was
measured faster, for long work), two chunks of a recording at a time on a machine of two cores
or more (``in_flight``); see :mod:`hark.embed.engine`. Either way a row is the same up to
rounding, so an index's parts may come from either engine.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from hark.embed.engine import AUTO_EXPORT_MIN_SAMPLES, HiddenEngine, TorchHidden, choose_engine, engine_for_chunks
from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_path, atomic_write_text, ensure_writable_dir
from hark.jobs.threads import chunks_in_flight, in_order
from hark.params import Params

MANIFEST = "index.json"
VECTORS = "vectors.npy"
ROWS = "rows.npy"
PARTS = "parts"
LOG = "embed.log"
FORMAT = "hark-embedding-index-1"
ASSEMBLY_BLOCK = 1 << 16  # rows copied at once from a part into the index
LOG_EVERY_S = 30.0  # seconds between progress lines of one recording in embed.log


class EmbedParams(Params):
    """How ``hark embed`` turns a model's activations into rows of the index."""

    hop_s: float | None = Field(None, gt=0, le=60, description="seconds between rows (default: a quarter of the model's context)")
    window_s: float | None = Field(None, gt=0, le=60, description="seconds of frames averaged into one row (default: the hop)")
    layer: str | None = Field(None, description="hidden layer to embed (default: the last one at the output's frame rate before the output)")
    dtype: Literal["float16", "float32"] = Field("float16", description="precision of the stored vectors")
    memory_mb: int = Field(256, ge=16, le=65536, description="memory the model's activations of one chunk may take (MB; each chunk in flight takes its own)")
    engine: Literal["auto", "torch", "onnx"] = Field(
        "auto", description="torch (the checkpoint), onnx (the layer exported to MODEL/embedding-<layer>.onnx, checked against torch) "
        "or auto (onnx where measured faster: exported on first use by long work, then reused)",
    )  # fmt: skip
    in_flight: int = Field(0, ge=0, le=16, description="chunks of a recording in the model at once (0: one per core, at most 2; 1: one at a time)")


@dataclass(frozen=True)
class Embedder:
    """A loaded model and the settings that turn audio into rows; the same for the corpus and a query."""

    module: object  # the torch FrameModel, in eval mode
    layer: str
    samplerate: int
    context: int
    stride: int
    hop_frames: int
    window_frames: int
    dims: int
    chunk_frames: int
    fingerprint: dict
    engine: HiddenEngine  # what runs the layer (hark.embed.engine): the module through torch unless chosen otherwise

    @property
    def hop(self) -> int:
        """Samples between rows."""
        return self.hop_frames * self.stride

    def settings(self) -> dict:
        """What must agree for two sets of rows to be compared."""
        return {"fingerprint": self.fingerprint, "layer": self.layer, "samplerate": self.samplerate, "context": self.context,
                "stride": self.stride, "hop_frames": self.hop_frames, "window_frames": self.window_frames, "dims": self.dims}  # fmt: skip

    def row_count(self, samples: int) -> int:
        """Rows of a recording of ``samples`` samples (only whole windows of frames)."""
        frames = 0 if samples < self.context else (samples - self.context) // self.stride + 1
        return 0 if frames < self.window_frames else (frames - self.window_frames) // self.hop_frames + 1

    def rows_of(self, read: Callable[[int, int], np.ndarray], first_sample: int, n_rows: int, in_flight: int = 1) -> Iterator[np.ndarray]:
        """L2-normalised rows, float32 ``(rows, dims)``, chunk by chunk, the first frame of row 0 starting
        at ``first_sample``; ``read(lo, hi)`` gives samples ``[lo, hi)``. ``in_flight`` chunks are in the
        engine at once (:func:`hark.jobs.threads.in_order`), with the same rows as one at a time."""
        rows_per_chunk = max(1, (self.chunk_frames - self.window_frames) // self.hop_frames + 1)

        def chunks() -> Iterator[tuple[int, np.ndarray]]:  # read here, in order, as the engine frees a place
            for first_row in range(0, n_rows, rows_per_chunk):
                rows = min(rows_per_chunk, n_rows - first_row)
                lo = first_sample + first_row * self.hop
                yield rows, read(lo, lo + ((rows - 1) * self.hop_frames + self.window_frames - 1) * self.stride + self.context)

        yield from in_order(self._pooled_rows, chunks(), in_flight)

    def _pooled_rows(self, chunk: tuple[int, np.ndarray]) -> np.ndarray:
        rows, audio = chunk
        frames = (rows - 1) * self.hop_frames + self.window_frames
        features = self.engine(audio).T.astype(np.float64)  # (frames, dims)
        sums = np.concatenate([np.zeros((1, self.dims)), np.cumsum(features[:frames], axis=0)])
        starts = np.arange(rows) * self.hop_frames
        pooled = (sums[starts + self.window_frames] - sums[starts]) / self.window_frames
        return normalise(pooled).astype(np.float32)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def centre(rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows minus the corpus's mean row, L2-normalised again: what the index stores and a query is compared as."""
    return normalise(np.asarray(rows, np.float64) - mean).astype(np.float32)


def model_fingerprint(model: str | Path, checkpoint_path: Path) -> dict:
    """The model folder, its checkpoint (size, mtime, SHA-256) and its configuration's digest."""
    folder = Path(model).resolve()
    stat = checkpoint_path.stat()
    digest = hashlib.sha256()
    with open(checkpoint_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    config = hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    return {"model": str(folder), "checkpoint": str(checkpoint_path.resolve()), "checkpoint_bytes": stat.st_size,
            "checkpoint_mtime": stat.st_mtime, "checkpoint_sha256": digest.hexdigest(), "config_sha256": config}  # fmt: skip


def load_embedder(model: str | Path, params: EmbedParams, checkpoint: str | int | Path | None = None, probe_frames: int = 64) -> Embedder:
    """The model of ``model`` ready to embed with ``params``; a clip model, an unknown layer or one at
    another frame rate than the output is a one-line error. A probe of ``probe_frames`` frames finds
    each layer's frame rate and the memory a frame takes (fewer: faster, a coarser estimate)."""
    import torch

    from hark.models.base import FrameModel
    from hark.models.store import load_model

    loaded = load_model(model, checkpoint)
    module = loaded.module
    if not isinstance(module, FrameModel) or not module.hidden_layers():
        raise HarkError(f"{model}: embedding needs a frame model with hidden layers (this is {loaded.config.architecture})")
    from hark.models.channels import input_channels_of

    if input_channels_of(module) > 1:  # recordings are embedded one channel at a time (docs/channels.md)
        raise HarkError(f"{model}: reads {input_channels_of(module)} channels at once; embedding reads one channel, so needs a model of one")
    probe_samples = module.context + (probe_frames - 1) * module.stride
    with torch.no_grad():
        probe = module.forward_hidden(torch.zeros(1, 1, probe_samples))
    aligned = [name for name in module.hidden_layers() if name != "output" and probe[name].shape[-1] == probe_frames]
    if params.layer is None:
        if not aligned:
            raise HarkError(f"{model}: no hidden layer at the output's frame rate to embed (it has {', '.join(module.hidden_layers())})")
        layer = aligned[-1]
    elif params.layer not in module.hidden_layers():
        raise HarkError(f"layer {params.layer!r}: {model} has no such layer (it has {', '.join(module.hidden_layers())})")
    elif params.layer not in aligned:
        raise HarkError(f"layer {params.layer!r}: not at the output's frame rate; choose one of {', '.join(aligned) or 'none'}")
    else:
        layer = params.layer
    rate = loaded.config.samplerate
    hop_frames = max(1, round(params.hop_s * rate / module.stride)) if params.hop_s else max(1, module.context // 4 // module.stride)
    window_frames = max(1, round(params.window_s * rate / module.stride)) if params.window_s else hop_frames
    # the memory estimate, per frame: every hidden layer's activations (float32), the audio, and
    # a spectral front end's windows and their transform, each (window / hop) times the audio
    # (a 2.048 ms window every 0.512 ms at 250 kHz: about 95 kB a frame of 2048 samples, as measured)
    front_end = getattr(module, "front_end", None)
    overlap = getattr(front_end, "fft_window", 1) / max(getattr(front_end, "hop", 1), 1)
    per_frame = (sum(t.numel() for t in probe.values()) * 4 + probe_samples * 4 * (1 + 2 * overlap)) / probe_frames
    chunk_frames = max(window_frames, int(params.memory_mb * 2**20 // per_frame))
    return Embedder(
        module, layer, rate, module.context, module.stride, hop_frames, window_frames, int(probe[layer].shape[1]),
        chunk_frames, model_fingerprint(model, loaded.checkpoint), TorchHidden(module, layer),
    )


@dataclass(frozen=True)
class EmbeddingIndex:
    """An index folder: its manifest, and its vectors and rows memory-mapped."""

    folder: Path
    manifest: dict

    @property
    def recordings(self) -> list[dict]:
        return self.manifest["recordings"]

    def vectors(self) -> np.ndarray:
        return np.load(self.folder / VECTORS, mmap_mode="r")

    def rows(self) -> np.ndarray:
        return np.load(self.folder / ROWS, mmap_mode="r")

    def mean(self) -> np.ndarray:
        """The corpus's mean row, which every stored row (and a query) has subtracted."""
        return np.asarray(self.manifest["mean"], np.float64)


def read_index(folder: str | Path) -> EmbeddingIndex:
    """The index written by :func:`embed_corpus` (a one-line error if there is none)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise HarkError(f"{folder}: not an embedding index (no {MANIFEST}); build one with hark embed --out {folder}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or not isinstance(manifest["recordings"], list):
            raise ValueError(f"format is {manifest.get('format')!r}, not {FORMAT}")
        manifest["settings"]["fingerprint"]["checkpoint"]
        if len(manifest["mean"]) != manifest["settings"]["dims"]:
            raise ValueError("the mean row has the wrong length")
    except (ValueError, KeyError, TypeError) as err:
        raise HarkError(f"{path}: not an embedding index manifest ({err})") from None
    return EmbeddingIndex(folder, manifest)


def embed_corpus(
    model: str | Path,
    recordings: Sequence[str | Path],
    out: str | Path,
    params: EmbedParams | None = None,
    checkpoint: str | int | Path | None = None,
    progress: Callable[[float], None] | None = None,
    threads: int = 0,
    auto_export_samples: int = AUTO_EXPORT_MIN_SAMPLES,
) -> EmbeddingIndex:
    """Embed every recording of ``recordings`` (files or folders) with ``model`` into the index ``out``.

    ``threads``: the cores the run may use (0: all usable ones; a job passes its share), shared by
    ``params.in_flight`` chunks. With ``params.engine`` auto, work of at least ``auto_export_samples``
    samples exports the layer for onnxruntime where that is faster (:mod:`hark.embed.engine`)."""
    from hark.audio import find_recordings, open_recording

    params = params or EmbedParams()
    paths = list(dict.fromkeys(p.resolve() for p in find_recordings(recordings)))  # a file named twice is embedded once
    if not paths:
        raise HarkError("no recordings to embed")
    embedder = load_embedder(model, params, checkpoint)
    opened = [open_recording(p) for p in paths]
    for recording in opened:  # checked before anything is written
        if recording.samplerate != embedder.samplerate:
            raise HarkError(f"{recording.path}: sampled at {recording.samplerate} Hz, but the model was trained at {embedder.samplerate} Hz")
    if not any(embedder.row_count(r.frames) for r in opened):
        span = (embedder.window_frames - 1) * embedder.stride + embedder.context
        raise HarkError(f"{opened[0].path}{' and the others' if len(opened) > 1 else ''}: shorter than one row "
                        f"({span} samples: the model's context and a window of frames); nothing to embed")  # fmt: skip
    out = Path(out)
    settings = {**embedder.settings(), "dtype": params.dtype}
    if (out / MANIFEST).is_file():
        existing = read_index(out).manifest["settings"]
        if existing != settings:
            raise ParameterError("out", f"{out}: holds an index of another model or other settings ({_difference(existing, settings)}); "
                                        "give another {param} or remove it")  # fmt: skip
    in_flight = chunks_in_flight("cpu", threads, params.in_flight)
    engine, why = choose_engine(embedder, params.engine, sum(r.frames for r in opened), in_flight, threads, auto_export_samples)
    out = ensure_writable_dir(out)
    parts = out / PARTS
    parts.mkdir(exist_ok=True)
    total = sum(r.frames for r in opened) or 1
    done_samples = 0
    with open(out / LOG, "a", encoding="utf-8") as log, engine_for_chunks(engine, in_flight, threads) as running:
        embedder = replace(embedder, engine=running)
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} embedding {len(opened)} recording(s) with {embedder.fingerprint['model']} "
                  f"(layer {embedder.layer}, hop {embedder.hop} samples, window {embedder.window_frames} frames; chunks of "
                  f"{embedder.chunk_frames * embedder.stride / embedder.samplerate:.1f} s for at most {params.memory_mb} MB)\n"
                  f"engine {running.name} ({why}), {in_flight} chunk(s) in flight\n")  # fmt: skip
        for number, recording in enumerate(opened, 1):
            key = _part_key(recording.path)
            stat = recording.path.stat()
            part_meta = {"path": str(recording.path), "bytes": stat.st_size, "mtime": stat.st_mtime, "settings": settings,
                         "samplerate": recording.samplerate, "samples": recording.frames, "rows": embedder.row_count(recording.frames)}  # fmt: skip
            if _part_is_done(parts, key, part_meta):
                log.write(f"{number}/{len(opened)} {recording.path}: done before, skipped\n")
            else:
                began = time.monotonic()
                on_samples = _progress_reporter(log, f"{number}/{len(opened)}", recording, done_samples, total, progress)
                _write_part(parts, key, part_meta, recording, embedder, params.dtype, on_samples, in_flight)
                speed = recording.frames / recording.samplerate / max(time.monotonic() - began, 1e-9)
                log.write(f"{number}/{len(opened)} {recording.path}: {part_meta['rows']} rows, {speed:.1f}x real time\n")
            log.flush()
            done_samples += recording.frames
            if progress:
                progress(done_samples / total)
        index = _assemble(out, parts, [_part_key(r.path) for r in opened], settings, embedder)
        log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} index of {index.manifest['rows']} rows written\n")
    return index


def _progress_reporter(log, what: str, recording, base: int, total: int, progress: Callable[[float], None] | None) -> Callable[[int], None]:
    """``report(samples done in this recording)``: the fraction of the corpus to ``progress``, and a
    line to the log every ``LOG_EVERY_S`` seconds (an hour at 250 kHz takes minutes)."""
    began = time.monotonic()
    last = [began]

    def report(samples: int) -> None:
        if progress:
            progress((base + samples) / total)
        now = time.monotonic()
        if now - last[0] >= LOG_EVERY_S:
            last[0] = now
            log.write(f"{what} {samples / max(recording.frames, 1):.0%} ({samples / recording.samplerate / (now - began):.1f}x real time)\n")
            log.flush()

    return report


def _part_key(path: Path) -> str:
    return hashlib.sha1(str(path).encode()).hexdigest()[:16]


def _part_is_done(parts: Path, key: str, meta: dict) -> bool:
    json_path, array_path = parts / f"{key}.json", parts / f"{key}.npy"
    if not (json_path.is_file() and array_path.is_file()):
        return False
    try:
        if json.loads(json_path.read_text(encoding="utf-8")) != json.loads(json.dumps(meta)):
            return False
        return np.load(array_path, mmap_mode="r").shape[0] == meta["rows"]
    except (ValueError, OSError):
        return False


def _write_part(
    parts: Path, key: str, meta: dict, recording, embedder: Embedder, dtype: str, progress: Callable[[int], None], in_flight: int = 1
) -> None:
    """The recording's rows into ``<key>.npy`` (a memory map at a temporary path), then ``<key>.json``."""
    (parts / f"{key}.json").unlink(missing_ok=True)  # the JSON says the array is complete: never beside a stale one
    n_rows = meta["rows"]

    def read(lo: int, hi: int) -> np.ndarray:
        return recording.read(lo, min(hi, recording.frames))

    with atomic_path(parts / f"{key}.npy") as tmp:
        with open(tmp, "wb") as f:  # a file object: np.save would add ".npy" to the temporary name
            if n_rows == 0:
                np.save(f, np.zeros((0, embedder.dims), dtype))
        if n_rows:
            array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(n_rows, embedder.dims))
            first = 0
            for block in embedder.rows_of(read, 0, n_rows, in_flight):
                array[first : first + len(block)] = block
                first += len(block)
                progress(first * embedder.hop)
            array.flush()
            del array
    atomic_write_text(parts / f"{key}.json", json.dumps(meta, indent=1) + "\n")


def _assemble(out: Path, parts: Path, keys: list[str], settings: dict, embedder: Embedder) -> EmbeddingIndex:
    """vectors.npy and rows.npy from the parts (memory-mapped, block by block), then the manifest."""
    metas = [json.loads((parts / f"{key}.json").read_text(encoding="utf-8")) for key in keys]
    total = sum(m["rows"] for m in metas)
    recordings, first = [], 0
    for meta in metas:
        recordings.append({"path": meta["path"], "samplerate": meta["samplerate"], "samples": meta["samples"], "first_row": first, "rows": meta["rows"]})
        first += meta["rows"]
    mean = np.zeros(embedder.dims)
    for key in keys:  # pass 1: the corpus's mean row
        part = np.load(parts / f"{key}.npy", mmap_mode="r")
        for lo in range(0, len(part), ASSEMBLY_BLOCK):
            mean += np.asarray(part[lo : lo + ASSEMBLY_BLOCK], np.float64).sum(axis=0)
    mean /= max(total, 1)
    (out / MANIFEST).unlink(missing_ok=True)  # the manifest describes complete arrays only
    with atomic_path(out / VECTORS) as vectors_tmp, atomic_path(out / ROWS) as rows_tmp:
        vectors = np.lib.format.open_memmap(vectors_tmp, mode="w+", dtype=settings["dtype"], shape=(total, embedder.dims))
        rows = np.lib.format.open_memmap(rows_tmp, mode="w+", dtype=np.int64, shape=(total, 2))
        for number, (key, entry) in enumerate(zip(keys, recordings)):
            lo, hi = entry["first_row"], entry["first_row"] + entry["rows"]
            if hi > lo:
                part = np.load(parts / f"{key}.npy", mmap_mode="r")
                for first in range(0, len(part), ASSEMBLY_BLOCK):
                    block = part[first : first + ASSEMBLY_BLOCK]
                    vectors[lo + first : lo + first + len(block)] = centre(block, mean)
                rows[lo:hi, 0] = number
                rows[lo:hi, 1] = np.arange(entry["rows"], dtype=np.int64) * embedder.hop + embedder.context // 2
        vectors.flush()
        rows.flush()
        del vectors, rows
    manifest = {"format": FORMAT, "settings": settings, "hop": embedder.hop, "window": embedder.window_frames * embedder.stride,
                "row_span": (embedder.window_frames - 1) * embedder.stride + embedder.context, "rows": total,
                "mean": [float(v) for v in mean],
                "recordings": recordings}  # fmt: skip
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return EmbeddingIndex(out, manifest)


def _difference(old: dict, new: dict) -> str:
    """The first setting that differs, said briefly."""
    old_print, new_print = old.get("fingerprint", {}), new.get("fingerprint", {})
    if old_print.get("model") != new_print.get("model"):
        return f"model {old_print.get('model')}, not {new_print.get('model')}"
    if old_print != new_print:
        return f"checkpoint {old_print.get('checkpoint')} (SHA-256 {str(old_print.get('checkpoint_sha256'))[:12]}), not this one"
    key = next((k for k in new if old.get(k) != new.get(k)), "?")
    return f"{key} {old.get(key)}, not {new.get(key)}"
