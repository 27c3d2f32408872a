"""The GUI's job list (real jobs through hark.jobs) and what it remembers per data folder."""

from __future__ import annotations

import json
import time

import tests.jobs.kinds_for_tests  # noqa: F401  (registers the test job kinds)
from hark.gui.jobqueue import JobQueue
from hark.gui.memory import GuiMemory
from hark.jobs import Job


def wait_until_finished(queue, count, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = queue.records()
        if len(records) == count and all(r.state in ("done", "failed") for r in records):
            return records
        time.sleep(0.05)
    raise AssertionError(f"jobs never finished: {queue.records()}")


def test_batches_run_in_order_each_job_ending_done_or_failed_with_its_log(tmp_path):
    queue = JobQueue(tmp_path, tmp_path / ".hark" / "jobs")
    finished = []
    good = Job("test-power", {"x": 3, "p": 2, "pause": 0.01}, "three squared", queue.log_path("test-power"))
    bad = Job("test-power", {"x": -1, "p": 2, "pause": 0.01}, "negative", queue.log_path("test-power"))
    first = queue.submit([good], on_finished=finished.append)
    assert [r.state for r in first] in (["queued"], ["running"])
    queue.submit([bad], on_finished=finished.append)
    newest, oldest = wait_until_finished(queue, 2)
    assert (oldest.number, oldest.state) == (1, "done") and oldest.message.startswith("value: 9"), oldest
    assert newest.state == "failed" and "x must not be negative (got -1)" in newest.message
    assert "computing 3 ** 2" in oldest.log_text() and "failed: x must not be negative" in newest.log_text()
    assert [[r.number for r in batch] for batch in finished] == [[1], [2]]
    assert good.log != bad.log and good.log.parent == tmp_path / ".hark" / "jobs"
    queue.stop()


def test_an_unknown_kind_fails_its_batch_without_stopping_the_queue(tmp_path):
    queue = JobQueue(tmp_path, tmp_path / "logs")
    queue.submit([Job("no-such-kind", {}, "mystery", None)])
    queue.submit([Job("test-power", {"x": 2, "p": 3, "pause": 0.01}, "eight", None)])
    eight, mystery = wait_until_finished(queue, 2)
    assert mystery.state == "failed" and "unknown job kind 'no-such-kind'" in mystery.message
    assert eight.state == "done" and eight.message.startswith("value: 8")
    queue.stop()


def test_memory_is_kept_per_data_folder_and_survives_a_bad_file(tmp_path):
    memory = GuiMemory(tmp_path / ".hark")
    assert memory.get("labels", []) == []
    assert memory.set_action_values("detect", {"files": {"recordings": "a.wav"}})
    assert memory.set("labels", ["a", "b"])
    again = GuiMemory(tmp_path / ".hark")  # another window, or the next start
    assert again.action_values("detect") == {"files": {"recordings": "a.wav"}} and again.get("labels") == ["a", "b"]
    assert json.loads((tmp_path / ".hark" / "gui-params.json").read_text())["labels"] == ["a", "b"]
    (tmp_path / ".hark" / "gui-params.json").write_text("{not json")
    assert again.get("labels") is None and "cannot read remembered settings" in again.problem


def test_memory_in_a_read_only_folder_says_why_and_goes_on(tmp_path):
    (tmp_path / ".hark").mkdir()
    (tmp_path / ".hark").chmod(0o500)
    try:
        memory = GuiMemory(tmp_path / ".hark")
        if memory.set("labels", ["x"]):  # root may write anyway
            return
        assert "cannot remember settings" in memory.problem
    finally:
        (tmp_path / ".hark").chmod(0o700)
