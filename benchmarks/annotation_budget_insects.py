"""The ``insects`` data set of ``python -m benchmarks.annotation_budget``: InsectSet32, a species per clip.

../shared/data/insects holds InsectSet32's official training (205 files) and validation (51)
splits and ``clips.csv`` (``file,label,order,split``; 32 species). Here a **sound is a whole
clip**, and the oracle answers its species (the clip's one true event spans the file, so
:func:`benchmarks.annotation_budget_oracle.answer` returns it).

- **Pool**: the 205 training files; **withheld**: the 51 validation files (one to three a
  species). Each is linked under a name of letters, digits, ``.``, ``_`` and ``-`` (the
  source's ``%20`` and ``#`` made ``_``), which keeps the file-name order.
- **Round 0**: 5 clips of each species (all of a species that has fewer: six species have 2
  training files, five 3, four 4), 128 clips; the pool then holds 77 more.
- **Model**: ``hark train --supervision clip`` with its defaults (the README's insect
  tutorial: a quarter-width ResNet-18 on a 64-band mel spectrogram, 5 s windows), the labelled
  clips as a folder of clips each with one annotation spanning it; rounds with ``--continue``.
- **Strategies**: ``hark suggest`` with the clip model (whole files ranked by their
  prediction's margin and novelty, :mod:`hark.infer.suggest_clips`), random, and time order
  (the files in file-name order, i.e. species by species).
- **Score**: the accuracy of ``hark classify``'s per-file labels (``predictions.csv``'s
  ``label``) on the validation files, as the README's insect commands compute it
  (:func:`benchmarks.insects.classify_accuracy`).
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

from benchmarks.annotation_budget_sets import BudgetSet
from hark.annotations.event import Event, Kind

INSECT_SPLITS = {"train": "pool", "validation": "withheld"}


def link_name(file: str) -> str:
    """A plain file name for ``file`` (a path of clips.csv): letters, digits, ``.``, ``_``, ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", unquote(Path(file).name))


def clip_accuracy(model: Path, bset: BudgetSet, scratch: Path) -> float:
    """``hark classify``'s per-file labels of the withheld clips: the fraction that name the true species."""
    from benchmarks.insects import classify_accuracy
    from hark.infer.classify import classify_recordings

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    results = classify_recordings(model, bset.withheld, scratch, device="cpu")
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"classify failed: {failed[0]}")
    return classify_accuracy(scratch / "predictions.csv", {str(p): bset.truth[p.name][0].label for p in bset.withheld})


def prepare_insects(shared: Path, root: Path) -> BudgetSet:
    """Links to the training files in ``insects/pool`` and to the validation files in ``insects/withheld``."""
    import soundfile as sf

    table = shared / "insects" / "clips.csv"
    with table.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] in INSECT_SPLITS]
    folder = root / "insects"
    for side in INSECT_SPLITS.values():
        (folder / side).mkdir(parents=True, exist_ok=True)
    truth: dict[str, list[Event]] = {}
    paths: dict[str, list[Path]] = {side: [] for side in INSECT_SPLITS.values()}
    for row in rows:
        link = folder / INSECT_SPLITS[row["split"]] / link_name(row["file"])
        if link.name in truth:
            raise RuntimeError(f"{row['file']}: two files of clips.csv have the link name {link.name}")
        if not link.is_symlink():
            link.symlink_to((table.parent / row["file"]).resolve())
        truth[link.name] = [Event(link.name, 0, sf.info(link).frames, Kind.ANNOTATED, row["label"])]
        paths[INSECT_SPLITS[row["split"]]].append(link)
    labels = sorted({row["label"] for row in rows})
    return BudgetSet(
        "insects", labels, sorted(paths["pool"]), sorted(paths["withheld"]), truth, "accuracy of the per-file labels", clip_accuracy,
        supervision="clip",
    )  # fmt: skip


__all__ = ["clip_accuracy", "link_name", "prepare_insects"]
