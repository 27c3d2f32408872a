"""Start or reach the Dask cluster that ClusterSettings name, and say what its workers offer.

Every worker hark starts declares Dask worker resources ``cpus``, ``gpus`` and ``memory_gb``;
a job asks for its kind's needs, so the scheduler runs on a worker only as many jobs as
fit, and a GPU job only on a worker that declared GPUs. Workers of an existing scheduler
(``tcp://``) declare their own (``dask worker --resources "cpus=8 gpus=1 memory_gb=64"``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from hark.errors import HarkError
from hark.jobs.settings import ClusterSettings

QUIET = logging.ERROR  # dask's own chatter (start-up, nanny restarts) stays out of hark's output


@dataclass
class Cluster:
    """A connected client, and what its workers offer (or will offer, for batch jobs still queued)."""

    client: object
    offers: list[dict[str, float]] = field(default_factory=list)
    local: bool = False  # this machine's workers: a job asking more cores or memory gets the whole worker
    # workers that left are not coming back by themselves (a scheduler someone else runs):
    # jobs waiting for a worker fail after this many seconds without one, instead of forever
    no_workers_timeout: float | None = None


def machine_resources() -> dict[str, float]:
    """This machine's cores, GPUs and memory (GB)."""
    import psutil

    return {"cpus": float(os.cpu_count() or 1), "gpus": float(cuda_devices()), "memory_gb": psutil.virtual_memory().total / 1e9}


def cuda_devices() -> int:
    """GPUs torch can use; torch is imported only when hark already did (it costs a second)."""
    if "torch" not in sys.modules and not os.environ.get("CUDA_VISIBLE_DEVICES"):
        try:
            import shutil

            if shutil.which("nvidia-smi") is None:
                return 0
        except OSError:  # pragma: no cover
            return 0
    import torch

    return int(torch.cuda.device_count())


@contextlib.contextmanager
def open_cluster(settings: ClusterSettings, jobs: int) -> Iterator[Cluster]:
    """A cluster for ``jobs`` jobs; closed (batch jobs cancelled, local workers ended) on exit."""
    if settings.kind == "local":
        with _local_cluster(settings, jobs) as cluster:
            yield cluster
    elif settings.kind == "tcp":
        with _scheduler_client(settings) as cluster:
            yield cluster
    else:
        with _jobqueue_cluster(settings, jobs) as cluster:
            yield cluster


def _scheduler_options(settings: ClusterSettings) -> dict:
    # a worker that dies while running a job makes the scheduler give the job to another,
    # this many times; then the job is reported (KilledWorker) instead of being lost
    # no dashboard, and its HTTP server (health checks) on a free port instead of a busy 8787
    return {"allowed_failures": settings.retries, "dashboard": False, "dashboard_address": ":0"}


@contextlib.contextmanager
def _local_cluster(settings: ClusterSettings, jobs: int) -> Iterator[Cluster]:
    from distributed import Client, LocalCluster

    machine = machine_resources()
    workers = max(1, min(jobs, settings.workers or int(machine["cpus"])))
    # the machine shared evenly: workers never promise more than it has in all
    offer = {
        "cpus": machine["cpus"] / workers,
        "gpus": machine["gpus"] / workers,
        "memory_gb": round(machine["memory_gb"] / workers, 3),
    }
    resources = {name: amount for name, amount in offer.items() if amount > 0}
    with LocalCluster(
        n_workers=workers, threads_per_worker=settings.threads, processes=True, resources=resources,
        dashboard_address=None, silence_logs=QUIET, scheduler_kwargs=_scheduler_options(settings),
    ) as cluster, Client(cluster, set_as_default=False) as client:
        yield Cluster(client, [resources] * workers, local=True)


@contextlib.contextmanager
def _scheduler_client(settings: ClusterSettings) -> Iterator[Cluster]:
    from distributed import Client

    address = settings.address
    try:
        client = Client(address, timeout=settings.timeout, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise HarkError(f"scheduler {address} does not answer (after {settings.timeout:g} s): {_reason(err)}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=settings.timeout)
        except TimeoutError:
            raise HarkError(f"scheduler {address} has no workers (after {settings.timeout:g} s); start some with: dask worker {address}") from None
        yield Cluster(client, live_offers(client), no_workers_timeout=settings.timeout)
    finally:
        client.close()


def live_offers(client) -> list[dict[str, float]]:
    """What each connected worker declared (an empty table: a worker declared no resources)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return [dict(info.get("resources") or {}) for info in workers.values()]


def _reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


@contextlib.contextmanager
def _jobqueue_cluster(settings: ClusterSettings, jobs: int) -> Iterator[Cluster]:
    import dask_jobqueue
    from dask.utils import parse_bytes
    from distributed import Client

    cluster_class = {
        "slurm": dask_jobqueue.SLURMCluster, "lsf": dask_jobqueue.LSFCluster,
        "pbs": dask_jobqueue.PBSCluster, "sge": dask_jobqueue.SGECluster,
    }[settings.kind]
    try:
        memory_gb = parse_bytes(settings.memory) / 1e9
    except ValueError:
        raise HarkError(f"cluster setting memory {settings.memory!r}: expected an amount like 16GB") from None
    processes = settings.processes
    offer = {"cpus": settings.cores / processes, "gpus": settings.gpus / processes, "memory_gb": round(memory_gb / processes, 3)}
    offer = {name: amount for name, amount in offer.items() if amount > 0}
    declared = ",".join(f"{name}={amount:g}" for name, amount in offer.items())
    options: dict = {
        "cores": settings.cores, "memory": settings.memory, "processes": processes, "walltime": settings.walltime,
        "job_extra_directives": list(settings.job_extra_directives), "job_script_prologue": settings.prologue_lines(),
        "worker_extra_args": ["--resources", declared], "log_directory": settings.log_directory,
        "local_directory": settings.local_directory, "python": settings.python or sys.executable,
        "interface": settings.interface, "queue": settings.queue, "silence_logs": QUIET,
        "scheduler_options": _scheduler_options(settings),
    }
    if settings.account:
        options["account" if settings.kind in ("slurm", "pbs") else "project"] = settings.account
    failures: list[str] = []
    options["job_cls"] = _recording_job_class(cluster_class.job_cls, settings, failures)
    options = {name: value for name, value in options.items() if value is not None}
    try:
        cluster = cluster_class(**options)
    except (ValueError, TypeError) as err:
        raise HarkError(f"cluster settings ({settings.kind}): {_reason(err)}") from None
    # enough batch jobs for every job to have a core (jobs asking more wait their turn)
    batch_jobs = settings.workers or min(settings.maximum_jobs, math.ceil(jobs / max(settings.cores, processes)))
    client = None
    try:
        client = Client(cluster, set_as_default=False)
        cluster.scale(jobs=batch_jobs)
        _check_submission(cluster, settings, failures)
        yield Cluster(client, [offer] * (batch_jobs * processes))
    finally:
        if client is not None:
            client.close()
        cluster.close()  # cancels the batch jobs


def _recording_job_class(base: type, settings: ClusterSettings, failures: list[str]) -> type:
    """The batch-job class with the settings' submit and cancel commands, noting failed submissions
    (dask-jobqueue only logs them, and the jobs would wait for workers that never come)."""

    async def start(self):
        try:
            await base.start(self)
        except Exception as err:
            # noted for _check_submission, which makes it one line; raised here, it would be a
            # traceback in the log and closing the cluster would submit the job again
            failures.append(_submit_error(err))  # the text only: the exception would keep this job alive
            from distributed.core import Status

            self.status = Status.running  # a job that never starts a worker; cancelling it is a no-op (no job id)

    commands = {
        "submit_command": settings.submit_command or base.submit_command,
        "cancel_command": settings.cancel_command or base.cancel_command,
        "start": start,
    }
    return type(f"Hark{base.__name__}", (base,), commands)


def _check_submission(cluster, settings: ClusterSettings, failures: list[str]) -> None:
    """Wait until the batch jobs are submitted; a submit command that fails is a HarkError."""
    deadline = time.monotonic() + settings.timeout
    while time.monotonic() < deadline and not failures:
        if cluster.workers and all(str(w.status.name) == "running" for w in cluster.workers.values()):
            if failures:  # noted before the failed job's status said running
                break
            return
        time.sleep(0.05)
    if failures:
        raise HarkError(f"{settings.kind}: submitting a batch job failed: {failures[0]}")
    raise HarkError(f"{settings.kind}: the batch jobs were not submitted within {settings.timeout:g} s")


def _submit_error(err: BaseException) -> str:
    """The useful part of dask-jobqueue's multi-line message: the command and what it said."""
    text = str(err)
    if "Command:" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        command = lines[lines.index("Command:") + 1] if "Command:" in lines else ""
        said = [line for line in lines if not line.endswith(":") and line != command and not line.startswith(("Command exited", "Exit code"))]
        return f"{command!r} failed" + (f": {said[-1]}" if said else "")
    return _reason(err)
