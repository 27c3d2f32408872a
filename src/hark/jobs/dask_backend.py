"""Run jobs on a Dask cluster: one task per job, asking for its kind's resources.

Progress travels as Dask events (``worker.log_event`` -> ``client.subscribe_topic``); a
job's outcome is computed on the worker (a failing job is an outcome, not an exception),
so only a lost worker or scheduler reaches the client as an error, and that too becomes
the job's outcome.
"""

from __future__ import annotations

import importlib
import queue
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hark.errors import HarkError
from hark.jobs.clusters import Cluster, open_cluster
from hark.jobs.local import ProgressTracker
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import Job, JobOutcome, Resources, execute_job, job_kinds

POLL_SECONDS = 0.1  # how often the client looks for finished jobs and progress
PROGRESS_STEP = 0.01  # a worker reports a job's progress when it moved this much (or finished)


def run_on_dask(jobs: Sequence[Job], settings: ClusterSettings, tracker: ProgressTracker) -> list[JobOutcome]:
    """Every job as one Dask task on the cluster the settings name; outcomes in job order."""
    with open_cluster(settings, len(jobs)) as cluster:
        return submit_and_wait(cluster, jobs, tracker, settings)


def submit_and_wait(cluster: Cluster, jobs: Sequence[Job], tracker: ProgressTracker, settings: ClusterSettings) -> list[JobOutcome]:
    """Submit every job, then collect outcomes and progress until none is left; outcomes in job order."""
    client = cluster.client
    topic = f"hark-progress-{uuid.uuid4().hex}"
    updates: queue.SimpleQueue = queue.SimpleQueue()
    client.subscribe_topic(topic, lambda event: updates.put(event[1]))
    outcomes: dict[int, JobOutcome] = {}

    def finish(index: int, outcome: JobOutcome) -> None:
        outcomes[index] = outcome
        tracker.update(index, 1.0)

    try:
        futures = {}
        for index, job in enumerate(jobs):
            future, refusal = _submit(cluster, job, topic, index)
            if refusal is not None:
                finish(index, refusal)
            else:
                futures[future] = index
        pending = set(futures)
        without_workers_since, next_check = None, 0.0
        while pending:
            time.sleep(POLL_SECONDS)
            done = {future for future in pending if future.done()}
            pending -= done
            _drain(updates, tracker)
            for future in done:
                finish(futures[future], _outcome_of(future, jobs[futures[future]], settings))
            if pending and cluster.no_workers_timeout is not None and time.monotonic() >= next_check:
                next_check = time.monotonic() + 1.0  # a round trip to the scheduler: once a second
                without_workers_since = _workers_gone_since(client, without_workers_since)
                if without_workers_since is not None and time.monotonic() - without_workers_since > cluster.no_workers_timeout:
                    for future in pending:
                        future.cancel()
                        job = jobs[futures[future]]
                        reason = f"no workers left on the scheduler {settings.describe()} (for {cluster.no_workers_timeout:g} s)"
                        finish(futures[future], JobOutcome(job, False, None, f"job {job.name}: {reason}"))
                    pending = set()
        _drain(updates, tracker)
    finally:
        try:
            client.unsubscribe_topic(topic)
        except (ValueError, OSError):  # pragma: no cover - the scheduler already went away
            pass
    return [outcomes[i] for i in range(len(jobs))]


def _submit(cluster: Cluster, job: Job, topic: str, index: int):
    """``(future, None)``, or ``(None, outcome)`` for a job no worker of the cluster can take."""
    kind = job_kinds.get(job.kind)
    needs = kind.needs(job.params)
    restrictions, problem = placement(needs, cluster)
    if problem:
        return None, JobOutcome(job, False, None, f"job {job.name}: {problem}")
    spec = job.to_dict()
    if job.log is not None:  # the worker's current folder may not be ours
        spec["log"] = str(Path(job.log).absolute())
    future = cluster.client.submit(
        run_on_worker, spec, [kind.function.__module__], topic, index, _job_cpus(needs, cluster),
        key=f"hark-{_safe(job.name)}-{uuid.uuid4().hex[:8]}", resources=restrictions or None, pure=False,
    )
    return future, None


def _workers_gone_since(client, since: float | None) -> float | None:
    """When the scheduler was first seen without workers (None while it has some)."""
    if client.scheduler_info(n_workers=-1).get("workers"):
        return None
    return since if since is not None else time.monotonic()


def run_on_worker(job_spec: dict, modules: list[str], topic: str, index: int, cpus: int) -> JobOutcome:
    """Runs on the worker: import the modules that register the job's kind, run it, report progress."""
    from distributed import get_worker

    for name in modules:
        importlib.import_module(name)
    worker = get_worker()
    last = [-1.0]

    def report(fraction: float) -> None:
        if fraction >= 1.0 or fraction - last[0] >= PROGRESS_STEP:
            last[0] = fraction
            worker.log_event(topic, [index, fraction])

    return execute_job(Job.from_dict(job_spec), report, worker.address, max(cpus, _share_of_worker(worker)))


def _share_of_worker(worker) -> int:
    """The cores of a worker per job slot (thread): a worker that runs one job at a time gives it all."""
    import os

    cores = worker.state.total_resources.get("cpus") or os.cpu_count() or 1
    return max(1, int(cores // max(1, worker.state.nthreads)))


def placement(needs: Resources, cluster: Cluster) -> tuple[dict[str, float], str | None]:
    """The worker resources to ask for, or why no worker of the cluster can ever run the job.

    Only resources some worker declares are asked for (workers of a scheduler started by
    hand may declare none), except GPUs: a GPU job on a worker without one would fail or
    crawl. On this machine's own workers a job asking more cores, GPUs or memory than a
    worker has gets a whole worker, instead of never running on a small machine.
    """
    wanted = needs.as_dask()
    offers = cluster.offers or [{}]
    declared = set().union(*offers)
    if cluster.local:
        # this machine's GPUs are shared out as fractions; a GPU job takes a worker's share
        largest = {name: max(offer.get(name, 0.0) for offer in offers) for name in ("cpus", "gpus", "memory_gb")}
        wanted = {name: min(amount, largest[name]) if largest[name] > 0 else amount for name, amount in wanted.items()}
    asked = {name: amount for name, amount in wanted.items() if name in declared or name == "gpus"}
    if any(all(offer.get(name, 0.0) >= amount for name, amount in asked.items()) for offer in offers):
        return asked, None
    if cluster.local:
        return asked, f"needs {_describe(asked)} but this machine's workers have {_describe(offers[0]) or 'nothing declared'}"
    largest_offer = max(offers, key=lambda offer: (offer.get("gpus", 0.0), offer.get("cpus", 0.0), offer.get("memory_gb", 0.0)))
    return asked, (
        f"needs {_describe(asked)} but no worker offers that (the largest offers {_describe(largest_offer) or 'no declared resources'}); "
        'start workers with more, e.g. dask worker ADDRESS --resources "cpus=4 gpus=1 memory_gb=16", or change the cluster settings'
    )


def _job_cpus(needs: Resources, cluster: Cluster) -> int:
    """Threads the job may run: what it asked for, at most what a worker has."""
    most = max((offer.get("cpus", 0.0) for offer in cluster.offers), default=0.0)
    return max(1, int(min(needs.cpus, most) if most else needs.cpus))


def _describe(resources: dict[str, float]) -> str:
    return ", ".join(f"{name}={amount:g}" for name, amount in sorted(resources.items()))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]


def _outcome_of(future, job: Job, settings: ClusterSettings) -> JobOutcome:
    """The job's own outcome, or one saying how the cluster lost it."""
    from distributed.scheduler import KilledWorker

    see_log = f"; its log: {job.log}" if job.log is not None else ""
    if future.status == "finished":
        return replace(future.result(), job=job)  # the caller's job, as given
    if future.status == "cancelled":
        return JobOutcome(job, False, None, f"job {job.name}: cancelled (the scheduler {settings.describe()} went away?){see_log}")
    error = future.exception()
    if isinstance(error, KilledWorker):
        attempts = error.allowed_failures + 1
        worker = getattr(error.last_worker, "address", str(error.last_worker))
        return JobOutcome(
            job, False, None,
            f"job {job.name}: worker {worker} died while running it ({attempts} attempt{'s' if attempts > 1 else ''}; "
            f"out of memory? killed by the batch system?){see_log}",
            worker,
        )
    if isinstance(error, HarkError):
        return JobOutcome(job, False, None, f"job {job.name}: {error}{see_log}")
    lines = str(error).strip().splitlines()
    return JobOutcome(job, False, None, f"job {job.name}: lost on the cluster: {type(error).__name__}: {lines[0] if lines else ''}{see_log}")


def _drain(updates: queue.SimpleQueue, tracker: ProgressTracker) -> None:
    while True:
        try:
            index, fraction = updates.get_nowait()
        except queue.Empty:
            return
        index = int(index)
        # events can arrive after the job's end (or from an attempt a worker's death cut short)
        tracker.update(index, max(tracker.fractions[index], float(fraction)))
