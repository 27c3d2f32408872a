"""``compute_activations``: a trained model's hidden-layer activations for chosen sounds.

Each sound (an event of a ground-truth folder) is cut out as one context window of the model
centred on the event's middle (a point's own sample), zero-padded at the recording's ends,
and run through the model's ``forward_hidden``; every hidden layer's output for that window,
``(channels, frames)``, is flattened into one row. Sounds the model separates sit apart in
its later layers, which is what ``hark cluster`` shows (SongExplorer's "activations").

Written to the output folder:

- ``sounds.csv``: the sounds, one per row, in hark's CSV (row ``i`` is row ``i`` of every layer);
- ``layers/<layer>.npy``: float32, ``(sounds, features)``, written batch by batch into a
  memory-mapped file, so memory stays bounded by a batch whatever the number of sounds;
- ``activations.json``: the model, checkpoint step, layer shapes and parameters used.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pydantic import Field, field_validator

from hark.annotations.event import KIND_NAMES, Event
from hark.annotations.folder import scan_folder
from hark.annotations.songexplorer import read_csv, write_csv
from hark.audio.recording import open_recording
from hark.embed.sounds import subsample_sounds
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text, ensure_writable_dir
from hark.models.base import FrameModel
from hark.models.channels import input_channels_of
from hark.models.store import load_model
from hark.params import Params

SOUNDS_CSV = "sounds.csv"
META_JSON = "activations.json"
LAYERS_DIR = "layers"


class ActivationParams(Params):
    """Which sounds to embed and how many (SongExplorer's ``activations`` settings)."""

    kinds: list[str] = Field(["annotated", "detected"], description="kinds of events to embed (annotated, detected, predicted, missed, ...)")
    labels: list[str] | None = Field(None, description="labels to embed (default: every label of those kinds)")
    max_sounds: int = Field(10_000, ge=1, le=10_000_000, description="at most this many sounds in all, drawn at random per label")
    equalize_ratio: float | None = Field(
        None, ge=1, description="at most this many times as many sounds of any label as of the rarest (default: no cap)"
    )
    layers: list[str] | None = Field(None, description="hidden layers to keep (default: all the model has)")
    seed: int = Field(1, ge=0, description="seed of the random choice of sounds")
    batch_size: int = Field(64, ge=1, le=100_000, description="sounds run through the model at once")

    @field_validator("kinds", "labels", "layers", mode="before")
    @classmethod
    def _split_commas(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        unknown = [kind for kind in kinds if kind not in KIND_NAMES]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r} (known: {', '.join(KIND_NAMES)})")
        if not kinds:
            raise ValueError("no kinds given")
        return kinds


@dataclass(frozen=True)
class Activations:
    """What :func:`compute_activations` wrote (and :func:`read_activations` reads back)."""

    folder: Path
    sounds: list[Event]
    layers: dict[str, tuple[int, int]]  # layer -> (channels, frames) of one window
    meta: dict

    def layer(self, name: str) -> np.ndarray:
        """``(sounds, features)`` of one layer, memory-mapped."""
        if name not in self.layers:
            raise HarkError(f"{self.folder}: no activations of layer {name!r} (there are {', '.join(self.layers)})")
        return np.load(self.folder / LAYERS_DIR / f"{layer_file_stem(name)}.npy", mmap_mode="r")


def compute_activations(
    model: str | Path,
    data_root: str | Path,
    params: ActivationParams,
    out: str | Path,
    checkpoint: str | int | None = None,
    progress: Callable[[float], None] | None = None,
) -> Activations:
    """Hidden-layer activations of the sounds of ``data_root`` chosen by ``params``, written to ``out``."""
    loaded = load_model(model, checkpoint)
    module = loaded.module
    if not isinstance(module, FrameModel) or not module.hidden_layers():
        raise HarkError(f"{model}: activations need a frame model with hidden layers (this is {loaded.config.architecture})")
    if input_channels_of(module) > 1:  # sounds are read from one channel (docs/channels.md)
        raise HarkError(f"{model}: reads {input_channels_of(module)} channels at once; activations read one channel, so need a model of one")
    layers = params.layers or module.hidden_layers()
    unknown = [name for name in layers if name not in module.hidden_layers()]
    if unknown:
        raise HarkError(f"layer {unknown[0]!r}: {model} has no such layer (it has {', '.join(module.hidden_layers())})")
    folder = scan_folder(data_root)
    events = folder.load_events(params.kinds, params.labels)
    if not events:
        wanted = f"labels {', '.join(params.labels)} of " if params.labels else ""
        raise HarkError(f"{data_root}: no events of {wanted}kinds {', '.join(params.kinds)} to embed")
    sounds = subsample_sounds(events, params.max_sounds, params.equalize_ratio, params.seed)
    out = ensure_writable_dir(out)
    (out / LAYERS_DIR).mkdir(exist_ok=True)

    context = module.context
    with torch.no_grad():
        probe = module.forward_hidden(torch.zeros(1, 1, context))
    shapes = {name: (int(probe[name].shape[1]), int(probe[name].shape[2])) for name in layers}
    with contextlib.ExitStack() as files:  # each layer file is renamed into place only if all went well
        arrays = {
            name: np.lib.format.open_memmap(
                files.enter_context(atomic_path(out / LAYERS_DIR / f"{layer_file_stem(name)}.npy")),
                mode="w+", dtype=np.float32, shape=(len(sounds), c * f),
            )
            for name, (c, f) in shapes.items()
        }
        done = 0
        for rows, batch in _windows(Path(data_root), sounds, context, loaded.config.samplerate, params.batch_size):
            with torch.no_grad():
                hidden = module.forward_hidden(torch.from_numpy(batch)[:, None, :])
            for name, array in arrays.items():
                array[rows] = hidden[name].reshape(len(rows), -1).numpy()
            done += len(rows)
            if progress:
                progress(done / len(sounds))
        for array in arrays.values():
            array.flush()
        del arrays
    write_csv(out / SOUNDS_CSV, sounds, extras=True)
    meta = {
        "model": str(Path(model).resolve()), "checkpoint_step": loaded.step, "architecture": loaded.config.architecture,
        "samplerate": loaded.config.samplerate, "context": context, "data_root": str(Path(data_root).resolve()),
        "layers": {name: list(shape) for name, shape in shapes.items()}, "params": params.model_dump(mode="json"),
        "sounds": len(sounds), "events_found": len(events),
    }
    atomic_write_text(out / META_JSON, json.dumps(meta, indent=1) + "\n")
    return Activations(out, sounds, shapes, meta)


def read_activations(folder: str | Path) -> Activations:
    """The activations written by :func:`compute_activations` (a clear error if it has not run)."""
    folder = Path(folder)
    meta_path = folder / META_JSON
    if not meta_path.is_file():
        raise HarkError(f"{folder}: no {META_JSON}; run hark activations --out {folder} first")
    try:
        meta = json.loads(meta_path.read_text())
        layers = {name: (int(shape[0]), int(shape[1])) for name, shape in meta["layers"].items()}
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise HarkError(f"{meta_path}: not an activations description ({err})") from None
    sounds = read_csv(folder / SOUNDS_CSV)
    return Activations(folder, sounds, layers, meta)


def _windows(root: Path, sounds: list[Event], context: int, samplerate: int, batch_size: int):
    """Yield ``(row indices, (n, context) float32)``: each sound's window, recording by recording."""
    by_recording: dict[str, list[int]] = defaultdict(list)
    for index, sound in enumerate(sounds):
        by_recording[sound.recording].append(index)
    for name, indices in by_recording.items():
        recording = open_recording(root / name)
        if recording.samplerate != samplerate:
            raise HarkError(f"{recording.path}: sampled at {recording.samplerate} Hz, but the model was trained at {samplerate} Hz")
        for first in range(0, len(indices), batch_size):
            rows = indices[first : first + batch_size]
            batch = np.zeros((len(rows), context), np.float32)
            for i, row in enumerate(rows):
                sound = sounds[row]
                start = (sound.start + sound.stop) // 2 - context // 2
                lo, hi = max(start, 0), min(start + context, recording.frames)
                if hi > lo:
                    batch[i, lo - start : hi - start] = recording.read(lo, hi)
            yield rows, batch


def layer_file_stem(layer: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", layer)
