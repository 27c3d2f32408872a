"""hark ethogram and hark denoise run one job per recording (hark.jobs.run_per_recording): in
this process, in local processes (--workers) or on a cluster (--cluster), with the same files."""

from __future__ import annotations

import json

import pytest

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import read_csv, write_csv
from hark.cli.app import main
from hark.infer.freeze import freeze_model
from tests.infer.helpers import CLIP_ARCH, make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("tiny_architectures")

THRESHOLDS = "label,ratio,threshold,precision,recall\nsong,1.0,0.5,0.9,0.8\nambient,1.0,0.5,0.9,0.8\n"


def test_ethogram_writes_the_same_events_here_in_processes_and_on_a_local_cluster(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    recordings = [str(write_recording(tmp_path / f"rec{i}.wav", 0.4 + 0.1 * i, seed=i)) for i in range(3)]
    probabilities = tmp_path / "probabilities"
    assert main(["classify", "--model", str(model), "--out", str(probabilities), "--device", "cpu", *recordings]) == 0
    runs = {"here": [], "processes": ["--workers", "2"], "cluster": ["--cluster", "local", "-j", "2"]}
    for name, options in runs.items():
        argv = ["ethogram", "--model", str(model), "--probabilities", str(probabilities), "--out", str(tmp_path / name), "--no-progress"]
        assert main([*argv, *options]) == 0, name
    printed = capsys.readouterr().out
    names = [f"rec{i}.wav-predicted-1.0pr.csv" for i in range(3)]
    for name in runs:
        assert sorted(p.name for p in (tmp_path / name).glob("*.csv")) == names
    for csv in names:
        events = read_csv(tmp_path / "here" / csv)
        assert events and {e.label for e in events} <= {"song", "ambient"}
        assert (tmp_path / "processes" / csv).read_bytes() == (tmp_path / "cluster" / csv).read_bytes() == (tmp_path / "here" / csv).read_bytes()
        assert f"{tmp_path / 'here' / csv}: {len(events)} events" in printed
    # on the cluster each recording was a job with its own log beside its CSV
    assert sorted(p.name for p in (tmp_path / "cluster").glob("*.log")) == [n.replace(".csv", ".log") for n in names]


def _denoiser(folder):
    """A tiny clip model made a denoiser (random weights: its verdicts are arbitrary, but fixed),
    frozen: worker processes run it with onnxruntime, needing no architecture (the test ones are
    registered in this process only)."""
    model = make_model(folder, outputs=("call", "noise"), architecture=CLIP_ARCH)
    config = json.loads((model / "config.json").read_text())
    config.update(supervision="events", data={"crop_ms": 40.0, "margin_ms": 5.0})
    (model / "config.json").write_text(json.dumps(config))
    freeze_model(model)
    return model


def test_denoise_judges_the_same_here_in_processes_and_on_a_local_cluster(tmp_path, capsys):
    model = _denoiser(tmp_path / "denoiser")
    events = tmp_path / "events"
    events.mkdir()
    recordings = []
    for i in range(3):
        recording = write_recording(tmp_path / f"rec{i}.wav", 0.5, seed=i)
        write_csv(events / f"rec{i}.wav-detected.csv", [Event(recording.name, 400 * k, 400 * k + 200, Kind.DETECTED, "time") for k in range(6)])
        recordings.append(str(recording))
    outputs = {}
    for name, options in {"here": [], "processes": ["-j", "2"], "cluster": ["--cluster", "local", "-j", "2"]}.items():
        folder = tmp_path / name
        folder.mkdir()
        for csv in events.iterdir():
            (folder / csv.name).write_bytes(csv.read_bytes())
        assert main(["denoise", "--model", str(model), "--out", str(folder), "--device", "cpu", "--no-progress", *options, *recordings]) == 0
        outputs[name] = {p.name: p.read_bytes() for p in folder.glob("*-denoised.csv")}
    assert sorted(outputs["here"]) == [f"rec{i}.wav-denoised.csv" for i in range(3)]
    assert outputs["here"] == outputs["processes"] == outputs["cluster"]
    # on the cluster each recording was a job with its own log beside its CSV
    assert sorted(p.name for p in (tmp_path / "cluster").glob("*.log")) == [f"rec{i}.wav-denoised.log" for i in range(3)]
    judged = read_csv(tmp_path / "here" / "rec0.wav-denoised.csv")
    assert len(judged) == 6 and all(e.status is not None and 0 <= e.score <= 1 for e in judged)
    lines = capsys.readouterr().out.splitlines()
    assert f"{tmp_path / 'here' / 'rec0.wav-denoised.csv'}: " in lines[0] and "of 6 events accepted" in lines[0]


def test_the_gui_plans_the_jobs_the_command_runs_for_ethogram_and_denoise(tmp_path):
    """The Actions tab's forms are the requests: the jobs they plan are the command's, and run
    as jobs they write what the command writes."""
    from hark.gui.actions import ACTIONS_BY_NAME, plan_action
    from hark.gui.paths import DataFolder
    from hark.infer.denoise import plan_denoise_request
    from hark.infer.ethogram import plan_ethogram_request
    from hark.infer.requests import DenoiseRequest, EthogramRequest
    from hark.jobs.spec import execute_job

    root = tmp_path / "data"
    model = make_model(root / "model")
    (model / "accuracy").mkdir()
    (model / "accuracy" / "thresholds.csv").write_text(THRESHOLDS)
    recordings = [str(write_recording(root / f"rec{i}.wav", 0.4 + 0.1 * i, seed=i)) for i in range(2)]
    assert main(["classify", "--model", str(model), "--out", str(root / "probabilities"), "--device", "cpu", *recordings]) == 0
    folder, log_for = DataFolder(root), lambda kind: tmp_path / f"{kind}.log"
    texts = {"ethogram": {"model": "model", "out": "gui", "probabilities": "probabilities", "ratio": "1"}}
    jobs = plan_action(ACTIONS_BY_NAME["ethogram"], texts, folder, log_for)
    request = EthogramRequest(model=model, out=root / "gui", probabilities=root / "probabilities", ratio=1.0)
    assert [job.params for job in jobs] == [record.model_dump(mode="json") for record in plan_ethogram_request(request)]
    assert [job.name for job in jobs] == ["ethogram rec0.wav", "ethogram rec1.wav"]
    assert all(execute_job(job).ok for job in jobs)
    argv = ["ethogram", "--model", str(model), "--probabilities", str(root / "probabilities"), "--out", str(root / "cli"), "--no-progress"]
    assert main(argv) == 0
    for i in range(2):
        name = f"rec{i}.wav-predicted-1.0pr.csv"
        assert (root / "gui" / name).read_bytes() == (root / "cli" / name).read_bytes()

    denoiser = _denoiser(root / "denoiser")
    texts = {"denoise": {"model": "denoiser", "out": "gui", "recordings": "rec0.wav,rec1.wav", "device": "cpu"}}
    jobs = plan_action(ACTIONS_BY_NAME["denoise"], texts, folder, log_for)
    planned, _ = plan_denoise_request(DenoiseRequest(model=denoiser, out=root / "gui", recordings=recordings, device="cpu"))
    assert [job.params for job in jobs] == [record.model_dump(mode="json") for record in planned]
    assert [job.kind for job in jobs] == ["denoise", "denoise"]
    assert all(execute_job(job).ok for job in jobs)
    assert main(["denoise", "--model", str(denoiser), "--out", str(root / "cli"), "--device", "cpu", "--no-progress", *recordings]) == 0
    for i in range(2):
        name = f"rec{i}.wav-denoised.csv"
        assert (root / "gui" / name).read_bytes() == (root / "cli" / name).read_bytes()
