"""Job kind ``train-continue``: one round of ``hark train --continue`` (:func:`hark.train.continue_run.continue_training`)
as a job, with each step as its progress; the GUI's "Retrain and suggest again" submits it
(registered in pyproject.toml's ``hark.jobs`` entry points). Torch loads only when a job runs."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params

ROUND_SUFFIX = re.compile(r"^(?P<base>.+)-round(?P<number>[0-9]+)$")


class ContinueJobParams(Params):
    """``train-continue``: fine-tune ``model`` on ``data_root``'s annotations into the new folder ``out``."""

    model: str = Field(description="Model folder to continue from (never changed).")
    data_root: str = Field(description="Ground-truth folder whose annotations, as they now stand, the round learns.")
    out: str = Field(description="New model folder of the round.")
    params: dict = Field(default_factory=dict, description="hark.train.continue_run.ContinueParams, as a table (steps, labels, ...).")


def continue_job(params: dict, context: JobContext) -> dict:
    from hark.train.continue_run import ContinueParams, continue_training
    from hark.train.jobs import _step_progress

    checked = validate_params(ContinueJobParams, params, "train-continue job")
    round_params = validate_params(ContinueParams, checked.params, "train-continue job params")
    result = continue_training(checked.model, checked.data_root, checked.out, round_params, progress=False, report=context.log,
                               log=context.log, watchers=(_step_progress(context),))  # fmt: skip
    context.log(f"round {result.round}: {checked.out}, {result.train.steps} steps")
    return {"folder": str(Path(checked.out)), "round": int(result.round), "steps": int(result.train.steps)}


def next_round_folder(model: str | Path) -> Path:
    """Where the round after ``model`` goes: ``<name>-round<N+1>`` beside it (``<name>`` without an earlier
    ``-round<K>``), the first such folder that does not exist yet."""
    model = Path(model)
    found = ROUND_SUFFIX.match(model.name)
    base, number = (found["base"], int(found["number"]) + 1) if found else (model.name, 1)
    while (model.parent / f"{base}-round{number}").exists():
        number += 1
    return model.parent / f"{base}-round{number}"


CONTINUE = JobKind(continue_job, Resources(cpus=1, memory_gb=2), "One round of fine-tuning a model (hark train --continue).",
                   params=ContinueJobParams)  # fmt: skip
