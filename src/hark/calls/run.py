"""``hark calls``: find each recording's calls, measure them, write the tables.

Which events are a recording's calls, first rule that applies:

1. the CSV named by ``events_file``;
2. ``OUT/<rec>-denoised.csv`` (``hark denoise``);
3. ``OUT/<rec>-predicted-<ratio>pr.csv`` (``hark ethogram``), if there is exactly one;
4. ``<rec>-annotated-<who>.csv`` beside the recording, if there is exactly one.

Several candidates at one step (two ratios, two annotators) is an error asking for
``--events``. Events marked ``rejected`` (by a denoiser or a person) are never measured. A CSV
holding several recordings gives each recording the events whose ``wavfile`` has its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from hark.annotations.event import Event, Kind, Status
from hark.annotations.naming import parse_annotation_name, recording_candidates
from hark.annotations.songexplorer import read_csv
from hark.audio.recording import open_recording
from hark.calls.stats import CallStats, CallStatsParams, call_statistics
from hark.calls.tables import write_calls_csv, write_calls_workbook
from hark.errors import HarkError, ParameterError
from hark.fileio import ensure_writable_dir

WORKBOOK_NAME = "calls.xlsx"


@dataclass(frozen=True)
class CallEvents:
    """A recording's calls and the CSV they were read from."""

    recording: Path
    events: list[Event]
    source: Path


@dataclass(frozen=True)
class CallsWritten:
    recording: Path
    source: Path
    table: Path
    calls: int


def calls_csv_name(recording: str | PurePath) -> str:
    """``song.wav-calls.csv``: the recording's file name, extension kept, as hark's CSVs are named."""
    return f"{PurePath(recording).name}-calls.csv"


def find_call_events(recording: Path, out_dir: Path, events_file: Path | None = None, only_recording: bool = False) -> CallEvents:
    """The calls of ``recording`` by the rule of this module; ``only_recording`` says it is the run's only one."""
    recording = Path(recording)
    if events_file is not None:
        return CallEvents(recording, _events_of(events_file, recording, lenient=only_recording), Path(events_file))
    name = recording.name
    denoised = [out_dir / f"{n}-denoised.csv" for n in (name, recording.stem)]
    found = next((p for p in denoised if p.is_file()), None)
    if found is not None:
        return CallEvents(recording, _events_of(found, recording, lenient=True), found)
    predicted = _named_csvs(out_dir, name, lambda parsed: parsed.kind is Kind.PREDICTED and parsed.ratio is not None)
    if len(predicted) > 1:
        raise ParameterError("events", f"{name}: {len(predicted)} predicted CSVs in {out_dir} ({', '.join(p.name for p in predicted)}); choose one with {{param}}")
    if predicted:
        return CallEvents(recording, _events_of(predicted[0], recording, lenient=True), predicted[0])
    annotated = _named_csvs(recording.parent, name, lambda parsed: parsed.kind is Kind.ANNOTATED)
    if len(annotated) > 1:
        raise ParameterError("events", f"{name}: {len(annotated)} annotation CSVs beside it ({', '.join(p.name for p in annotated)}); choose one with {{param}}")
    if annotated:
        return CallEvents(recording, _events_of(annotated[0], recording, lenient=True), annotated[0])
    raise ParameterError(
        "events",
        f"{name}: no calls found: no {name}-denoised.csv or {name}-predicted-<ratio>pr.csv in {out_dir}, and no "
        f"{name}-annotated-<who>.csv beside the recording; name an event CSV with {{param}}",
    )


def _named_csvs(folder: Path, recording_name: str, wanted: Callable) -> list[Path]:
    """The CSVs in ``folder`` whose SongExplorer name names ``recording_name`` and passes ``wanted``."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        parsed = parse_annotation_name(path.name) if path.suffix == ".csv" and path.is_file() else None
        if parsed is not None and wanted(parsed) and recording_candidates(parsed.recording, [recording_name]):
            found.append(path)
    return found


def _events_of(path: Path, recording: Path, lenient: bool) -> list[Event]:
    """The events of ``recording`` in the CSV ``path``, rejected ones left out.

    Events are matched by the file name of their ``wavfile``; with ``lenient``, a CSV that
    holds one recording under another name is taken whole (its name says whose it is).
    """
    events = read_csv(path, allow_empty=True)
    mine = [e for e in events if PurePath(e.recording).name == recording.name]
    names = sorted({e.recording for e in events})
    if not mine and events:
        if not (lenient and len(names) == 1):
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise HarkError(f"{path} has no events of {recording.name} (it has events of {shown})")
        mine = events
    return [e for e in mine if e.status is not Status.REJECTED]


def write_call_statistics(
    recordings: Sequence[Path],
    out_dir: Path,
    params: CallStatsParams | None = None,
    events_file: Path | None = None,
    channel: int = 0,
    reader: str = "auto",
    reader_params: dict | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[CallsWritten]:
    """Measure every recording's calls into ``OUT/<rec>-calls.csv`` and all of them into ``OUT/calls.xlsx``.

    Every recording's calls are found and every recording opened before anything is
    measured or written, so a mistake in the inputs leaves ``out_dir`` as it was.
    """
    params = params or CallStatsParams()
    if not recordings:
        raise HarkError("no recordings given")
    names: dict[str, Path] = {}
    for path in recordings:
        if Path(path).name in names:
            raise HarkError(f"two recordings are named {Path(path).name} ({names[Path(path).name]} and {path}); their tables would collide in {out_dir}")
        names[Path(path).name] = Path(path)
    audio = [open_recording(path, channel=channel, reader=reader, reader_params=reader_params) for path in recordings]
    found = [find_call_events(Path(path), Path(out_dir), events_file, only_recording=len(recordings) == 1) for path in recordings]
    out_dir = ensure_writable_dir(out_dir)
    written: list[CallsWritten] = []
    all_stats: list[list[CallStats]] = []
    for index, (recording, calls) in enumerate(zip(audio, found)):
        stats = call_statistics(recording, calls.events, params)
        table = out_dir / calls_csv_name(recording.path)
        write_calls_csv(table, stats)
        all_stats.append(stats)
        written.append(CallsWritten(recording.path, calls.source, table, len(stats)))
        if progress is not None:
            progress((index + 1) / len(audio))
    write_calls_workbook(out_dir / WORKBOOK_NAME, all_stats)
    return written
