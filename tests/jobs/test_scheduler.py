"""Jobs on an existing Dask scheduler (``--cluster tcp://HOST:PORT``) with two workers, all
started by the test as separate processes, as a lab server would run them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hark.cli.app import main
from hark.errors import HarkError
from hark.infer.probabilities import read_probabilities
from hark.jobs import ClusterSettings, Job, run_jobs
from tests.conftest import REPO_ROOT
from tests.infer.helpers import make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)
from tests.jobs import kinds_for_tests  # noqa: F401  (registers the test kinds)

DASK = [sys.executable, "-m"]


@contextlib.contextmanager
def scheduler_with_workers(folder: Path, workers: int):
    """A scheduler and single-thread workers declaring 1 core and 4 GB each, as separate processes; yields the address."""
    info = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(
        [*DASK, "distributed.cli.dask_scheduler", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=open(folder / "scheduler.log", "w"),
    )]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)  # written, then flushed
        address = json.loads(info.read_text())["address"]
        for i in range(workers):
            processes.append(subprocess.Popen(
                [*DASK, "distributed.cli.dask_worker", address, "--name", f"w{i + 1}", "--nthreads", "1", "--no-dashboard", "--no-nanny",
                 "--resources", "cpus=1 memory_gb=4"],
                env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=open(folder / f"w{i + 1}.log", "w"),
            ))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for process in processes:  # nothing to save: no graceful (slow) shutdown
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler with two workers, for the module."""
    with scheduler_with_workers(tmp_path_factory.mktemp("scheduler"), 2) as address:
        yield address


@pytest.fixture(scope="module")
def frozen_tiny_model(tmp_path_factory, tiny_architectures):
    from hark.infer.freeze import freeze_model

    folder = make_model(tmp_path_factory.mktemp("models") / "frozen", outputs=("pulse", "sine", "ambient"), seed=5)
    freeze_model(folder)
    return folder


def _workers_in_logs(logs) -> set[str]:
    return {re.search(r" on (tcp://\S+), host ", Path(log).read_text())[1] for log in logs}


def test_classify_spreads_recordings_over_the_scheduler_workers_with_the_same_outputs(scheduler, frozen_tiny_model, tmp_path, capsys):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    paths = [write_recording(recordings / f"fly{i}.wav", 2.0 + 0.25 * i, seed=i) for i in range(8)]
    base = ["classify", "--model", str(frozen_tiny_model), "--device", "cpu", "--no-progress"]
    assert main([*base, "--out", str(tmp_path / "here"), str(recordings)]) == 0
    assert not list((tmp_path / "here").glob("*.log"))  # without a cluster setting: as before, no job logs
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "there"), "--cluster", scheduler, str(recordings)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8 and all(line.startswith(str(tmp_path / "there")) for line in lines)
    for path in paths:
        here, there = read_probabilities(path, tmp_path / "here"), read_probabilities(path, tmp_path / "there")
        np.testing.assert_array_equal(here[1], there[1])
        assert here[2].frames == there[2].frames
    logs = sorted((tmp_path / "there").glob("*-probabilities.log"))
    assert len(logs) == 8
    assert len(_workers_in_logs(logs)) == 2  # both workers took recordings


def test_detect_on_the_scheduler_writes_the_same_csvs(scheduler, tmp_path, capsys):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    for i in range(4):
        write_recording(recordings / f"song{i}.wav", 1.5, seed=10 + i)
    (recordings / "hark.toml").write_text(f'[cluster]\nkind = "{scheduler}"\n')  # the folder's setting this time,
    own = tmp_path / "xdg-config" / "hark" / "hark.toml"  # confirmed by your own config (XDG_CONFIG_HOME: tests/jobs/conftest.py)
    own.parent.mkdir(parents=True)
    own.write_text(f'[trust]\nclusters = ["{scheduler}"]\n')
    assert main(["detect", "--no-progress", "--out", str(tmp_path / "there"), str(recordings)]) == 0
    (recordings / "hark.toml").unlink()
    assert main(["detect", "--no-progress", "--out", str(tmp_path / "here"), str(recordings)]) == 0
    for csv in (tmp_path / "here").glob("*.csv"):
        assert csv.read_bytes() == (tmp_path / "there" / csv.name).read_bytes()
    assert len(list((tmp_path / "there").glob("*-detected.log"))) == 4


def test_jobs_no_worker_can_take_fail_at_once_and_the_others_run(scheduler, tmp_path):
    jobs = [
        Job("test-huge", {"x": 1, "p": 1}, "huge"),
        Job("test-gpu", {}, "gpu"),
        Job("test-power", {"x": 2, "p": 5, "pause": 0}, "small", tmp_path / "small.log"),
    ]
    huge, gpu, small = run_jobs(jobs, scheduler)
    assert small.ok and small.result["value"] == 32 and _workers_in_logs([tmp_path / "small.log"]) == {small.worker}
    assert huge.error.startswith("job huge: needs cpus=1, memory_gb=10000 but no worker offers that (the largest offers cpus=1, memory_gb=4)")
    assert "--resources" in huge.error
    assert gpu.error.startswith("job gpu: needs cpus=1, gpus=1, memory_gb=0.5 but no worker offers that")


def test_a_scheduler_that_does_not_answer_is_one_line(tmp_path, capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(HarkError) as err:
        run_jobs([Job("test-power", {"x": 1, "p": 1}, "one")], ClusterSettings(kind="tcp", address=address, timeout=1))
    assert str(err.value).startswith(f"scheduler {address} does not answer (after 1 s)") and "\n" not in str(err.value)
    rec = write_recording(tmp_path / "a.wav", 0.5)
    (tmp_path / "hark.toml").write_text("[cluster]\ntimeout = 1\n")
    assert main(["detect", "--no-progress", "--cluster", address, str(rec)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"hark: settings from {tmp_path / 'hark.toml'} (found beside the data)",
        f"hark: error: scheduler {address} does not answer (after 1 s): {str(err.value).split(': ', 1)[1]}",
    ]


def test_jobs_whose_workers_are_all_gone_are_reported(tmp_path):
    (tmp_path / "cluster").mkdir()
    with scheduler_with_workers(tmp_path / "cluster", 1) as address:
        jobs = [Job("test-die-once", {"marker": str(tmp_path / "died")}, "fragile"), Job("test-power", {"x": 1, "p": 1}, "next")]
        fragile, following = run_jobs(jobs, ClusterSettings(kind="tcp", address=address, timeout=2))
    assert (tmp_path / "died").exists()  # the job ran, and killed the only worker
    assert fragile.error == f"job fragile: no workers left on the scheduler {address} (for 2 s)"
    # the other job ran before (the scheduler's choice of order) or waited for a worker in vain
    assert following.ok or following.error == f"job next: no workers left on the scheduler {address} (for 2 s)"
