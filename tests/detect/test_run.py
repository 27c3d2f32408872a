import csv

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.detect.run import detect_files, plan_detection
from hark.errors import HarkError

RATE = 2500


def _song(path, seed, clicks):
    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal(10 * RATE)
    for c in clicks:
        x[c : c + 4] += 0.4
    sf.write(path, x.astype(np.float32), RATE)


@pytest.fixture
def three_songs(tmp_path):
    clicks = {"a.wav": [2500, 9000], "b.wav": [5000], "c.wav": [1000, 12000, 20000]}
    for i, (name, where) in enumerate(clicks.items()):
        _song(tmp_path / name, i, where)
    return tmp_path, clicks


def test_parallel_processes_give_the_same_csvs_as_one_process(three_songs, tmp_path_factory):
    folder, clicks = three_songs
    paths = [folder / name for name in clicks]
    serial, parallel = tmp_path_factory.mktemp("serial"), tmp_path_factory.mktemp("parallel")
    seen = []
    one = detect_files(paths, out_dir=serial, workers=1)
    two = detect_files(paths, out_dir=parallel, workers=2, progress=seen.append)
    assert [r.recording for r in two] == paths and all(r.ok for r in one + two)
    for name, where in clicks.items():
        a = (serial / f"{name}-detected.csv").read_bytes()
        assert a == (parallel / f"{name}-detected.csv").read_bytes()
        events = read_csv(serial / f"{name}-detected.csv")
        assert [e.start for e in events if e.label == "time"] == where
    assert seen and seen[-1] == pytest.approx(1.0)


def test_outputs_go_beside_recordings_by_default(three_songs):
    folder, _ = three_songs
    results = detect_files([folder / "b.wav"])
    assert results[0].output == folder / "b.wav-detected.csv"
    rows = list(csv.reader(open(results[0].output)))
    assert all(len(row) == 5 and row[0] == "b.wav" and row[3] == "detected" for row in rows)


def test_everything_is_checked_before_work_starts(three_songs, tmp_path_factory):
    folder, _ = three_songs
    out = tmp_path_factory.mktemp("out")
    (folder / "broken.wav").write_text("not audio")
    with pytest.raises(HarkError, match="broken.wav"):
        detect_files([folder / "a.wav", folder / "broken.wav"], out_dir=out)
    assert list(out.iterdir()) == []  # nothing was written for a.wav either
    with pytest.raises(HarkError, match="unknown detector 'nope'"):
        plan_detection([folder / "a.wav"], detector="nope")
    other = folder / "sub"
    other.mkdir()
    _song(other / "a.wav", 9, [])
    with pytest.raises(HarkError, match="would both write"):
        plan_detection([folder / "a.wav", other / "a.wav"], out_dir=out)
    blocker = folder / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(HarkError, match="not-a-folder"):
        plan_detection([folder / "a.wav"], out_dir=blocker / "out")
