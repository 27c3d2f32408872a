"""Jobs you can watch and stop: the GUI's queue runs each local job in a process of its own,
streams its progress and log, and a cancel ends the process (queued jobs never start)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hark.demo import generate_fly
from hark.gui.jobqueue import FINISHED, JobQueue
from hark.jobs import Job, JobKind, Resources, job_kinds


def slow_count(params: dict, context) -> dict:
    """Counts to ``n`` a step every ``pause`` seconds, reporting progress; prints a line (which must reach its log)."""
    Path(params["pid_file"]).write_text(str(os.getpid()))
    print("a line the job prints itself", flush=True)
    for step in range(params["n"]):
        context.progress(step / params["n"])
        if step % 10 == 0:
            context.log(f"counted to {step}")
        time.sleep(params["pause"])
    return {"counted": params["n"]}


if "test-slow-count" not in job_kinds:
    job_kinds.add("test-slow-count", JobKind(slow_count, Resources(cpus=1, memory_gb=0.5), "test: counts slowly"))


def wait_for(queue, number, predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = queue.record(number)
        if predicate(record):
            return record
        time.sleep(0.05)
    raise AssertionError(f"job {number} never met the condition: {queue.record(number)}")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not yet reaped) counts as ended
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_a_running_job_streams_progress_and_its_cancel_ends_its_process(tmp_path, capfd):
    queue = JobQueue(tmp_path, tmp_path / "logs")
    pid_file = tmp_path / "pid"
    slow = Job("test-slow-count", {"n": 400, "pause": 0.05, "pid_file": str(pid_file)}, "count slowly", queue.log_path("count"))
    waiting = Job("test-slow-count", {"n": 2, "pause": 0.01, "pid_file": str(tmp_path / "never")}, "never runs", queue.log_path("count"))
    [running] = queue.submit([slow])
    [queued] = queue.submit([waiting])
    # the second batch waits for the first: cancelled while queued, it never starts
    assert queue.cancel(queued.number) == "job never runs cancelled before it started"
    # progress arrives while the job runs, before it ends
    record = wait_for(queue, running.number, lambda r: 0.05 < r.progress < 0.5)
    assert record.state == "running" and pid_file.exists()
    pid = int(pid_file.read_text())
    assert process_alive(pid) and pid != os.getpid()
    assert record.live_status().startswith("counted to")
    assert queue.cancel(running.number) == "job count slowly: stopping"
    record = wait_for(queue, running.number, lambda r: r.state in FINISHED, timeout=15)
    assert record.state == "cancelled" and record.message.startswith("cancelled after"), record
    assert record.progress < 1
    assert not process_alive(pid)
    log = record.log_text()
    assert "a line the job prints itself" in log and "counted to 10" in log and "cancelled after" in log
    assert "a line the job prints itself" not in capfd.readouterr().out  # the job's prints are in its log only
    assert queue.record(queued.number).state == "cancelled" and not (tmp_path / "never").exists()
    with pytest.raises(Exception, match="has already ended"):
        queue.cancel(running.number)
    queue.stop()


def test_stopping_the_queue_ends_its_running_jobs_before_it_returns(tmp_path):
    queue = JobQueue(tmp_path, tmp_path / "logs")
    pid_file = tmp_path / "pid"
    [record] = queue.submit([Job("test-slow-count", {"n": 1000, "pause": 0.05, "pid_file": str(pid_file)}, "long count", None)])
    wait_for(queue, record.number, lambda r: r.progress > 0)
    pid = int(pid_file.read_text())
    queue.stop()  # the server stops (Ctrl+C, SIGTERM): the job's process must not outlive it
    assert not process_alive(pid)


SMALL = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}


def test_training_shows_steps_loss_and_a_learning_curve_and_resumes_after_a_cancel(tmp_path):
    from hark.train.data import DataParams
    from hark.train.jobs import train_job_spec
    from hark.train.params import TrainParams

    generate_fly(tmp_path / "demo", n_recordings=2, duration_s=20.0, seed=5)
    queue = JobQueue(tmp_path, tmp_path / "logs")
    data = DataParams(labels=["mel-pulse", "mel-sine", "ambient"])

    def train(steps: int):
        training = TrainParams(architecture="convnet", architecture_params=SMALL, steps=steps, batch_size=8, validation_period=20,
                               device="cpu", threads=1)  # fmt: skip
        [record] = queue.submit([train_job_spec(tmp_path / "demo", data, training, tmp_path / "model", log=queue.log_path("train"))])
        return record.number

    number = train(100_000)  # far more than it will run: it is cancelled
    record = wait_for(queue, number, lambda r: len(r.learning_curve()) >= 2, timeout=120)
    assert record.state == "running" and 0 < record.progress < 0.01
    curve = record.learning_curve()
    assert [row["step"] for row in curve[:2]] == [20, 40]
    assert all(0 <= row["validation_accuracy"] <= 1 and row["loss"] > 0 for row in curve)
    status = record.live_status()
    assert status.startswith("step ") and "/100000, loss " in status and "validation accuracy" in status, status
    queue.cancel(number)
    record = wait_for(queue, number, lambda r: r.state in FINISHED, timeout=20)
    assert record.state == "cancelled", record
    checkpoints = sorted(p.name for p in (tmp_path / "model").glob("*.pt"))
    assert checkpoints, "the cancelled run left no checkpoint to resume from"
    # the same job again: training resumes from the checkpoint the cancelled run left
    again = train(100_000)
    record = wait_for(queue, again, lambda r: "from its checkpoint of step" in r.log_text() or r.state in FINISHED, timeout=120)
    assert f"resuming {tmp_path / 'model'} from its checkpoint of step" in record.log_text(), record.log_text()
    queue.cancel(again)
    assert wait_for(queue, again, lambda r: r.state in FINISHED, timeout=20).state == "cancelled"
    queue.stop()
