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


def test_a_library_error_names_the_flags_the_user_typed(tmp_path, capsys):
    """train_model raises a ParameterError naming parameters as Python callers do; the command line names the flags."""
    from hark.cli.app import main
    from hark.errors import ParameterError
    from hark.train import DataParams, TrainParams, train_model
    from hark.train.params import TransferParams

    argv = ["train", "--data", str(tmp_path), "--supervision", "unsupervised", "--transfer", str(tmp_path), "--keep-layers", "1", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "hark: error: --transfer builds a model of new labels (for sparse, dense, clip or events supervision), not one for --supervision unsupervised"
    )
    with pytest.raises(ParameterError) as caught:
        params = TrainParams(transfer=TransferParams(models=[str(tmp_path)], keep_layers=1))
        train_model(tmp_path, DataParams(labels=[], supervision="unsupervised"), params, tmp_path / "o")
    assert str(caught.value) == "transfer builds a model of new labels (for sparse, dense, clip or events supervision), not one for supervision unsupervised"
    assert not (tmp_path / "o").exists()
