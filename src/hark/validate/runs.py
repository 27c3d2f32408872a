"""Running a cross-validation plan: one job per model, wherever the cluster settings say.

Each model is a ``validate-fold`` job: train the model folder (``train_model``, which
resumes a folder holding this model's checkpoints, so running the same command again
finishes what a failure or Ctrl-C left), then score it on its own validation set. The
job returns its scores, so the summary needs nothing but the outcomes. Jobs that fail are
reported with their logs; the others go on, and the summary is written only when every
model of the plan has been scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from hark.errors import HarkError
from hark.fileio import atomic_write_text, ensure_writable_dir
from hark.jobs import Job, JobContext, JobKind, JobOutcome, Resources, run_jobs
from hark.jobs.settings import ClusterSettings
from hark.params import Params, validate_params
from hark.validate.folds import ValidationPlan
from hark.validate.scores import PLAN_NAME, SUMMARY_NAME, Checkpoint, score_model, write_summary

FOLD_KIND = "validate-fold"
LOG_NAME = "train.log"


class FoldJobParams(Params):
    """``validate-fold``: train one model of a cross-validation, then score it on its validation set."""

    data_root: str = Field(description="Ground-truth folder.")
    data: dict[str, Any] = Field(description="hark.train.data.DataParams of this fold, as a table.")
    training: dict[str, Any] = Field(description="hark.train.params.TrainParams of this replicate, as a table.")
    out: str = Field(description="Model folder to write.")
    checkpoint: Checkpoint = Field("last", description="Checkpoint to score: last, or best (highest macro F1 on the validation set).")
    withheld: list[str] | None = Field(
        None,
        description="Nested generalization: the recordings withheld (the fold's test recordings); the checkpoint and thresholds "
        "are tuned on the fold's own validation set and these are scored once. None: score the validation set.",
    )


def run_fold(params: dict, context: JobContext) -> dict:
    """The ``validate-fold`` job: ``{"folder", "steps", "scores"}`` (scores: :func:`score_model`)."""
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    checked = validate_params(FoldJobParams, params, "validate-fold job")
    data = validate_params(DataParams, checked.data, "validate-fold job data")
    training = validate_params(TrainParams, checked.training, "validate-fold job training")
    result = train_model(checked.data_root, data, training, checked.out, progress=False, report=context.log)
    if checked.withheld:
        from hark.validate.nested import score_withheld

        scores = score_withheld(checked.out, checked.data_root, data, checked.withheld, checked.checkpoint)
        context.log(f"tuned on the other recordings: step {scores['step']}; scored the withheld ones once")
    else:
        scores = score_model(checked.out, checked.checkpoint)
    context.log(f"scored step {scores['step']}: accuracy {scores['accuracy']:.4f}, macro F1 {scores['macro_f1']:.4f}")
    return {"folder": str(result.folder), "steps": int(result.steps), "scores": scores}


def _fold_resources(params: dict) -> Resources:
    from hark.train.jobs import train_resources

    return train_resources(params)


# registered as FOLD_KIND in pyproject.toml's hark.jobs entry points
FOLD_JOB = JobKind(
    run_fold, Resources(cpus=1, memory_gb=2), "Train one model of a cross-validation and score it (hark xvalidate, hark generalize).",
    _fold_resources, FoldJobParams,
)


@dataclass(frozen=True)
class ValidationRun:
    """What running a plan gave: the summary (None unless every model was scored) and each job's outcome."""

    folder: Path
    summary: dict | None
    outcomes: list[JobOutcome]

    @property
    def failures(self) -> list[JobOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]


def fold_jobs(plan: ValidationPlan, out: str | Path, checkpoint: Checkpoint = "last") -> list[Job]:
    """One job per model of the plan; each writes ``OUT/<name>/`` and logs to ``OUT/<name>/train.log``."""
    out = Path(out)
    return [
        Job(
            kind=FOLD_KIND,
            name=f"{plan.kind} {run.name}",
            params={
                "data_root": str(Path(plan.data_root).resolve()),
                "data": run.data.model_dump(mode="json"),
                "training": run.training.model_dump(mode="json"),
                "out": str((out / run.name).resolve()),
                "checkpoint": checkpoint,
                "withheld": list(run.withheld) if plan.nested else None,
            },
            log=(out / run.name / LOG_NAME).resolve(),
        )
        for run in plan.runs
    ]


def run_validation(
    plan: ValidationPlan,
    out: str | Path,
    cluster: str | ClusterSettings | None = None,
    progress: Callable[[float], None] | None = None,
    checkpoint: Checkpoint = "last",
    draw: bool = True,
) -> ValidationRun:
    """Train and score every model of ``plan`` into ``out``, then sum them up (:mod:`hark.validate.scores`).

    ``out`` gets ``cross-validation.json`` (the plan) first, then one model folder per model,
    and, once every model is scored, ``summary.json``, ``models.csv``, ``labels.csv``,
    ``confusion-matrix.csv`` and the figures.
    """
    return run_validations([(plan, out)], cluster, progress, checkpoint, draw)[0]


def run_validations(
    plans: Sequence[tuple[ValidationPlan, str | Path]],
    cluster: str | ClusterSettings | None = None,
    progress: Callable[[float], None] | None = None,
    checkpoint: Checkpoint = "last",
    draw: bool = True,
) -> list[ValidationRun]:
    """Several plans (a grid) as one batch of jobs, so that all their models share the workers."""
    prepared, jobs = [], []
    for plan, out in plans:
        folder = ensure_writable_dir(out)
        manifest = {**plan.manifest(), "checkpoint": checkpoint}
        atomic_write_text(folder / PLAN_NAME, json.dumps(manifest, indent=1) + "\n")
        (folder / SUMMARY_NAME).unlink(missing_ok=True)  # a summary always describes the models beside it
        for run in plan.runs:
            ensure_writable_dir(folder / run.name)
        prepared.append((plan, folder, manifest, len(jobs)))
        jobs += fold_jobs(plan, folder, checkpoint)
    data_dir = plans[0][0].data_root if plans else None
    outcomes = run_jobs(jobs, cluster=cluster, progress=progress, data_dir=data_dir)
    results = []
    for plan, folder, manifest, first in prepared:
        mine = outcomes[first : first + len(plan.runs)]
        if any(not outcome.ok for outcome in mine):
            results.append(ValidationRun(folder, None, mine))
            continue
        models = [
            {"name": run.name, "fold": run.fold, "replicate": run.replicate, "withheld": list(run.withheld),
             "worker": outcome.worker, **outcome.result["scores"]}
            for run, outcome in zip(plan.runs, mine)
        ]  # fmt: skip
        summary = write_summary(folder, manifest, models, draw=draw)
        if plan.nested:
            from hark.validate.spread import write_spread

            summary["spread"] = write_spread(folder, models, draw=draw)
            atomic_write_text(folder / SUMMARY_NAME, json.dumps(summary, indent=1, allow_nan=True) + "\n")
        results.append(ValidationRun(folder, summary, mine))
    return results


def failure_report(run: ValidationRun) -> str:
    """One line for a HarkError: how many models failed, the first reason, and how to go on."""
    failed = run.failures
    if not failed:
        raise HarkError("no model failed")
    return (
        f"{len(failed)} of {len(run.outcomes)} models failed ({failed[0].error}); the others are in {run.folder}; "
        "the same command trains only what is missing"
    )
