"""hark train --supervision events and hark denoise end to end, on synthetic USVs with noise events."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from hark.annotations.event import Kind, Status
from hark.annotations.folder import scan_folder
from hark.annotations.naming import parse_annotation_name
from hark.annotations.songexplorer import read_csv, write_csv
from hark.cli.app import main
from hark.demo import generate_fly, write_wav
from hark.demo.usv_noise import synthesize_usv_with_noise
from tests.cli.usv_review import reviewed_usv_folder


def _review_folder(folder, seeds, duration_s=5.0):
    """Recordings whose events a person reviewed as a detector left them: all labelled usv, noise ones rejected."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        name = f"rec{seed}.wav"
        samples, events = synthesize_usv_with_noise(duration_s, rng=seed, recording=name)
        write_wav(folder / name, samples, 250_000)
        reviewed = [e.with_(label="usv", status=Status.REJECTED if e.label == "noise" else Status.ACCEPTED) for e in events]
        write_csv(folder / f"{name}-annotated-me.csv", reviewed)


def _detections(folder, seeds, duration_s=6.0):
    """New recordings with their events as hark ethogram would write them, and the truth: {name: [is noise]}."""
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for seed in seeds:
        name = f"new{seed}.wav"
        samples, events = synthesize_usv_with_noise(duration_s, rng=seed, recording=name)
        write_wav(folder / name, samples, 250_000)
        predicted = [e.with_(kind=Kind.PREDICTED, label="usv", score=0.8) for e in events]
        write_csv(folder / f"{name}-predicted-1.0pr.csv", predicted)
        truth[name] = [e.label == "noise" for e in events]
    return truth


@pytest.fixture(scope="module")
def denoiser(tmp_path_factory):
    root = tmp_path_factory.mktemp("denoise")
    _review_folder(root / "reviewed", [1, 2, 3])
    model = root / "denoiser"
    argv = [
        "train", "--data", str(root / "reviewed"), "--labels", "usv,noise", "--supervision", "events", "--out", str(model),
        "--steps", "120", "--validation-period", "60", "--batch-size", "16", "--learning-rate", "0.003",
        "-a", "channels=4,8", "--data-param", "crop_ms=50", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    return model


def _verdicts(path):
    return [e.status is Status.REJECTED for e in read_csv(path, allow_empty=True)]


def test_the_denoiser_rejects_noise_and_keeps_calls_on_recordings_it_never_saw(denoiser, tmp_path, capsys):
    calls = tmp_path / "calls"
    truth = _detections(calls, [11, 12])
    inputs = {p.name: p.read_bytes() for p in calls.glob("*.csv")}
    capsys.readouterr()
    # a resnet with the events defaults: short windows, no equalisation, max pooling
    config = json.loads((denoiser / "config.json").read_text())
    assert (config["supervision"], config["architecture"]) == ("events", "resnet")
    wanted = {"window_ms": 1.0, "stride_ms": 1.0, "equalize": False, "pooling": "max"}
    assert {name: config["architecture_params"][name] for name in wanted} == wanted
    assert main(["denoise", "--model", str(denoiser), "--out", str(calls), *(str(calls / n) for n in truth)]) == 0
    assert "events accepted" in capsys.readouterr().out
    right = total = 0
    per_class = {True: [0, 0], False: [0, 0]}
    for name, is_noise in truth.items():
        source = read_csv(calls / f"{name}-predicted-1.0pr.csv")
        output = calls / f"{name}-denoised.csv"
        judged = read_csv(output)
        # every event kept, in place, its label and box unchanged; a predicted event with a verdict and its probability
        assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz) for e in judged] == [(e.start, e.stop, e.label, e.low_hz, e.high_hz) for e in source]
        assert all(e.kind is Kind.PREDICTED and e.status is not None and 0.5 <= e.score <= 1 for e in judged)
        for rejected, noise in zip(_verdicts(output), is_noise):
            right += rejected == noise
            total += 1
            per_class[noise][0] += rejected == noise
            per_class[noise][1] += 1
    assert total >= 30
    assert right / total >= 0.9, (right, total)
    assert all(ok / n >= 0.8 for ok, n in per_class.values()), per_class
    # the inputs are untouched, and the folder reads the new files as predicted events
    assert {p.name: p.read_bytes() for p in calls.glob("*predicted*.csv")} == inputs
    parsed = parse_annotation_name("new11.wav-denoised.csv")
    assert parsed.kind is Kind.PREDICTED and parsed.denoised and parsed.recording == "new11.wav"
    entries = {e.recording.name: e for e in scan_folder(calls).entries}
    assert calls / "new11.wav-denoised.csv" in entries["new11.wav"].csv_paths([Kind.PREDICTED])
    # scoring predictions against the truth is not confused by the denoised files beside them (they have no ratio)
    reference = tmp_path / "truth"
    reference.mkdir()
    for name in truth:
        (reference / name).symlink_to(calls / name)
        calls_only = [e.with_(kind=Kind.ANNOTATED, score=None) for e, noise in zip(read_csv(calls / f"{name}-predicted-1.0pr.csv"), truth[name]) if not noise]
        write_csv(reference / f"{name}-annotated-truth.csv", calls_only)
    assert main(["accuracy", "--truth", str(reference), "--predictions", str(calls), "--out", str(tmp_path / "scores"), "--no-figures"]) == 0


def test_thresholds_and_ratios_move_the_verdicts_the_expected_way(denoiser, tmp_path):
    calls = tmp_path / "calls"
    truth = _detections(calls, [21], duration_s=4.0)
    rec = str(calls / next(iter(truth)))
    output = calls / f"{next(iter(truth))}-denoised.csv"
    counts = {}
    for option in ([], ["--threshold", "0.02"], ["--threshold", "0.98"], ["--ratio", "1.0"]):
        assert main(["denoise", "--model", str(denoiser), "--out", str(calls), *option, rec]) == 0
        counts[" ".join(option)] = sum(_verdicts(output))
    assert counts["--threshold 0.02"] >= counts[""] >= counts["--threshold 0.98"]
    assert counts["--threshold 0.02"] > counts["--threshold 0.98"]
    # --ratio uses the noise threshold hark accuracy chose
    with open(denoiser / "accuracy" / "thresholds.csv") as f:
        noise = next(float(r["threshold"]) for r in csv.DictReader(f) if r["label"] == "noise" and float(r["ratio"]) == 1.0)
    assert main(["denoise", "--model", str(denoiser), "--out", str(calls), "--threshold", repr(noise), rec]) == 0
    assert sum(_verdicts(output)) == counts["--ratio 1.0"]


def test_events_named_explicitly_or_a_detection_file(denoiser, tmp_path):
    calls = tmp_path / "calls"
    truth = _detections(calls, [31], duration_s=3.0)
    name = next(iter(truth))
    elsewhere = tmp_path / "elsewhere.csv"
    (calls / f"{name}-predicted-1.0pr.csv").rename(elsewhere)
    out = tmp_path / "out"
    assert main(["denoise", "--model", str(denoiser), "--out", str(out), "--events", str(elsewhere), str(calls / name)]) == 0
    assert len(read_csv(out / f"{name}-denoised.csv")) == len(truth[name])
    # without a predicted file, the detector's
    write_csv(calls / f"{name}-detected.csv", [e.with_(kind=Kind.DETECTED, score=None) for e in read_csv(elsewhere)])
    assert main(["denoise", "--model", str(denoiser), "--out", str(calls), str(calls / name)]) == 0
    assert len(read_csv(calls / f"{name}-denoised.csv")) == len(truth[name])


def _fails(argv, capsys, *fragments):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error:") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_bad_inputs_get_one_line_messages_and_nothing_is_written(denoiser, tmp_path, capsys):
    calls = tmp_path / "calls"
    truth = _detections(calls, [41, 42], duration_s=2.0)
    first, second = (str(calls / n) for n in truth)
    base = ["denoise", "--model", str(denoiser), "--out", str(calls)]
    # a frame model is no denoiser
    fly = tmp_path / "fly"
    generate_fly(fly, n_recordings=1, duration_s=10.0, seed=0)
    frame_model = tmp_path / "frame"
    assert main(["train", "--data", str(fly), "--labels", "mel-pulse,mel-sine,ambient", "--steps", "2", "--batch-size", "4", "--out", str(frame_model), "--no-progress"]) == 0
    _fails(["denoise", "--model", str(frame_model), "--out", str(calls), first], capsys, "is not a denoiser", "sparse supervision", "--supervision events")
    # an events file that names a recording not given
    _fails([*base, "--events", str(calls / "new42.wav-predicted-1.0pr.csv"), first], capsys, "holds events of new42.wav, which is not among the recordings given")
    # a recording at another rate
    write_wav(tmp_path / "slow.wav", np.zeros(1000, np.float32), 100_000)
    _fails([*base, str(tmp_path / "slow.wav")], capsys, "sampled at 100000 Hz", "trained at 250000 Hz")
    # no events to judge; events at two ratios
    write_wav(calls / "bare.wav", np.zeros(1000, np.float32), 250_000)
    _fails([*base, first, str(calls / "bare.wav")], capsys, "no bare.wav-predicted-<ratio>pr.csv or -detected.csv")
    (calls / "new41.wav-predicted-2.0pr.csv").write_bytes((calls / "new41.wav-predicted-1.0pr.csv").read_bytes())
    _fails([*base, first], capsys, "at several ratios (1.0, 2.0)", "--events")
    _fails([*base, "--threshold", "0.5", "--ratio", "1", second], capsys, "--threshold or --ratio, not both")
    _fails([*base, "--threshold", "1.5", second], capsys, "must lie in (0, 1]")
    # its own output as its input
    denoised = calls / "new42.wav-denoised.csv"
    write_csv(denoised, read_csv(calls / "new42.wav-predicted-1.0pr.csv"))
    _fails([*base, "--events", str(denoised), second], capsys, "would be overwritten")
    assert sorted(p.name for p in calls.glob("*-denoised.csv")) == ["new42.wav-denoised.csv"]


@pytest.mark.shared_data
def test_a_denoiser_of_real_mouse_calls_tells_them_from_noise_in_a_recording_it_never_saw(shared_data, tmp_path):
    rng = np.random.default_rng(0)
    reviewed_usv_folder(shared_data, tmp_path / "reviewed", [1, 3, 4], rng)
    reviewed_usv_folder(shared_data, tmp_path / "new", [2], rng)
    model = tmp_path / "denoiser"
    argv = [
        "train", "--data", str(tmp_path / "reviewed"), "--labels", "usv,noise", "--supervision", "events", "--out", str(model),
        "--steps", "150", "--validation-period", "150", "--batch-size", "16", "-a", "channels=4,8", "--no-progress",
    ]  # fmt: skip
    assert main(argv) == 0
    reviewed = tmp_path / "new" / "rec_2.wav-annotated-review.csv"
    assert main(["denoise", "--model", str(model), "--out", str(tmp_path / "out"), "--events", str(reviewed), str(tmp_path / "new" / "rec_2.wav")]) == 0
    truth = [e.label == "noise" for e in read_csv(reviewed)]
    verdicts = _verdicts(tmp_path / "out" / "rec_2.wav-denoised.csv")
    accuracy = np.mean([v == t for v, t in zip(verdicts, truth)])
    assert len(truth) >= 80 and accuracy >= 0.9, accuracy  # 0.98 (103 of 105) when written
