"""Job kinds of hark's inference commands: ``classify``, ``freeze``, ``ethogram``, ``misses`` and
``congruence``, registered in pyproject.toml's ``hark.jobs`` entry points.

Each function validates its parameters (one model per kind, so a bad job spec is a one-line
error naming the job kind), calls the same library function as the command and returns a
small JSON-able summary. The libraries (torch among them) load only when a job runs.
docs/jobs.md lists the parameters.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hark.errors import HarkError
from hark.infer.requests import ClassifyRequest, DenoiseJobParams, DenoiseRequest, EthogramJobParams, EthogramRequest
from hark.jobs.per_recording import record_from
from hark.jobs.spec import JobContext, JobKind, Resources, device_resources
from hark.params import Params, validate_params, validate_shared


def classify_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.infer.classify.ClassificationJob); threads: the job's cores.

    The model's architecture must be found by name where the job runs: hark's own are, and so
    is a plugin registered through its entry point (``hark.architectures``)."""
    from hark.infer.classify import ClassificationJob, run_classification_job

    job = record_from(ClassificationJob, params, "classify job")
    validate_shared(ClassifyRequest, params, recordings=[job.recording], out=Path(job.output).parent)
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


def ethogram_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.infer.requests.EthogramJobParams, as planned by hark ethogram)."""
    from hark.infer.ethogram import run_ethogram_job

    validate_shared(EthogramRequest, params, out=Path(str(params.get("output", ""))).parent)
    job = validate_params(EthogramJobParams, params, "ethogram job")
    result = run_ethogram_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}")
    return {"recording": job.recording, "output": str(result.output)}


def denoise_job(params: dict, context: JobContext) -> dict:
    """One recording (the fields of hark.infer.requests.DenoiseJobParams, as planned by hark denoise); threads: the job's cores."""
    from hark.infer.denoise import run_denoise_job

    # the record's threshold is the one decided (from the ratio too), not the request's: the rest is checked as the command checks it
    shared = {name: value for name, value in params.items() if name != "threshold"}
    validate_shared(DenoiseRequest, shared, recordings=[params.get("recording")], out=Path(str(params.get("output", ""))).parent)
    job = validate_params(DenoiseJobParams, params, "denoise job").model_copy(update={"threads": context.cpus})
    result = run_denoise_job(job, context.progress)
    if not result.ok:
        raise HarkError(result.error)
    context.log(f"wrote {result.output}: {result.accepted} accepted, {result.rejected} rejected")
    return {"recording": job.recording, "output": str(result.output), "accepted": result.accepted, "rejected": result.rejected}


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
ETHOGRAM = JobKind(ethogram_job, Resources(cpus=1, memory_gb=1), "Predicted events of one recording (hark ethogram).", params=EthogramJobParams)
DENOISE = JobKind(
    denoise_job, Resources(cpus=1, memory_gb=2), "Judge one recording's events with a denoiser (hark denoise).", device_resources(2),
    params=DenoiseJobParams,
)
MISSES = JobKind(misses_job, Resources(cpus=1, memory_gb=1), "Detected sounds no prediction overlaps (hark misses).", params=MissesJobParams)
CONGRUENCE = JobKind(
    congruence_job, Resources(cpus=1, memory_gb=1), "Agreement with several annotators (hark congruence).", params=CongruenceJobParams
)


class EnsembleJobParams(Params):
    """``ensemble``: hark ensemble --out OUT MODEL..."""

    models: list[str] = Field(min_length=2, description="Model folders to average (of the same labels, sample rate and kind).")
    out: str = Field(description="Model folder to write the ensemble to (the members' weights are copied in).")
    checkpoint: str | None = Field(None, description="Each member's checkpoint: a step, best or last (default: best by hark accuracy, else last).")


def ensemble_job(params: dict, context: JobContext) -> dict:
    from hark.errors import ParameterError
    from hark.infer.engines import checked_checkpoint
    from hark.models.ensemble import make_ensemble

    checked = validate_params(EnsembleJobParams, params, "ensemble job")
    chosen = checked_checkpoint(checked.checkpoint)
    if isinstance(chosen, str) and chosen.endswith(".pt"):
        raise ParameterError("checkpoint", "{param}: give a step, best or last (it applies to every member)")
    result = make_ensemble(checked.models, checked.out, chosen)
    context.log(f"{result.folder}: ensemble of {result.members} models")
    return {"folder": str(result.folder), "members": int(result.members)}


ENSEMBLE = JobKind(ensemble_job, Resources(cpus=1, memory_gb=1), "Average several models into one (hark ensemble).", params=EnsembleJobParams)


class SuggestJobParams(Params):
    """``suggest``: hark suggest, its request as a table."""

    request: dict = Field(description="hark.infer.suggest_request.SuggestRequest, as a table (every option but --progress).")


def suggest_job(params: dict, context: JobContext) -> dict:
    from hark.infer.suggest import suggest
    from hark.infer.suggest_request import SuggestRequest

    request = validate_params(SuggestRequest, validate_params(SuggestJobParams, params, "suggest job").request, "suggest job")
    result = suggest(request, context.progress)
    for s in result.suggestions:
        context.log(f"{s.recording.name} {s.start}-{s.stop} {s.label}: {s.score:.3f} ({s.reason})")
    return {"suggested": len(result.suggestions), "candidates": int(result.candidates), "files": len(result.files)}


SUGGEST = JobKind(suggest_job, Resources(cpus=1, memory_gb=2), "Sounds to annotate next, most useful first (hark suggest).",
                  device_resources(2, lambda params: (params.get("request") or {}).get("device", "auto")), SuggestJobParams)
