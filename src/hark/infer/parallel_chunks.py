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

from collections.abc import Iterator
from contextlib import contextmanager

from hark.infer.engines import Engine

# the mechanism lives in hark.jobs.threads so that hark embed (below infer) uses it too
from hark.jobs.threads import MAX_CHUNKS_IN_FLIGHT, chunks_in_flight, in_order, on_threads, threads_per_chunk, usable_cores  # noqa: F401  (re-exported)


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
    with on_threads(engine, threads_per_chunk(in_flight, threads)) as shared:
        yield shared
