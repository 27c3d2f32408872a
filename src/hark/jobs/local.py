"""Many independent jobs (one per recording) in local processes, with one progress figure.

A job function takes ``(job, progress)`` where ``progress(fraction)`` reports how far that
job is; the caller sees one overall fraction, each job weighted by its size.
"""

from __future__ import annotations

import importlib
import multiprocessing
import queue as queue_module
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


class ProgressTracker:
    """Turns per-job fractions into one overall fraction, weighted by each job's size."""

    def __init__(self, sizes: Sequence[int], callback: Callable[[float], None] | None):
        self.sizes = list(sizes)
        self.total = max(sum(self.sizes), 1)
        self.fractions = [0.0] * len(self.sizes)
        self.callback_fn = callback

    def update(self, index: int, fraction: float) -> None:
        self.fractions[index] = fraction
        if self.callback_fn:
            self.callback_fn(sum(f * n for f, n in zip(self.fractions, self.sizes)) / self.total)

    def callback(self, index: int) -> Callable[[float], None]:
        return lambda fraction: self.update(index, fraction)


def run_in_processes(
    function: Callable[[Job, Callable[[float], None]], Result],
    jobs: Sequence[Job],
    workers: int,
    tracker: ProgressTracker,
    preload_modules: Sequence[str] = (),
) -> list[Result]:
    """``function(job, progress)`` for every job in ``workers`` new processes; results in job order.

    ``function`` must be importable by name (a module-level function). ``preload_modules``
    are imported in each process first: plugins registered by code rather than by an entry
    point exist only where that code ran.
    """
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads running
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        updates = manager.Queue()
        futures: dict[Future, int] = {
            pool.submit(_run_reporting, function, job, i, updates, tuple(preload_modules)): i for i, job in enumerate(jobs)
        }
        results: dict[int, Any] = {}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            _drain(updates, tracker)
            for future in finished:
                results[futures[future]] = future.result()
        _drain(updates, tracker)
    return [results[i] for i in range(len(jobs))]


def _run_reporting(function, job, index: int, updates, preload_modules: tuple[str, ...]):
    for name in preload_modules:
        importlib.import_module(name)
    return function(job, lambda fraction: updates.put((index, fraction)))


def _drain(updates, tracker: ProgressTracker) -> None:
    while True:
        try:
            index, fraction = updates.get_nowait()
        except queue_module.Empty:
            return
        tracker.update(index, fraction)


class JobProcess:
    """One job in a Python process of its own (``python -m hark.jobs.job_process``), so that it
    can be stopped: :meth:`wait` streams its progress back and ends it when ``should_stop`` says.

    Whatever the job prints (a library's warnings, stray lines) goes to the job's log file, not
    to the terminal of the process that started it. The child is the leader of a new process
    group, so stopping it stops the processes it started too (data loaders, thread pools).
    """

    def __init__(self, job, cpus: int = 1, preload_modules: Sequence[str] = (), worker: str = "own process"):
        import json
        import os
        import subprocess
        import sys

        read_fd, write_fd = os.pipe()
        log = open(job.log, "ab") if job.log is not None else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
        # the child finds what this process finds (a test's job kinds live in tests/)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hark.jobs.job_process", str(write_fd)], stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, pass_fds=(write_fd,), env=env, start_new_session=True,
            )  # fmt: skip
        finally:
            os.close(write_fd)
            if log is not subprocess.DEVNULL:
                log.close()
        self.job = job
        self._fd = read_fd
        spec = {"job": job.to_dict(), "cpus": max(1, int(cpus)), "preload": list(preload_modules), "worker": worker}
        try:
            self.process.stdin.write(json.dumps(spec).encode())
            self.process.stdin.close()
        except OSError:  # the child died at once; wait() says so
            pass

    def wait(self, on_progress: Callable[[float], None] | None = None, should_stop: Callable[[], bool] = lambda: False,
             poll_s: float = 0.2):  # fmt: skip
        """The job's outcome (a :class:`hark.jobs.spec.JobOutcome`), or None when ``should_stop``
        turned true first and the process was stopped."""
        import json
        import os
        import select

        from hark.jobs.spec import JobOutcome

        buffer = b""
        outcome = None
        try:
            while True:
                if should_stop():
                    self.stop()
                    return None
                readable, _, _ = select.select([self._fd], [], [], poll_s)
                if not readable:
                    continue
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    message = json.loads(line)
                    if "progress" in message and on_progress is not None:
                        on_progress(float(message["progress"]))
                    elif "outcome" in message:
                        outcome = message["outcome"]
        finally:
            os.close(self._fd)
        code = self.process.wait()
        if outcome is None:
            see_log = f" (log: {self.job.log})" if self.job.log is not None else ""
            how = f"was killed by signal {-code}" if code < 0 else f"ended with exit code {code}"
            return JobOutcome(self.job, False, None, f"job {self.job.name}: its process {how} before the job ended{see_log}")
        return JobOutcome(self.job, outcome["ok"], outcome["result"], outcome["error"], outcome["worker"], outcome["seconds"])

    def stop(self, grace_s: float = 5.0) -> None:
        """End the job's processes: SIGTERM, then SIGKILL after ``grace_s``. What the job wrote
        stays as it was (hark writes its files whole or not at all, so a kill is like a crash)."""
        import os
        import signal
        import subprocess

        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.process.wait(timeout=grace_s)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process.wait()
