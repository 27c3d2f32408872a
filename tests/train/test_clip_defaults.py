"""Clip supervision's resnet defaults by sample rate: audible-band clips get the mel front end and the
quarter-width ResNet-18; the whale tutorial's 2 kHz clips keep resnet's own; given parameters win."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

from hark.cli.app import main
from hark.models.resnet import WIDEBAND_CLIP_DEFAULTS
from hark.models.store import load_config
from hark.train.supervisions import supervision_of

QUICK = ["--steps", "2", "--validation-period", "2", "--batch-size", "4", "--no-progress", "--threads", "1"]


def test_the_defaults_depend_on_the_sample_rate():
    clip = supervision_of("clip")
    assert clip.architecture_defaults("resnet", 44_100) == WIDEBAND_CLIP_DEFAULTS
    assert clip.architecture_defaults("resnet", 16_000) == WIDEBAND_CLIP_DEFAULTS
    assert clip.architecture_defaults("resnet", 2000) == {}  # the whale tutorial
    assert clip.architecture_defaults("resnet", 250_000) == {}
    assert clip.architecture_defaults("resnet") == {}  # before the recordings are read
    assert supervision_of("events").architecture_defaults("resnet", 44_100)["window_ms"] == 1.0


def clip_table(root: Path, rate: int, n: int = 12) -> Path:
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        label = "a" if i % 2 else "b"
        t = np.arange(int(0.5 * rate)) / rate
        audio = 0.3 * np.sin(2 * np.pi * (500 if label == "a" else 900) * t) + 0.05 * rng.standard_normal(len(t))
        sf.write(root / f"{i}.wav", audio.astype(np.float32), rate)
        rows.append({"file": f"{i}.wav", "label": label, "split": "validation" if i < 4 else "train"})
    table = root / "table.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "label", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return table


def test_a_44_khz_table_trains_the_wideband_defaults_and_given_parameters_win(tmp_path):
    table = clip_table(tmp_path / "data", 44_100)
    assert main(["train", "--data", str(table), "--supervision", "clip", "--out", str(tmp_path / "m1"), *QUICK]) == 0
    params = load_config(tmp_path / "m1").architecture_params
    assert {k: params[k] for k in WIDEBAND_CLIP_DEFAULTS} == WIDEBAND_CLIP_DEFAULTS
    given = ["-a", "n_mels=32", "-a", "preset=custom", "-a", "freq_masks=0"]
    assert main(["train", "--data", str(table), "--supervision", "clip", "--out", str(tmp_path / "m2"), *given, *QUICK]) == 0
    params = load_config(tmp_path / "m2").architecture_params
    assert (params["n_mels"], params["preset"], params["freq_masks"], params["front_end"]) == (32, "custom", 0, "mel")


def test_2_khz_clips_keep_resnets_own_defaults(tmp_path):
    table = clip_table(tmp_path / "data", 2000)
    assert main(["train", "--data", str(table), "--supervision", "clip", "--out", str(tmp_path / "m"), *QUICK]) == 0
    params = load_config(tmp_path / "m").architecture_params
    assert (params["front_end"], params["window_ms"], params["preset"], params["time_masks"]) == ("spectrogram", 128.0, "custom", 0)
