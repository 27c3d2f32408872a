"""The hark command's own errors (bad option values, unknown options, missing arguments) are one line."""

import pytest

from tests.plugins import run_hark


@pytest.mark.parametrize(
    "args, says",
    [
        (["train", "--data", ".", "--labels", "a", "--steps", "abc"], "hark train: Invalid value for '--steps'"),
        (["train", "--no-such-option"], "hark train: No such option: --no-such-option"),
        (["detect"], "hark detect: Missing argument 'recordings'"),
        (["no-such-command"], "hark: No such command 'no-such-command'"),
    ],
)
def test_a_usage_mistake_is_one_line_and_exit_2(tmp_path, args, says):
    done = run_hark(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"hark: error: {says}")
    assert lines[0].endswith("-h)")  # and where to read more
    assert "Traceback" not in done.stderr and "╭" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_help_and_version_still_exit_0(tmp_path):
    help_ = run_hark("detect", "-h", cwd=tmp_path)
    assert help_.returncode == 0 and "Usage: hark detect" in help_.stdout
    version = run_hark("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("hark ")


def test_a_failure_of_the_system_is_one_line_naming_the_file(tmp_path):
    """sysfs refuses new files even to root: a real PermissionError from deep inside a write."""
    from hark.demo import generate_fly

    kernel = __import__("pathlib").Path("/sys/kernel")
    if not kernel.is_dir():
        pytest.skip("no /sys/kernel here to refuse a write")
    (recording,) = generate_fly(tmp_path, n_recordings=1, duration_s=2.0, seed=3)
    done = run_hark("calls", "--out", kernel, recording.wav, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("hark: error: /sys/kernel/") and "fly" in lines[0]
