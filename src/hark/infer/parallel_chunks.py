"""Both cores on one long recording: classify's chunks run two at a time, each engine call on its own threads.

A frame model's chunks are independent (chunk ``i`` reads its own ``context - stride`` samples
of overlap, :mod:`hark.infer.classify`), so two of them can be in the model at once. On a CPU
this beats letting the engine spread one batch over the cores (its intra-op threads): the
shipped models are small convolutions whose layers are too short to split well, and on a busy
machine a thread pool that spins waiting for its other half loses most of its time
(docs/performance.md, "hark classify"). onnxruntime's ``session.run`` and torch's forward
release the GIL, so plain threads suffice.

The outputs are those of the serial run, bit for bit: every chunk is cut into the same pieces
and runs as the same batch, on an engine with the same settings, and the rows are yielded in
the recording's order. Memory stays bounded: at most :data:`MAX_CHUNKS_IN_FLIGHT` chunks are
read and in the model at a time.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import torch

from hark.errors import ParameterError
from hark.infer.engines import Engine, OnnxEngine

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
    """How many chunks to classify at once: ``wanted`` when given (1: serial), else one per core
    up to :data:`MAX_CHUNKS_IN_FLIGHT` on a CPU, and 1 on a GPU (one stream of work feeds it).
    ``threads``: the cores the job may use (0: all of them)."""
    if wanted < 0:
        raise ParameterError("in_flight", f"{{param}} {wanted}: expected 0 (automatic) or a positive number of chunks")
    if wanted:
        return wanted
    if device != "cpu":
        return 1
    return max(1, min(MAX_CHUNKS_IN_FLIGHT, threads or usable_cores()))


@contextmanager
def engine_for_chunks(engine: Engine, in_flight: int, threads: int = 0) -> Iterator[Engine]:
    """``engine`` set up so that ``in_flight`` calls at once share the job's cores: each on
    ``threads // in_flight`` intra-op threads (at least one). A serial run gets the engine as it is.

    torch's thread count belongs to the process, so it is restored afterwards; onnxruntime's
    belongs to the session, so an export opened with another count is opened again.
    """
    if in_flight <= 1 or engine.device != "cpu":
        yield engine
        return
    per_call = max(1, (threads or usable_cores()) // in_flight)
    if isinstance(engine, OnnxEngine):
        yield engine.with_threads(per_call)
        return
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
