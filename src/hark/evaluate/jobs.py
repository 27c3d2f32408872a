"""Job kind ``accuracy``: hark accuracy MODEL as a job (registered in pyproject.toml's
``hark.jobs`` entry points). The library loads only when a job runs."""

from __future__ import annotations

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class AccuracyJobParams(Params):
    """``accuracy``: hark accuracy MODEL."""

    model: str = Field(description="Model folder written by hark train.")
    # the sensitivity presets, as hark accuracy's default (model_accuracy.PRESET_RATIOS; not imported here so
    # that planning a job does not load torch)
    ratios: list[float] = Field(default_factory=lambda: [0.5, 1.0, 2.0], description="Precision/recall ratios to find thresholds for.")
    draw: bool = Field(False, description="Draw the figures as well as the tables.")


def accuracy_job(params: dict, context: JobContext) -> dict:
    from hark.evaluate.model_accuracy import model_accuracy

    checked = validate_params(AccuracyJobParams, params, "accuracy job")
    result = model_accuracy(checked.model, checked.ratios, draw=checked.draw)
    metrics = result.best.metrics
    context.log(f"best step {result.best_step}: accuracy {metrics.accuracy:.4f}, macro F1 {metrics.macro_f1:.4f}")
    return {
        "model": checked.model, "best_step": int(result.best_step), "accuracy": float(metrics.accuracy),
        "macro_precision": float(metrics.macro_precision), "macro_recall": float(metrics.macro_recall),
        "macro_f1": float(metrics.macro_f1),
    }


ACCURACY = JobKind(accuracy_job, Resources(cpus=1, memory_gb=1), "Evaluate a model's checkpoints (hark accuracy).", params=AccuracyJobParams)
