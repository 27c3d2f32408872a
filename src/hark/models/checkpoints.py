"""Deleting the checkpoints a model no longer needs (SongExplorer's "delete checkpoints").

Training keeps every checkpoint with its optimiser state (``ckpt-<step>.pt``) and the
validation results of each (``validation-<step>.npz``), so that ``hark accuracy`` can choose
among them and an interrupted run can resume. Once a model is chosen most of them are dead
weight: :func:`prune_checkpoints` keeps those asked for and deletes the others with their
validation results (``hark accuracy`` then chooses among the kept ones only). What can be kept:

- ``best``: the checkpoint ``hark accuracy`` chose (``accuracy/best.json``); refused when
  accuracy has not run yet, since "best" would then mean nothing;
- ``last``: the latest checkpoint, the one ``hark train`` resumes from;
- ``N`` (a whole number): the N latest checkpoints.

Several may be combined (``best,last``). The frozen export, the calibration, the thresholds
and the accuracy reports stay: they describe the kept best checkpoint. Nothing is deleted
before every name is checked, and each deletion is one ``unlink``, so an interrupted run
leaves only whole checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hark.errors import HarkError, ParameterError
from hark.models.store import CONFIG_NAME, best_step, list_checkpoints


@dataclass(frozen=True)
class PrunedCheckpoints:
    """What :func:`prune_checkpoints` kept (step -> why) and deleted (or would, on a dry run)."""

    kept: dict[int, str]
    deleted: tuple[Path, ...]
    freed_bytes: int
    dry_run: bool = False


def parse_keep(values: Sequence[str]) -> tuple[frozenset[str], int]:
    """``best``/``last`` words and the count of latest checkpoints from ``--keep`` values (comma lists allowed)."""
    words: set[str] = set()
    latest = 0
    items = [item.strip() for value in values for item in str(value).split(",") if item.strip()]
    if not items:
        raise ParameterError("keep", "{param} needs best, last or a number of latest checkpoints")
    for item in items:
        if item in ("best", "last"):
            words.add(item)
        elif item.isdigit() and int(item) > 0:
            latest = max(latest, int(item))
        else:
            raise ParameterError("keep", f"{{param}} {item!r}: expected best, last or a positive number of latest checkpoints")
    return frozenset(words), latest


def prune_checkpoints(folder: str | Path, keep: Sequence[str], dry_run: bool = False) -> PrunedCheckpoints:
    """Delete every checkpoint of ``folder`` but those ``keep`` names (module docs), with their validation results."""
    folder = Path(folder)
    if not (folder / CONFIG_NAME).is_file():
        raise HarkError(f"{folder}: not a model folder (no {CONFIG_NAME})")
    words, latest = parse_keep(keep)
    checkpoints = list_checkpoints(folder)
    if not checkpoints:
        raise HarkError(f"{folder}: holds no checkpoints")
    steps = [step for step, _ in checkpoints]
    kept: dict[int, str] = {}
    if "best" in words:
        best = best_step(folder)
        if best is None:
            raise HarkError(f"{folder}: no best checkpoint yet; run hark accuracy {folder} first, or keep last")
        if best not in steps:
            raise HarkError(f"{folder}: the best checkpoint (step {best}, by hark accuracy) is missing; run hark accuracy {folder} again")
        kept[best] = "best"
    if "last" in words:
        kept.setdefault(steps[-1], "last")
    for step in steps[len(steps) - latest :] if latest else []:
        kept.setdefault(step, f"one of the {latest} latest")
    doomed = []
    for step, path in checkpoints:
        if step in kept:
            continue
        doomed.append(path)
        validation = folder / f"validation-{step:06d}.npz"
        if validation.is_file():
            doomed.append(validation)
    freed = sum(path.stat().st_size for path in doomed)
    if not dry_run:
        for path in doomed:
            path.unlink(missing_ok=True)
    return PrunedCheckpoints(dict(sorted(kept.items())), tuple(doomed), freed, dry_run)
