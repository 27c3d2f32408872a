"""``hark train --continue MODEL``: one round of fine-tuning (:mod:`hark.train.continue_run`), as ``hark train`` runs it.

A round keeps MODEL's settings; of ``hark train``'s options it takes only those in
:data:`ROUND_OPTIONS`, and refuses any other typed on the command line (one line, nothing written).
"""

from __future__ import annotations

import typer

from hark.cli.common import given_on_command_line
from hark.errors import HarkError

ROUND_OPTIONS = ("continue_from", "data", "out", "labels", "supervision", "steps", "learning_rate", "validation_period", "batch_size", "device", "progress")
"""What a round takes from the command line: the rest is MODEL's."""


def run_round(context: typer.Context, request, progress: bool | None) -> None:
    """Fine-tune ``request.continue_from`` on ``request.data`` into ``request.out`` (``request``: a TrainRequest)."""
    from hark.cli.requests import option_flags
    from hark.train.continue_run import ContinueParams, continue_training

    typed = [name for name in context.params if given_on_command_line(context, name) and name not in ROUND_OPTIONS]
    if typed:
        fields = type(request).model_fields
        flag = option_flags(typed[0], fields[typed[0]])[0].split("/")[0] if typed[0] in fields else "--" + typed[0].replace("_", "-")
        raise HarkError(f"{flag} does not go with --continue: a round keeps the settings of {request.continue_from} (docs/annotate-less.md)")
    if not request.data.exists():
        raise HarkError(f"{request.data}: no such ground-truth folder or clip-label table")
    values = {"labels": request.labels or []}
    for name in ("steps", "learning_rate", "validation_period", "batch_size", "device"):
        if given_on_command_line(context, name):
            values[name] = getattr(request, name)
    supervision = request.supervision if given_on_command_line(context, "supervision") else None
    try:
        result = continue_training(
            request.continue_from, request.data, request.out, ContinueParams(**values), supervision=supervision, progress=progress, report=typer.echo
        )
    except KeyboardInterrupt:
        typer.echo(f"hark: interrupted; the last checkpoint is in {request.out}; the same command resumes", err=True)
        raise typer.Exit(130) from None
    added = f", new labels {','.join(result.new_labels)}" if result.new_labels else ""
    typer.echo(f"round {result.round}: trained {request.out} for {result.train.steps} steps{added}; its rounds are in {request.out}/rounds.json")
    typer.echo(f"next: hark suggest --model {request.out} --out DIR RECORDINGS, or hark compare {request.continue_from} {request.out}")
