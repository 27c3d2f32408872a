"""The progress line of train's log when stderr is no terminal: step, loss, seconds per step, time left."""

from __future__ import annotations

import io
from types import SimpleNamespace

from hark.train.callbacks import LineReporter, format_duration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_come_at_the_first_step_then_every_period_with_the_mean_loss_and_time_left():
    clock, stream = Clock(), io.StringIO()
    trainer = SimpleNamespace(params=SimpleNamespace(steps=1000))
    reporter = LineReporter(stream, every_s=30.0, clock=clock)
    reporter.on_train_start(trainer, 0)
    for step in range(1, 41):  # 2 s a step
        clock.now += 2.0
        reporter.on_step_end(trainer, step, loss=float(step), accuracy=0.5)
    lines = stream.getvalue().splitlines()
    # step 1; then the first step 30 s after it (step 16) and 30 s after that (step 31)
    assert lines == [
        "step 1/1000: loss 1.0000, 2 s/step, 33 min 18 s left",
        f"step 16/1000: loss {sum(range(2, 17)) / 15:.4f}, 2 s/step, 32 min 48 s left",
        f"step 31/1000: loss {sum(range(17, 32)) / 15:.4f}, 2 s/step, 32 min 18 s left",
    ]


def test_a_resumed_run_times_only_its_own_steps():
    clock, stream = Clock(), io.StringIO()
    trainer = SimpleNamespace(params=SimpleNamespace(steps=600))
    reporter = LineReporter(stream, clock=clock)
    reporter.on_train_start(trainer, 500)
    clock.now += 0.5
    reporter.on_step_end(trainer, 501, loss=0.25, accuracy=1.0)
    assert stream.getvalue() == "step 501/600: loss 0.2500, 0.5 s/step, 50 s left\n"


def test_durations_read_as_people_say_them():
    assert [format_duration(s) for s in (0, 12.4, 200, 7500, -3)] == ["0 s", "12 s", "3 min 20 s", "2 h 05 min", "0 s"]


def test_a_train_jobs_log_file_gets_the_progress_lines_and_its_declared_memory_is_the_limit(tmp_path):
    from hark.jobs.spec import execute_job
    from hark.train.data import DataParams, default_labels
    from hark.train.jobs import train_job_spec, train_resources
    from hark.train.params import TrainParams
    from tests.cli.test_clip_table import whale_table

    table = whale_table(tmp_path / "data", n=8)
    data = DataParams(labels=default_labels(table, "clip"), supervision="clip")  # every label of the table
    assert data.labels == ["noise", "upcall"]
    arch = {"preset": "custom", "channels": [4, 8], "window_ms": 64, "stride_ms": 32}
    training = TrainParams(architecture="resnet", architecture_params=arch, steps=3, validation_period=3, batch_size=4, threads=1)
    job = train_job_spec(table, data, training, tmp_path / "model")
    assert train_resources(job.params).memory_gb == 2.0  # the default declaration, not enforced
    outcome = execute_job(job)
    assert outcome.ok, outcome.error
    log = (tmp_path / "model" / "train.log").read_text()
    assert " step 1/3: loss " in log and " s/step, " in log and " step 3: validation loss " in log

    tight = train_job_spec(table, data, training.model_copy(update={"memory_gb": 0.05}), tmp_path / "tight")
    assert train_resources(tight.params).memory_gb == 0.05  # declared, and so the limit training checks
    outcome = execute_job(tight)
    assert not outcome.ok and "of the 0.05 GB memory_gb allows" in outcome.error and not (tmp_path / "tight" / "config.json").exists()
