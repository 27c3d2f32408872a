"""Job kind ``train``: hark train for one model folder, as a job (registered in pyproject.toml's
``hark.jobs`` entry points), and :func:`train_job_spec`, the job that hark train ``--cluster``
and the GUI's Train action both submit. Torch loads only when a job runs."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hark.jobs.spec import Job, JobContext, JobKind, Resources, device_resources
from hark.params import Params, validate_params
from hark.train.data_params import DataParams
from hark.train.params import TrainParams


class TrainJobParams(Params):
    """``train``: hark train for one model folder."""

    data_root: str = Field(description="Ground-truth folder.")
    # the very models hark train's options (hark.train.requests) and the GUI's train form are made of
    data: DataParams = Field(description="hark.train.data.DataParams, as a table.")
    training: TrainParams = Field(description="hark.train.params.TrainParams, as a table.")
    out: str = Field(description="Model folder to write.")
    restore: str | None = Field(None, description="Checkpoint to start from.")


def train_job(params: dict, context: JobContext) -> dict:
    from hark.train.run import train_model

    checked = validate_params(TrainJobParams, params, "train job")
    result = train_model(checked.data_root, checked.data, checked.training, checked.out, checked.restore, progress=False, report=context.log, log=context.log,
                         watchers=(_step_progress(context),))  # fmt: skip
    return {"folder": str(result.folder), "steps": int(result.steps)}


def _step_progress(context: JobContext):
    """A training callback that reports each step as the job's progress (the GUI's job list shows it)."""
    from hark.train.callbacks import Callback

    class StepProgress(Callback):
        def on_step_end(self, trainer, step, loss, accuracy) -> None:
            context.progress(step / max(trainer.params.steps, 1))

    return StepProgress()


TRAIN_MEMORY_GB = 2.0
"""Memory a train job declares when its training names none (``memory_gb``)."""


def train_resources(params: dict) -> Resources:
    """What a train job asks of a worker: a GPU when it must train on one (``auto`` runs anywhere,
    on a GPU if the worker has one), and its ``memory_gb`` when given: the limit training then
    checks its batches against (hark.train.memory), so a job never takes more than it declared."""
    training = params.get("training") or {}
    declared = device_resources(TRAIN_MEMORY_GB, lambda _: training.get("device", "auto"))(params)
    if training.get("memory_gb"):
        return Resources(cpus=declared.cpus, gpus=declared.gpus, memory_gb=float(training["memory_gb"]))
    return declared


def train_job_spec(
    data_root: str | Path, data: Params, training: Params, out: str | Path, restore: str | Path | None = None,
    *, name: str | None = None, log: Path | None = None,
) -> Job:
    """The ``train`` job for one model folder (paths made absolute: jobs run elsewhere); named
    ``train OUT`` and logging to ``OUT/train.log`` unless ``name`` and ``log`` say otherwise."""
    absolute = lambda path: str(Path(path).resolve())  # noqa: E731
    params = {
        "data_root": absolute(data_root), "data": data.model_dump(mode="json"), "training": training.model_dump(mode="json"),
        "out": absolute(out), "restore": absolute(restore) if restore else None,
    }
    return Job("train", params, name or f"train {out}", log if log is not None else Path(out).resolve() / "train.log")


TRAIN = JobKind(train_job, Resources(cpus=1, memory_gb=2), "Train one model folder (hark train).", train_resources, TrainJobParams)
