"""Where work runs: every action is a :class:`Job` (a kind plus JSON-able parameters) that
:func:`run_jobs` runs in this process, on a local Dask cluster, on an existing Dask scheduler
or on batch-queue workers (slurm, lsf, pbs, sge), as :class:`ClusterSettings` say.
"""

from hark.jobs.local import ProgressTracker, run_in_processes
from hark.jobs.run import run_jobs
from hark.jobs.settings import ClusterSettings, resolve_cluster
from hark.jobs.spec import Job, JobContext, JobKind, JobOutcome, Resources, job_kinds

# the job kinds of hark's own actions (detect, classify, train, ...); they import their
# libraries only when a job runs, so this costs nothing at start-up
from hark.jobs import kinds as _builtin_kinds  # noqa: E402,F401  (registers them)

__all__ = [
    "ClusterSettings", "Job", "JobContext", "JobKind", "JobOutcome", "ProgressTracker", "Resources",
    "job_kinds", "resolve_cluster", "run_in_processes", "run_jobs",
]
