"""Where work runs: every action is a :class:`Job` (a kind plus JSON-able parameters) that
:func:`run_jobs` runs in this process, on a local Dask cluster, on an existing Dask scheduler
or on batch-queue workers (slurm, lsf, pbs, sge), as :class:`ClusterSettings` say.

This is the bottom layer of hark's stages: it imports none of them. Each stage declares its
job kinds beside its functions (``hark/<stage>/jobs.py``) and registers them through the
``hark.jobs`` entry-point group, as a package outside hark would (docs/architecture.md).
"""

from hark.jobs.local import ProgressTracker, run_in_processes
from hark.jobs.per_recording import json_fields, record_from, recording_jobs, run_per_recording
from hark.jobs.run import run_jobs
from hark.jobs.settings import ClusterSettings, resolve_cluster
from hark.jobs.spec import Job, JobContext, JobKind, JobOutcome, Resources, device_resources, job_kinds

__all__ = [
    "ClusterSettings", "Job", "JobContext", "JobKind", "JobOutcome", "ProgressTracker", "Resources",
    "device_resources", "job_kinds", "json_fields", "record_from", "recording_jobs", "resolve_cluster",
    "run_in_processes", "run_jobs", "run_per_recording",
]
