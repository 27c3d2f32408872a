"""Forms from the declared parameter models, and the jobs each action plans, without a browser."""

from __future__ import annotations

import typing

import pytest

from hark.demo import generate_fly
from hark.errors import HarkError
from hark.gui.actions import ACTIONS, ACTIONS_BY_NAME, plan_action
from hark.gui.forms import field_specs, form_texts, parse_form
from hark.gui.paths import DataFolder


def defaults_of(model):
    return {spec.name: spec.default_text == "true" if spec.kind == "bool" else spec.default_text for spec in field_specs(model)}


def filler(annotation) -> str:
    """A valid text for a required field: a number, two list items, or a word."""
    if annotation in (int, float):
        return "1"
    return "x,y" if typing.get_origin(annotation) is list else "x"


@pytest.mark.parametrize("action", [a.name for a in ACTIONS])
def test_every_form_shows_defaults_that_read_back_as_the_models_defaults(action):
    for section in ACTIONS_BY_NAME[action].sections():
        required = [name for name, field in section.model.model_fields.items() if field.is_required()]
        texts = defaults_of(section.model)
        filled = {**texts, **{name: filler(section.model.model_fields[name].annotation) for name in required}}
        try:
            parsed = parse_form(section.model, filled, section.key)
        except HarkError as err:  # a model whose defaults need a choice (DataParams: labels)
            assert "labels" in str(err)
            continue
        assert parse_form(section.model, form_texts(section.model, parsed), section.key) == parsed
        for name, field in section.model.model_fields.items():
            if name not in required:
                assert getattr(parsed, name) == field.get_default(call_default_factory=True), (section.key, name)


def test_texts_are_read_as_the_command_line_reads_them():
    from hark.detect import TimeFreqThresholdParams
    from hark.evaluate.jobs import AccuracyJobParams
    from hark.train.params import TrainParams

    assert parse_form(AccuracyJobParams, {"model": "m", "ratios": "1.0, 2"}, "accuracy").ratios == [1.0, 2.0]
    assert parse_form(TimeFreqThresholdParams, {"time_sigma": "6,3", "frequency_range": "100-800"}, "d").frequency_range == (100.0, 800.0)
    assert parse_form(TrainParams, {"architecture_params": '{"n_conv_layers": 2}', "device": "cpu"}, "t").architecture_params == {"n_conv_layers": 2}
    with pytest.raises(HarkError, match=r"^training: steps: Input should be greater than or equal to 1$"):
        parse_form(TrainParams, {"steps": "0"}, "training")
    with pytest.raises(HarkError, match="architecture_params: .* is not valid JSON"):
        parse_form(TrainParams, {"architecture_params": "{oops"}, "training")


@pytest.fixture
def data(tmp_path):
    generate_fly(tmp_path / "data" / "demo", n_recordings=2, duration_s=2.0, seed=1)
    (tmp_path / "elsewhere.wav").write_bytes(b"")
    return DataFolder(tmp_path / "data")


def logs(tmp_path):
    return lambda kind: tmp_path / f"{kind}.log"


def test_detect_plans_one_job_per_recording_of_a_folder_with_absolute_paths_inside(data, tmp_path):
    texts = {"files": {"recordings": "demo", "out": "detections"}, "detector": {"time_smooth": "3.2"}}
    jobs = plan_action(ACTIONS_BY_NAME["detect"], texts, data, logs(tmp_path))
    assert [job.kind for job in jobs] == ["detect", "detect"]
    assert [job.name for job in jobs] == ["detect demo/fly-01.wav", "detect demo/fly-02.wav"]
    assert jobs[0].params["recording"] == str(data.root / "demo" / "fly-01.wav")
    assert jobs[0].params["output"] == str(data.root / "detections" / "fly-01.wav-detected.csv")
    assert jobs[0].params["params"]["time_smooth"] == 3.2 and jobs[0].log == tmp_path / "detect.log"


@pytest.mark.parametrize(
    ("action", "texts", "message"),
    [
        ("detect", {"files": {"recordings": "../elsewhere.wav"}}, "files.recordings '../elsewhere.wav' is outside the data folder"),
        ("detect", {"files": {"recordings": "demo", "out": "/tmp"}}, "files.out '/tmp' is outside the data folder"),
        ("detect", {"files": {"recordings": "demo"}, "detector": {"frequency_nw": "99"}}, "detect detector: frequency_nw: Input should be less than or equal to 32"),
        ("detect", {"files": {"recordings": ""}}, "detect files: recordings: Field required"),
        ("train", {"folders": {"out": "model"}, "data": {"labels": "mel-pulse"}, "training": {"learning_rate": "-1"}}, "learning_rate"),
        ("accuracy", {"accuracy": {"model": "../../model"}}, "outside the data folder"),
        ("cluster", {"folders": {"activations": "act"}, "cluster": {"dims": "4"}}, "dims"),
    ],
)
def test_mistakes_stop_the_action_before_any_job(data, tmp_path, action, texts, message):
    with pytest.raises(HarkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_action(ACTIONS_BY_NAME[action], texts, data, logs(tmp_path))


def test_train_and_single_section_actions_plan_their_job_kinds(data, tmp_path):
    texts = {"folders": {"data_root": "demo", "out": "model"}, "data": {"labels": "mel-pulse,mel-sine"}, "training": {"steps": "10"}}
    [job] = plan_action(ACTIONS_BY_NAME["train"], texts, data, logs(tmp_path))
    assert job.kind == "train" and job.params["data_root"] == str(data.root / "demo") and job.params["out"] == str(data.root / "model")
    assert job.params["data"]["labels"] == ["mel-pulse", "mel-sine"] and job.params["training"]["steps"] == 10
    [job] = plan_action(ACTIONS_BY_NAME["accuracy"], {"accuracy": {"model": "model", "ratios": "1,2"}}, data, logs(tmp_path))
    assert (job.kind, job.params) == ("accuracy", {"model": str(data.root / "model"), "ratios": [1.0, 2.0], "draw": False})
    [job] = plan_action(ACTIONS_BY_NAME["cluster"], {"folders": {"activations": "act"}, "cluster": {"method": "pca"}}, data, logs(tmp_path))
    assert job.kind == "cluster" and job.params["params"]["method"] == "pca" and job.params["activations"] == str(data.root / "act")


def run_in_queue(jobs, data):
    """The jobs through the GUI's own queue (each in a process of its own); their finished records."""
    import time

    from hark.gui.jobqueue import FINISHED, JobQueue

    queue = JobQueue(data.root, data.root / ".hark" / "jobs")
    numbers = [r.number for r in queue.submit(jobs)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        records = [queue.record(n) for n in numbers]
        if all(r.state in FINISHED for r in records):
            queue.stop()
            return records
        time.sleep(0.1)
    raise AssertionError(f"jobs never finished: {queue.records()}")


def test_calls_syntax_and_resample_run_from_their_forms(data, tmp_path):
    import csv

    import soundfile as sf

    folder = data.root
    calls = plan_action(ACTIONS_BY_NAME["calls"], {"files": {"recordings": "demo", "out": "stats"}, "measure": {"max_hz": "1200"}}, data, logs(tmp_path))
    assert calls[0].params["recordings"] == [str(folder / "demo" / "fly-01.wav"), str(folder / "demo" / "fly-02.wav")]
    assert calls[0].params["params"]["max_hz"] == 1200
    syntax = plan_action(ACTIONS_BY_NAME["syntax"], {"files": {"inputs": "demo", "out": "syntax", "figures": False}, "bouts": {"bout_gap_ms": "500"}},
                         data, logs(tmp_path))  # fmt: skip
    resample = plan_action(ACTIONS_BY_NAME["resample"], {"resample": {"paths": "demo", "rate": "5000", "out": "r5k"}}, data, logs(tmp_path))
    records = run_in_queue([*calls, *syntax, *resample], data)
    assert [r.state for r in records] == ["done"] * 3, [r.message for r in records]
    # each recording's calls, measured from the annotations beside it: one row per annotated event
    for name in ("fly-01.wav", "fly-02.wav"):
        with open(folder / "stats" / f"{name}-calls.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        with open(folder / "demo" / f"{name}-annotated-demo.csv", newline="") as f:
            annotated = list(csv.reader(f))
        assert len(rows) == len(annotated) and rows
    with open(folder / "syntax" / "transitions.csv", newline="") as f:
        pairs = {(row["from"], row["to"]) for row in csv.DictReader(f)}
    assert pairs and {a for pair in pairs for a in pair} <= {"ambient", "mel-pulse", "mel-sine"}
    before, after = sf.info(str(folder / "demo" / "fly-01.wav")), sf.info(str(folder / "r5k" / "fly-01.wav"))
    assert after.samplerate == 5000 and abs(after.frames - 2 * before.frames) <= 1
    assert (folder / "r5k" / "fly-01.wav-annotated-demo.csv").exists()


def test_compare_ensemble_embed_and_search_plan_their_jobs_inside_the_data_folder(data, tmp_path):
    root = data.root
    [job] = plan_action(ACTIONS_BY_NAME["compare"], {"compare": {"runs": "xval/a,xval/b"}}, data, logs(tmp_path))
    assert (job.kind, job.name, job.params["runs"]) == ("compare", "compare xval/a (+1)", [str(root / "xval/a"), str(root / "xval/b")])
    [job] = plan_action(ACTIONS_BY_NAME["ensemble"], {"ensemble": {"models": "m1,m2", "out": "both", "checkpoint": "best"}}, data, logs(tmp_path))
    assert job.params == {"models": [str(root / "m1"), str(root / "m2")], "out": str(root / "both"), "checkpoint": "best"}
    [job] = plan_action(ACTIONS_BY_NAME["embed"], {"files": {"recordings": "demo", "model": "m1", "out": "index"}, "embedding": {"hop_s": "0.01"}},
                        data, logs(tmp_path))  # fmt: skip
    assert job.params["recordings"] == [str(root / "demo")] and job.params["params"]["hop_s"] == 0.01
    texts = {"search": {"index": "index", "recording": "demo/fly-01.wav", "start_s": "0.5", "stop_s": "0.6", "out": "found.csv"}}
    [job] = plan_action(ACTIONS_BY_NAME["search"], texts, data, logs(tmp_path))
    assert job.params["recording"] == str(root / "demo" / "fly-01.wav") and job.params["top"] == 10
    [job] = plan_action(ACTIONS_BY_NAME["suggest"], {"suggest": {"recordings": "demo", "model": "m1", "out": "demo", "budget": "5"}},
                        data, logs(tmp_path))  # fmt: skip
    assert (job.kind, job.name) == ("suggest", "suggest demo")
    assert job.params["request"]["recordings"] == [str(root / "demo")] and job.params["request"]["budget"] == 5
    with pytest.raises(HarkError, match="ensemble: models: List should have at least 2 items"):
        plan_action(ACTIONS_BY_NAME["ensemble"], {"ensemble": {"models": "m1", "out": "both"}}, data, logs(tmp_path))
    with pytest.raises(HarkError, match="search.recording '../elsewhere.wav' is outside the data folder"):
        plan_action(ACTIONS_BY_NAME["search"], {"search": {**texts["search"], "recording": "../elsewhere.wav"}}, data, logs(tmp_path))


def test_required_boxes_ranges_and_nested_models_read_as_the_command_line_reads_them():
    from hark.detect import TimeFreqThresholdParams
    from hark.detect.run import DetectRequest
    from hark.train.params import TrainParams

    recordings = next(spec for spec in field_specs(DetectRequest) if spec.name == "recordings")
    assert (recordings.default_text, recordings.required) == ("", True)  # empty, never "PydanticUndefined"
    assert not any("Undefined" in spec.default_text for action in ACTIONS for s in action.sections() for spec in field_specs(s.model))
    frequency_range = next(spec for spec in field_specs(TimeFreqThresholdParams) if spec.name == "frequency_range")
    assert frequency_range.default_text == "0-"
    assert parse_form(TimeFreqThresholdParams, {"frequency_range": "100-800"}, "d").frequency_range == (100.0, 800.0)
    assert form_texts(TimeFreqThresholdParams, TimeFreqThresholdParams(frequency_range=(100.0, 800.0)))["frequency_range"] == "100-800"
    # transfer learning's model gets a box per field; all empty is no transfer
    names = [spec.name for spec in field_specs(TrainParams)]
    assert {"transfer.models", "transfer.keep_layers", "transfer.fine_tune"} <= set(names) and "transfer" not in names
    given = parse_form(TrainParams, {"transfer.models": "base", "transfer.keep_layers": "2", "transfer.fine_tune": True}, "training")
    assert (given.transfer.models, given.transfer.keep_layers, given.transfer.fine_tune) == (["base"], 2, True)
    assert form_texts(TrainParams, given)["transfer.models"] == "base"
    assert parse_form(TrainParams, {"transfer.models": "", "transfer.keep_layers": "", "transfer.fine_tune": False}, "training").transfer is None
    with pytest.raises(HarkError, match=r"^training: transfer: keep_layers: Field required$"):
        parse_form(TrainParams, {"transfer.models": "base"}, "training")


def test_the_train_form_opens_with_data_model_and_training_and_keeps_the_rest_under_advanced():
    sections = {section.key: section for section in ACTIONS_BY_NAME["train"].sections()}
    training = sections["training"]
    groups = training.grouped([spec.name for spec in field_specs(training.model)])
    assert [(title, is_open) for title, _, is_open in groups] == [("model", True), ("training", True), ("advanced: training", False)]
    model_fields, step_fields, advanced = (names for _, names, _ in groups)
    assert "transfer.models" in model_fields and "steps" in step_fields and "optimizer" in advanced
    assert sorted(model_fields + step_fields + advanced) == sorted(spec.name for spec in field_specs(training.model))  # none lost
    assert sections["folders"].grouped(["data_root", "out", "restore"]) == [("Folders", ["data_root", "out", "restore"], True)]


def test_xvalidate_runs_from_its_form_and_a_grid_keeps_its_commas(tmp_path):
    import json

    generate_fly(tmp_path / "data" / "demo", n_recordings=2, duration_s=12.0, seed=4)
    data = DataFolder(tmp_path / "data")
    small = '{"n_conv_layers": 2, "feature_maps": 4, "dense_layers": [4]}'
    texts = {"xvalidate": {"data": "demo", "labels": "mel-pulse,mel-sine,ambient", "out": "xval", "folds": "2", "steps": "20", "batch_size": "8",
                           "validation_period": "10", "architecture": "convnet", "architecture_params": small, "device": "cpu", "figures": False}}  # fmt: skip
    [job] = plan_action(ACTIONS_BY_NAME["xvalidate"], texts, data, logs(tmp_path))
    assert (job.kind, job.name) == ("xvalidate", "xvalidate xval") and job.params["request"]["data"] == str(data.root / "demo")
    gridded = {"xvalidate": {**texts["xvalidate"], "grid": "batch_size=8,16; steps=20,30"}}
    [grid_job] = plan_action(ACTIONS_BY_NAME["xvalidate"], gridded, data, logs(tmp_path))
    assert grid_job.params["request"]["grid"] == ["batch_size=8,16", "steps=20,30"]
    [record] = run_in_queue([job], data)
    assert record.state == "done", record.message
    summary = json.loads((data.root / "xval" / "summary.json").read_text())
    assert len(summary["models"]) == 2 and 0 <= summary["overall"]["macro_f1"] <= 1
    assert record.message.startswith("runs: 1, folder: ") and "macro_f1" in record.message
