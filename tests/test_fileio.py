"""hark.fileio: atomic writes that leave nothing behind, a full disk as one line, stale temporaries swept."""

import os
import subprocess
import sys

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
