"""Job kind ``resample``: hark resample as a job (registered in pyproject.toml's ``hark.jobs``
entry points); the GUI's Resample action submits it."""

from __future__ import annotations

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class ResampleJobParams(Params):
    """``resample``: hark resample --rate RATE --out OUT REC_OR_FOLDER..."""

    paths: list[str] = Field(min_length=1, description="Recordings, or folders searched for recordings.")
    rate: int = Field(gt=0, description="The new sample rate (Hz).")
    out: str = Field(description="Folder for the resampled recordings and their CSVs.")
    subtype: str | None = Field(None, description="Sample format of the outputs (PCM_16, PCM_24, FLOAT, ...; default: each source's).")


def resample_job(params: dict, context: JobContext) -> dict:
    import soundfile as sf

    from hark.annotations.resample import resample_recordings
    from hark.errors import ParameterError

    checked = validate_params(ResampleJobParams, params, "resample job")
    subtype = checked.subtype.upper() if checked.subtype else None
    if subtype is not None and subtype not in sf.available_subtypes():
        raise ParameterError("subtype", f"{{param}} {checked.subtype}: unknown sample format; one of {', '.join(sorted(sf.available_subtypes()))}")
    done = resample_recordings(checked.paths, checked.out, checked.rate, subtype=subtype, progress=context.progress)
    for result in done:
        context.log(f"{result.output}: {result.source_rate} -> {result.rate} Hz, {result.frames} samples, {len(result.annotations)} CSV(s)")
    return {"recordings": len(done), "out": checked.out}


# registered in pyproject.toml's hark.jobs entry points
RESAMPLE = JobKind(resample_job, Resources(cpus=1, memory_gb=1), "Recordings at one sample rate, CSVs scaled (hark resample).", params=ResampleJobParams)
