"""Contract of the actions' request models: each parameter declared once, and the command line,
the GUI's form and the job specs all built from it, with the same defaults and the same
one-line message for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from hark.cli.app import app, main
from hark.cli.requests import field_extra, option_flags, request_from_cli
from hark.demo import generate_fly
from hark.detect.run import DetectRequest, plan_detection
from hark.errors import ParameterError
from hark.gui.actions import ACTIONS_BY_NAME
from hark.gui.forms import field_specs, parse_form, shown_in_form
from hark.infer.requests import ClassifyRequest, DenoiseRequest, EthogramRequest
from hark.jobs.per_recording import recording_jobs
from hark.jobs.spec import Job, execute_job
from hark.params import validate_request

# command -> its request, and the form section that shows it in the GUI's Actions tab
REQUESTS = {
    "detect": (DetectRequest, "files"),
    "classify": (ClassifyRequest, "files"),
    "ethogram": (EthogramRequest, "ethogram"),
    "denoise": (DenoiseRequest, "denoise"),
}
CLI_ONLY = {"context", "params_file", "workers", "cluster", "progress"}


def command(name):
    return typer.main.get_command(app).commands[name]


def required_texts(model) -> dict[str, str]:
    """A value for each required parameter, as typed."""
    return {name: "x" for name, field in model.model_fields.items() if field.is_required()}


def required_values(model) -> dict:
    return {name: ["x"] if name == "recordings" else text for name, text in required_texts(model).items()}


def command_line_values(name, model) -> dict:
    """What the command's parser makes of a command line giving only the required parameters."""
    args = []
    for field_name, value in required_texts(model).items():
        field = model.model_fields[field_name]
        args += [value] if field_extra(field).get("argument") else [option_flags(field_name, field)[0], value]
    with command(name).make_context(name, args) as context:
        return dict(context.params)


@pytest.mark.parametrize("name", REQUESTS)
def test_every_field_is_described_and_is_one_option_of_the_command(name):
    model, _ = REQUESTS[name]
    params = {param.name: param for param in command(name).params}
    assert model.__doc__ and model.model_config.get("extra") == "forbid"
    for field_name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{field_name} has no description"
        assert field_name in params, f"hark {name} has no option for {field_name}"
        param = params[field_name]
        if param.param_type_name == "option":
            assert list(param.opts) == [flag.split("/")[0] for flag in option_flags(field_name, field)]
            assert param.help == field_extra(field).get("cli_help", field.description)
    assert set(params) - set(model.model_fields) <= CLI_ONLY, "an option that is neither the request's nor how the command runs"


@pytest.mark.parametrize("name", REQUESTS)
def test_defaults_of_command_line_model_gui_form_and_job_spec_agree(name):
    model, section_key = REQUESTS[name]
    required = required_values(model)
    from_model = validate_request(model, required)
    values = {key: value for key, value in command_line_values(name, model).items() if key not in CLI_ONLY}
    assert request_from_cli(model, values) == from_model
    # the form: every box's default text reads back as the model's default
    [section] = [s for s in ACTIONS_BY_NAME[name].sections() if s.key == section_key]
    assert section.model is model
    texts = {spec.name: spec.default_text == "true" if spec.kind == "bool" else spec.default_text for spec in field_specs(model)}
    assert parse_form(model, {**texts, **required_texts(model)}, name) == from_model
    assert {spec.name for spec in field_specs(model)} == {n for n, f in model.model_fields.items() if shown_in_form(f)}
    # a job spec carries the request as JSON, and the same model reads it back
    assert validate_request(model, from_model.model_dump(mode="json")) == from_model


def test_detect_jobs_carry_the_requests_values(tmp_path):
    [recording] = generate_fly(tmp_path / "demo", n_recordings=1, duration_s=1.0, seed=3)
    request = validate_request(DetectRequest, {"recordings": [recording.wav], "out": tmp_path / "out", "params": {"time_smooth": 3.2}})
    [job] = recording_jobs("detect", plan_detection(request))
    shared = {name: value for name, value in job.params.items() if name in DetectRequest.model_fields}
    expected = request.model_dump(mode="json")
    assert shared == {name: expected[name] for name in ("detector", "channel", "reader", "reader_params")} | {"params": job.params["params"]}
    assert job.params["params"]["time_smooth"] == 3.2 and job.params["output"] == str(tmp_path / "out" / "fly-01.wav-detected.csv")


def _record(kind: str, tmp_path: Path, **bad) -> dict:
    """A job spec of ``kind`` for one recording, with one bad value."""
    rec, out = str(tmp_path / "rec.wav"), str(tmp_path / "out")
    records = {
        "detect": {"recording": rec, "output": f"{out}/rec.wav-detected.csv", "frames": 10},
        "classify": {"recording": rec, "output": f"{out}/rec.wav-probabilities.npy", "samples": 10, "model": "m", "checkpoint": None,
                     "engine": "torch", "device": "cpu", "chunk_samples": 16, "priors": None},
        "ethogram": {"recording": "rec.wav", "output": f"{out}/rec.wav-predicted-1.0pr.csv", "probabilities": out, "model": "m"},
        "denoise": {"recording": rec, "output": f"{out}/rec.wav-denoised.csv", "events_csv": f"{out}/rec.wav-detected.csv", "model": "m"},
    }  # fmt: skip
    return {**records[kind], **bad}


@pytest.mark.parametrize(
    ("name", "argv", "bad"),
    [
        ("detect", ["--channel", "-1"], {"channel": -1}),
        ("classify", ["-m", "m", "-o", "out", "--engine", "jax"], {"engine": "jax"}),
        ("classify", ["-m", "m", "-o", "out", "--channel", "-2"], {"channel": -2}),
        ("ethogram", ["-m", "m", "-o", "out", "--ratio", "-1"], {"ratio": -1}),
        ("ethogram", ["-m", "m", "-o", "out", "--min-score", "1.5"], {"min_score": 1.5}),  # the job's range is the request's
        ("ethogram", ["-m", "m", "-o", "out", "--high-hz", "0"], {"high_hz": 0}),
        ("denoise", ["-m", "m", "-o", "out", "--batch-size", "0"], {"batch_size": 0}),
    ],
)
def test_a_bad_value_is_the_same_one_line_from_the_command_line_and_from_a_job(name, argv, bad, tmp_path, capsys):
    model, _ = REQUESTS[name]
    [(param, value)] = bad.items()
    # no recording exists: the values are checked before any file is opened
    assert main([name, *argv, str(tmp_path / "rec.wav")]) == 2
    line = capsys.readouterr().err.strip()
    flag = option_flags(param, model.model_fields[param])[0]
    assert line.startswith(f"hark: error: {flag} ") and "\n" not in line, line
    with pytest.raises(ParameterError) as raised:
        validate_request(model, {**required_values(model), param: value})
    assert line == f"hark: error: {raised.value.phrased(lambda name: flag)}"
    outcome = execute_job(Job(name, _record(name, tmp_path, **bad), f"{name} rec.wav"))
    assert not outcome.ok and outcome.error == f"job {name} rec.wav: {raised.value}", outcome.error
    assert not (tmp_path / "out").exists()


def test_help_shows_each_fields_range_as_click_would_and_the_request_checks_it():
    ranges = {
        ("detect", "channel"): "N|N,M,...|all",  # one channel, a list or all (docs/channels.md): no int range
        ("classify", "chunk_seconds"): "<float range> [x>0]",
        ("ethogram", "threshold"): "<float range> [0<=x<=1]",
        ("denoise", "batch_size"): "<int range> [x>=1]",
    }
    for (name, field_name), shown in ranges.items():
        [param] = [p for p in command(name).params if p.name == field_name]
        assert param.metavar == shown
    # a field without bounds keeps typer's own display
    [device] = [p for p in command("classify").params if p.name == "device"]
    assert device.metavar is None


def test_jobs_md_lists_the_per_recording_records_of_ethogram_and_denoise():
    from hark.infer.requests import DenoiseJobParams, EthogramJobParams
    from tests.conftest import REPO_ROOT

    docs = (REPO_ROOT / "docs" / "jobs.md").read_text()
    for kind, model in (("ethogram", EthogramJobParams), ("denoise", DenoiseJobParams)):
        [row] = [line for line in docs.splitlines() if line.startswith(f"| `{kind}` |")]
        for field_name, field in model.model_fields.items():
            assert field.description and f"`{field_name}`" in row, f"{model.__name__}.{field_name} is not in docs/jobs.md's {kind} row"


def test_a_request_from_outside_hark_becomes_a_command_as_docs_architecture_shows(tmp_path):
    """The worked example of docs/architecture.md: a request model, the command generated from it,
    its job's params the request as JSON, read back by the same model."""
    from pydantic import Field
    from typer.testing import CliRunner

    from hark.cli.common import error_message
    from hark.cli.requests import cli_option, request_command
    from hark.params import Params

    class LoudnessRequest(Params):
        """``hark loudness``: every parameter of measure_loudness."""

        recordings: list[Path] = Field(description="Recordings to measure.", json_schema_extra={"argument": True})
        out: Path = Field(description="Folder for loudness.csv.", json_schema_extra={"flags": ("--out", "-o")})
        block_seconds: float = Field(1.0, gt=0, description="Seconds per RMS block.")

    made = []

    def run_loudness(context, *, cluster, **values):
        made.append((request_from_cli(LoudnessRequest, values), cluster))

    toy = typer.Typer()
    loudness = request_command(
        LoudnessRequest, run_loudness,
        ["recordings", "out", "block_seconds", cli_option("cluster", str | None, typer.Option(None, "--cluster", help="Where the jobs run."))],
        "Write the RMS level of each recording to OUT/loudness.csv.",
    )  # fmt: skip
    toy.command("loudness")(loudness)
    toy.command("other")(lambda: None)  # two commands: the group names them, as hark's does
    runner = CliRunner()
    result = runner.invoke(toy, ["loudness", "-o", str(tmp_path), "--block-seconds", "0.5", "a.wav", "b.wav"])
    assert result.exit_code == 0, result.output
    [(request, cluster)] = made
    assert request == LoudnessRequest(recordings=[Path("a.wav"), Path("b.wav")], out=tmp_path, block_seconds=0.5) and cluster is None
    assert validate_request(LoudnessRequest, request.model_dump(mode="json")) == request  # the job's params, read back
    [block] = [p for p in typer.main.get_command(toy).commands["loudness"].params if p.name == "block_seconds"]
    assert block.default == 1.0 and block.help == "Seconds per RMS block." and block.metavar == "<float range> [x>0]"
    args = ["loudness", "-o", str(tmp_path), "--block-seconds", "0", "a.wav"]
    result = runner.invoke(toy, args)
    assert isinstance(result.exception, ParameterError)
    assert error_message(result.exception, typer.main.get_command(toy), args) == "--block-seconds 0 must be positive"


def test_the_ethogram_record_takes_ratio_score_and_band_from_the_request():
    """The ratio, minimum score and band of an ethogram job are the request's fields (declared once)."""
    from hark.infer.requests import EthogramJobParams

    for name in ("ratio", "min_score", "low_hz", "high_hz"):
        job, request = EthogramJobParams.model_fields[name], EthogramRequest.model_fields[name]
        assert job.metadata == request.metadata and job.description == request.description, name
    record = EthogramJobParams(recording="rec.wav", output="out.csv", probabilities="out", model="m")
    assert record.ratio == validate_request(EthogramRequest, {"model": "m", "out": "out"}).chosen_ratio() == 1.0
