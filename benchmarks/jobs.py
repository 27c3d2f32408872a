"""Classifying many recordings as jobs: speed-up from 1 to 2 local Dask workers, and overheads.

    python -m benchmarks.jobs [--recordings 32] [--seconds 60] [--workers 1,2]

32 generated fly recordings (hark.demo, 60 s each at 2.5 kHz) are classified by a "convnet"
with random weights (speed does not depend on them), one ``classify`` job per recording:
  1. in this process, the way ``hark classify`` runs without cluster settings (-j 1);
  2. as ``hark classify --cluster local -j N`` runs them, N = 1 and 2, start-up included
     (one worker gives each job both cores; two workers one core each);
  3. on an already running cluster of N workers of one core each (as a cluster's job slots
     are), N = 1 and 2: the worker scaling itself;
and a local cluster's start-up alone, and the scheduling cost per job (64 no-op jobs on an
already running cluster of 2 workers). Per-file cost, start-up and per-job overhead are the
figures docs/jobs.md uses to predict scaling on a real cluster. Files go to bench-output/jobs/.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
from pathlib import Path

from hark.jobs import ClusterSettings, Job, JobKind, Resources, job_kinds


def noop(params: dict, context) -> None:
    """A job that does nothing: what remains is the cost of scheduling it."""
    return None


if __name__ == "benchmarks.jobs" and "bench-noop" not in job_kinds:
    # registered under the importable name, so that workers find it (never as __main__)
    job_kinds.add("bench-noop", JobKind(noop, Resources(cpus=1, memory_gb=0.1), "benchmark: does nothing"))


def make_recordings(folder: Path, count: int, seconds: float) -> list[Path]:
    from hark.demo.generate import generate_fly

    existing = sorted(folder.glob("fly-*.wav"))
    if len(existing) == count and all(_duration(p) == seconds for p in existing):
        return existing
    return [r.wav for r in generate_fly(folder, count, seconds, seed=7)]


def _duration(path: Path) -> float:
    import soundfile as sf

    return round(sf.info(path).duration, 3)


def timed_classify(model: Path, recordings: list[Path], out: Path, cluster: ClusterSettings | None) -> float:
    from hark.infer.classify import classify_recordings

    start = time.perf_counter()
    results = classify_recordings(model, recordings, out, engine="torch", device="cpu", cluster=cluster)
    seconds = time.perf_counter() - start
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise SystemExit(f"classification failed: {failed[0]}")
    return seconds


@contextlib.contextmanager
def one_core_workers(workers: int):
    """A running local cluster whose workers declare one core each; yields its address."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, resources={"cpus": 1, "memory_gb": 4}, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster, Client(cluster) as client:
        client.run(_import_torch)  # warm: the first job's imports are start-up, not work
        yield cluster.scheduler_address


def _import_torch() -> None:
    import torch  # noqa: F401


def cluster_overheads(workers: int, jobs: int) -> tuple[float, float]:
    """Seconds to start a local cluster, and seconds of scheduling per no-op job once it runs."""
    from hark.jobs.clusters import open_cluster
    from hark.jobs.dask_backend import submit_and_wait
    from hark.jobs.local import ProgressTracker

    settings = ClusterSettings(kind="local", workers=workers)
    start = time.perf_counter()
    with open_cluster(settings, workers) as cluster:
        started = time.perf_counter() - start
        noops = [Job("bench-noop", {}, f"noop-{i}") for i in range(jobs)]
        submit_and_wait(cluster, noops[:workers], ProgressTracker([1] * workers, None), settings)  # warm: imports done
        start = time.perf_counter()
        outcomes = submit_and_wait(cluster, noops, ProgressTracker([1] * jobs, None), settings)
        per_job = (time.perf_counter() - start) / jobs
    assert all(o.ok for o in outcomes)
    return started, per_job


def run(args: argparse.Namespace) -> None:
    from benchmarks.classify import make_random_model
    from benchmarks.measure import cpu_summary

    out = args.out / "jobs"
    recordings = make_recordings(out / "recordings", args.recordings, args.seconds)
    model = make_random_model(out / "model-fly-convnet", {}, 2500, ["pulse", "sine", "ambient"])
    audio = args.recordings * args.seconds
    print(f"hark jobs benchmark ({cpu_summary()}; other work on the machine shows in the figures)")
    print(f"{args.recordings} fly recordings of {args.seconds:g} s at 2.5 kHz ({audio / 60:.0f} min), convnet, torch on the CPU")
    here = timed_classify(model, recordings, out / "probabilities-here", None)
    print(f"in this process (hark classify without cluster settings): {here:.1f} s ({audio / here:.0f} s of audio/s)")
    fewest, most = min(args.workers), max(args.workers)
    as_run = {}
    for workers in args.workers:
        as_run[workers] = timed_classify(model, recordings, out / f"probabilities-{workers}w", ClusterSettings(kind="local", workers=workers))
        print(f"--cluster local -j {workers}: {as_run[workers]:.1f} s, start-up included ({audio / as_run[workers]:.0f} s of audio/s)")
    if most != fewest:
        print(f"  speed-up {fewest} -> {most} workers: {as_run[fewest] / as_run[most]:.2f}x")
    running = {}
    for workers in args.workers:
        with one_core_workers(workers) as address:
            running[workers] = timed_classify(model, recordings, out / f"probabilities-{workers}x1", ClusterSettings(kind="tcp", address=address))
        print(f"running cluster of {workers} one-core worker(s): {running[workers]:.1f} s ({audio / running[workers]:.0f} s of audio/s)")
    if most != fewest:
        print(f"  speed-up {fewest} -> {most} workers: {running[fewest] / running[most]:.2f}x")
    startup, per_job = cluster_overheads(2, args.noops)
    per_file = running[fewest] * fewest / args.recordings
    print(f"cluster start-up (2 workers): {startup:.1f} s; scheduling per job: {per_job * 1000:.0f} ms ({args.noops} no-op jobs)")
    print(f"per file: {per_file:.2f} s of one core for {args.seconds:g} s of audio ({args.seconds / per_file:.0f} s of audio/s per core)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recordings", type=int, default=32, help="recordings to classify")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each recording")
    parser.add_argument("--workers", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2], help="worker counts to time, comma-separated")
    parser.add_argument("--noops", type=int, default=64, help="no-op jobs that measure the scheduling cost")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings, model and outputs go")
    run(parser.parse_args())


if __name__ == "__main__":
    import benchmarks.jobs  # this module under its importable name: it registers the no-op job kind

    benchmarks.jobs.main()
