"""classify's outputs are whole or absent: one model per folder, full disks, kill -9 (issue 16, fault 4)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hark.errors import HarkError
from hark.infer.classify import classify_recordings
from hark.infer.probabilities import ProbabilitiesMeta, probabilities_paths, probabilities_writer, read_probabilities
from tests.full_disk import fill, tiny_disk
from tests.infer.helpers import write_recording

REPO = Path(__file__).resolve().parents[2]


def hidden_temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(".*.tmp"))


def test_a_folder_holds_one_model_and_checkpoint(tiny_model, tmp_path):
    first = write_recording(tmp_path / "first.wav", 0.5)
    second = write_recording(tmp_path / "second.wav", 0.4, seed=1)
    out = tmp_path / "out"
    classify_recordings(tiny_model, [first], out, engine="torch", device="cpu", checkpoint="100")
    before = read_probabilities(first, out)[1]
    # another checkpoint, even for another recording, would mix models across the folder
    for recording in (first, second):
        with pytest.raises(HarkError, match=r"out: holds probabilities of .*tiny step 100 .*first.wav.*not of .*tiny step 200.*--move-old") as err:
            classify_recordings(tiny_model, [recording], out, engine="torch", device="cpu", checkpoint="200")
        assert "\n" not in str(err.value)
    np.testing.assert_array_equal(read_probabilities(first, out)[1], before)
    assert not probabilities_paths(second, out)[0].exists()
    # the same checkpoint may add recordings
    assert classify_recordings(tiny_model, [second], out, engine="torch", device="cpu", checkpoint="100")[0].ok
    # the old model's predictions (hark ethogram's) go with its probabilities; others' stay
    old_predictions = ["first.wav-predicted-1.0pr.csv", "first-predicted-2.0pr.csv", "second.wav-predicted-0.5pr.csv"]
    for name in [*old_predictions, "third.wav-predicted-1.0pr.csv"]:
        (out / name).write_text("")
    results = classify_recordings(tiny_model, [first], out, engine="torch", device="cpu", checkpoint="200", move_old=True)
    assert results[0].ok
    assert read_probabilities(first, out)[2].checkpoint_step == 200
    (aside,) = out.glob("oldfiles-*")
    assert sorted(p.name for p in aside.iterdir()) == sorted(
        [*(p.name for r in (first, second) for p in probabilities_paths(r, out)), *old_predictions]
    )
    assert (out / "third.wav-predicted-1.0pr.csv").is_file()
    _, moved, meta = read_probabilities(aside / "first.wav-probabilities.npy")
    assert meta.checkpoint_step == 100
    np.testing.assert_array_equal(moved, before)
    assert not probabilities_paths(second, out)[0].exists()  # moved with its description, not left behind


def test_classify_refuses_to_start_when_the_disk_is_clearly_too_small(tiny_model, tmp_path):
    recording = write_recording(tmp_path / "long.wav", 70.0)  # 140 000 frames x 2 outputs x 4 bytes: 1.1 MB
    with tiny_disk(tmp_path) as disk:
        with pytest.raises(HarkError, match=r"disk-\w+: 1\.0 MB free, but the probabilities of 1 recording\(s\) needs about 1\.1 MB"):
            classify_recordings(tiny_model, [recording], disk, engine="torch", device="cpu")
        assert list(disk.iterdir()) == []


def test_a_disk_filling_up_mid_run_leaves_the_earlier_pair_whole(tiny_model, tmp_path):
    recording = write_recording(tmp_path / "song.wav", 20.0)  # 40 000 frames: 320 kB
    with tiny_disk(tmp_path) as disk:
        classify_recordings(tiny_model, [recording], disk, engine="torch", device="cpu")
        earlier = read_probabilities(recording, disk)[1]
        filled = []

        def fill_once(_fraction):  # after the array's space is taken: the description's write fails
            if not filled:
                filled.append(fill(disk))

        results = classify_recordings(
            tiny_model, [recording], disk, engine="torch", device="cpu", priors={"song": 0.2, "ambient": 0.8}, progress=fill_once,
        )
        assert filled and not results[0].ok
        assert results[0].error.startswith(f"{disk}: disk full writing song.wav-probabilities.npy")
        assert "needed" in results[0].error and "\n" not in results[0].error
        _, kept, meta = read_probabilities(recording, disk)
        assert meta.priors is None
        np.testing.assert_array_equal(kept, earlier)
        assert hidden_temporaries(disk) == []
        filled[0].unlink()
        assert classify_recordings(tiny_model, [recording], disk, engine="torch", device="cpu", priors={"song": 0.2, "ambient": 0.8})[0].ok
        assert read_probabilities(recording, disk)[2].priors == {"song": 0.2, "ambient": 0.8}


def test_the_writer_reserves_the_array_so_a_full_disk_is_an_error_not_sigbus(tmp_path):
    meta = ProbabilitiesMeta(recording="big.wav", output_names=["a", "b"], samplerate=8000, stride=4, offset=12, context=25,
                             frames=400_000, recording_samples=1_600_024)  # 3.2 MB on a 1 MB disk
    with tiny_disk(tmp_path) as disk:
        path = probabilities_paths("big.wav", disk)[0]
        with pytest.raises(HarkError, match=r"disk full writing big.wav-probabilities.npy \(.* free; about 3\.2 MB needed\)"):
            with probabilities_writer(path, meta) as write:
                write(0, np.ones((1000, 2), np.float32))
        assert list(disk.iterdir()) == []


def test_kill_9_mid_write_leaves_nothing_visible_and_the_next_run_sweeps(tiny_model, tmp_path):
    recording = write_recording(tmp_path / "long.wav", 900.0)  # long enough to be caught writing
    out = tmp_path / "out"
    script = (
        "import sys\n"
        "from hark.models.base import architectures\n"
        "from tests.infer.helpers import FRAME_ARCH, TinyConvArchitecture\n"
        "TinyConvArchitecture.name = FRAME_ARCH\n"
        "architectures.add(FRAME_ARCH, TinyConvArchitecture)\n"
        "from hark.cli.app import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["classify", "--model", str(tiny_model), "--out", str(out), "--engine", "torch", "--device", "cpu", "--no-progress", str(recording)]
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", script, *argv], cwd=REPO, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and hidden_temporaries(out)) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "classify ended before it could be killed mid-write"
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    assert hidden_temporaries(out) != []  # what the kill left: hidden, and the next run's to remove
    with pytest.raises(HarkError, match="no probabilities for long.wav"):
        read_probabilities(recording, out)
    short = write_recording(tmp_path / "short.wav", 0.5)  # the next run, of another recording, sweeps
    assert classify_recordings(tiny_model, [short], out, engine="torch", device="cpu")[0].ok
    assert hidden_temporaries(out) == []
