"""Job kind ``detect``: hark detect on one recording, as a job (registered in pyproject.toml's
``hark.jobs`` entry points). The detectors load only when a job runs."""

from __future__ import annotations

from pathlib import Path

from hark.errors import HarkError
from hark.jobs.per_recording import record_from
from hark.jobs.spec import JobContext, JobKind, Resources


def detect_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.detect.run.DetectionJob); threads: the job's cores. The
    fields it shares with :class:`hark.detect.run.DetectRequest` are checked by the request, so a
    bad value reads as it does from hark detect and the GUI."""
    from hark.detect.run import DetectionJob, DetectRequest, run_detection_job
    from hark.params import validate_shared

    job = record_from(DetectionJob, params, "detect job")
    validate_shared(DetectRequest, params, recordings=[job.recording])
    job = DetectionJob(**{**job.__dict__, "recording": Path(job.recording), "output": Path(job.output), "threads": context.cpus})
    result = run_detection_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}")
    return {"recording": str(result.recording), "output": str(result.output), "counts": result.counts}


# memory figures are peaks seen on the demo data with room to spare; a cluster's workers
# declare what they have (docs/jobs.md), and a job waits until one has this much free
DETECT = JobKind(detect_job, Resources(cpus=1, memory_gb=1), "Detect sounds in one recording (hark detect).")
