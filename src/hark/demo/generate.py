"""Write demo recordings and their ground truth as SongExplorer ground-truth folders.

Each recording ``<name>.wav`` (mono, 16-bit PCM) gets ``<name>.wav-annotated-demo.csv``
beside it, in SongExplorer's format ``wavfile,start,stop,kind,label`` without a header;
events with frequency bounds (USVs) add hark's columns ``low_hz,high_hz,score``.

Recording ``i`` of a species is drawn from its own generator, seeded by ``(seed, species,
i)``, so asking for more recordings leaves the earlier ones unchanged. Every file is
written atomically: an interrupted run never leaves a half-written WAV or CSV behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import soundfile as sf

from hark.annotations.event import Event
from hark.annotations.songexplorer import write_csv
from hark.demo.fly import FLY_SAMPLERATE, FlySongParams, synthesize_fly
from hark.demo.usv import USV_SAMPLERATE, UsvParams, synthesize_usv
from hark.demo.whale import WHALE_SAMPLERATE, WhaleParams, synthesize_whale_clip
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text, ensure_writable_dir

CSV_SUFFIX = "-annotated-demo.csv"
# Fixed per species so that the same seed gives unrelated sounds for each of them.
_SPECIES_STREAM = {"fly": 1, "usv": 2, "whale": 3}

WHALE_TABLE = "clips.csv"
"""The clip-label table :func:`generate_whale` writes beside the clips."""


@dataclass(frozen=True)
class DemoRecording:
    """One generated recording: where it was written and what it truly contains.

    ``metadata`` holds truth that is not an event: for whale upcall clips ``call_start``,
    ``call_stop`` (samples), ``call_start_hz``, ``call_end_hz`` and ``call_amplitude``.
    """

    wav: Path
    csv: Path
    events: tuple[Event, ...]
    samplerate: int
    frames: int
    metadata: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def name(self) -> str:
        """The file name, as the events' ``recording`` and SongExplorer's ``wavfile`` have it."""
        return self.wav.name


def generate_fly(
    out_dir: str | Path,
    n_recordings: int = 2,
    duration_s: float = 60.0,
    seed: int = 0,
    params: FlySongParams | None = None,
) -> list[DemoRecording]:
    """Write ``fly-01.wav``... (2500 Hz) with ``mel-pulse``, ``mel-sine`` and ``ambient`` truth."""
    return _generate_recordings(out_dir, "fly", synthesize_fly, FLY_SAMPLERATE, n_recordings, duration_s, seed, params)


def generate_usv(
    out_dir: str | Path,
    n_recordings: int = 2,
    duration_s: float = 10.0,
    seed: int = 0,
    params: UsvParams | None = None,
) -> list[DemoRecording]:
    """Write ``usv-01.wav``... (250 kHz) with ``usv`` ranges that carry frequency bounds."""
    return _generate_recordings(out_dir, "usv", synthesize_usv, USV_SAMPLERATE, n_recordings, duration_s, seed, params)


def _generate_recordings(out_dir, species: str, synthesize, samplerate: int, count: int, duration_s: float, seed: int, params):
    out = _prepare(out_dir, count)
    written = []
    for i, name in enumerate(_names(species, count)):
        samples, events = synthesize(duration_s, samplerate, _rng(seed, species, i), params, name)
        written.append(_write_recording(out, name, samples, samplerate, events))
    return written


def generate_whale(
    out_dir: str | Path,
    n_clips: int = 40,
    seed: int = 0,
    params: WhaleParams | None = None,
) -> list[DemoRecording]:
    """Write ``whale-001.wav``... (2000 Hz clips), ``n_clips // 2`` of them with an upcall, each
    with its CSV, and ``clips.csv``: the same labels as one clip-label table (``file,label``), the
    form whale data sets come in (``hark train --data .../clips.csv --supervision clip``).

    Which clips hold an upcall is shuffled, so the label cannot be read off the clip number.
    """
    out = _prepare(out_dir, n_clips)
    has_upcall = np.zeros(n_clips, dtype=bool)
    has_upcall[: n_clips // 2] = True
    has_upcall = _rng(seed, "whale", -1).permutation(has_upcall)
    written = []
    for i, name in enumerate(_names("whale", n_clips, width=3)):
        samples, events, truth = synthesize_whale_clip(bool(has_upcall[i]), WHALE_SAMPLERATE, _rng(seed, "whale", i), params, name)
        written.append(_write_recording(out, name, samples, WHALE_SAMPLERATE, events, truth))
    table = "".join(f"{clip.wav.name},{clip.events[0].label}\n" for clip in written)
    atomic_write_text(out / WHALE_TABLE, "file,label\n" + table)
    return written


def generate_all(out_root: str | Path, seed: int = 0) -> dict[str, list[DemoRecording]]:
    """Every species with its default sizes, into ``out_root/fly``, ``/usv`` and ``/whale``."""
    root = Path(out_root)
    return {
        "fly": generate_fly(root / "fly", seed=seed),
        "usv": generate_usv(root / "usv", seed=seed),
        "whale": generate_whale(root / "whale", seed=seed),
    }


def write_demo_csv(path: str | Path, events: Iterable[Event]) -> None:
    """Write ``events`` as SongExplorer rows, plus hark's ``low_hz,high_hz,score`` where any has them.

    The one place the demo formats annotations, so that it stays in step with what
    :func:`hark.annotations.read_csv` reads.
    """
    write_csv(path, list(events))


def write_wav(path: str | Path, samples: np.ndarray, samplerate: int) -> None:
    """Write mono 16-bit PCM atomically; refuse to clip, which would corrupt the ground truth."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak >= 1.0:
        raise HarkError(f"{path}: the demo sound peaks at {peak:.2f} of full scale and would clip; lower its noise_mad")
    with atomic_path(path) as tmp:
        sf.write(tmp, samples, samplerate, subtype="PCM_16", format="WAV")


def _write_recording(out: Path, name: str, samples, samplerate: int, events, metadata=None) -> DemoRecording:
    wav = out / name
    csv = out / f"{name}{CSV_SUFFIX}"
    write_wav(wav, samples, samplerate)
    write_demo_csv(csv, events)
    return DemoRecording(wav, csv, tuple(events), samplerate, len(samples), MappingProxyType(dict(metadata or {})))


def _prepare(out_dir: str | Path, count: int) -> Path:
    if count < 0:
        raise HarkError(f"demo: cannot make {count} recordings")
    return ensure_writable_dir(out_dir)


def _names(species: str, count: int, width: int = 2) -> list[str]:
    width = max(width, len(str(count)))
    return [f"{species}-{i + 1:0{width}d}.wav" for i in range(count)]


def _rng(seed: int, species: str, index: int) -> np.random.Generator:
    # SeedSequence entropy must be non-negative; -1 (the whale label shuffle) maps to 0 and
    # recordings to 1, 2, ... so that the streams never coincide.
    if int(seed) < 0:
        raise HarkError(f"demo: seed {seed} must be zero or positive")
    return np.random.default_rng([int(seed), _SPECIES_STREAM[species], index + 1])
