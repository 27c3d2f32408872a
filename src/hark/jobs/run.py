"""``run_jobs``: run jobs where the settings say, with one progress figure and one outcome per job."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from hark.jobs.local import ProgressTracker
from hark.jobs.settings import ClusterSettings, resolve_cluster
from hark.jobs.spec import Job, JobOutcome, execute_job, job_kinds


def run_jobs(
    jobs: Sequence[Job],
    cluster: str | ClusterSettings | None = None,
    progress: Callable[[float], None] | None = None,
    data_dir: str | Path | None = None,
) -> list[JobOutcome]:
    """Run ``jobs``; outcomes in job order. A failing job never raises: its outcome says why.

    ``cluster``: settings, or a ``--cluster`` value (``local``, ``tcp://HOST:PORT``, ``slurm``,
    ...) on top of ``data_dir``'s hark.toml; nothing said means local: one job runs in this
    process, several on a local Dask cluster. ``progress`` gets the fraction of all jobs done.
    Bad settings, an unreachable scheduler or a job no worker can take raise a HarkError.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    settings = resolve_cluster(cluster, [data_dir] if data_dir is not None else []) or ClusterSettings()
    for job in jobs:
        job_kinds.get(job.kind)  # an unknown kind is the caller's mistake: say so before starting
    tracker = ProgressTracker([1] * len(jobs), progress)
    if settings.kind == "local" and len(jobs) == 1:
        return [_run_here(jobs[0], tracker)]
    from hark.jobs.dask_backend import run_on_dask

    return run_on_dask(jobs, settings, tracker)


def _run_here(job: Job, tracker: ProgressTracker) -> JobOutcome:
    """A single local job runs in this process (no cluster to start), with the whole machine."""
    shortfall = gpu_shortfall(job)
    if shortfall is not None:
        return shortfall
    return execute_job(job, tracker.callback(0), None, os.cpu_count() or 1)


def gpu_shortfall(job: Job) -> JobOutcome | None:
    """The failed outcome of a job that needs more GPUs than this machine has, else None."""
    needs = job_kinds.get(job.kind).needs(job.params)
    if needs.gpus > 0:
        from hark.jobs.clusters import cuda_devices

        if cuda_devices() < needs.gpus:
            return JobOutcome(job, False, None, f"job {job.name}: needs gpus={needs.gpus:g} but this machine has {cuda_devices()}")
    return None
