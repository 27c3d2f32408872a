"""``compare_runs``: several cross-validation runs side by side (what ``hark compare`` calls).

A run is a folder written by ``hark xvalidate`` or ``hark generalize`` (its
``cross-validation.json`` and ``summary.json``), or a model folder (a run of one model: the
rounds of ``hark train --continue``, see :mod:`hark.validate.rounds`); a folder holding such
runs stands for all of them. What distinguishes the runs is read two ways:

- from their settings: every data and training parameter whose value differs between the
  runs becomes a column (``training.batch_size``, ``training.architecture_params.kernel_size``);
- from their names, SongExplorer's way: a folder named ``mb64_ks129_fm64`` says mb=64,
  ks=129, fm=64; tokens are split at ``_`` and read as letters then a number (``lr1e-3``,
  ``mb-64``) or ``key-value`` (``arch-tcn``). Keys whose values differ become columns too.

Writes ``compare.csv`` (one row per run), ``labels.csv`` (per run and label: precision,
recall and F1 of the summed counts), ``confusion-matrices.csv`` (long: run, true,
predicted, count) and the figures ``compare-overview`` (macro F1, parameters, training
time), ``compare-confusion-matrices`` and ``compare-precision-recall``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.errors import HarkError
from hark.evaluate.report import write_table
from hark.fileio import ensure_writable_dir
from hark.validate.scores import PLAN_NAME, read_run
from hark.validate.rounds import is_model_folder, read_round

_NUMBER_TOKEN = re.compile(r"^([A-Za-z]+)-?(\d[\d.]*(?:e[+-]?\d+)?)$")
_WORD_TOKEN = re.compile(r"^([A-Za-z][A-Za-z0-9]*)-(.+)$")
_UNCOMPARED = {"data.channel", "data.reader", "data.reader_params"}  # how audio is read, not what a model is


@dataclass(frozen=True)
class Run:
    """One cross-validation run as compare sees it."""

    name: str
    folder: Path
    plan: dict
    summary: dict


@dataclass(frozen=True)
class Comparison:
    folder: Path
    runs: list[Run]
    parameters: list[str]  # the columns that distinguish the runs
    table: list[dict]  # one row per run, as in compare.csv


def name_parameters(name: str) -> dict[str, str]:
    """``"mb64_ks129_fm64"`` -> ``{"mb": "64", "ks": "129", "fm": "64"}``; tokens that say nothing are skipped."""
    found: dict[str, str] = {}
    for token in name.split("_"):
        match = _NUMBER_TOKEN.match(token) or _WORD_TOKEN.match(token)
        if match and match[1] not in found:
            found[match[1]] = match[2]
    return found


def find_runs(paths: Sequence[str | Path]) -> list[Run]:
    """The runs named: run folders, or folders whose subfolders are runs (in name order)."""
    runs: list[Run] = []
    for path in (Path(p) for p in paths):
        if not path.is_dir():
            raise HarkError(f"{path}: no such folder")
        if (path / PLAN_NAME).is_file() or is_model_folder(path):
            folders = [path]
        else:
            folders = sorted((p for p in path.iterdir() if (p / PLAN_NAME).is_file() or is_model_folder(p)), key=lambda p: _natural(p.name))
            if not folders:
                raise HarkError(f"{path}: neither a cross-validation run nor a folder of runs (no {PLAN_NAME} in it or its subfolders)")
        for folder in folders:
            # a model folder (hark train, a round of hark train --continue) is a run of one model
            plan, summary = read_run(folder) if (folder / PLAN_NAME).is_file() else read_round(folder)
            runs.append(Run(folder.name, folder, plan, summary))
    names = [run.name for run in runs]
    for name in names:
        if names.count(name) > 1:
            twice = [str(run.folder) for run in runs if run.name == name]
            raise HarkError(f"two runs are named {name}: {twice[0]} and {twice[1]}; rename one")
    if len(runs) < 1:
        raise HarkError("no runs to compare")
    return runs


def compare_runs(paths: Sequence[str | Path], out: str | Path | None = None, draw: bool = True) -> Comparison:
    """Tables and figures of the runs in ``paths`` into ``out`` (default: ``compare/`` beside them)."""
    runs = find_runs(paths)
    labels = _check_labels(runs)
    folder = ensure_writable_dir(out if out is not None else _default_out(runs))
    settings = {run.name: _flat({"data": run.plan.get("data", {}), "training": run.plan.get("training", {})}) for run in runs}
    differing = _differing(settings, skip=_UNCOMPARED)
    by_name = {run.name: name_parameters(run.name) for run in runs}
    from_names = _differing(by_name) if len(runs) > 1 else []
    parameters = differing + [key for key in from_names if key not in differing]
    table = []
    for run in runs:
        s, overall = run.summary, run.summary["overall"]
        row = {"run": run.name}
        row.update({key: settings[run.name].get(key, by_name[run.name].get(key, "")) for key in parameters})
        row.update({
            "kind": s["kind"], "folds": s["folds"], "replicates": s["replicates"], "models": len(s["models"]),
            "examples": overall["examples"], "accuracy": overall["accuracy"], "macro_precision": overall["macro_precision"],
            "macro_recall": overall["macro_recall"], "macro_f1": overall["macro_f1"], "macro_f1_mean": s["macro_f1_mean"],
            "macro_f1_sd": s["macro_f1_sd"], "parameters": s["parameters"], "seconds_median": s["seconds_median"], "steps": s["steps"],
        })  # fmt: skip
        table.append(row)
    header = list(table[0])
    write_table(folder / "compare.csv", header, [[_cell(row[c]) for c in header] for row in table])
    label_rows = []
    for run in runs:
        for label in labels:
            m = run.summary["overall"]["per_label"][label]
            label_rows.append((run.name, label, m["precision"], m["recall"], m["f1"], m["support"]))
    write_table(folder / "labels.csv", ("run", "label", "precision", "recall", "f1", "support"), label_rows)
    confusions = [_confusion_in(run, labels) for run in runs]
    confusion_rows = [
        (run.name, true, predicted, int(confusion[i, j]))
        for run, confusion in zip(runs, confusions) if confusion is not None
        for i, true in enumerate(labels) for j, predicted in enumerate(labels)
    ]  # fmt: skip
    if confusion_rows:
        write_table(folder / "confusion-matrices.csv", ("run", "true", "predicted", "count"), confusion_rows)
    if draw:
        from hark.evaluate.figures import save_figure
        from hark.validate import figures

        names, summaries = [run.name for run in runs], [run.summary for run in runs]
        save_figure(figures.compare_overview_figure(names, summaries), folder, "compare-overview")
        accuracies = [run.summary["overall"]["accuracy"] for run in runs]
        save_figure(figures.compare_confusion_figure(names, confusions, labels, accuracies), folder, "compare-confusion-matrices")
        save_figure(figures.compare_precision_recall_figure(names, summaries, labels), folder, "compare-precision-recall")
    return Comparison(folder, runs, parameters, table)


def _check_labels(runs: list[Run]) -> list[str]:
    """The runs' common labels (in the first run's order); runs over other labels are an error."""
    first = runs[0]
    labels = list(first.summary["labels"])
    for run in runs[1:]:
        theirs = list(run.summary["labels"])
        if set(theirs) != set(labels):
            raise HarkError(
                f"runs {first.name} and {run.name} have different labels ({','.join(labels)} and {','.join(theirs)}); "
                "compare only runs over the same labels"
            )
    return labels


def _confusion_in(run: Run, labels: list[str]) -> np.ndarray | None:
    confusion = run.summary["overall"]["confusion"]
    if confusion is None:
        return None
    order = [run.summary["labels"].index(label) for label in labels]
    return np.array(confusion, dtype=np.int64)[np.ix_(order, order)]


def _flat(values: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flat(value, name + "."))
        else:
            flat[name] = value
    return flat


def _differing(values_by_run: dict[str, dict[str, object]], skip: set[str] = frozenset()) -> list[str]:
    keys = list(dict.fromkeys(key for values in values_by_run.values() for key in values))
    missing = object()
    return [
        key for key in keys
        if key not in skip and len({repr(values.get(key, missing)) for values in values_by_run.values()}) > 1
    ]  # fmt: skip


def _default_out(runs: list[Run]) -> Path:
    parents = {str(run.folder.resolve().parent) for run in runs}
    return Path(os.path.commonpath(sorted(parents))) / "compare"


def _natural(name: str) -> list:
    """Sort key: numbers in names by value (mb64 before mb128)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _cell(value):
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    return value
