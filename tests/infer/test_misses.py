import pytest

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv, write_csv
from hark.errors import HarkError
from hark.infer.misses import write_misses


def predicted(name, spans, label="song"):
    return [Event(name, a, b, Kind.PREDICTED, label, score=0.9) for a, b in spans]


def setup(tmp_path, detected_beside=True):
    recordings = tmp_path / "recordings"
    out = tmp_path / "out"
    recordings.mkdir()
    out.mkdir()
    detected = [
        Event("bird.wav", 100, 200, Kind.DETECTED, "time"),  # nothing predicted there
        Event("bird.wav", 550, 700, Kind.DETECTED, "time"),  # overlaps the song at 300-600
        Event("bird.wav", 1100, 1150, Kind.DETECTED, "frequency"),  # touches 1000-1100: closed intervals overlap
        Event("bird.wav", 1500, 1600, Kind.DETECTED, "frequency"),
    ]
    write_csv((recordings if detected_beside else out) / "bird.wav-detected.csv", detected)
    write_csv(out / "bird.wav-predicted-1.0pr.csv", predicted("bird.wav", [(300, 600), (1000, 1100)]))
    return recordings / "bird.wav", out


def test_misses_known_answers(tmp_path):
    recording, out = setup(tmp_path)
    [path] = write_misses([recording], out)
    assert path == out / "bird.wav-missed.csv"
    assert read_csv(path) == [
        Event("bird.wav", 100, 200, Kind.MISSED, "time"),
        Event("bird.wav", 1500, 1600, Kind.MISSED, "frequency"),
    ]


def test_detected_in_out_dir_and_everything_covered(tmp_path):
    recording, out = setup(tmp_path, detected_beside=False)
    write_csv(out / "bird.wav-predicted-1.0pr.csv", predicted("bird", [(0, 5000)], "ambient"))  # named without extension
    assert read_csv(write_misses([recording], out)[0], allow_empty=True) == []


def test_several_ratios_need_one_chosen(tmp_path):
    recording, out = setup(tmp_path)
    write_csv(out / "bird.wav-predicted-2.0pr.csv", predicted("bird.wav", [(0, 5000)]))
    with pytest.raises(HarkError, match=r"several ratios \(1, 2\); choose one with ratio"):
        write_misses([recording], out)
    assert len(read_csv(write_misses([recording], out, ratio=1.0)[0])) == 2
    assert read_csv(write_misses([recording], out, ratio=2.0)[0], allow_empty=True) == []
    with pytest.raises(HarkError, match=r"no predictions of bird.wav at ratio 0.5 \(there are 1, 2\)"):
        write_misses([recording], out, ratio=0.5)


def test_missing_inputs_tell_what_to_run(tmp_path):
    recording, out = setup(tmp_path)
    write_csv(out / "other.wav-detected.csv", [], extras=False)
    with pytest.raises(HarkError, match="no predictions for other.wav; run hark ethogram"):
        write_misses([recording.with_name("other.wav")], out)
    (recording.parent / "bird.wav-detected.csv").unlink()
    with pytest.raises(HarkError, match="no bird.wav-detected.csv in .* or beside the recording; run hark detect"):
        write_misses([recording], out)
    with pytest.raises(HarkError, match="no such folder"):
        write_misses([recording], tmp_path / "nowhere")
    assert not (out / "bird.wav-missed.csv").exists()
