import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main

HARK = [str(Path(sys.executable).with_name("hark"))]  # the installed console script


def _overlap_fraction(truth, found):
    """Share of the annotations that some detected interval overlaps (points inclusive)."""
    spans = np.array([(e.start, e.stop) for e in found])
    hits = [np.any((spans[:, 0] <= t.stop) & (spans[:, 1] >= t.start)) for t in truth]
    return float(np.mean(hits))


@pytest.mark.shared_data
def test_detect_on_real_fly_song_finds_the_annotated_pulses_and_sine(shared_data, tmp_path):
    recording = shared_data / "fly" / "PS_20130625111709_ch3.wav"
    done = subprocess.run([*HARK, "detect", "--out", str(tmp_path), str(recording)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    output = tmp_path / "PS_20130625111709_ch3.wav-detected.csv"
    assert output.is_file() and str(output) in done.stdout
    detected = read_csv(output)
    truth = read_csv(shared_data / "fly" / "PS_20130625111709_ch3.wav-annotated-person1.csv")
    pulses = [e for e in truth if e.label == "mel-pulse"]
    sine = [e for e in truth if e.label == "mel-sine"]
    time_found = _overlap_fraction(pulses, [e for e in detected if e.label == "time"])
    freq_found = _overlap_fraction(sine, [e for e in detected if e.label == "frequency"])
    assert time_found >= 0.85, f"time events overlap {time_found:.0%} of mel-pulse"
    assert freq_found >= 0.70, f"frequency events overlap {freq_found:.0%} of mel-sine"
    # the ambient annotations are candidate ambient ("neither") to the detector
    ambient = [e for e in truth if e.label == "ambient"]
    assert _overlap_fraction(ambient, [e for e in detected if e.label == "neither"]) >= 0.9


def test_bad_inputs_fail_with_one_line_and_leave_files_alone(tmp_path, capsys):
    good = tmp_path / "good.wav"
    sf.write(good, (0.01 * np.random.default_rng(0).standard_normal(5000)).astype(np.float32), 2500, subtype="PCM_16")
    whole = good.read_bytes()
    (tmp_path / "text.wav").write_text("hello, not audio\n")
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 2])
    existing = tmp_path / "good.wav-detected.csv"
    existing.write_text("good.wav,1,2,detected,time\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    cases = [
        (["detect", str(tmp_path / "text.wav")], "text.wav: not a readable audio file"),
        (["detect", str(tmp_path / "cut.wav")], "cut.wav: truncated"),
        (["detect", str(tmp_path / "missing.wav")], "missing.wav: no such file"),
        (["detect", "--out", str(blocker / "out"), str(good)], "blocker"),
        (["detect", "-p", "time_sigma=4,9", str(good)], "time_sigma"),
        (["detect", "-p", "time_sigmaa=4", str(good)], "unknown parameter"),
        (["detect", "-p", "time_sigma", str(good)], "expected NAME=VALUE"),
        (["detect", "--channel", "3", str(good)], "channel 3 does not exist"),
    ]
    for argv, message in cases:
        code = main(argv)
        err = capsys.readouterr().err.strip()
        assert code == 2, argv
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
        assert "Traceback" not in err
    assert good.read_bytes() == whole and existing.read_text() == "good.wav,1,2,detected,time\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["good.wav", "text.wav", "cut.wav", "good.wav-detected.csv", "blocker"]
    )


def test_folders_expand_to_their_recordings_and_params_come_from_a_file(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    for name in ("a/one.wav", "two.flac"):
        x = 0.01 * np.random.default_rng(1).standard_normal(6000)
        x[3000:3004] = 0.5
        sf.write(tmp_path / name, x.astype(np.float32), 2500)
    params = tmp_path / "p.toml"
    params.write_text('time_sigma = "12,5"\nfrequency_range = "100-"\n')
    out = tmp_path / "out"
    assert main(["detect", "--params", str(params), "--out", str(out), "--workers", "1", str(tmp_path)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["one.wav-detected.csv", "two.flac-detected.csv"]
    assert [e.start for e in read_csv(out / "one.wav-detected.csv") if e.label == "time"] == [3000]
    params.write_text("time_sigma = [")
    assert main(["detect", "--params", str(params), str(tmp_path)]) == 2
    assert "p.toml: not valid TOML" in capsys.readouterr().err
