"""``hark delete-checkpoints``: keep the checkpoints a model needs, delete the rest."""

from __future__ import annotations

from pathlib import Path

import typer

EXAMPLE = """Example:

  hark delete-checkpoints model --keep best            # after hark accuracy: only the chosen checkpoint
  hark delete-checkpoints model --keep best,last       # and the one hark train resumes from
  hark delete-checkpoints model --keep 2 --dry-run     # what keeping the 2 latest would delete
"""


def delete_checkpoints_command(
    model: Path = typer.Argument(..., help="Model folder (written by hark train)."),
    keep: list[str] = typer.Option(..., "--keep", help="Checkpoints to keep: best (chosen by hark accuracy), last (hark train resumes from it) or N (the N latest); comma-separated or repeated."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be deleted."),
) -> None:
    """Delete a model's checkpoints (and their validation results) except those kept."""
    from hark.models.checkpoints import prune_checkpoints

    pruned = prune_checkpoints(model, keep, dry_run)
    verb = "would delete" if pruned.dry_run else "deleted"
    for path in pruned.deleted:
        typer.echo(f"{verb} {path}")
    kept = ", ".join(f"step {step} ({why})" for step, why in pruned.kept.items())
    typer.echo(f"{model}: {verb} {len(pruned.deleted)} file(s), {pruned.freed_bytes / 1e6:.1f} MB; kept {kept}")


def register(app: typer.Typer) -> None:
    app.command("delete-checkpoints", epilog=EXAMPLE, help=delete_checkpoints_command.__doc__)(delete_checkpoints_command)
