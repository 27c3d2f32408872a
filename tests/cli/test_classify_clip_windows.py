"""hark train --supervision clip in windows, hark accuracy per clip, hark classify's predictions.csv, from the command line."""

from __future__ import annotations

import csv

import numpy as np
import soundfile as sf

from hark.cli.app import main
from tests.infer.test_classify_clip_windows import HIGH_HZ, LOW_HZ, RATE, _species_clip


def test_clip_windows_from_the_command_line(tmp_path, capsys):
    data = tmp_path / "clips"
    data.mkdir()
    rng = np.random.default_rng(1)
    for i in range(16):
        label, hz = ("low", LOW_HZ) if i % 2 else ("high", HIGH_HZ)
        clip = _species_clip(hz, float(rng.uniform(0.5, 4.0)), rng)
        sf.write(data / f"c{i:02d}.wav", clip, RATE, subtype="FLOAT")
        (data / f"c{i:02d}.wav-annotated-me.csv").write_text(f"c{i:02d}.wav,0,{len(clip)},annotated,{label}\n")
    model = tmp_path / "model"
    argv = ["train", "--data", str(data), "--labels", "low,high", "--supervision", "clip", "--out", str(model),
            "--architecture", "resnet", "-a", "channels=4,8", "-a", "window_ms=16", "-a", "stride_ms=8", "-a", "equalize=false",
            "--steps", "30", "--batch-size", "8", "--validation-period", "15", "--learning-rate", "0.01",
            "--data-param", "clip_window_s=1", "--data-param", "clip_aggregation=max", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert main(["accuracy", str(model)]) == 0
    out = tmp_path / "out"
    files = [str(data / "c00.wav"), str(data / "c03.wav")]
    assert main(["classify", "--model", str(model), "--out", str(out), "--window-overlap", "0.25", *files]) == 0
    with open(out / "predictions.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "low", "high", "label"] and [r[0] for r in rows[1:]] == files
    for row in rows[1:]:
        name = row[0].rsplit("/", 1)[-1]
        with open(out / f"{name}-windows.csv", newline="") as f:
            windows = np.array([[float(v) for v in r[2:]] for r in list(csv.reader(f))[1:]])
        # the model's own aggregation (max, as trained) unless --aggregation says otherwise
        np.testing.assert_allclose([float(row[1]), float(row[2])], windows.max(axis=0), atol=2e-6)
        assert row[3] == ["low", "high"][int(np.argmax([float(row[1]), float(row[2])]))]
    capsys.readouterr()
    assert main(["classify", "--model", str(model), "--out", str(tmp_path / "bad"), "--window-overlap", "1.5", files[0]]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--window-overlap 1.5 must be at least 0 and below 1" in err
    assert not (tmp_path / "bad").exists()
