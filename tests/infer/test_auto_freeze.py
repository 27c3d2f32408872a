"""``hark classify --engine auto`` freezes a model for onnxruntime on first use when the work is long."""

from __future__ import annotations

import json
import os

import numpy as np

from hark.cli.app import main
from hark.infer.classify import classify_recordings
from hark.infer.engines import choose_engine, machine_fingerprint
from hark.infer.probabilities import read_probabilities
from tests.infer.helpers import make_model


def test_long_work_freezes_the_model_once_records_the_timing_and_classifies_as_torch_does(tmp_path, recording):
    model = make_model(tmp_path / "m", seed=7)
    notes: list[str] = []
    # the recording's 24,800 samples count as long work here (the default asks for 1e8)
    classify_recordings(model, [recording], tmp_path / "auto", device="cpu", chunk_seconds=0.5, report=notes.append)
    assert not (model / "frozen.onnx").exists() and notes == []  # short work: torch, nothing written
    from hark.infer.classify import plan_classification

    jobs, opened = plan_classification(model, [recording], tmp_path / "first", device="cpu", chunk_seconds=0.5, report=notes.append, auto_freeze_samples=10_000)
    info = json.loads((model / "frozen.json").read_text())
    assert len(notes) == 1 and notes[0].startswith(f"froze {model} to frozen.onnx on first use")
    assert info["exported_by"].startswith("hark classify") and info["parity_max_abs_difference"] <= 1e-4
    timing = info["timing"]
    assert timing["machine"] == machine_fingerprint("cpu") and timing["torch_s"] > 0 and timing["onnx_s"] > 0
    faster = "onnx" if timing["onnx_s"] < timing["torch_s"] else "torch"
    assert opened.name == faster == choose_engine(model, "auto", None, "cpu")
    assert f"classifying with {faster}" in notes[0]

    # a second run finds the export up to date: nothing is exported or timed again
    stamp = (model / "frozen.onnx").stat().st_mtime_ns
    notes.clear()
    plan_classification(model, [recording], tmp_path / "second", device="cpu", report=notes.append, auto_freeze_samples=10_000)
    assert notes == [] and (model / "frozen.onnx").stat().st_mtime_ns == stamp

    # the probabilities of the auto engine are torch's (to the export's checked tolerance)
    classify_recordings(model, [recording], tmp_path / "a", device="cpu")
    classify_recordings(model, [recording], tmp_path / "t", engine="torch", device="cpu")
    _, a, meta = read_probabilities(recording, tmp_path / "a")
    _, t, _ = read_probabilities(recording, tmp_path / "t")
    assert meta.engine == faster
    np.testing.assert_allclose(a, t, atol=1e-4)


def test_an_export_measured_slower_here_is_left_alone_and_one_measured_elsewhere_is_used(tmp_path, recording):
    from hark.infer.freeze import freeze_model

    model = make_model(tmp_path / "m", seed=8)
    freeze_model(model)
    assert choose_engine(model, "auto", None, "cpu") == "onnx"  # hark freeze asked for it: nothing measured
    info = json.loads((model / "frozen.json").read_text())
    info["timing"] = {"torch_s": 0.01, "onnx_s": 0.02, "samples": 1000, "machine": machine_fingerprint("cpu")}
    (model / "frozen.json").write_text(json.dumps(info))
    assert choose_engine(model, "auto", None, "cpu") == "torch"
    assert choose_engine(model, "onnx", None, "cpu") == "onnx"  # --engine onnx still forces it
    notes: list[str] = []
    from hark.infer.classify import plan_classification

    _, opened = plan_classification(model, [recording], tmp_path / "o", device="cpu", report=notes.append, auto_freeze_samples=10_000)
    assert opened.name == "torch" and notes == []  # not exported and timed again on every run
    info["timing"]["machine"] = "another machine"
    (model / "frozen.json").write_text(json.dumps(info))
    assert choose_engine(model, "auto", None, "cpu") == "onnx"


def test_a_model_folder_that_cannot_be_written_classifies_with_torch_and_says_why(tmp_path, recording, capsys):
    model = make_model(tmp_path / "m", seed=9)
    if os.geteuid() == 0:
        # root writes anywhere: make the folder's export impossible another way, a file where the export goes
        (model / "frozen.onnx").mkdir()
    else:
        os.chmod(model, 0o555)
    try:
        from hark.infer.classify import plan_classification

        notes: list[str] = []
        _, opened = plan_classification(model, [recording], tmp_path / "o", device="cpu", report=notes.append, auto_freeze_samples=10_000)
        assert opened.name == "torch" and len(notes) == 1 and notes[0].endswith("classifying with torch")
        assert str(model) in notes[0]
    finally:
        os.chmod(model, 0o755)


def test_the_cli_classifies_short_work_without_exporting(tmp_path, recording, capsys):
    model = make_model(tmp_path / "m", seed=10)
    assert main(["classify", "--model", str(model), "--out", str(tmp_path / "p"), "--device", "cpu", str(recording)]) == 0
    assert not (model / "frozen.onnx").exists() and "froze" not in capsys.readouterr().err
