"""The GUI's job list: batches of jobs run one after another through :func:`hark.jobs.run_jobs`.

One queue per server (every window of it sees the same list). Each submitted batch (the
jobs of one press of an action's Run button) waits its turn, then runs where the data
folder's hark.toml says (in this process for a single local job, on a local Dask cluster
for several, or on a batch queue); its jobs are ``queued``, ``running``, then ``done`` or
``failed``, each with its own log file under ``DATA_DIR/.hark/jobs``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from hark.errors import HarkError
from hark.jobs.spec import Job

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class JobRecord:
    """What the job list shows of one job."""

    number: int
    job: Job
    state: str = "queued"
    submitted: float = 0.0
    finished: float | None = None
    progress: float = 0.0
    message: str = ""

    def log_text(self, max_chars: int = 20_000) -> str:
        """The end of the job's log file ('' before it has one)."""
        if self.job.log is None:
            return ""
        try:
            text = Path(self.job.log).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-max_chars:]


class JobQueue:
    """Runs submitted batches in a background thread, one batch at a time, in order."""

    def __init__(self, data_dir: Path, logs_dir: Path, run: Callable | None = None):
        self.data_dir = data_dir
        self.logs_dir = logs_dir
        self._run = run  # run_jobs; replaceable so tests can watch the queue without running real work
        self._lock = threading.Lock()
        self._records: dict[int, JobRecord] = {}
        self._batches: list[tuple[list[int], Callable | None]] = []
        self._numbers = itertools.count(1)
        self._wakeup = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopping = False

    def log_path(self, kind: str) -> Path:
        """A new log file name for a job of ``kind``."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        try:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            for extra in itertools.count():
                path = self.logs_dir / f"{stamp}-{kind}{'-' + str(extra) if extra else ''}.log"
                if not path.exists():
                    path.touch()
                    return path
        except OSError as err:
            raise HarkError(f"{self.logs_dir}: cannot write job logs there ({err.strerror or err})") from None
        raise AssertionError("unreachable")

    def submit(self, jobs: list[Job], on_finished: Callable[[list[JobRecord]], None] | None = None) -> list[JobRecord]:
        """Queue ``jobs`` as one batch; ``on_finished`` is called (in the worker thread) with their records."""
        if not jobs:
            raise HarkError("no jobs to run")
        with self._lock:
            numbers = []
            for job in jobs:
                number = next(self._numbers)
                self._records[number] = JobRecord(number, job, "queued", time.time())
                numbers.append(number)
            self._batches.append((numbers, on_finished))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="hark-gui-jobs", daemon=True)
                self._thread.start()
            self._wakeup.notify()
            return [self._records[n] for n in numbers]

    def records(self) -> list[JobRecord]:
        """Every job so far, newest first."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: -r.number)

    def record(self, number: int) -> JobRecord | None:
        with self._lock:
            return self._records.get(number)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wakeup.notify()

    def _set(self, number: int, **changes) -> None:
        with self._lock:
            self._records[number] = replace(self._records[number], **changes)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._batches and not self._stopping:
                    self._wakeup.wait()
                if self._stopping:
                    return
                numbers, on_finished = self._batches.pop(0)
            for number in numbers:
                self._set(number, state="running")
            jobs = [self.record(n).job for n in numbers]

            def progress(fraction: float, numbers=numbers) -> None:
                for number in numbers:
                    self._set(number, progress=fraction)

            try:
                run = self._run
                if run is None:
                    from hark.jobs import run_jobs as run
                outcomes = run(jobs, cluster=None, progress=progress, data_dir=self.data_dir)
            except HarkError as err:  # bad cluster settings, an unreachable scheduler: the whole batch fails
                outcomes = None
                for number in numbers:
                    self._set(number, state="failed", finished=time.time(), message=str(err))
            except Exception as err:  # a bug: keep the server up and say so in the list
                outcomes = None
                for number in numbers:
                    self._set(number, state="failed", finished=time.time(), message=f"unexpected error: {type(err).__name__}: {err}")
            if outcomes is not None:
                for number, outcome in zip(numbers, outcomes):
                    message = _summary(outcome.result) if outcome.ok else (outcome.error or "failed")
                    self._set(number, state="done" if outcome.ok else "failed", finished=time.time(), progress=1.0, message=message)
            if on_finished is not None:
                try:
                    on_finished([self.record(n) for n in numbers])
                except Exception:  # a closed page's callback must not stop the queue
                    pass


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}: {v}" for k, v in result.items() if not isinstance(v, (dict, list)))[:300]
    return "" if result is None else str(result)[:300]
