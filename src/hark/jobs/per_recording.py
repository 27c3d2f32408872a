"""One job per recording: the loop that hark detect and hark classify share.

A stage plans its work as plain-data records, one per recording (a frozen dataclass with at
least ``recording`` and ``output`` paths), and a module-level function that does one record,
``run_one(record, progress) -> result``. :func:`run_per_recording` then runs the records in
this process, in local processes or as jobs of the stage's kind wherever the cluster settings
say; :func:`recording_jobs` is the job specs alone, for a caller that queues them itself (the
GUI). A record travels as a job's parameters through :func:`json_fields` and comes back on the
worker through :func:`record_from`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hark.errors import HarkError
from hark.jobs.local import ProgressTracker, run_in_processes
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import Job, JobOutcome

Record = TypeVar("Record")
Result = TypeVar("Result")


def json_fields(record) -> dict[str, Any]:
    """A plain-data record (a dataclass, or a pydantic model whose paths are already absolute
    strings) as a JSON table: paths as absolute strings, since a worker elsewhere (another
    folder, another machine) reads and writes them."""
    if hasattr(record, "model_dump"):
        return record.model_dump(mode="json")
    return {name: str(value.absolute()) if isinstance(value, Path) else value for name, value in dataclasses.asdict(record).items()}


def record_from(cls: type[Record], params: dict, what: str) -> Record:
    """The inverse of :func:`json_fields`: the record from its table (path fields as strings);
    a missing or unknown field is a one-line HarkError naming ``what``."""
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise HarkError(f"{what}: unknown parameter(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    try:
        return cls(**params)
    except TypeError as err:
        raise HarkError(f"{what}: {err}") from None


def recording_jobs(
    kind: str,
    records: Sequence[Any],
    name: Callable[[Any], str] | None = None,
    log: Callable[[Any], Path | None] | None = None,
) -> list[Job]:
    """One job of ``kind`` per record. By default a job is named ``KIND <recording name>`` and
    logs to its output's path with the suffix ``.log`` (``<rec>-detected.log`` beside
    ``<rec>-detected.csv``)."""
    name = name or (lambda record: f"{kind} {Path(record.recording).name}")
    log = log or (lambda record: Path(record.output).absolute().with_suffix(".log"))
    return [Job(kind, json_fields(record), name(record), log(record)) for record in records]


def run_per_recording(
    records: Sequence[Record],
    run_one: Callable[[Record, Callable[[float], None]], Result],
    sizes: Sequence[int],
    *,
    kind: str,
    from_outcome: Callable[[Record, JobOutcome], Result],
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    cluster: ClusterSettings | str | None = None,
    run_here: Callable[[Record, Callable[[float], None]], Result] | None = None,
    preload_modules: Sequence[str] = (),
) -> list[Result]:
    """Run every record; results in the order of ``records``, a failure as a failed result.

    ``cluster`` (settings or a ``--cluster`` value): one job of ``kind`` per record there,
    each outcome turned into a result by ``from_outcome``. Otherwise ``workers`` > 1 runs
    ``run_one`` in that many local processes (each importing ``preload_modules`` first:
    plugins registered by code exist only where that code ran), else in this process, through
    ``run_here`` when given (e.g. with a model already opened). ``progress`` gets the fraction
    of all work done, each record weighted by its ``sizes`` entry (on a cluster, by job).
    """
    if cluster is not None:
        from hark.jobs.run import run_jobs

        outcomes = run_jobs(recording_jobs(kind, records), cluster, progress)
        return [from_outcome(record, outcome) for record, outcome in zip(records, outcomes)]
    tracker = ProgressTracker(list(sizes), progress)
    workers = max(1, min(workers, len(records)))
    if workers == 1:
        here = run_here or run_one
        return [here(record, tracker.callback(i)) for i, record in enumerate(records)]
    return run_in_processes(run_one, records, workers, tracker, preload_modules)
