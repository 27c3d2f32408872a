"""Nested generalization: nothing chosen for a fold can depend on the recording it withholds.

The same fold is run twice on two copies of a demo folder that differ only in the withheld
recording's labels (some deleted, the rest moved). Every tuned value (the checkpoint step and
its temperature, each label's threshold at each ratio, and for a dense model the sound
threshold, minimum duration and gap filling of each ratio), every weight and every inner
validation result must be the same bit for bit; only the withheld recording's score may change.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from hark.jobs.spec import execute_job
from hark.models.store import list_checkpoints, read_checkpoint
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.validate import fold_jobs, plan_generalization, run_validation
from hark.validate.nested import RATIOS, counts_at_thresholds
from hark.validate.spread import spread_of

LABELS = "mel-pulse,mel-sine,ambient"
SPARSE = TrainParams(steps=20, batch_size=8, validation_period=10, architecture_params={"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]})
DENSE = TrainParams(steps=20, batch_size=4, validation_period=10, frames=64, architecture_params={"n_filters": 8, "n_dilations": 3, "n_stacks": 1})


def _relabel(csv, shift: int) -> None:
    """Delete every third annotation and move the others by ``shift`` samples."""
    rows = csv.read_text().splitlines()
    kept = []
    for i, row in enumerate(rows):
        if i % 3 == 0:
            continue
        name, start, stop, kind, label = row.split(",")
        kept.append(f"{name},{int(start) + shift},{int(stop) + shift},{kind},{label}")
    csv.write_text("\n".join(kept) + "\n")


def _fold(folder, data: DataParams, training: TrainParams, out):
    plan = plan_generalization(folder, data, training, "all", ["fly-03.wav"])
    assert plan.nested and plan.runs[0].data.test_recordings == ["fly-03.wav"]
    (job,) = fold_jobs(plan, out, "best")
    outcome = execute_job(job)
    assert outcome.ok, outcome.error
    return outcome.result["scores"], out / plan.runs[0].name


@pytest.mark.parametrize("supervision, training", [("sparse", SPARSE), ("dense", DENSE)])
def test_changing_the_withheld_labels_changes_its_score_and_nothing_tuned(fly_three, tmp_path, supervision, training):
    folder, _ = fly_three
    original, relabelled = tmp_path / "a", tmp_path / "b"
    shutil.copytree(folder, original)
    shutil.copytree(folder, relabelled)
    _relabel(relabelled / "fly-03.wav-annotated-demo.csv", shift=40)
    data = DataParams(labels=LABELS, supervision=supervision)
    first, first_folder = _fold(original, data, training, tmp_path / "gen-a")
    second, second_folder = _fold(relabelled, data, training, tmp_path / "gen-b")

    # everything chosen is the same, bit for bit ...
    assert first["tuned"] == second["tuned"]
    chosen = ("checkpoint", "step", "temperature", "thresholds", "sound_thresholds", "segmentation")
    assert all(json.dumps(first["tuned"][k]) == json.dumps(second["tuned"][k]) for k in chosen)
    assert first["tuned"]["temperature"] > 0
    if supervision == "dense":  # ethogram's post-processing was tuned at every ratio, its syllables scored
        segmentation, sound = first["tuned"]["segmentation"], first["tuned"]["sound_thresholds"]
        assert set(segmentation) == set(sound) == {"0.5", "1", "2"}
        assert all(c["min_duration_ms"] >= 0 and c["fill_gap_ms"] >= 0 for c in segmentation.values())
        assert sound["0.5"] <= sound["1"] <= sound["2"]  # higher ratios call sound only where the model is surer
        assert first["events_at_ratio"] != second["events_at_ratio"]
    else:
        assert first["tuned"]["segmentation"] is None and first["events_at_ratio"] is None
    assert json.loads((first_folder / "tuned.json").read_text()) == json.loads((second_folder / "tuned.json").read_text())
    thresholds = first["tuned"]["thresholds"]
    assert set(thresholds) == set(LABELS.split(",")) and all(set(t) == {"0.5", "1", "2"} for t in thresholds.values())
    assert any(not math.isnan(t) for per_label in thresholds.values() for t in per_label.values())
    # ... because what it is chosen from is: the inner validation results and the weights
    for a, b in zip(sorted(first_folder.glob("validation-*.npz")), sorted(second_folder.glob("validation-*.npz")), strict=True):
        with np.load(a) as x, np.load(b) as y:
            assert all(np.array_equal(x[k], y[k]) for k in x.files)
    for (step_a, path_a), (step_b, path_b) in zip(list_checkpoints(first_folder), list_checkpoints(second_folder), strict=True):
        weights_a, weights_b = read_checkpoint(path_a)["model"], read_checkpoint(path_b)["model"]
        assert step_a == step_b and all(weights_a[k].equal(weights_b[k]) for k in weights_a)
    # the withheld recording never reached training or the inner validation
    split = json.loads((first_folder / "split.json").read_text())
    assert split["test_recordings"] == ["fly-03.wav"]
    validated = {r["recording"] for r in split["validation"]}
    assert validated and "fly-03.wav" not in validated and "fly-03.wav" not in {r["recording"] for r in split["training"]}
    # only the withheld score moved
    assert (first["counts"], first["examples"]) != (second["counts"], second["examples"])
    assert first["at_ratio"] != second["at_ratio"]


def test_a_nested_run_reports_each_withheld_recording_and_the_spread(fly_three, tmp_path):
    folder, _ = fly_three
    plan = plan_generalization(folder, DataParams(labels=LABELS), SPARSE, "all", ["fly-02.wav"])
    run = run_validation(plan, tmp_path / "gen", checkpoint="best", draw=True)
    (model,) = run.summary["models"]
    rows = (tmp_path / "gen" / "recordings.csv").read_text().splitlines()
    assert rows[0].startswith("name,withheld,replicate,step,examples,macro_f1,f1_at_ratio_0.5,f1_at_ratio_1,f1_at_ratio_2,")
    assert rows[1].startswith(f"1w_1r,fly-02.wav,1,{model['step']},{model['examples']},")
    spread = run.summary["spread"]
    assert spread["macro_f1"]["mean"] == model["macro_f1"] == spread["macro_f1"]["min"] == spread["macro_f1"]["max"]
    assert spread["macro_f1"]["n"] == 1 and math.isnan(spread["macro_f1"]["std"])
    assert (tmp_path / "gen" / "generalization.png").stat().st_size > 0
    # the withheld scores are those of the saved withheld probabilities at the tuned thresholds
    with np.load(tmp_path / "gen" / "1w_1r" / f"withheld-{model['step']:06d}.npz") as arrays:
        saved = {k: arrays[k] for k in arrays.files}
    for ratio in RATIOS:
        key = f"{ratio:g}"
        tuned = {label: t[key] for label, t in model["tuned"]["thresholds"].items()}
        assert counts_at_thresholds(saved, LABELS.split(","), tuned) == model["at_ratio"][key]
    assert model["examples"] == len(saved["targets"])


def test_counts_at_thresholds_and_the_spread_on_known_numbers():
    arrays = {"probabilities": np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.4, 0.6]]), "targets": np.array([0, 1, 1, 0])}
    # label a at 0.5: rows 0 and 1 found; row 0 is an a, row 1 is not; row 3 (an a) is missed
    assert counts_at_thresholds(arrays, ["a", "b"], {"a": 0.5, "b": 0.7}) == {"a": [1, 1, 1, 1], "b": [1, 0, 1, 2]}
    assert counts_at_thresholds(arrays, ["a", "b"], {"a": math.nan}) == {"a": [0, 0, 2, 2]}
    spread = spread_of([0.5, 1.0, math.nan, 0.75])
    assert spread == {"n": 3, "mean": 0.75, "std": 0.25, "min": 0.5, "max": 1.0}


def test_tuned_thresholds_are_those_hark_ethogram_compares_with(fly_three, tmp_path):
    """Tuned on the calibrated probabilities: at the last checkpoint, tuned.json's thresholds are
    those training wrote for hark ethogram (thresholds.csv, of calibrated probabilities), and the
    sound thresholds those ethogram segments a dense model's probabilities at."""
    from hark.evaluate.segments import SegmentationParams
    from hark.infer.ethogram import read_thresholds, sound_threshold
    from hark.models.store import load_config, temperature_of
    from hark.validate.nested import tuned_settings, withheld_events

    folder, _ = fly_three
    data = DataParams(labels=LABELS, supervision="dense")
    scores, model = _fold(folder, data, DENSE, tmp_path / "gen")
    tuned = tuned_settings(model, "last")
    step = tuned["step"]
    assert tuned["temperature"] == temperature_of(model, step) != 1.0  # the calibration ethogram applies
    config = load_config(model)
    for ratio in RATIOS:
        key = f"{ratio:g}"
        written = read_thresholds(model, ratio)
        for label in LABELS.split(","):
            assert tuned["thresholds"][label][key] == pytest.approx(written[label], rel=1e-9, abs=1e-12)
        sound = sound_threshold(read_thresholds(model, 1 / ratio), config.output_names, SegmentationParams())
        assert tuned["sound_thresholds"][key] == pytest.approx(sound, rel=1e-9, abs=1e-12)
    # the withheld recording was scored on the calibrated probabilities saved beside the model
    with np.load(model / f"withheld-{scores['step']:06d}.npz") as arrays:
        saved = {k: arrays[k] for k in arrays.files}
    assert float(saved["temperature"]) == scores["tuned"]["temperature"] == temperature_of(model, scores["step"])
    assert withheld_events(saved, config, scores["tuned"]) == scores["events_at_ratio"]
    assert any(c[0] > 0 for per_label in scores["events_at_ratio"].values() for c in per_label.values())


def test_the_spread_of_dense_models_holds_their_event_f1_and_the_settings_chosen(tmp_path):
    from hark.validate.spread import write_spread

    def model(name, withheld, events, min_duration_ms):
        return {
            "name": name, "withheld": [withheld], "replicate": 1, "step": 20, "examples": 100, "macro_f1": 0.5,
            "at_ratio": {"1": {"usv": [1, 1, 1, 1]}},
            "tuned": {"thresholds": {"usv": {"1": 0.4}}, "segmentation": {"1": {"min_duration_ms": min_duration_ms, "fill_gap_ms": 5.0, "event_f1": 0.9}}},
            "events_at_ratio": {"1": {"usv": events}},
        }  # fmt: skip

    # event F1 = 2tp / (2tp + fp + fn): 8 / 10 and 6 / 6
    models = [model("1w_1r", "a.wav", [4, 1, 1], 10.0), model("2w_1r", "b.wav", [3, 0, 0], 2.5)]
    spread = write_spread(tmp_path, models, draw=False)
    assert spread["event_f1_at_ratio_1"] == {"n": 2, "mean": 0.9, "std": pytest.approx(0.1414213562), "min": 0.8, "max": 1.0}
    header, first, second = (line.split(",") for line in (tmp_path / "recordings.csv").read_text().splitlines())
    assert header[-4:] == ["event_f1_at_ratio_1", "usv_event_f1_at_ratio_1", "min_duration_ms_at_ratio_1", "fill_gap_ms_at_ratio_1"]
    assert [float(v) for v in first[-4:]] == [0.8, 0.8, 10.0, 5.0] and [float(v) for v in second[-4:]] == [1.0, 1.0, 2.5, 5.0]
