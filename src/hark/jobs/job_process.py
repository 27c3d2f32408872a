"""The child end of :class:`hark.jobs.local.JobProcess`: run one job in this process.

``python -m hark.jobs.job_process FD`` reads ``{"job": ..., "cpus": N, "preload": [...]}`` as
JSON from stdin, imports the preload modules (where a job kind registered by code lives),
runs the job and writes JSON lines to the file descriptor FD: ``{"progress": f}`` as it goes,
then ``{"outcome": {...}}``. Its stdout and stderr are the job's log file.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    channel = os.fdopen(int(argv[1]), "w", buffering=1)
    spec = json.loads(sys.stdin.read())
    for name in spec.get("preload", []):
        importlib.import_module(name)

    from hark.jobs.spec import Job, execute_job

    job = Job.from_dict(spec["job"])
    sent = {"fraction": -1.0, "at": 0.0}

    def progress(fraction: float) -> None:
        now = time.monotonic()
        # a few lines a second at most: a training step may report thousands of times
        if fraction >= 1.0 or (fraction != sent["fraction"] and now - sent["at"] >= 0.1):
            channel.write(json.dumps({"progress": fraction}) + "\n")
            sent.update(fraction=fraction, at=now)

    outcome = execute_job(job, progress, spec.get("worker"), spec.get("cpus", 1))
    result = json.loads(json.dumps(outcome.result, default=str))
    channel.write(json.dumps({"outcome": {"ok": outcome.ok, "result": result, "error": outcome.error, "worker": outcome.worker,
                                          "seconds": outcome.seconds}}) + "\n")  # fmt: skip
    channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
