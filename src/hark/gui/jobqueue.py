"""The GUI's job list: batches of jobs, one batch after another, each job watchable and cancellable.

One queue per server (every window of it sees the same list). Each submitted batch (the
jobs of one press of an action's Run button) waits its turn, then runs where the data
folder's hark.toml says. On this machine (the default) every job runs in a Python process of
its own (:class:`hark.jobs.local.JobProcess`), several at once up to the settings' workers:
its progress streams back as it goes, whatever it prints lands in its log file (never the
server's terminal), and *Cancel* stops it for real. On a cluster the batch goes through
:func:`hark.jobs.run_jobs`. A job is ``queued``, ``running``, then ``done``, ``failed`` or
``cancelled``, each with its own log file under ``DATA_DIR/.hark/jobs``.
"""

from __future__ import annotations

import csv
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from hark.errors import HarkError
from hark.jobs.spec import Job, JobOutcome

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
LOG_TAIL_BYTES = 8192


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
    started: float | None = None

    def log_text(self, max_chars: int = 20_000) -> str:
        """The end of the job's log file ('' before it has one)."""
        if self.job.log is None:
            return ""
        try:
            text = Path(self.job.log).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-max_chars:]

    def last_log_line(self) -> str:
        """The newest line of the job's log, without its time stamp ('' when there is none)."""
        if self.job.log is None:
            return ""
        try:
            with open(self.job.log, "rb") as file:
                file.seek(0, os.SEEK_END)
                file.seek(max(0, file.tell() - LOG_TAIL_BYTES))
                tail = file.read().decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line for line in tail.splitlines() if line.strip()]
        if not lines:
            return ""
        line = lines[-1]
        # execute_job's lines start with "YYYY-MM-DD HH:MM:SS "
        return line[20:] if len(line) > 20 and line[4] == "-" and line[13] == ":" else line

    def learning_curve(self) -> list[dict[str, float]]:
        """Rows of the job's ``OUT/log.csv`` (hark train's: step, loss, validation accuracy, ...), as numbers."""
        out = self.job.params.get("out") if isinstance(self.job.params, dict) else None
        if not isinstance(out, str) or self.job.kind != "train":
            return []
        try:
            with open(Path(out) / "log.csv", newline="") as file:
                rows = list(csv.DictReader(file))
        except (OSError, csv.Error, UnicodeDecodeError):
            return []
        curve = []
        for row in rows:
            try:
                curve.append({name: float(value) for name, value in row.items() if name and value not in (None, "")})
            except ValueError:
                continue
        return [row for row in curve if "step" in row]

    def live_status(self) -> str:
        """What a running job is doing now: training's step, loss and validation accuracy, else its newest log line."""
        if self.state != "running":
            return self.message
        if self.job.kind == "train":
            steps = (self.job.params.get("training") or {}).get("steps")
            parts = [f"step {round(self.progress * steps)}/{steps}"] if isinstance(steps, int) and self.progress > 0 else []
            curve = self.learning_curve()
            if curve:
                last = curve[-1]
                if "loss" in last:
                    parts.append(f"loss {last['loss']:.3g}")
                if "validation_accuracy" in last:
                    parts.append(f"validation accuracy {last['validation_accuracy']:.1%}")
            if parts:
                return ", ".join(parts)
        return self.last_log_line()[:300]


class JobQueue:
    """Runs submitted batches in a background thread, one batch at a time, in order."""

    def __init__(self, data_dir: Path, logs_dir: Path, run: Callable | None = None):
        self.data_dir = data_dir
        self.logs_dir = logs_dir
        self._run = run  # run_jobs for every batch (tests); None: local jobs in processes of their own
        self._lock = threading.Lock()
        self._records: dict[int, JobRecord] = {}
        self._batches: list[tuple[list[int], Callable | None]] = []
        self._numbers = itertools.count(1)
        self._wakeup = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._cancel_requested: set[int] = set()
        self._on_cluster: set[int] = set()  # running where this server cannot stop them
        self._processes: dict[int, object] = {}  # running local jobs: number -> hark.jobs.local.JobProcess

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

    def cancel(self, number: int) -> str:
        """Cancel job ``number``: a queued job never starts, a running one is stopped (its process
        ended). Returns what happened, in words; a HarkError when there is nothing to cancel."""
        with self._lock:
            record = self._records.get(number)
            if record is None:
                raise HarkError(f"no job number {number}")
            if record.state in FINISHED:
                raise HarkError(f"job {record.job.name} has already ended ({record.state})")
            if number in self._on_cluster:
                raise HarkError(f"job {record.job.name} runs on the cluster's workers; stop it with the cluster's own tools")
            if record.state == "queued":
                self._records[number] = replace(record, state="cancelled", finished=time.time(), message="cancelled before it started")
                return f"job {record.job.name} cancelled before it started"
            self._cancel_requested.add(number)
            return f"job {record.job.name}: stopping"

    def stop(self) -> None:
        """The server stops: no new batch starts, and running jobs' processes are ended before this returns
        (they run in sessions of their own, so nothing else would end them)."""
        with self._lock:
            self._stopping = True
            self._cancel_requested.update(n for n, r in self._records.items() if r.state == "running")
            self._wakeup.notify()
            processes = list(self._processes.values())
        for process in processes:
            process.stop()

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
                numbers = [n for n in numbers if self._records[n].state == "queued"]  # cancelled ones never start
            if numbers:
                try:
                    self._run_batch(numbers)
                except HarkError as err:  # bad cluster settings, an unreachable scheduler: the whole batch fails
                    self._fail(numbers, str(err))
                except Exception as err:  # a bug: keep the server up and say so in the list
                    self._fail(numbers, f"unexpected error: {type(err).__name__}: {err}")
            if on_finished is not None:
                try:
                    on_finished([self.record(n) for n in numbers])
                except Exception:  # a closed page's callback must not stop the queue
                    pass

    def _fail(self, numbers: list[int], message: str) -> None:
        for number in numbers:
            if self.record(number).state not in FINISHED:
                self._set(number, state="failed", finished=time.time(), message=message)

    def _run_batch(self, numbers: list[int]) -> None:
        jobs = [self.record(n).job for n in numbers]
        if self._run is not None:
            self._run_elsewhere(numbers, jobs, self._run, None)
            return
        from hark.jobs.settings import resolve_cluster

        notes: list[str] = []
        settings = resolve_cluster(None, [self.data_dir], report=notes.append)
        for job in jobs:  # which settings files were read: in each job's log, not on the server's terminal
            _append_log(job, notes)
        if settings is not None and settings.kind != "local":
            from hark.jobs import run_jobs

            self._run_elsewhere(numbers, jobs, run_jobs, settings)
            return
        workers = (settings.workers if settings is not None else 0) or min(len(jobs), os.cpu_count() or 1)
        cpus = max(1, (os.cpu_count() or 1) // max(1, min(workers, len(jobs))))
        waiting = list(numbers)
        take = threading.Lock()

        def worker() -> None:
            while True:
                with take:
                    if not waiting:
                        return
                    number = waiting.pop(0)
                try:
                    self._run_in_process(number, cpus)
                except Exception as err:  # no process could be started (no memory, no log file): say so in the list
                    self._finish(number, JobOutcome(self.record(number).job, False, None, f"could not run: {type(err).__name__}: {err}"))

        threads = [threading.Thread(target=worker, name="hark-gui-job", daemon=True) for _ in range(max(1, min(workers, len(jobs))))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _run_in_process(self, number: int, cpus: int) -> None:
        from hark.jobs.local import JobProcess
        from hark.jobs.run import gpu_shortfall
        from hark.jobs.spec import job_kinds

        with self._lock:
            record = self._records[number]
            if record.state != "queued" or self._stopping:
                return
            self._records[number] = replace(record, state="running", started=time.time())
        job = record.job
        try:
            kind = job_kinds.get(job.kind)
        except HarkError as err:
            self._finish(number, JobOutcome(job, False, None, str(err)))
            return
        shortfall = gpu_shortfall(job)
        if shortfall is not None:
            self._finish(number, shortfall)
            return
        with self._lock:
            if self._stopping:
                return
            process = JobProcess(job, cpus, preload_modules=[kind.function.__module__])
            self._processes[number] = process
        try:
            outcome = process.wait(lambda fraction: self._set(number, progress=fraction), lambda: number in self._cancel_requested)
        finally:
            with self._lock:
                self._processes.pop(number, None)
        if outcome is None:
            seconds = time.time() - (self.record(number).started or time.time())
            _append_log(job, [f"cancelled after {seconds:.1f} s: its process was stopped; what it had written is kept"])
            self._set(number, state="cancelled", finished=time.time(), message=f"cancelled after {seconds:.0f} s (outputs written so far are kept)")
        else:
            self._finish(number, outcome)

    def _finish(self, number: int, outcome: JobOutcome) -> None:
        message = _summary(outcome.result) if outcome.ok else (outcome.error or "failed")
        self._set(number, state="done" if outcome.ok else "failed", finished=time.time(), progress=1.0 if outcome.ok else self.record(number).progress,
                  message=message)  # fmt: skip

    def _run_elsewhere(self, numbers: list[int], jobs: list[Job], run: Callable, settings) -> None:
        """The whole batch through ``run_jobs`` (a cluster): progress is the batch's; it cannot be stopped from here."""
        with self._lock:
            for number in numbers:
                self._records[number] = replace(self._records[number], state="running", started=time.time())
            self._on_cluster.update(numbers)

        def progress(fraction: float) -> None:
            for number in numbers:
                self._set(number, progress=fraction)

        try:
            outcomes = run(jobs, cluster=settings, progress=progress, data_dir=self.data_dir)
        finally:
            with self._lock:
                self._on_cluster.difference_update(numbers)
        for number, outcome in zip(numbers, outcomes):
            self._finish(number, outcome)


def _append_log(job: Job, lines: list[str]) -> None:
    if job.log is None or not lines:
        return
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        with open(job.log, "a", encoding="utf-8") as file:
            file.writelines(f"{stamp} {line}\n" for line in lines)
    except OSError:
        pass


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}: {v}" for k, v in result.items() if not isinstance(v, (dict, list)))[:300]
    return "" if result is None else str(result)[:300]
