"""Contract of the training actions' requests (hark.train.requests): every option of hark train,
xvalidate and generalize declared once, each default and range that of the DataParams or
TrainParams field it sets, which the GUI's train form shows and a train job carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer.main
from pydantic import Field

from hark.cli.app import app, main
from hark.cli.requests import field_extra, option_flags, request_command, request_from_cli
from hark.gui.actions import ACTIONS_BY_NAME
from hark.gui.forms import field_specs, parse_form
from hark.params import validate_params
from hark.train.data_params import DataParams
from hark.train.jobs import TrainJobParams, train_job_spec
from hark.train.params import TrainParams
from hark.train.requests import BUILT_OR_OWN, GeneralizeRequest, TrainRequest, XValidateRequest, like
from tests.conftest import REPO_ROOT

REQUESTS = {"train": TrainRequest, "xvalidate": XValidateRequest, "generalize": GeneralizeRequest}
CLI_ONLY = {"context", "cluster", "progress"}
REQUIRED = {"data": "gt", "out": "o", "labels": "a,b", "folds": "2"}


def command(name):
    return typer.main.get_command(app).commands[name]


def parsed(name: str, *extra: str) -> dict:
    """The command's values for a command line of its required options and ``extra``."""
    model = REQUESTS[name]
    args = [arg for field, value in REQUIRED.items() if field in model.model_fields and model.model_fields[field].is_required()
            for arg in (option_flags(field, model.model_fields[field])[0], value)]  # fmt: skip
    with command(name).make_context(name, [*args, *extra]) as context:
        return {key: value for key, value in context.params.items() if key not in CLI_ONLY}


def library_models(request) -> tuple[DataParams, TrainParams]:
    data = validate_params(DataParams, request.data_values(request.labels or ["a", "b"]), "data")
    return data, validate_params(TrainParams, request.training_values(), "training")


@pytest.mark.parametrize("name", REQUESTS)
def test_every_field_is_described_and_is_one_option_of_the_command(name):
    model = REQUESTS[name]
    params = {param.name: param for param in command(name).params}
    assert model.__doc__ and model.model_config.get("extra") == "forbid"
    for field_name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{field_name} has no description"
        param = params[field_name]
        assert list(param.opts) == [flag.split("/")[0] for flag in option_flags(field_name, field)]
        assert param.help == field.description
    assert set(params) - set(model.model_fields) <= CLI_ONLY


@pytest.mark.parametrize("name", REQUESTS)
def test_an_option_that_sets_a_library_field_has_its_default_and_range(name):
    model = REQUESTS[name]
    params = {param.name: param for param in command(name).params}
    shared = [n for n in model.model_fields if (n in DataParams.model_fields or n in TrainParams.model_fields) and n not in BUILT_OR_OWN]
    assert len(shared) >= 20
    for field_name in shared:
        library = (DataParams if field_name in DataParams.model_fields else TrainParams).model_fields[field_name]
        field = model.model_fields[field_name]
        if field_name == "batch_size" and name != "train":
            continue  # a whole number here (no auto)
        assert field.get_default(call_default_factory=True) == library.get_default(call_default_factory=True), field_name
        assert field.metadata == library.metadata, field_name
        typed = params[field_name].default
        default = library.get_default(call_default_factory=True)
        if field_extra(field).get("commas"):
            assert typed == (",".join(default) if default else None), field_name
        elif not field_extra(field).get("pairs"):
            assert typed == default, field_name


@pytest.mark.parametrize("name", REQUESTS)
def test_only_the_required_options_train_with_the_library_models_defaults_as_the_form_and_the_job_do(name, tmp_path):
    request = request_from_cli(REQUESTS[name], parsed(name))
    data, training = library_models(request)
    assert data == DataParams(labels=["a", "b"]) and training == TrainParams()
    # the GUI's train form is made of those models: every box's default text reads back as the model's default
    sections = {section.key: section.model for section in ACTIONS_BY_NAME["train"].sections()}
    assert sections["data"] is DataParams and sections["training"] is TrainParams
    for model, built in ((DataParams, data), (TrainParams, training)):
        texts = {spec.name: spec.default_text == "true" if spec.kind == "bool" else spec.default_text for spec in field_specs(model)}
        assert parse_form(model, {**texts, "labels": "a,b"} if model is DataParams else texts, "form") == built
    # the train job carries those very models, and reads them back
    job = train_job_spec(tmp_path, data, training, tmp_path / "model")
    checked = validate_params(TrainJobParams, job.params, "train job")
    assert checked.data == data and checked.training == training


def test_each_default_is_written_once_changing_the_library_models_changes_command_form_and_job(tmp_path):
    """A copy of hark whose TrainParams.steps and DataParams.split_seed defaults are edited, as a developer would."""
    shutil.copytree(REPO_ROOT / "src" / "hark", tmp_path / "src" / "hark", ignore=shutil.ignore_patterns("__pycache__"))
    for module, old, new in (("params.py", "steps: int = Field(600,", "steps: int = Field(77,"), ("data_params.py", "split_seed: int = Field(1,", "split_seed: int = Field(5,")):
        path = tmp_path / "src" / "hark" / "train" / module
        assert path.read_text().count(old) == 1
        path.write_text(path.read_text().replace(old, new))
    script = textwrap.dedent(
        f"""
        import json
        import typer.main
        from hark.cli.app import app
        from hark.cli.requests import request_from_cli
        from hark.gui.forms import field_specs
        from hark.train.data_params import DataParams
        from hark.train.jobs import train_job_spec
        from hark.train.params import TrainParams
        from hark.train.requests import TrainRequest
        commands = typer.main.get_command(app).commands
        defaults = {{n: {{p.name: p.default for p in commands[n].params if p.name in ("steps", "split_seed")}} for n in ("train", "xvalidate", "generalize")}}
        form = {{s.name: s.default_text for m in (DataParams, TrainParams) for s in field_specs(m) if s.name in ("steps", "split_seed")}}
        with commands["train"].make_context("train", ["--data", ".", "--out", "o"]) as context:
            values = {{k: v for k, v in context.params.items() if k not in ("progress", "cluster")}}
        request = request_from_cli(TrainRequest, values)
        data = DataParams.model_validate(request.data_values(["a"]))
        job = train_job_spec({str(tmp_path)!r}, data, TrainParams.model_validate(request.training_values()), {str(tmp_path / "m")!r})
        print(json.dumps({{"commands": defaults, "form": form, "job": [job.params["training"]["steps"], job.params["data"]["split_seed"]]}}))
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["commands"] == {name: {"steps": 77, "split_seed": 5} for name in REQUESTS}
    assert seen["form"] == {"steps": "77", "split_seed": "5"} and seen["job"] == [77, 5]


@pytest.mark.parametrize(
    ("name", "argv", "line"),
    [
        ("train", ["--steps", "0"], "--steps 0 must be at least 1"),
        ("train", ["--early-stopping", "0"], "--early-stopping 0 must be at least 1"),
        ("train", ["--validation-percent", "120"], "--validation-percent 120 must be at most 100"),
        ("train", ["--replicates", "0"], "--replicates 0 must be at least 1"),
        ("xvalidate", ["--folds", "2", "--learning-rate", "0"], "--learning-rate 0 must be positive"),
        ("generalize", ["--checkpoint", "first"], "--checkpoint 'first': choose last or best"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_flag_before_any_file_is_read(name, argv, line, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([name, "--data", str(tmp_path / "missing"), "--labels", "a,b", "--out", str(out), *argv]) == 2
    assert capsys.readouterr().err.strip() == f"hark: error: {line}"
    assert not out.exists()


def test_a_library_error_of_a_renamed_field_names_its_flag(tmp_path, capsys):
    """TrainParams' check of warmup against steps names its fields; the command line names the flags."""
    (tmp_path / "gt").mkdir()
    argv = ["train", "--data", str(tmp_path / "gt"), "--labels", "a", "--out", str(tmp_path / "o"), "--steps", "10", "--warmup-steps", "10"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hark: error:") and "warmup_steps (10) must be fewer than steps (10)" in err and "\n" not in err


def test_lists_are_typed_with_commas_and_pairs_as_name_value(tmp_path):
    values = parsed("train", "--labels", "a, b", "--kinds", "annotated,detected", "-a", "feature_maps=8", "--data-param", "dense_blocks=20",
                    "--augment", "volume", "--reader-param", "order=4", "--annotators", "alice,bob", "--new-dense", "16")  # fmt: skip
    request = request_from_cli(TrainRequest, values)
    assert request.labels == ["a", "b"] and request.kinds == ["annotated", "detected"] and request.annotators == ["alice", "bob"]
    data = request.data_values()
    assert data["labels"] == ["a", "b"] and data["dense_blocks"] == "20" and data["augmentations"] == [{"name": "volume"}]
    assert data["reader_params"] == {"order": "4"} and data["annotators"] == ["alice", "bob"]
    assert request.training_values({"kernel_size": 5, **request.architecture_params})["architecture_params"] == {
        "kernel_size": 5, "feature_maps": "8", "dense_layers": "16"
    }  # fmt: skip


def test_a_field_added_to_a_request_is_an_option_that_reaches_its_library_model():
    """What the top of hark.train.requests promises: adding an option is one field."""
    from hark.cli import train as train_cli

    class LongerXValidate(XValidateRequest):
        """xvalidate with the plateau schedule's patience."""

        plateau_patience: int = like(TrainParams, "plateau_patience", "Validations without improvement before the rate is lowered.")

    class LongerTrain(TrainRequest):
        """train with one more option of its own."""

        find_lr: bool = Field(False, description="Find the learning rate first.")

    seen = []
    toy = typer.Typer()
    toy.command("xvalidate")(request_command(LongerXValidate, lambda context, **values: seen.append(request_from_cli(LongerXValidate, values)), [...], ""))
    toy.command("train")(request_command(LongerTrain, lambda context, **values: seen.append(values), train_cli.OPTIONS, ""))
    group = typer.main.get_command(toy)
    [patience] = [p for p in group.commands["xvalidate"].params if p.name == "plateau_patience"]
    assert patience.opts == ["--plateau-patience"] and patience.default == TrainParams.model_fields["plateau_patience"].default
    assert group.commands["train"].params[-1].opts == ["--find-lr"]  # after the others
    group.main(["xvalidate", "--data", "gt", "--labels", "a", "--out", "o", "--folds", "2", "--plateau-patience", "4"], standalone_mode=False)
    group.main(["train", "--data", "gt", "--out", "o", "--find-lr"], standalone_mode=False)
    assert seen[0].training_values()["plateau_patience"] == 4 and seen[1]["find_lr"] is True

