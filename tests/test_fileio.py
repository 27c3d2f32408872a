"""hark.fileio: atomic writes that leave nothing behind, a full disk as one line, stale temporaries swept."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from hark.cli.app import main
from hark.errors import HarkError
from hark.fileio import atomic_path, atomic_write_text, sweep_stale_temporaries, temporary_prefix
from hark.models.store import save_checkpoint
from tests.full_disk import fill, tiny_disk


def test_a_write_that_fills_the_disk_is_one_line_and_leaves_the_old_file(tmp_path):
    with tiny_disk(tmp_path) as disk:
        target = disk / "notes.txt"
        target.write_text("kept\n")
        with pytest.raises(HarkError, match=r"disk-\w+: disk full writing notes.txt \(full after .*\); free some space") as err:
            atomic_write_text(target, "x" * 2_000_000)
        assert "\n" not in str(err.value)
        assert sorted(p.name for p in disk.iterdir()) == ["notes.txt"] and target.read_text() == "kept\n"


def test_a_checkpoint_on_a_full_disk_is_one_line_not_torch_runtime_error(tmp_path):
    """torch.save hides ENOSPC in a RuntimeError; train's checkpoints must still say 'disk full'."""
    with tiny_disk(tmp_path) as disk:
        with pytest.raises(HarkError, match=r"disk full writing ckpt-000005.pt"):
            save_checkpoint(disk, 5, {"model": {"w": torch.zeros(1_000_000)}})
        assert list(disk.iterdir()) == []


def test_commands_on_a_full_disk_end_in_one_line(tmp_path, capsys):
    recording = tmp_path / "song.wav"
    sf.write(recording, (0.01 * np.random.default_rng(0).standard_normal(5000)).astype(np.float32), 2500, subtype="PCM_16")
    (tmp_path / "in.csv").write_text("song.wav,100,900,annotated,pulse\n" * 2000)
    with tiny_disk(tmp_path) as disk:
        fill(disk)
        cases = [
            (["detect", "--out", str(disk), str(recording)], "free, but the detections of 1 recording(s) needs about 100.0 kB"),
            (["convert", "--to", "raven", "--rate", "2500", str(tmp_path / "in.csv"), str(disk / "out.txt")], "disk full writing out.txt"),
        ]
        for argv, message in cases:
            assert main(argv) == 2, argv
            err = capsys.readouterr().err.strip()
            assert err.startswith(f"hark: error: {disk}") and message in err and "\n" not in err, (argv, err)
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_sweep_removes_only_temporaries_of_dead_processes_of_this_machine(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(finished.stdout)
    own = temporary_prefix(tmp_path / "a.csv")
    dead = own.replace(f"-{os.getpid()}.", f"-{dead_pid}.")
    names = {
        f"{own}k3j_x9aa.tmp": True,  # this process, still writing
        f"{dead}q8zz1_0b.tmp": False,  # a process that was killed
        ".a.csv.some-other-host-1.abcdefgh.tmp": True,  # another machine sharing the folder
        ".not.ours.tmp": True,  # not named by hark
        "a.csv": True,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    assert [p.name for p in sweep_stale_temporaries(tmp_path)] == [f"{dead}q8zz1_0b.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(name for name, kept in names.items() if kept)


def test_atomic_path_removes_its_temporary_on_any_error(tmp_path):
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("half")
        1 / 0
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"] and (tmp_path / "a.txt").read_text() == "old"


def test_a_full_disk_met_outside_hark_writes_is_one_line_at_the_top(tmp_path):
    """What main() prints for an ENOSPC a library raised on its own (no hark write around it)."""
    import errno

    from hark.fileio import disk_full_line

    line = disk_full_line(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "log.txt")))
    assert line.startswith(f"{tmp_path}: disk full writing log.txt (") and "free" in line and "\n" not in line
    assert disk_full_line(OSError(errno.ENOSPC, "No space left on device")).startswith("disk full (No space left on device)")


def test_train_on_a_disk_that_fills_up_ends_in_one_line_and_runs_once_there_is_room(tmp_path, capsys):
    """End to end: the folder's first files fit, its first checkpoint does not."""
    from hark.demo import generate_fly

    generate_fly(tmp_path / "fly", n_recordings=2, duration_s=20.0, seed=5)
    argv = ["train", "--data", str(tmp_path / "fly"), "--labels", "mel-pulse,mel-sine,ambient", "--steps", "40",
            "--validation-period", "20", "-a", "n_conv_layers=2", "-a", "feature_maps=8", "--no-progress"]  # fmt: skip
    with tiny_disk(tmp_path, size="300k") as disk:
        out = disk / "model"
        assert main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(f"hark: error: {out}: disk full writing ckpt-000020.pt") and "free some space" in err[-1]
        assert not any("Traceback" in line for line in err)
        assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # nothing half-written is left
        assert not list(out.glob("ckpt-*.pt"))
        # room made (the file system grown), the same command in the same folder trains to the end
        subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
        assert main([*argv, "--out", str(out)]) == 0
        assert sorted(p.name for p in out.glob("ckpt-*.pt")) == ["ckpt-000020.pt", "ckpt-000040.pt"]


def test_a_folder_that_refuses_new_files_is_named_with_the_file_asked_for_not_the_temporary(tmp_path):
    """sysfs refuses new files to everyone, root included (a folder without write permission
    would not stop root, who runs the tests in some places)."""
    refusing = Path("/sys/kernel")
    if not refusing.is_dir():
        pytest.skip("no /sys/kernel here to refuse a new file")
    with pytest.raises(HarkError) as caught:
        atomic_write_text(refusing / "hark-out.csv", "x")
    message = str(caught.value)
    assert message.startswith("/sys/kernel/hark-out.csv: cannot write it (") and ".tmp" not in message and "\n" not in message
