"""``denoise_recordings``: a denoiser's verdict on each detected or predicted event (DeepSqueak's post-hoc step).

A denoiser is a model trained with ``--supervision events`` (see
:mod:`hark.train.data_events`): it classifies the crop of one event into its labels, one of
which is the label that rejected events were taught as (``rejected_label``, by default
``noise``). For each recording this reads its events, classifies each event's crop (reading
only those samples of the recording, cut exactly as in training), and writes
``DIR/<rec>-denoised.csv`` with **every** event of the input:

- ``status`` ``rejected`` when the rejected label wins, else ``accepted``. It wins when it is
  the most probable label; with a ``threshold``, when its probability reaches it; with a
  ``ratio``, when it reaches the rejected label's threshold at that precision-recall ratio in
  ``DENOISER/accuracy/thresholds.csv`` (``hark accuracy``; a ratio above 1 rejects only
  events it is surer of);
- ``score`` the denoiser's probability of its verdict: ``p(rejected label)`` for a rejected
  event, ``1 - p(rejected label)`` (that it is a call of some label) for an accepted one;
- ``label`` unchanged, unless ``relabel``: then an accepted event takes the most probable of
  the denoiser's other labels (for a denoiser trained on several call types);
- ``kind`` ``predicted`` (a model has judged it), whatever it was in the input; start, stop and
  frequency bounds unchanged.

The input file is never rewritten. Which events (by default): the recording's
``<rec>-predicted-<ratio>pr.csv`` in ``DIR`` when there is exactly one, else its
``<rec>-detected.csv`` there; or CSVs named explicitly (``events``), whose rows are matched
to the recordings by their ``wavfile`` column. Everything is checked before any work starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from hark.annotations.event import Event, Kind, Status
from hark.annotations.naming import denoised_csv_name, parse_annotation_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.audio.recording import Recording, open_recording
from hark.errors import HarkError, ParameterError
from hark.fileio import ensure_writable_dir
from hark.infer.classify import plugin_modules
from hark.infer.engines import Engine, open_engine
from hark.infer.misses import glob_escape
from hark.infer.requests import DenoiseJobParams, DenoiseRequest
from hark.jobs.per_recording import run_per_recording
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import JobOutcome
from hark.models.store import ModelConfig, load_config
from hark.train.data_events import EventCropper
from hark.train.supervisions import supervision_of

DEFAULT_BATCH = DenoiseRequest.model_fields["batch_size"].default  # crops per model call: ~6 MB of 100 ms crops at 250 kHz


@dataclass(frozen=True)
class DenoiseJob:
    """One recording, the CSV its events come from and the CSV to write."""

    recording: Recording
    events_csv: Path
    events: tuple[Event, ...]
    output: Path


@dataclass(frozen=True)
class DenoiseResult:
    recording: Path
    events_csv: Path
    output: Path | None
    accepted: int
    rejected: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Verdicts:
    """The decision rule: which output is the rejected label and when it wins."""

    output_names: tuple[str, ...]
    rejected: int  # index of the rejected label among the outputs
    threshold: float | None  # None: the rejected label wins when it is the most probable

    def rejects(self, probabilities: np.ndarray) -> np.ndarray:
        """(n,) bool from (n, outputs) probabilities."""
        if self.threshold is None:
            return probabilities.argmax(axis=1) == self.rejected
        return probabilities[:, self.rejected] >= self.threshold

    def apply(self, events: Sequence[Event], probabilities: np.ndarray, relabel: bool) -> list[Event]:
        rejected = self.rejects(probabilities)
        p_rejected = probabilities[:, self.rejected]
        others = [i for i in range(len(self.output_names)) if i != self.rejected]
        judged = []
        for event, is_rejected, p, row in zip(events, rejected.tolist(), p_rejected.tolist(), probabilities):
            changes: dict[str, Any] = {
                "kind": Kind.PREDICTED,
                "status": Status.REJECTED if is_rejected else Status.ACCEPTED,
                "score": round(p if is_rejected else 1.0 - p, 6),
            }
            if relabel and not is_rejected and others:
                changes["label"] = self.output_names[others[int(np.argmax(row[others]))]]
            judged.append(event.with_(**changes))
        return judged


def check_denoiser(model: str | Path) -> tuple[ModelConfig, str]:
    """The denoiser's configuration and its rejected label; another kind of model is a HarkError."""
    config = load_config(model)
    if not supervision_of(config.supervision).denoises:
        what = "frames" if config.kind == "frame" else "whole clips"
        raise HarkError(
            f"{model} is not a denoiser: it was trained with {config.supervision} supervision and classifies {what}; "
            "train one with hark train --supervision events"
        )
    rejected_label = str(config.data.get("rejected_label", "noise"))
    if rejected_label not in config.output_names:
        raise HarkError(
            f"{model}: its labels ({','.join(config.output_names)}) do not include {rejected_label!r}, the label of "
            "rejected events, so it cannot reject any; train it with that label too"
        )
    return config, rejected_label


def decision_rule(model: str | Path, config: ModelConfig, rejected_label: str, threshold: float | None, ratio: float | None) -> Verdicts:
    """The rule from ``threshold`` or ``ratio`` (at most one; neither: the most probable label)."""
    from hark.infer.ethogram import read_thresholds

    if threshold is not None and ratio is not None:
        raise ParameterError("threshold", "give {param} or {ratio}, not both", others=("ratio",))
    if threshold is not None and not 0 < threshold <= 1:
        raise ParameterError("threshold", f"{{param}} {threshold:g} must lie in (0, 1]: a probability of {rejected_label!r}")
    if ratio is not None:
        if ratio <= 0:
            raise ParameterError("ratio", f"{{param}} {ratio:g} must be positive")
        thresholds = read_thresholds(model, ratio)
        if rejected_label not in thresholds:
            raise HarkError(f"{model}: its thresholds at ratio {ratio:g} have none for {rejected_label!r}; run hark accuracy {model} again")
        threshold = thresholds[rejected_label]
    names = tuple(config.output_names)
    return Verdicts(names, names.index(rejected_label), threshold)


def plan_denoising(
    config: ModelConfig,
    model: str | Path,
    recordings: Sequence[str | Path],
    out_dir: Path,
    events: Sequence[str | Path] | None,
) -> list[DenoiseJob]:
    """Open every recording, find and read its events, check them, name the outputs."""
    if not recordings:
        raise HarkError("no recordings given")
    data = config.data
    opened = []
    for path in recordings:
        recording = open_recording(path, channel=int(data.get("channel", 0)), reader=str(data.get("reader", "auto")), reader_params=data.get("reader_params"))
        if recording.samplerate != config.samplerate:
            raise HarkError(
                f"{recording.path}: sampled at {recording.samplerate} Hz, but the denoiser {model} was trained at "
                f"{config.samplerate} Hz; resample the recording (hark resample --rate {config.samplerate}) or train a denoiser at its rate"
            )
        opened.append(recording)
    names = [r.name for r in opened]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError("out_dir", f"two recordings are called {twice[0]}; their denoised files would collide in {out_dir}: denoise them into separate {{param}} folders")
    if events:
        found = _events_from_files([Path(p) for p in events], opened)
    else:
        found = {r.name: _default_events_csv(r, out_dir) for r in opened}
        found = {name: (path, _read_events(path, name)) for name, path in found.items()}
    jobs = []
    for recording in opened:
        csv, rows = found[recording.name]
        for event in rows:
            if event.start >= recording.frames:
                raise HarkError(f"{csv}: event {event.start}..{event.stop} lies beyond the end of {recording.name} ({recording.frames} samples)")
        output = out_dir / denoised_csv_name(recording.name)
        if output.resolve() == csv.resolve():
            raise ParameterError("out_dir", f"{csv}: would be overwritten by its own denoised version; name another {{param}} folder")
        jobs.append(DenoiseJob(recording, csv, tuple(rows), output))
    return jobs


def denoise_recordings(
    request: DenoiseRequest,
    *,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    cluster: ClusterSettings | str | None = None,
) -> list[DenoiseResult]:
    """Write ``<rec>-denoised.csv`` in the request's ``out`` for each recording (see the module).

    One ``denoise`` job per recording (:func:`hark.jobs.run_per_recording`): here, in
    ``workers`` local processes, or on ``cluster``. Results in the order of the recordings; a
    recording that fails has ``error`` set and the others still run. ``progress`` gets the
    fraction of all audio done.
    """
    jobs, engine = plan_denoise_request(request)
    workers = max(1, min(workers, len(jobs)))
    run_here = None
    if cluster is None and workers > 1:  # each process opens its own model
        threads = max(1, (os.cpu_count() or 1) // workers)
        jobs = [job.model_copy(update={"threads": threads}) for job in jobs]
    elif cluster is None:
        run_here = partial(run_denoise_job, engine=engine)
    del engine
    return run_per_recording(
        jobs, run_denoise_job, [job.frames for job in jobs], kind="denoise", from_outcome=_result_of, workers=workers,
        progress=progress, cluster=cluster, run_here=run_here, preload_modules=plugin_modules(Path(request.model)),
    )


def plan_denoise_request(request: DenoiseRequest) -> tuple[list[DenoiseJobParams], Engine]:
    """Check everything (the denoiser, its rule, every recording and its events, the outputs, the
    checkpoint) and return one ``denoise`` job record per recording, with the opened model."""
    model = request.model
    config, rejected_label = check_denoiser(model)
    verdicts = decision_rule(model, config, rejected_label, request.threshold, request.ratio)
    out_dir = ensure_writable_dir(request.out)
    planned = plan_denoising(config, model, request.recordings, out_dir, request.events)
    engine = open_engine(model, request.checkpoint, "auto", request.device)  # a bad checkpoint fails here
    jobs = [
        DenoiseJobParams(
            recording=str(job.recording.path.absolute()), output=str(job.output.absolute()), events_csv=str(job.events_csv.absolute()),
            model=str(Path(model).absolute()), checkpoint=request.checkpoint, device=request.device, threshold=verdicts.threshold,
            relabel=request.relabel, batch_size=request.batch_size, frames=job.recording.frames,
        )
        for job in planned
    ]  # fmt: skip
    return jobs, engine


def run_denoise_job(job: DenoiseJobParams, progress: Callable[[float], None] | None = None, engine: Engine | None = None) -> DenoiseResult:
    """Judge one recording's events and write its ``-denoised.csv``; a HarkError becomes a failed result."""
    recording_path, events_csv = Path(job.recording), Path(job.events_csv)
    try:
        config, rejected_label = check_denoiser(job.model)
        names = tuple(config.output_names)
        verdicts = Verdicts(names, names.index(rejected_label), job.threshold)
        data = config.data
        recording = open_recording(recording_path, channel=int(data.get("channel", 0)), reader=str(data.get("reader", "auto")), reader_params=data.get("reader_params"))
        events = [e for e in read_csv(events_csv, allow_empty=True) if PurePath(e.recording).name == recording.name]
        if engine is None:
            engine = open_engine(job.model, job.checkpoint, "auto", job.device, job.threads)
        cropper = EventCropper.from_ms(float(data.get("crop_ms", 100.0)), float(data.get("margin_ms", 5.0)), config.samplerate)
        probabilities = classify_events(engine, recording, events, cropper, job.batch_size)
        judged = verdicts.apply(events, probabilities, job.relabel)
        write_csv(Path(job.output), judged, extras=True)
    except HarkError as err:
        return DenoiseResult(recording_path, events_csv, None, 0, 0, str(err))
    if progress:
        progress(1.0)
    rejected = sum(e.status is Status.REJECTED for e in judged)
    return DenoiseResult(recording.path, events_csv, Path(job.output), len(judged) - rejected, rejected)


def _result_of(job: DenoiseJobParams, outcome: JobOutcome) -> DenoiseResult:
    """A ``denoise`` job's outcome as the recording's result."""
    if outcome.ok:
        result = outcome.result
        return DenoiseResult(Path(job.recording), Path(job.events_csv), Path(job.output), int(result["accepted"]), int(result["rejected"]))
    return DenoiseResult(Path(job.recording), Path(job.events_csv), None, 0, 0, outcome.error)


def classify_events(engine: Engine, recording: Recording, events: Sequence[Event], cropper: EventCropper, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """(len(events), outputs) probabilities of the events' crops, read and run a batch at a time."""
    n_outputs = len(engine.spec.output_names)
    out = np.zeros((len(events), n_outputs), dtype=np.float32)
    order = sorted(range(len(events)), key=lambda i: events[i].start)  # read the file front to back
    for first in range(0, len(order), batch_size):
        chosen = order[first : first + batch_size]
        regions = [cropper.region(recording, events[i].start, events[i].stop) for i in chosen]
        out[chosen] = engine(cropper.crops(regions))
    return out


def _default_events_csv(recording: Recording, out_dir: Path) -> Path:
    """The recording's one ``-predicted-<ratio>pr.csv`` in ``out_dir``, else its ``-detected.csv`` there."""
    stems = list(dict.fromkeys([recording.name, PurePath(recording.name).stem]))
    predicted: dict[str, Path] = {}
    for stem in stems:
        for path in sorted(out_dir.glob(f"{glob_escape(stem)}-predicted-*pr.csv")):
            parsed = parse_annotation_name(path.name)
            if parsed is not None and parsed.kind is Kind.PREDICTED and parsed.recording == stem and parsed.ratio is not None:
                predicted.setdefault(parsed.ratio, path)
    if len(predicted) > 1:
        ratios = ", ".join(sorted(predicted, key=float))
        raise ParameterError("events", f"{out_dir} holds predictions of {recording.name} at several ratios ({ratios}); name one with {{param}}")
    if predicted:
        return next(iter(predicted.values()))
    for stem in stems:
        detected = out_dir / f"{stem}-detected.csv"
        if detected.is_file():
            return detected
    raise ParameterError(
        "events",
        f"{out_dir}: no {recording.name}-predicted-<ratio>pr.csv or -detected.csv to denoise; run hark ethogram "
        f"(or hark detect) with --out {out_dir} first, or name the events with {{param}}",
    )


def _read_events(path: Path, recording_name: str) -> list[Event]:
    events = read_csv(path, allow_empty=True)
    for event in events:
        if PurePath(event.recording).name != recording_name:
            raise HarkError(f"{path}: holds events of {event.recording}, not of {recording_name}")
    return events


def _events_from_files(paths: Sequence[Path], recordings: Sequence[Recording]) -> dict[str, tuple[Path, list[Event]]]:
    """Events of the ``--events`` CSVs, by recording name; a file's rows may cover several recordings."""
    names = {r.name for r in recordings}
    found: dict[str, tuple[Path, list[Event]]] = {}
    for path in paths:
        if not path.is_file():
            raise HarkError(f"{path}: no such events file")
        by_name: dict[str, list[Event]] = {}
        for event in read_csv(path, allow_empty=True):
            name = PurePath(event.recording).name
            if name not in names:
                raise HarkError(f"{path}: holds events of {event.recording}, which is not among the recordings given; give it too, or leave that file out")
            by_name.setdefault(name, []).append(event)
        if not by_name and len(recordings) == 1:
            by_name[recordings[0].name] = []  # an empty detection file of the one recording
        for name, rows in by_name.items():
            if name in found:
                raise HarkError(f"{path} and {found[name][0]} both hold events of {name}; give one events file per recording")
            found[name] = (path, rows)
    missing = [r.name for r in recordings if r.name not in found]
    if missing:
        raise ParameterError("events", f"no events of {missing[0]} in the {{param}} files; name the CSV of its events too")
    return found
