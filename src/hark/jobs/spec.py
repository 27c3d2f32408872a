"""What a job is: a kind (a registered function), validated parameters, a name and a log file.

A job is plain data (``Job.to_dict`` is JSON), so it can be written to disk, shown in a
list or sent to a worker on another machine; the worker finds the function by the job's
kind in :data:`job_kinds`. hark's own kinds are declared beside their stage's functions
(``hark/<stage>/jobs.py``) and registered, like any other package's, through the
``hark.jobs`` entry-point group (pyproject.toml), so a fresh worker finds them by name.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from importlib.metadata import entry_points

from hark.errors import HarkError
from hark.params import Params
from hark.registry import Registry


class Resources(Params):
    """What one job of a kind needs of a worker; a worker runs jobs only while it has enough left."""

    cpus: float = Field(1, gt=0, description="CPU cores the job keeps busy.")
    gpus: float = Field(0, ge=0, description="GPUs the job needs (0: runs on any worker).")
    memory_gb: float = Field(1, gt=0, description="Memory the job needs at its peak, in GB.")

    def as_dask(self) -> dict[str, float]:
        """Dask worker-resource names and amounts; a zero need is left out so any worker qualifies."""
        wanted = {"cpus": self.cpus, "gpus": self.gpus, "memory_gb": self.memory_gb}
        return {name: amount for name, amount in wanted.items() if amount > 0}


def device_resources(memory_gb: float, device_of: Callable[[dict], object] = lambda params: params.get("device", "auto")):
    """Needs of a job run on a device its parameters name (``params["device"]`` unless
    ``device_of`` says where): a GPU when it says cuda; ``auto`` runs anywhere."""

    def needs(params: dict) -> Resources:
        return Resources(cpus=1, gpus=1 if str(device_of(params) or "auto").startswith("cuda") else 0, memory_gb=memory_gb)

    return needs


class JobContext:
    """Given to a running job: report progress, write to the job's log file.

    ``cpus`` is how many cores the job may keep busy (its kind's declared need, at least 1):
    a job that runs threads sizes its pool by it, so jobs sharing a worker do not overload it.
    """

    def __init__(self, log_path: Path | None = None, on_progress: Callable[[float], None] | None = None, cpus: int = 1):
        self.log_path = log_path
        self.cpus = max(1, int(cpus))
        self._on_progress = on_progress

    def progress(self, fraction: float) -> None:
        if self._on_progress is not None:
            self._on_progress(min(max(float(fraction), 0.0), 1.0))

    def log(self, message: str) -> None:
        if self.log_path is None:
            return
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(self.log_path, "a", encoding="utf-8") as file:
            for line in str(message).splitlines() or [""]:
                file.write(f"{stamp} {line}\n")


@dataclass(frozen=True)
class JobKind:
    """A kind of job: the module-level function that does it and what it needs to run."""

    function: Callable[[dict, JobContext], Any]
    resources: Resources = field(default_factory=Resources)
    description: str = ""
    # when a job's needs depend on its parameters (a train job on cuda needs a GPU)
    resources_for: Callable[[dict], Resources] | None = None
    # the model of the job's parameters, when it has one: the GUI builds its form from it
    # and docs/jobs.md lists its fields
    params: type[Params] | None = None

    def needs(self, params: dict) -> Resources:
        return self.resources_for(params) if self.resources_for is not None else self.resources


class JobKindRegistry(Registry[JobKind]):
    """The job kinds; :meth:`get` loads only the entry point of the kind asked for, so a worker
    running detect jobs never imports what the classify or train kinds need (torch)."""

    def get(self, name: str) -> JobKind:
        if name not in self._items:
            for entry in entry_points(group=self.entry_point_group, name=name):
                self.add(name, entry.load())
                break
        if name in self._items:
            return self._items[name]
        return super().get(name)  # loads every entry point, to list the known kinds


job_kinds: JobKindRegistry = JobKindRegistry("job kind", "hark.jobs")


@dataclass(frozen=True)
class Job:
    """One unit of work: ``job_kinds.get(kind).function(params, context)``.

    ``params`` must be JSON-able (paths as strings); ``name`` names the job in messages
    and lists; ``log`` is the job's own log file (None: the job keeps no log).
    """

    kind: str
    params: dict[str, Any]
    name: str
    log: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params, "name": self.name, "log": None if self.log is None else str(self.log)}

    @classmethod
    def from_dict(cls, values: Any, where: str = "job") -> Job:
        """The inverse of :meth:`to_dict`; a malformed spec is a one-line HarkError naming ``where``."""
        if not isinstance(values, dict):
            raise HarkError(f"{where}: expected a table with kind, params, name and log")
        unknown = set(values) - {"kind", "params", "name", "log"}
        if unknown:
            raise HarkError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} (known: kind, params, name, log)")
        kind, params, name, log = values.get("kind"), values.get("params", {}), values.get("name"), values.get("log")
        if not isinstance(kind, str) or not kind:
            raise HarkError(f"{where}: kind must be the name of a job kind")
        if not isinstance(params, dict):
            raise HarkError(f"{where}: params must be a table")
        if not isinstance(name, str) or not name:
            raise HarkError(f"{where}: name must be a non-empty string")
        if log is not None and not isinstance(log, str):
            raise HarkError(f"{where}: log must be a path or null")
        return cls(kind, params, name, None if log is None else Path(log))


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: ``result`` when ``ok``, else ``error`` (one line: why, and where its log is)."""

    job: Job
    ok: bool
    result: Any = None
    error: str | None = None
    worker: str | None = None
    seconds: float = 0.0


def execute_job(
    job: Job, on_progress: Callable[[float], None] | None = None, worker: str | None = None, cpus: int = 1
) -> JobOutcome:
    """Run one job here and now; never raises for the job's own failure.

    The log file names the worker (host, process) and the outcome; an unexpected
    exception's traceback goes to the log only, the outcome keeps one line.
    """
    import os
    import socket

    started = time.perf_counter()
    where = worker or "in-process"
    log_path = Path(job.log) if job.log is not None else None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    context = JobContext(log_path, on_progress, cpus)
    context.log(f"job {job.name} ({job.kind}) on {where}, host {socket.gethostname()}, pid {os.getpid()}")
    see_log = f" (log: {log_path})" if log_path is not None else ""
    try:
        kind = job_kinds.get(job.kind)
        result = kind.function(dict(job.params), context)
    except HarkError as err:
        context.log(f"failed: {err}")
        seconds = time.perf_counter() - started
        return JobOutcome(job, False, None, f"job {job.name}: {err}{see_log}", worker, seconds)
    except Exception as err:  # a bug in the job's code: keep the others going, keep the traceback
        context.log("failed with an unexpected error:\n" + traceback.format_exc())
        if log_path is None:
            import logging

            logging.getLogger("hark.jobs").exception("job %s failed", job.name)
        seconds = time.perf_counter() - started
        message = f"job {job.name} failed unexpectedly: {type(err).__name__}: {_one_line(str(err))}"
        return JobOutcome(job, False, None, message + (f" (traceback in {log_path})" if log_path else ""), worker, seconds)
    seconds = time.perf_counter() - started
    context.log(f"done in {seconds:.1f} s")
    context.progress(1.0)
    return JobOutcome(job, True, result, None, worker, seconds)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"
