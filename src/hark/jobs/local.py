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
