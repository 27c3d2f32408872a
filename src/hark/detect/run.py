"""``detect_files``: run a detector over many recordings, in parallel local processes.

Everything is checked before any work starts (recordings readable, channel present,
parameters valid, output folder writable, no two outputs with the same name), so a
mistake costs seconds, not the first hour of a batch. Each recording's result is
written atomically as ``<recording>-detected.csv``, beside the recording or in ``out_dir``.
Several channels of a recording (``channel`` a list or ``all``) are detected each on its own,
into ``<recording>-ch<N>-detected.csv`` whose rows carry the channel (docs/channels.md).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import Field

from hark.annotations.event import Kind
from hark.annotations.naming import annotation_csv_name
from hark.annotations.songexplorer import write_csv
from hark.audio.channels import CHANNEL_HELP, CHANNEL_METAVAR, ChannelSelection, chosen_channels
from hark.audio.recording import open_recording
from hark.detect.allocator import keep_freed_blocks
from hark.detect.base import detectors
from hark.errors import HarkError, ParameterError
from hark.fileio import check_free_space, ensure_writable_dir, sweep_stale_temporaries
from hark.jobs.per_recording import run_per_recording
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import JobOutcome
from hark.params import Params, as_request


# A generous size of one recording's -detected.csv: detect refuses to start only where even
# this cannot fit (a disk that is full, not one that is tight).
CSV_BYTES_ESTIMATE = 100_000


class DetectRequest(Params):
    """``hark detect``: every parameter of :func:`detect_files`, declared once; the command's
    options, the GUI's form and the ``detect`` jobs' checks come from it."""

    recordings: list[Path] = Field(description="Recordings, or folders of recordings, to detect sounds in.", json_schema_extra={"argument": True})
    out: Path | None = Field(None, description="Folder for the CSVs (default: beside each recording).", json_schema_extra={"flags": ("--out", "-o")})
    detector: str = Field("time-freq-threshold", description="Detector plugin to use.", json_schema_extra={"flags": ("--detector", "-d")})
    params: dict[str, Any] = Field(
        default_factory=dict, description="The detector's parameters (default: its own defaults).",
        json_schema_extra={"flags": ("--param", "-p"), "pairs": True, "cli_help": "Detector parameter NAME=VALUE (repeatable).", "form": False},
    )
    channel: ChannelSelection = Field(0, description=CHANNEL_HELP, json_schema_extra={"metavar": CHANNEL_METAVAR})
    reader: str = Field("auto", description="Audio reader plugin (auto: by file ending; highpass: filtered).")
    reader_params: dict[str, Any] | None = Field(
        None, description="The audio reader's parameters (default: its own defaults).",
        json_schema_extra={"flags": ("--reader-param",), "pairs": True, "cli_help": "Audio reader parameter NAME=VALUE (repeatable)."},
    )


@dataclass(frozen=True)
class DetectionJob:
    """One recording to detect in; plain data, so it can be sent to another process."""

    recording: Path
    output: Path
    frames: int
    detector: str = "time-freq-threshold"
    params: dict[str, Any] = field(default_factory=dict)
    channel: int = 0
    reader: str = "auto"
    reader_params: dict[str, Any] | None = None
    threads: int = 1
    per_channel: bool = False  # one channel among several: its rows carry the channel


@dataclass(frozen=True)
class DetectionResult:
    recording: Path
    output: Path | None
    counts: dict[str, int]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def plan_detection(request: DetectRequest | Sequence[str | Path], **parameters: Any) -> list[DetectionJob]:
    """Check every input and output, and return the jobs; raises HarkError on the first problem.

    ``request``: a :class:`DetectRequest`, or (the older form) the recordings with the other
    fields as keywords (``out_dir`` for ``out``)."""
    request = as_request(DetectRequest, request, "recordings", parameters, {"out_dir": "out"})
    recordings, detector, out_dir = request.recordings, request.detector, request.out
    channel, reader, reader_params = request.channel, request.reader, request.reader_params
    if not recordings:
        raise HarkError("no recordings given")
    detector_cls = detectors.get(detector)
    checked_params = detector_cls(request.params).params.model_dump(mode="json")
    if out_dir is not None:
        ensure_writable_dir(out_dir)
    jobs, outputs = [], {}
    for path in recordings:
        recording = open_recording(path, reader=reader, reader_params=reader_params)
        folder = Path(out_dir) if out_dir is not None else recording.path.parent
        chosen, per_channel = chosen_channels(channel, recording.info.channels, recording.path)
        for each in chosen:
            output = folder / annotation_csv_name(recording.name, Kind.DETECTED, channel=each if per_channel else None)
            if output in outputs:
                raise ParameterError("out", f"{path} and {outputs[output]} would both write {output}; give them separate {{param}} folders")
            outputs[output] = path
            jobs.append(DetectionJob(recording.path, output, recording.frames, detector, checked_params, each, reader, reader_params, per_channel=per_channel))
    for folder in {job.output.parent for job in jobs}:
        ensure_writable_dir(folder)
        sweep_stale_temporaries(folder)  # of runs that were killed mid-write
        count = sum(job.output.parent == folder for job in jobs)
        check_free_space(folder, count * CSV_BYTES_ESTIMATE, f"the detections of {count} recording(s)")
    return jobs


def run_detection_job(job: DetectionJob, progress: Callable[[float], None] | None = None) -> DetectionResult:
    """Detect in one recording and write its CSV; a HarkError becomes a failed result."""
    keep_freed_blocks()  # chunks reuse the pages the previous one freed (hark.detect.allocator)
    try:
        recording = open_recording(job.recording, channel=job.channel, reader=job.reader, reader_params=job.reader_params)
        detector = detectors.get(job.detector)(job.params)
        detector.threads = job.threads
        events = detector.detect(recording, progress)
        if job.per_channel:
            events = [event.with_(channel=job.channel) for event in events]
        write_csv(job.output, events)
    except HarkError as err:
        return DetectionResult(job.recording, None, {}, str(err))
    return DetectionResult(job.recording, job.output, dict(Counter(e.label for e in events)))


def detect_files(
    request: DetectRequest | Sequence[str | Path],
    *,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    cluster: ClusterSettings | str | None = None,
    **parameters: Any,
) -> list[DetectionResult]:
    """Detect sounds in the request's recordings and write one ``-detected.csv`` per recording.

    ``request``: a :class:`DetectRequest`, or the recordings with its other fields as keywords.

    ``workers`` > 1 runs recordings in that many local processes. ``progress`` is called
    with the fraction of all audio done. Results come back in the order of ``recordings``;
    a recording that fails mid-way has ``error`` set and the others still run. ``cluster``
    (settings or a ``--cluster`` value) runs one ``detect`` job per recording there instead,
    each with its log ``<rec>-detected.log`` beside its CSV (docs/jobs.md).
    """
    jobs = plan_detection(as_request(DetectRequest, request, "recordings", parameters, {"out_dir": "out"}))
    if cluster is None:
        # cores not used by parallel recordings go to each recording's own threads
        threads = max(1, (os.cpu_count() or 1) // max(1, min(workers, len(jobs))))
        jobs = [replace(job, threads=threads) for job in jobs]
    return run_per_recording(
        jobs, run_detection_job, [job.frames for job in jobs], kind="detect", from_outcome=_result_of, workers=workers,
        progress=progress, cluster=cluster, preload_modules=[detectors.get(jobs[0].detector).__module__],
    )


def _result_of(job: DetectionJob, outcome: JobOutcome) -> DetectionResult:
    """A ``detect`` job's outcome as the recording's result."""
    if outcome.ok:
        return DetectionResult(job.recording, job.output, dict(outcome.result["counts"]))
    return DetectionResult(job.recording, None, {}, outcome.error)
