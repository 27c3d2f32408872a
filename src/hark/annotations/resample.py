"""``hark resample``: recordings resampled to one rate, with the sample times of their annotation
CSVs scaled to match.

A model works at one sample rate, and data sets mix rates (the bat project of
``../shared/data/bat``: 375, 384 and 500 kHz). :func:`resample_recordings` writes each
recording at the new rate (:func:`hark.audio.resample.resample_file`) and, beside it, every
hark/SongExplorer CSV of the recording with its start and stop ticks scaled by the same factor
(frequency bounds are in Hz and stay). Downsampling removes what lies above the new Nyquist
frequency: a CSV box that reaches above it is refused, since its sound would be gone.

It lives in annotations, not audio, because it reads and writes annotation CSVs: audio stays
below annotations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from hark.annotations.event import Event
from hark.annotations.naming import match_recording, parse_annotation_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.audio import find_recordings
from hark.audio.resample import BLOCK_SECONDS, rate_ratio, resample_file, scale_tick
from hark.errors import HarkError, ParameterError
from hark.fileio import ensure_writable_dir


@dataclass(frozen=True)
class ResampledRecording:
    """One recording written at the new rate, and the CSVs that came with it."""

    source: Path
    output: Path
    source_rate: int
    rate: int
    frames: int
    annotations: tuple[Path, ...]


def resampled_events(events: Sequence[Event], up: int, down: int) -> list[Event]:
    """``events`` with their ticks scaled by ``up/down`` (frequency bounds, in Hz, stay)."""
    return [event.with_(start=scale_tick(event.start, up, down), stop=scale_tick(event.stop, up, down)) for event in events]


def check_boxes_fit(events_of_csv: dict[Path, Sequence[Event]], rate: int) -> None:
    """A one-line HarkError when a box reaches above the Nyquist frequency of ``rate``: its sound would be gone."""
    nyquist = rate / 2
    over = [(event.high_hz, path, event) for path, events in events_of_csv.items() for event in events if (event.high_hz or 0) > nyquist]
    if over:
        high, path, event = max(over, key=lambda found: found[0])
        files = len({path for _, path, _ in over})
        raise HarkError(
            f"{path}: {len(over)} box{'es' if len(over) > 1 else ''} of {files} CSV{'s' if files > 1 else ''} {'reach' if len(over) > 1 else 'reaches'} above the "
            f"Nyquist frequency {nyquist:g} Hz of {rate} Hz audio, up to {high:g} Hz (the event at sample {event.start} here); "
            f"resampling would remove their sound: choose a rate of at least {2 * high:g} Hz"
        )


def annotation_csvs(recording: Path) -> list[Path]:
    """The hark/SongExplorer CSVs beside ``recording`` that annotate it (by their names)."""
    folder = recording.parent
    names = [p.name for p in folder.iterdir() if p.is_file() and not p.name.endswith(".csv")]
    return sorted(
        path for path in folder.glob("*.csv") if parse_annotation_name(path.name) and match_recording(path.name, names) == recording.name
    )


def resample_recordings(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    rate: int,
    *,
    subtype: str | None = None,
    block_seconds: float = BLOCK_SECONDS,
    progress: Callable[[float], None] | None = None,
) -> list[ResampledRecording]:
    """Write every recording of ``paths`` (files, or folders searched recursively) at ``rate`` under ``out_dir``.

    A recording named directly goes to ``out_dir/<name>``; one found in a folder keeps its
    path below that folder. Its annotation CSVs go beside it with scaled ticks. All CSVs are
    read and checked before any audio is written; an output may not overwrite its source.
    """
    if int(rate) != rate or rate <= 0:
        raise ParameterError("rate", f"{{param}} {rate}: must be a positive whole number of Hz")
    rate = int(rate)
    out_dir = Path(out_dir)
    jobs = []  # (source, output, its soundfile info, its CSVs' events)
    for path in map(Path, paths):
        found = find_recordings([path])
        for source in found:
            output = out_dir / (source.relative_to(path) if path.is_dir() else source.name)
            if output.resolve() == source.resolve():
                raise ParameterError("out_dir", f"{source}: the output would overwrite it; choose another {{param}}")
            if any(output == other for _, other, *_ in jobs):
                raise HarkError(f"{source}: another recording of the same name also goes to {output}; resample them into different folders")
            try:
                info = sf.info(str(source))
            except (sf.LibsndfileError, RuntimeError) as err:
                raise HarkError(f"{source}: cannot read this recording ({err})") from None
            csvs = {csv: read_csv(csv, allow_empty=True) for csv in annotation_csvs(source)}
            jobs.append((source, output, info, csvs))
    check_boxes_fit({csv: events for *_, csvs in jobs for csv, events in csvs.items()}, rate)
    ensure_writable_dir(out_dir)
    total = sum(info.frames for _, _, info, _ in jobs) or 1
    done = 0
    results = []
    for source, output, info, csvs in jobs:
        before = done

        def advance(frames: int, before: int = before) -> None:
            if progress is not None:
                progress((before + frames) / total)

        frames = resample_file(source, output, rate, subtype=subtype, block_seconds=block_seconds, progress=advance)
        done += info.frames
        up, down = rate_ratio(info.samplerate, rate)
        written = []
        for csv, events in csvs.items():
            write_csv(output.parent / csv.name, resampled_events(events, up, down))
            written.append(output.parent / csv.name)
        results.append(ResampledRecording(source, output, info.samplerate, rate, frames, tuple(written)))
    return results


__all__ = ["ResampledRecording", "annotation_csvs", "check_boxes_fit", "resample_recordings", "resampled_events"]
