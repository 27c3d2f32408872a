"""Job kinds of hark's inference commands: ``classify``, ``freeze``, ``ethogram``, ``misses`` and
``congruence``, registered in pyproject.toml's ``hark.jobs`` entry points.

Each function validates its parameters (one model per kind, so a bad job spec is a one-line
error naming the job kind), calls the same library function as the command and returns a
small JSON-able summary. The libraries (torch among them) load only when a job runs.
docs/jobs.md lists the parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from hark.errors import HarkError
from hark.jobs.per_recording import record_from
from hark.jobs.spec import JobContext, JobKind, Resources, device_resources
from hark.params import Params, validate_params


def classify_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.infer.classify.ClassificationJob); threads: the job's cores.

    The model's architecture must be found by name where the job runs: hark's own are, and so
    is a plugin registered through its entry point (``hark.architectures``)."""
    from hark.infer.classify import ClassificationJob, run_classification_job

    job = record_from(ClassificationJob, params, "classify job")
    paths = {"recording": Path(job.recording), "output": Path(job.output), "model": Path(job.model)}
    job = ClassificationJob(**{**job.__dict__, **paths, "threads": context.cpus})
    result = run_classification_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}: {result.frames} frames")
    return {"recording": str(result.recording), "output": str(result.output), "frames": int(result.frames)}


class FreezeJobParams(Params):
    """``freeze``: hark freeze MODEL."""

    model: str = Field(description="Model folder written by hark train.")
    checkpoint: str | None = Field(None, description="A step, best, last or a ckpt-N.pt path (default: best, else last).")


def freeze_job(params: dict, context: JobContext) -> dict:
    from hark.infer.freeze import freeze_model

    checked = validate_params(FreezeJobParams, params, "freeze job")
    return {"path": str(freeze_model(checked.model, checked.checkpoint))}


class EthogramJobParams(Params):
    """``ethogram``: hark ethogram."""

    model: str = Field(description="Model folder whose thresholds to apply.")
    probabilities: str = Field(description="Folder of hark classify's probabilities.")
    out: str = Field(description="Folder for the predicted CSVs.")
    recordings: list[str] | None = Field(None, description="Recordings (paths or names) to do (default: all classified).")
    ratio: float = Field(1.0, gt=0, description="Precision/recall ratio whose thresholds to use.")
    dense: bool = Field(False, description="Use hark congruence's dense thresholds.")
    segmentation: dict[str, Any] | None = Field(None, description="Dense models: hark.evaluate.segments.SegmentationParams.")


def ethogram_job(params: dict, context: JobContext) -> dict:
    from hark.evaluate.segments import SegmentationParams
    from hark.infer.ethogram import write_ethograms

    checked = validate_params(EthogramJobParams, params, "ethogram job")
    segmentation = validate_params(SegmentationParams, checked.segmentation, "segmentation") if checked.segmentation is not None else None
    written = write_ethograms(checked.model, checked.recordings, checked.probabilities, checked.out, checked.ratio, checked.dense, segmentation)
    return {"written": [str(path) for path in written]}


class MissesJobParams(Params):
    """``misses``: hark misses."""

    recordings: list[str] = Field(description="Recordings whose detections and predictions to compare.")
    out: str = Field(description="Folder with the predicted CSVs; the missed CSVs go there.")
    ratio: float | None = Field(None, gt=0, description="Which predictions, when the folder holds several ratios.")


def misses_job(params: dict, context: JobContext) -> dict:
    from hark.infer.misses import write_misses

    checked = validate_params(MissesJobParams, params, "misses job")
    return {"written": [str(path) for path in write_misses(checked.recordings, checked.out, checked.ratio)]}


class CongruenceJobParams(Params):
    """``congruence``: hark congruence."""

    truth: str = Field(description="Folder of dense annotations by several people.")
    predictions: str = Field(description="Folder of probabilities and predicted CSVs.")
    out: str | None = Field(None, description="Folder for tables and figures (default: PREDICTIONS/congruence).")
    tolerance_ms: float = Field(10.0, ge=0, description="On- and offsets agree when at most this far apart.")
    labels: list[str] | None = Field(None, description="Labels to compare (default: all).")
    samplerate: int | None = Field(None, ge=1, description="When neither probabilities nor recordings give it.")


def congruence_job(params: dict, context: JobContext) -> dict:
    from hark.infer.congruence import folder_congruence

    c = validate_params(CongruenceJobParams, params, "congruence job")
    result = folder_congruence(c.truth, c.predictions, c.out, c.tolerance_ms, c.labels, c.samplerate)
    thresholds = None if result.model_thresholds is None else str(result.model_thresholds)
    return {"out": str(result.out), "model_thresholds": thresholds}


# memory figures are peaks seen on the demo data with room to spare; a cluster's workers
# declare what they have (docs/jobs.md), and a job waits until one has this much free
CLASSIFY = JobKind(classify_job, Resources(cpus=1, memory_gb=2), "Classify one recording (hark classify).", device_resources(2))
FREEZE = JobKind(freeze_job, Resources(cpus=1, memory_gb=1), "Export a model to ONNX (hark freeze).", params=FreezeJobParams)
ETHOGRAM = JobKind(ethogram_job, Resources(cpus=1, memory_gb=1), "Predicted events from probabilities (hark ethogram).", params=EthogramJobParams)
MISSES = JobKind(misses_job, Resources(cpus=1, memory_gb=1), "Detected sounds no prediction overlaps (hark misses).", params=MissesJobParams)
CONGRUENCE = JobKind(
    congruence_job, Resources(cpus=1, memory_gb=1), "Agreement with several annotators (hark congruence).", params=CongruenceJobParams
)
