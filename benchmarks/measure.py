"""Run one measured job in a fresh process and report wall time and peak memory as JSON.

Each measurement gets its own interpreter so that its peak resident memory is its own. That peak
is the child's ``VmHWM`` (``/proc/self/status``), not ``ru_maxrss``: on Linux a process started
by ``subprocess`` (vfork, then exec) inherits its parent's peak in ``ru_maxrss``, so a benchmark
that had trained a model in the parent reported the parent's memory as the child's
(``benchmarks.usv`` printed 1,174 MB for a 500 kHz classify; reproduced, the child's ``ru_maxrss``
said 901 MB, its parent's, where its own peak was 453 MB). ``ru_maxrss`` serves where there is
no ``/proc`` (macOS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def shared_data_dir() -> Path:
    override = os.environ.get("HARK_SHARED_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared" / "data"


def measure_in_child(code: str, *args: str) -> dict:
    """Run ``code`` (which sets ``result``) in a new interpreter; returns its figures."""
    wrapper = (
        "import json, resource, sys, time\n"
        "args = sys.argv[1:]\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "elapsed = time.perf_counter() - start\n"
        "try:\n"
        "    peak_mb = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:')) / 1024\n"
        "except (OSError, StopIteration):\n"
        "    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': elapsed, 'peak_mb': peak_mb, **result}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "child failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_summary() -> str:
    return f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}"


__all__ = ["cpu_summary", "measure_in_child", "shared_data_dir"]
