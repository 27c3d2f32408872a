import json

import pytest

from hark.errors import HarkError
from hark.jobs import ClusterSettings, Job, JobOutcome, Resources, job_kinds, run_jobs
from hark.jobs.settings import find_settings_file, parse_cluster_option, resolve_cluster
from tests.jobs import kinds_for_tests  # noqa: F401  (registers the test kinds)


def test_a_job_spec_survives_json(tmp_path):
    job = Job("test-power", {"x": 3, "p": 2, "names": ["a", "b"]}, "cube", tmp_path / "cube.log")
    again = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert again == job
    assert Job.from_dict({"kind": "train", "params": {}, "name": "t"}).log is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "expected a table"),
        ({"kind": "x", "name": "n", "colour": 1}, "unknown field(s) colour"),
        ({"kind": "", "name": "n"}, "kind must be"),
        ({"kind": "x", "name": "n", "params": [1]}, "params must be a table"),
        ({"kind": "x", "params": {}}, "name must be"),
        ({"kind": "x", "name": "n", "log": 3}, "log must be"),
    ],
)
def test_malformed_job_specs_are_one_line(spec, message):
    with pytest.raises(HarkError, match="^jobs.json: ") as err:
        Job.from_dict(spec, "jobs.json")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_resources_leave_out_what_a_job_does_not_need():
    assert Resources().as_dask() == {"cpus": 1, "memory_gb": 1}
    assert Resources(cpus=2, gpus=1, memory_gb=8).as_dask() == {"cpus": 2, "gpus": 1, "memory_gb": 8}
    with pytest.raises(ValueError):
        Resources(cpus=0)


def test_the_builtin_kinds_are_registered_with_their_needs():
    assert {"detect", "classify", "train", "accuracy", "freeze", "ethogram", "misses", "congruence"} <= set(job_kinds.names())
    train = job_kinds.get("train")
    assert train.needs({"training": {"device": "cuda"}}).gpus == 1
    assert train.needs({"training": {"device": "auto"}}).gpus == 0
    assert job_kinds.get("classify").needs({"device": "cuda:1"}).gpus == 1


def test_cluster_option_values():
    assert parse_cluster_option("tcp://lab:8786") == ClusterSettings(kind="tcp", address="tcp://lab:8786")
    assert parse_cluster_option("slurm").kind == "slurm"
    for bad, message in [("tcp://lab", "expected tcp://HOST:PORT"), ("tcp", "needs an address"), ("kubernetes", "kind: Input should be")]:
        with pytest.raises(HarkError, match=f"^--cluster {bad}: .*{message}") as err:
            parse_cluster_option(bad)
        assert "\n" not in str(err.value)


def test_hark_toml_is_found_above_the_recordings_and_the_option_overrides_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab" / "day1").mkdir(parents=True)
    (tmp_path / "lab" / "day2").mkdir()
    assert resolve_cluster(None, [tmp_path / "lab" / "day1"]) is None  # nothing said: None (commands keep their old ways)
    (tmp_path / "lab" / "hark.toml").write_text(
        '[cluster]\nkind = "slurm"\nqueue = "gpu"\nwalltime = "02:00:00"\njob_extra_directives = ["--gres=gpu:1"]\n'
    )
    assert find_settings_file([tmp_path / "lab" / "day1", tmp_path / "lab" / "day2"]) == tmp_path / "lab" / "hark.toml"
    with pytest.raises(HarkError, match="kind slurm sends jobs"):  # a batch queue found beside the data: confirm it
        resolve_cluster(None, [tmp_path / "lab" / "day1"])
    (tmp_path / "xdg-config" / "hark").mkdir(parents=True)
    (tmp_path / "xdg-config" / "hark" / "hark.toml").write_text('[trust]\nclusters = ["slurm"]\n')  # your own config does
    settings = resolve_cluster(None, [tmp_path / "lab" / "day1"])
    assert (settings.kind, settings.queue, settings.job_extra_directives) == ("slurm", "gpu", ["--gres=gpu:1"])
    overridden = resolve_cluster("local", [tmp_path / "lab" / "day1"])
    assert overridden.kind == "local" and overridden.walltime == "02:00:00"
    assert resolve_cluster("tcp://h:1", [tmp_path / "lab"]).address == "tcp://h:1"
    (tmp_path / "hark.toml").write_text('[cluster]\nkind = "tcp://lab-server:8786"\n')  # the current folder's, when none above
    with pytest.raises(HarkError, match="kind tcp://lab-server:8786 sends jobs"):
        resolve_cluster(None, [tmp_path / "elsewhere"])
    assert resolve_cluster("tcp://lab-server:8786", [tmp_path / "elsewhere"]).address == "tcp://lab-server:8786"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cluster]\nkind = 'slurm'\nqueues = 'gpu'\n", r"hark.toml \[cluster\]: queues: unknown parameter"),
        ("[cluster]\nworkers = -1\n", r"hark.toml \[cluster\]: workers: Input should be greater than or equal to 0"),
        ("[cluster\n", "hark.toml: not valid TOML"),
        ("cluster = 3\n", r"hark.toml: \[cluster\] must be a table"),
    ],
)
def test_bad_settings_files_are_one_line_naming_the_file(tmp_path, text, message):
    (tmp_path / "hark.toml").write_text(text)
    with pytest.raises(HarkError, match=message) as err:
        resolve_cluster(None, [tmp_path])
    assert "\n" not in str(err.value)


def test_one_local_job_runs_in_process_and_failures_are_outcomes(tmp_path):
    seen = []
    [outcome] = run_jobs([Job("test-power", {"x": 3, "p": 3, "pause": 0}, "cube", tmp_path / "cube.log")], progress=seen.append)
    assert outcome.ok and outcome.result["value"] == 27 and outcome.worker is None and seen[-1] == 1.0
    log = (tmp_path / "cube.log").read_text()
    assert "job cube (test-power) on in-process" in log and "computing 3 ** 3" in log and "done in" in log
    [failed] = run_jobs([Job("test-broken", {"x": 0}, "bug", tmp_path / "bug.log")])
    assert failed == JobOutcome(failed.job, False, None, failed.error, None, failed.seconds)
    assert failed.error == f"job bug failed unexpectedly: ZeroDivisionError: division by zero (traceback in {tmp_path / 'bug.log'})"
    assert "Traceback (most recent call last)" in (tmp_path / "bug.log").read_text()
    with pytest.raises(HarkError, match="unknown job kind 'no-such-kind'"):
        run_jobs([Job("no-such-kind", {}, "x")])
    assert run_jobs([]) == []


def test_workers_on_the_command_line_size_a_local_cluster_only(tmp_path, monkeypatch):
    from hark.cli.common import cluster_settings

    monkeypatch.chdir(tmp_path)
    recording = tmp_path / "a.wav"
    assert cluster_settings(None, [recording], 3) is None  # no setting: the command's own --workers
    assert cluster_settings("local", [recording], 3).workers == 3
    assert cluster_settings("local", [recording], None).workers == 0
    assert cluster_settings("tcp://h:1", [recording], 3).workers == 0
