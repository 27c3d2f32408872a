"""The learning-rate range test (``hark train --find-lr``; fastai's ``lr_find``, after Smith 2017).

A throwaway copy of the model that ``hark train`` would train (same data, architecture,
optimiser, batch and transferred weights) takes ``steps`` optimiser steps on training batches
while the learning rate rises exponentially from ``start_lr`` to ``end_lr``; the loss of each
step is recorded and smoothed (an exponential moving average with bias correction, as fastai's
recorder does, but with ``smoothing`` 0.9 rather than its 0.98: a 100-step sweep over eight
decades averaged over ~50 steps lags four decades behind the curve, so that on generated whale
clips the smoothed minimum fell at a rate of 1.9 with 0.98 and at 0.89 with 0.9, where training
at 2 no longer learnt at all). The test stops early once the smoothed loss exceeds
``divergence`` times its lowest value (or is not finite): rates beyond that only blow up.

Two readings of the curve, both written and printed:

- ``minimum``: a tenth of the rate where the smoothed loss is lowest. At the minimum the rate
  is already about as large as training tolerates; a tenth of it is still on the steep part of
  the curve, safely below the divergence. fastai's ``lr_min`` rule, and the **suggestion**.
- ``steepest``: the rate where the smoothed loss falls fastest against log(rate) (before its
  minimum, the first tenth of the steps skipped: the average has not settled there). fastai's
  ``lr_steep``; it reacts to the noise of a short curve more than ``minimum`` does.

The suggestion is a place to start (``--learning-rate``), not a guarantee; the curve
(``OUT/lr-finder.csv`` and ``.png``/``.pdf``) shows how wide the good range is. Nothing of the
model folder is written but these files: the weights the test trained are discarded, so a
``hark train`` into the same folder afterwards starts from scratch.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from hark.errors import ParameterError
from hark.fileio import atomic_write_text, ensure_writable_dir
from hark.params import Params
from hark.train.data import DataParams
from hark.train.params import TrainParams

CSV_NAME = "lr-finder.csv"
FIGURE_NAME = "lr-finder"


class LrFinderParams(Params):
    """The learning-rate range test's sweep."""

    start_lr: float = Field(1e-7, gt=0, description="learning rate of the first step")
    end_lr: float = Field(10.0, gt=0, le=1e4, description="learning rate of the last step (if the loss has not diverged before)")
    steps: int = Field(100, ge=10, le=100_000, description="optimiser steps of the sweep")
    smoothing: float = Field(0.9, ge=0, lt=1, description="weight of the average so far in the smoothed loss (0: no smoothing)")
    divergence: float = Field(4.0, gt=1, description="stop once the smoothed loss exceeds this many times its lowest value")

    @model_validator(mode="after")
    def _rising(self):
        if self.end_lr <= self.start_lr:
            raise ValueError(f"end_lr ({self.end_lr:g}) must be above start_lr ({self.start_lr:g})")
        return self


@dataclass(frozen=True)
class LrFinderResult:
    learning_rates: np.ndarray  # of each step taken
    losses: np.ndarray  # each step's training loss
    smoothed: np.ndarray  # their exponential moving average, bias-corrected
    suggested: float  # the minimum rule: a tenth of the rate at the lowest smoothed loss
    steepest: float  # the rate where the smoothed loss falls fastest
    minimum: float  # the rate at the lowest smoothed loss
    diverged: bool  # stopped early: the loss blew up before end_lr
    csv: Path
    figures: list[Path]

    def summary(self) -> str:
        return (
            f"suggested learning rate {self.suggested:.2g} (a tenth of {self.minimum:.2g}, where the smoothed loss is lowest); "
            f"steepest descent at {self.steepest:.2g}"
        )


def find_learning_rate(
    data_root: str | Path,
    data_params: DataParams,
    train_params: TrainParams,
    out: str | Path,
    params: LrFinderParams | None = None,
    restore: str | Path | None = None,
    report: Callable[[str], None] = lambda message: None,
) -> LrFinderResult:
    """Run the range test on the model ``train_model`` would train with these settings, and write
    ``out/lr-finder.csv`` and ``out/lr-finder.png``/``.pdf`` (``train_params.learning_rate``,
    schedule, averaging and early stopping play no part: the sweep sets the rate of each step)."""
    from hark.train.run import prepare_training
    from hark.train.trainer import Objective, ReconstructionObjective, Trainer

    p = params or LrFinderParams()
    sweep = train_params.model_copy(
        update={"lr_schedule": "constant", "warmup_steps": 0, "weight_averaging": "none", "early_stopping_patience": None,
                "learning_rate": p.start_lr, "steps": max(train_params.steps, p.steps)}
    )  # fmt: skip
    prepared = prepare_training(data_root, data_params, sweep, out, restore, report)
    if restore is not None:
        from hark.models.store import load_weights, read_checkpoint

        load_weights(prepared.module, read_checkpoint(restore), Path(restore))
    objective = (
        ReconstructionObjective() if prepared.reconstructs else Objective(overlapped=data_params.overlapped, dense=prepared.supervision.dense)
    )
    trainer = Trainer(prepared.module, prepared.data, prepared.window, prepared.train_params, Path(out), objective, callbacks=[])
    rates, losses, smoothed = [], [], []
    average, best, diverged = 0.0, math.inf, False
    factor = (p.end_lr / p.start_lr) ** (1 / (p.steps - 1))
    for i in range(p.steps):
        rate = p.start_lr * factor**i
        for group in trainer.optimizer.param_groups:
            group["lr"] = rate
        try:
            loss, _ = trainer.train_step()
        except ParameterError:  # a loss that is not finite: the rate is far too high
            diverged = True
            break
        average = p.smoothing * average + (1 - p.smoothing) * loss
        value = average / (1 - p.smoothing ** (i + 1))
        rates.append(rate)
        losses.append(loss)
        smoothed.append(value)
        best = min(best, value)
        if i > 0 and value > p.divergence * best:
            diverged = True
            break
    if len(rates) < 5:
        raise ParameterError("start_lr", f"the loss diverged within {len(rates)} steps of the sweep; start from a smaller {{param}} ({p.start_lr:g})")
    result = _readings(np.array(rates), np.array(losses), np.array(smoothed), diverged)
    folder = ensure_writable_dir(out)
    csv_path = _write_csv(folder, result)
    figures = _write_figure(folder, result)
    return LrFinderResult(**result, csv=csv_path, figures=figures)


def _readings(rates: np.ndarray, losses: np.ndarray, smoothed: np.ndarray, diverged: bool) -> dict:
    lowest = int(np.argmin(smoothed))
    skip = max(1, len(rates) // 10)  # the average has not settled over the first steps
    end = max(lowest, skip + 2)
    slope = np.gradient(smoothed[:end + 1], np.log10(rates[:end + 1]))
    steepest = skip + int(np.argmin(slope[skip:end + 1])) if end > skip else lowest
    return {
        "learning_rates": rates, "losses": losses, "smoothed": smoothed, "suggested": float(rates[lowest] / 10),
        "steepest": float(rates[steepest]), "minimum": float(rates[lowest]), "diverged": diverged,
    }  # fmt: skip


def _write_csv(folder: Path, result: dict) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["step", "learning_rate", "loss", "smoothed_loss"])
    for i, (rate, loss, smooth) in enumerate(zip(result["learning_rates"], result["losses"], result["smoothed"]), start=1):
        writer.writerow([i, f"{rate:.6g}", f"{loss:.6g}", f"{smooth:.6g}"])
    path = folder / CSV_NAME
    atomic_write_text(path, text.getvalue())
    return path


def _write_figure(folder: Path, result: dict) -> list[Path]:
    from matplotlib.figure import Figure

    from hark.evaluate.figures import save_figure

    figure = Figure(figsize=(6.0, 4.0), layout="constrained")
    axes = figure.subplots()
    axes.plot(result["learning_rates"], result["losses"], color="0.75", linewidth=0.8, label="loss of each step")
    axes.plot(result["learning_rates"], result["smoothed"], color="C0", label="smoothed")
    axes.axvline(result["suggested"], color="C2", linestyle="--", label=f"suggested {result['suggested']:.2g} (minimum / 10)")
    axes.axvline(result["steepest"], color="C1", linestyle=":", label=f"steepest {result['steepest']:.2g}")
    axes.set_xscale("log")
    low, high = float(np.min(result["smoothed"])), float(np.max(result["smoothed"][: max(1, len(result["smoothed"]) // 10)]))
    axes.set_ylim(low - 0.1 * abs(high - low), max(high, low) + 0.5 * abs(high - low) + 1e-6)
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss")
    axes.set_title("learning-rate range test")
    axes.legend(fontsize="small")
    return save_figure(figure, folder, FIGURE_NAME)
