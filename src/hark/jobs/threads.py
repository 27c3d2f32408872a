"""Both cores on one long recording: chunks run ``in_flight`` at a time on threads, yielded in order.

A frame model's chunks are independent, so two of them can be in the model at once. On a CPU
this beats letting the engine spread one chunk over the cores (its intra-op threads): the
shipped models are small convolutions whose layers are too short to split well, and on a busy
machine a thread pool that spins waiting for its other half loses most of its time
(docs/performance.md, "hark classify"). onnxruntime's ``session.run`` and torch's forward
release the GIL, so plain threads suffice.

This is the mechanism alone, with no engine in it, so that every stage that streams a
recording through a model uses the same one: ``hark classify``
(:mod:`hark.infer.parallel_chunks`, which also splits an engine's threads between the chunks)
and ``hark embed`` (:mod:`hark.embed.engine`). The results are those of the serial run, in the
recording's order; memory stays bounded: at most ``in_flight`` chunks are read and in the
model at a time.
"""

from __future__ import annotations

import os
from collections import deque
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from hark.errors import ParameterError

MAX_CHUNKS_IN_FLIGHT = 2
"""Chunks in the model at once: two cores' worth on the 2-core machines hark targets, and no more
than twice a chunk's memory on bigger ones (their engines get the remaining cores as intra-op threads)."""

Item = TypeVar("Item")
Result = TypeVar("Result")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, where the system says; else all)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def chunks_in_flight(device: str, threads: int = 0, wanted: int = 0) -> int:
    """How many chunks to run at once: ``wanted`` when given (1: serial), else one per core
    up to :data:`MAX_CHUNKS_IN_FLIGHT` on a CPU, and 1 on a GPU (one stream of work feeds it).
    ``threads``: the cores the job may use (0: all of them)."""
    if wanted < 0:
        raise ParameterError("in_flight", f"{{param}} {wanted}: expected 0 (automatic) or a positive number of chunks")
    if wanted:
        return wanted
    if device != "cpu":
        return 1
    return max(1, min(MAX_CHUNKS_IN_FLIGHT, threads or usable_cores()))


def threads_per_chunk(in_flight: int, threads: int = 0) -> int:
    """Intra-op threads of each of ``in_flight`` engine calls at once, sharing ``threads`` cores
    (0: all usable ones), at least one."""
    return max(1, (threads or usable_cores()) // max(1, in_flight))


@contextmanager
def on_threads(engine: Item, per_call: int) -> Iterator[Item]:
    """``engine`` running each call on ``per_call`` intra-op threads. An engine with
    ``with_threads`` (onnxruntime's: the count belongs to its session) is opened again with that
    count; otherwise torch's count, which belongs to the process, is set and restored afterwards."""
    if hasattr(engine, "with_threads"):
        yield engine.with_threads(per_call)
        return
    import torch  # only a torch engine gets here

    before = torch.get_num_threads()
    torch.set_num_threads(per_call)
    try:
        yield engine
    finally:
        torch.set_num_threads(before)


def in_order(function: Callable[[Item], Result], items: Iterable[Item], in_flight: int) -> Iterator[Result]:
    """``function(item)`` for each item, ``in_flight`` at a time on threads, yielded in the items' order.

    The next item is taken from ``items`` (a chunk read from disk) only when fewer than
    ``in_flight`` are running, so reading overlaps the model and at most ``in_flight`` items
    are held. An exception in ``function`` is raised here, at its item's turn.
    """
    if in_flight <= 1:
        yield from map(function, items)
        return
    pool = ThreadPoolExecutor(in_flight, thread_name_prefix="hark-chunk")
    running: deque[Future] = deque()
    try:
        for item in items:
            running.append(pool.submit(function, item))
            if len(running) >= in_flight:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()
    finally:  # also when the consumer stops early: nothing new starts, the running ones finish
        pool.shutdown(wait=True, cancel_futures=True)
