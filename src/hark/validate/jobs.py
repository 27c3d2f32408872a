"""Job kinds ``compare``, ``xvalidate`` and ``generalize``: hark compare, hark xvalidate and hark
generalize as jobs (registered in pyproject.toml's ``hark.jobs`` entry points); the GUI's
actions of those names submit them. A validation job trains its models as ``validate-fold``
jobs where the data folder's settings say (here: in the job's own process, or on a local Dask
cluster for several), then sums them up, as the command does."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class CompareJobParams(Params):
    """``compare``: hark compare RUN..."""

    runs: list[str] = Field(min_length=1, description="Cross-validation runs (folders written by hark xvalidate or hark generalize), or folders of runs.")
    out: str | None = Field(None, description="Folder for the tables and figures (default: compare/ beside the runs).")
    figures: bool = Field(True, description="Draw the figures (PDF and PNG) as well as the tables.")


def compare_job(params: dict, context: JobContext) -> dict:
    from hark.validate.compare import compare_runs

    checked = validate_params(CompareJobParams, params, "compare job")
    comparison = compare_runs(checked.runs, checked.out, draw=checked.figures)
    for row in comparison.table:
        context.log(f"{row['run']}: macro F1 {row['macro_f1']}, {row['parameters']} parameters")
    return {"runs": len(comparison.table), "folder": str(comparison.folder)}


class ValidationJobParams(Params):
    """``xvalidate`` and ``generalize``: the command's request."""

    request: dict[str, Any] = Field(description="hark.train.requests.XValidateRequest or GeneralizeRequest, as a table (every option but --cluster and --progress).")


def _plans(request, plan_one) -> list:
    """``[(plan, out)]``: one plan per point of the request's grid (as the commands make them)."""
    from hark.errors import ParameterError
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.validate.grid import grid_points, parse_grid

    if request.arch_params_file is not None:
        raise ParameterError("arch_params_file", "{param}: a job takes its architecture parameters as architecture_params, not from a file")
    if not request.data.is_dir():
        raise ParameterError("data", f"{{param}} {request.data}: no such ground-truth folder")
    data_params = validate_params(DataParams, request.data_values(), "data")
    train_params = validate_params(TrainParams, request.training_values(dict(request.architecture_params)), "training")
    points = grid_points(parse_grid(request.grid), data_params, train_params) if request.grid else [(None, data_params, train_params)]
    return [(plan_one(point_data, point_training), request.out / name if name else request.out) for name, point_data, point_training in points]


def _run_plans(plans: list, request, context: JobContext) -> dict:
    from hark.validate.runs import run_validations

    for plan, out in plans:
        for note in plan.notes:
            context.log(f"note: {out}: {note}")
    context.log(f"training {sum(len(plan.runs) for plan, _ in plans)} model(s)")
    results = run_validations(plans, None, context.progress, request.checkpoint, request.figures)
    failed = [outcome.error for result in results for outcome in result.outcomes if not outcome.ok]
    for result in results:
        for outcome in result.outcomes:
            if outcome.ok:
                context.log(f"{outcome.result['folder']}: step {outcome.result['scores']['step']}, macro F1 {outcome.result['scores']['macro_f1']:.3f}")
        if result.summary is not None:
            overall = result.summary["overall"]
            context.log(f"{result.folder}: {len(result.summary['models'])} models; summed: accuracy {overall['accuracy']:.3f}, macro F1 {overall['macro_f1']:.3f}")
    if failed:
        from hark.errors import HarkError

        raise HarkError(f"{len(failed)} model(s) failed, first: {failed[0]}")
    summaries = [result.summary["overall"] for result in results if result.summary is not None]
    return {"runs": len(results), "folder": str(results[0].folder if len(results) == 1 else results[0].folder.parent),
            **({"macro_f1": round(float(summaries[0]["macro_f1"]), 4)} if len(summaries) == 1 else {})}  # fmt: skip


def xvalidate_job(params: dict, context: JobContext) -> dict:
    from hark.train.requests import XValidateRequest
    from hark.validate.folds import plan_xvalidation

    request = validate_params(XValidateRequest, validate_params(ValidationJobParams, params, "xvalidate job").request, "xvalidate job")
    plans = _plans(request, lambda data, training: plan_xvalidation(request.data, data, training, request.folds, request.replicates))
    return _run_plans(plans, request, context)


def generalize_job(params: dict, context: JobContext) -> dict:
    from hark.errors import ParameterError
    from hark.train.requests import GeneralizeRequest
    from hark.validate.folds import plan_generalization

    request = validate_params(GeneralizeRequest, validate_params(ValidationJobParams, params, "generalize job").request, "generalize job")
    if request.partitions is not None and request.omit != "some":
        raise ParameterError("partitions", "{param} goes with omit some")
    plans = _plans(request, lambda data, training: plan_generalization(
        request.data, data, training, request.omit, request.recordings, request.partitions, request.replicates, request.nested))  # fmt: skip
    return _run_plans(plans, request, context)


# registered in pyproject.toml's hark.jobs entry points
COMPARE = JobKind(compare_job, Resources(cpus=1, memory_gb=1), "Cross-validation runs side by side (hark compare).", params=CompareJobParams)
XVALIDATE = JobKind(xvalidate_job, Resources(cpus=1, memory_gb=2), "k-fold cross-validation (hark xvalidate).", params=ValidationJobParams)
GENERALIZE = JobKind(generalize_job, Resources(cpus=1, memory_gb=2), "Models that withhold whole recordings (hark generalize).", params=ValidationJobParams)
