"""Jobs on dask-jobqueue workers: the real SLURMCluster writes real job scripts, and a fake
``sbatch`` runs each one in the background on this machine, as a batch system would on a node."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hark.errors import HarkError
from hark.jobs import ClusterSettings, Job, run_jobs
from tests.conftest import REPO_ROOT
from tests.jobs import kinds_for_tests  # noqa: F401  (registers the test kinds)


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def fake_slurm(tmp_path) -> dict:
    """sbatch: keep a copy of the job script, run it in its own process group, print the group as the job id."""
    queue = tmp_path / "queue"
    queue.mkdir()
    sbatch = _script(tmp_path / "sbatch", f"""#!/bin/bash
copy="{queue}/job-$RANDOM$RANDOM.sh"
cp "$1" "$copy"
setsid bash "$copy" > "$copy.out" 2>&1 < /dev/null &
echo "Submitted batch job $!"
""")
    scancel = _script(tmp_path / "scancel", "#!/bin/bash\nkill -TERM -- \"-$1\" 2>/dev/null; exit 0\n")
    return {"queue": queue, "submit_command": str(sbatch), "cancel_command": str(scancel)}


def test_jobs_run_on_workers_started_from_real_slurm_job_scripts(fake_slurm, tmp_path):
    settings = ClusterSettings(
        kind="slurm", workers=2, cores=1, memory="1GB", walltime="00:10:00", queue="short",
        job_extra_directives=["--comment=hark-test"], job_script_prologue=[f"export PYTHONPATH={REPO_ROOT}"],
        submit_command=fake_slurm["submit_command"], cancel_command=fake_slurm["cancel_command"], timeout=30,
    )
    jobs = [Job("test-power", {"x": x, "p": 2, "pause": 0.1}, f"square-{x}", tmp_path / f"square-{x}.log") for x in range(8)]
    outcomes = run_jobs(jobs, settings)
    assert [o.result["value"] for o in outcomes] == [x * x for x in range(8)]
    assert [o.result["value"] for o in outcomes] == [run_jobs([job])[0].result["value"] for job in jobs]
    assert len({o.worker for o in outcomes}) == 2  # both batch jobs' workers ran jobs
    scripts = sorted(fake_slurm["queue"].glob("job-*.sh"))
    assert len(scripts) == 2
    text = scripts[0].read_text()
    for line in ("#SBATCH -p short", "#SBATCH -t 00:10:00", "#SBATCH --comment=hark-test", f"export PYTHONPATH={REPO_ROOT}"):
        assert line in text
    assert "--resources cpus=1,memory_gb=1" in text  # what each worker offers the jobs


def test_a_failing_submit_command_is_one_line(tmp_path):
    failing = _script(tmp_path / "sbatch", "#!/bin/bash\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n")
    settings = ClusterSettings(kind="slurm", queue="nope", submit_command=str(failing), cancel_command="true", timeout=20)
    with pytest.raises(HarkError) as err:
        run_jobs([Job("test-power", {"x": 1, "p": 1}, f"p{i}") for i in range(2)], settings)
    assert str(err.value).startswith(f"slurm: submitting a batch job failed: '{failing} ")
    assert str(err.value).endswith("failed: sbatch: error: invalid partition specified: nope") and "\n" not in str(err.value)


def test_cross_validation_on_slurm_workers_equals_the_same_runs_in_process(fake_slurm, tmp_path):
    """2 folds x 2 replicates as batch jobs: the same checkpoints, bit for bit, as in this process."""
    import torch

    from hark.demo import generate_fly
    from hark.jobs.spec import execute_job
    from hark.models.store import list_checkpoints
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.validate import fold_jobs, plan_xvalidation

    data = tmp_path / "gt"
    generate_fly(data, n_recordings=3, duration_s=20.0, seed=6)
    training = TrainParams(architecture_params={"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]},
                           steps=10, validation_period=10, batch_size=8)  # fmt: skip
    plan = plan_xvalidation(data, DataParams(labels="mel-pulse,mel-sine,ambient"), training, folds=2, replicates=2)
    settings = ClusterSettings(
        kind="slurm", workers=2, cores=1, memory="2GB", walltime="00:10:00",
        job_script_prologue=[f"export PYTHONPATH={REPO_ROOT}"],
        submit_command=fake_slurm["submit_command"], cancel_command=fake_slurm["cancel_command"], timeout=60,
    )
    there = run_jobs(fold_jobs(plan, tmp_path / "slurm"), settings)
    assert all(o.ok for o in there), [o.error for o in there]
    assert all(o.worker and o.worker.startswith("tcp://") for o in there)
    assert len(sorted(fake_slurm["queue"].glob("job-*.sh"))) == 2  # two batch jobs started the workers
    for job in fold_jobs(plan, tmp_path / "here"):
        assert execute_job(job).ok
    for name in ("1k_1r", "1k_2r", "2k_1r", "2k_2r"):
        (_, theirs), (_, ours) = list_checkpoints(tmp_path / "slurm" / name)[-1], list_checkpoints(tmp_path / "here" / name)[-1]
        a, b = torch.load(theirs, weights_only=True)["model"], torch.load(ours, weights_only=True)["model"]
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
