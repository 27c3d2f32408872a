"""Job kinds of hark's own actions: thin functions from a job's parameters to a library call.

Each function validates its parameters (one model per kind, so a bad job spec is a one-line
error naming the job kind), calls the same library function as the command and returns a
small JSON-able summary. Libraries are imported inside the functions: registering the kinds
costs nothing, and torch loads only where a job needs it. docs/jobs.md lists the parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from hark.errors import HarkError
from hark.jobs.spec import JobContext, JobKind, Resources, job_kinds
from hark.params import Params, validate_params


class TrainJobParams(Params):
    """``train``: hark train for one model folder."""

    data_root: str = Field(description="Ground-truth folder.")
    data: dict[str, Any] = Field(description="hark.train.data.DataParams, as a table.")
    training: dict[str, Any] = Field(description="hark.train.params.TrainParams, as a table.")
    out: str = Field(description="Model folder to write.")
    restore: str | None = Field(None, description="Checkpoint to start from.")


def train_job(params: dict, context: JobContext) -> dict:
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    checked = validate_params(TrainJobParams, params, "train job")
    data = validate_params(DataParams, checked.data, "train job data")
    training = validate_params(TrainParams, checked.training, "train job training")
    result = train_model(checked.data_root, data, training, checked.out, checked.restore, progress=False, report=context.log)
    return {"folder": str(result.folder), "steps": int(result.steps)}


def train_resources(params: dict) -> Resources:
    """A job that must train on a GPU asks for one; ``auto`` runs anywhere (on a GPU if the worker has one)."""
    device = str((params.get("training") or {}).get("device", "auto"))
    return Resources(cpus=1, gpus=1 if device.startswith("cuda") else 0, memory_gb=2)


class AccuracyJobParams(Params):
    """``accuracy``: hark accuracy MODEL."""

    model: str = Field(description="Model folder written by hark train.")
    ratios: list[float] = Field(default_factory=lambda: [1.0], description="Precision/recall ratios to find thresholds for.")
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


class FreezeJobParams(Params):
    """``freeze``: hark freeze MODEL."""

    model: str = Field(description="Model folder written by hark train.")
    checkpoint: str | None = Field(None, description="A step, best, last or a ckpt-N.pt path (default: best, else last).")


def freeze_job(params: dict, context: JobContext) -> dict:
    from hark.infer.freeze import freeze_model

    checked = validate_params(FreezeJobParams, params, "freeze job")
    return {"path": str(freeze_model(checked.model, checked.checkpoint))}


def detect_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.detect.run.DetectionJob); threads: the job's cores."""
    from hark.detect.run import DetectionJob, run_detection_job

    job = _dataclass_from(DetectionJob, params, "detect job")
    job = DetectionJob(**{**job.__dict__, "recording": Path(job.recording), "output": Path(job.output), "threads": context.cpus})
    result = run_detection_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}")
    return {"recording": str(result.recording), "output": str(result.output), "counts": result.counts}


def device_resources(memory_gb: float):
    """Needs of a job run on ``params["device"]``: a GPU when it says cuda."""

    def needs(params: dict) -> Resources:
        return Resources(cpus=1, gpus=1 if str(params.get("device", "auto")).startswith("cuda") else 0, memory_gb=memory_gb)

    return needs


def classify_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.infer.classify.ClassificationJob, and ``modules`` to
    import first: those registering the model's architecture); threads: the job's cores."""
    import importlib

    from hark.infer.classify import ClassificationJob, run_classification_job

    params = dict(params)
    for name in params.pop("modules", None) or []:
        importlib.import_module(name)
    job = _dataclass_from(ClassificationJob, params, "classify job")
    paths = {"recording": Path(job.recording), "output": Path(job.output), "model": Path(job.model)}
    job = ClassificationJob(**{**job.__dict__, **paths, "threads": context.cpus})
    result = run_classification_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}: {result.frames} frames")
    return {"recording": str(result.recording), "output": str(result.output), "frames": int(result.frames)}


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
    from hark.evaluate.dense_congruence import folder_congruence

    c = validate_params(CongruenceJobParams, params, "congruence job")
    result = folder_congruence(c.truth, c.predictions, c.out, c.tolerance_ms, c.labels, c.samplerate)
    thresholds = None if result.model_thresholds is None else str(result.model_thresholds)
    return {"out": str(result.out), "model_thresholds": thresholds}


def _dataclass_from(cls, params: dict, what: str):
    """A plain-data job record from its JSON table; a missing or unknown field is a HarkError."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - names)
    if unknown:
        raise HarkError(f"{what}: unknown parameter(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    try:
        return cls(**params)
    except TypeError as err:
        raise HarkError(f"{what}: {err}") from None


# memory figures are peaks seen on the demo data with room to spare; a cluster's workers
# declare what they have (docs/jobs.md), and a job waits until one has this much free
job_kinds.add("train", JobKind(train_job, Resources(cpus=1, memory_gb=2), "Train one model folder (hark train).", train_resources))
job_kinds.add("accuracy", JobKind(accuracy_job, Resources(cpus=1, memory_gb=1), "Evaluate a model's checkpoints (hark accuracy)."))
job_kinds.add("freeze", JobKind(freeze_job, Resources(cpus=1, memory_gb=1), "Export a model to ONNX (hark freeze)."))
job_kinds.add("detect", JobKind(detect_job, Resources(cpus=1, memory_gb=1), "Detect sounds in one recording (hark detect)."))
job_kinds.add("classify", JobKind(classify_job, Resources(cpus=1, memory_gb=2), "Classify one recording (hark classify).", device_resources(2)))
job_kinds.add("ethogram", JobKind(ethogram_job, Resources(cpus=1, memory_gb=1), "Predicted events from probabilities (hark ethogram)."))
job_kinds.add("misses", JobKind(misses_job, Resources(cpus=1, memory_gb=1), "Detected sounds no prediction overlaps (hark misses)."))
job_kinds.add("congruence", JobKind(congruence_job, Resources(cpus=1, memory_gb=1), "Agreement with several annotators (hark congruence)."))
