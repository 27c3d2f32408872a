"""Job kinds used only by the tests of hark.jobs (imported by the test process and by workers)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from hark.errors import HarkError
from hark.jobs import JobKind, Resources, job_kinds


def power(params: dict, context) -> dict:
    """Deterministic: x ** p, after a short pause that reports progress (so jobs overlap on workers)."""
    context.log(f"computing {params['x']} ** {params['p']}")
    for step in range(4):
        context.progress(step / 4)
        time.sleep(params.get("pause", 0.05))
    if params["x"] < 0:
        raise HarkError(f"x must not be negative (got {params['x']})")
    return {"value": params["x"] ** params["p"], "pid": os.getpid()}


def broken(params: dict, context) -> dict:
    """A bug in a job: an unexpected exception."""
    return {"value": 1 / params["x"]}


def die_once(params: dict, context) -> dict:
    """Kills its own worker process the first time it runs (a worker lost mid-job); returns the second time."""
    marker = Path(params["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        context.log("about to die")
        os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(30)  # pragma: no cover - the signal ends the process first
    return {"first_pid": int(marker.read_text()), "pid": os.getpid()}


def needs_a_gpu(params: dict, context) -> dict:  # pragma: no cover - never placed without a GPU
    return {}


for name, kind in {
    "test-power": JobKind(power, Resources(cpus=1, memory_gb=0.5), "test: x ** p"),
    "test-broken": JobKind(broken, Resources(cpus=1, memory_gb=0.5), "test: a job with a bug"),
    "test-die-once": JobKind(die_once, Resources(cpus=1, memory_gb=0.5), "test: kills its worker once"),
    "test-gpu": JobKind(needs_a_gpu, Resources(cpus=1, gpus=1, memory_gb=0.5), "test: needs a GPU"),
    "test-huge": JobKind(power, Resources(cpus=1, memory_gb=10_000), "test: needs 10 TB"),
}.items():
    if name not in job_kinds:
        job_kinds.add(name, kind)
