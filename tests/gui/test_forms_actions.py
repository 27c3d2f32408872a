"""Forms from the declared parameter models, and the jobs each action plans, without a browser."""

from __future__ import annotations

import pytest

from hark.demo import generate_fly
from hark.errors import HarkError
from hark.gui.actions import ACTIONS, ACTIONS_BY_NAME, plan_action
from hark.gui.forms import field_specs, form_texts, parse_form
from hark.gui.paths import DataFolder


def defaults_of(model):
    return {spec.name: spec.default_text == "true" if spec.kind == "bool" else spec.default_text for spec in field_specs(model)}


@pytest.mark.parametrize("action", [a.name for a in ACTIONS])
def test_every_form_shows_defaults_that_read_back_as_the_models_defaults(action):
    for section in ACTIONS_BY_NAME[action].sections():
        required = [name for name, field in section.model.model_fields.items() if field.is_required()]
        texts = defaults_of(section.model)
        filled = {**texts, **{name: "x" for name in required}}
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
