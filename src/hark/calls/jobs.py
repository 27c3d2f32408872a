"""Job kinds ``calls`` and ``syntax``: hark calls and hark syntax as jobs (registered in
pyproject.toml's ``hark.jobs`` entry points); the GUI's Calls and Syntax actions submit them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class CallsJobParams(Params):
    """``calls``: hark calls --out OUT REC..."""

    recordings: list[str] = Field(min_length=1, description="Recordings whose calls to measure.")
    out: str = Field(description="Folder for <rec>-calls.csv and calls.xlsx; also where denoised and predicted CSVs are looked for.")
    events: str | None = Field(None, description="CSV of the calls to measure (default: the recording's denoised, predicted or annotated CSV).")
    channel: int = Field(0, ge=0, description="Channel of multi-channel recordings (from 0).")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.calls.stats.CallStatsParams, as a table.", json_schema_extra={"form": False})


class SyntaxJobParams(Params):
    """``syntax``: hark syntax --out OUT CSV_OR_FOLDER..."""

    inputs: list[str] = Field(min_length=1, description="Annotation files, or folders of recordings with their annotation files.")
    out: str = Field(description="Folder for the tables and figures.")
    kinds: list[str] | None = Field(None, description="Kinds of events to read (annotated, predicted, ...; default: all).")
    labels: list[str] | None = Field(None, description="Call types to keep (default: all).")
    rate: float | None = Field(None, gt=0, description="Sample rate of annotation files given by themselves whose times are samples (Hz).")
    figures: bool = Field(True, description="Draw transition-matrix.png and transition-diagram.png.")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.calls.syntax.SyntaxParams, as a table.", json_schema_extra={"form": False})


def calls_job(params: dict, context: JobContext) -> dict:
    from hark.calls.run import write_call_statistics
    from hark.calls.stats import CallStatsParams

    checked = validate_params(CallsJobParams, params, "calls job")
    measure = validate_params(CallStatsParams, checked.params, "calls job params")
    events = Path(checked.events) if checked.events else None
    written = write_call_statistics([Path(r) for r in checked.recordings], Path(checked.out), measure, events, checked.channel,
                                    progress=context.progress)  # fmt: skip
    for result in written:
        context.log(f"{result.table}: {result.calls} call(s) (from {result.source.name})")
    return {"recordings": len(written), "calls": sum(r.calls for r in written), "table": str(Path(checked.out) / "calls.xlsx")}


def syntax_job(params: dict, context: JobContext) -> dict:
    from hark.calls.syntax import SyntaxParams
    from hark.calls.syntax_tables import write_syntax

    checked = validate_params(SyntaxJobParams, params, "syntax job")
    chosen = validate_params(SyntaxParams, checked.params, "syntax job params")
    written = write_syntax([Path(p) for p in checked.inputs], Path(checked.out), chosen, checked.kinds, checked.labels, checked.rate,
                           checked.figures, context.progress)  # fmt: skip
    result = written.result
    for note in result.notes:
        context.log(f"note: {note}")
    transitions = sum(result.transitions.values())
    context.log(f"{transitions} transitions between {len(result.labels)} call type(s) in {len(result.bouts)} bouts")
    return {"transitions": transitions, "bouts": len(result.bouts), "folder": str(written.out_dir)}


# registered in pyproject.toml's hark.jobs entry points
CALLS = JobKind(calls_job, Resources(cpus=1, memory_gb=1), "Call statistics per recording (hark calls).", params=CallsJobParams)
SYNTAX = JobKind(syntax_job, Resources(cpus=1, memory_gb=1), "Bouts and transitions of call types (hark syntax).", params=SyntaxJobParams)
