"""run_jobs on a local Dask cluster (worker processes on this machine)."""

from pathlib import Path

import pytest

from hark.jobs import ClusterSettings, Job, run_jobs
from tests.jobs import kinds_for_tests  # noqa: F401  (registers the test kinds)


def _power_jobs(folder: Path, xs) -> list[Job]:
    return [Job("test-power", {"x": x, "p": 3, "pause": 0.1}, f"power-{x}", folder / f"power-{x}.log") for x in xs]


def test_a_local_cluster_gives_what_in_process_runs_give_and_failures_stay_per_job(tmp_path):
    jobs = _power_jobs(tmp_path / "cluster", [1, 2, -1, 3, 4, 5])
    seen = []
    outcomes = run_jobs(jobs, ClusterSettings(kind="local", workers=2), progress=seen.append)
    alone = [run_jobs([job])[0] for job in _power_jobs(tmp_path / "alone", [1, 2, -1, 3, 4, 5])]
    assert [o.job for o in outcomes] == jobs
    assert [o.ok for o in outcomes] == [True, True, False, True, True, True]
    assert [o.result and o.result["value"] for o in outcomes] == [o.result and o.result["value"] for o in alone]
    failed = outcomes[2]
    assert failed.error == f"job power--1: x must not be negative (got -1) (log: {tmp_path / 'cluster' / 'power--1.log'})"
    # two worker processes shared the jobs, and each job's log names the worker that ran it
    workers = {o.worker for o in outcomes}
    assert len(workers) == 2 and all(w.startswith("tcp://") for w in workers)
    assert len({o.result["pid"] for o in outcomes if o.ok}) == 2
    for outcome in outcomes:
        assert f"on {outcome.worker}, host " in outcome.job.log.read_text()
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_a_worker_killed_mid_job_is_retried_on_a_fresh_worker(tmp_path):
    marker = tmp_path / "died-once"
    jobs = [Job("test-die-once", {"marker": str(marker)}, "fragile", tmp_path / "fragile.log"), *_power_jobs(tmp_path, [2])]
    outcomes = run_jobs(jobs, ClusterSettings(kind="local", workers=2, retries=1))
    assert all(o.ok for o in outcomes), outcomes
    first_pid = int(marker.read_text())
    assert outcomes[0].result == {"first_pid": first_pid, "pid": outcomes[0].result["pid"]} and outcomes[0].result["pid"] != first_pid
    log = (tmp_path / "fragile.log").read_text()
    assert log.count("job fragile (test-die-once) on tcp://") == 2 and "about to die" in log


def test_a_worker_killed_mid_job_without_retries_is_reported(tmp_path):
    marker = tmp_path / "died-once"
    jobs = [Job("test-die-once", {"marker": str(marker)}, "fragile", tmp_path / "fragile.log"), *_power_jobs(tmp_path, [2])]
    outcomes = run_jobs(jobs, ClusterSettings(kind="local", workers=2, retries=0))
    assert outcomes[1].ok and not outcomes[0].ok
    assert outcomes[0].error.startswith("job fragile: worker tcp://")
    assert f"died while running it (1 attempt; out of memory? killed by the batch system?); its log: {tmp_path / 'fragile.log'}" in outcomes[0].error


def test_a_local_job_asking_for_a_gpu_this_machine_lacks_fails_at_once(tmp_path):
    from hark.jobs.clusters import cuda_devices

    if cuda_devices():
        pytest.skip("this machine has a GPU")
    [alone] = run_jobs([Job("test-gpu", {}, "needs-gpu")])
    assert alone.error == "job needs-gpu: needs gpus=1 but this machine has 0"
    outcomes = run_jobs([Job("test-gpu", {}, "needs-gpu"), Job("test-huge", {"x": 2, "p": 2, "pause": 0}, "huge")], ClusterSettings(workers=1))
    assert outcomes[0].error.startswith("job needs-gpu: needs cpus=1, gpus=1, memory_gb=0.5 but this machine's workers have cpus=")
    # a job asking more memory than this machine has gets a whole worker rather than never running
    assert outcomes[1].ok and outcomes[1].result["value"] == 4
