"""Things that happen around training steps, kept out of the loop (Lightning's callbacks).

The trainer calls each callback's hooks; a callback never changes the model or the data.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hark.fileio import atomic_path, atomic_write_text

LOG_COLUMNS = ["step", "loss", "train_accuracy", "validation_loss", "validation_accuracy", "seconds", "learning_rate"]


@dataclass
class ValidationResult:
    """The model's outputs on the whole validation set at one step."""

    step: int
    loss: float
    accuracy: float
    probabilities: np.ndarray  # (N, C)
    targets: np.ndarray  # (N,) class indices, or (N, C) 0/1 for overlapped classes
    mask: np.ndarray | None = None  # (N, C) where overlapped targets are known
    recordings: list[str] = field(default_factory=list)  # per example, for the mistakes list
    positions: list[int] = field(default_factory=list)


class Callback:
    def on_train_start(self, trainer, first_step: int) -> None: ...

    def on_step_end(self, trainer, step: int, loss: float, accuracy: float) -> None: ...

    def on_validation_end(self, trainer, result: ValidationResult) -> None: ...

    def on_train_end(self, trainer, last_step: int) -> None: ...


class CsvLogger(Callback):
    """``log.csv``: one row per validation with the mean training loss and accuracy since the last,
    and the learning rate the next steps use."""

    def __init__(self, path: Path):
        self.path = path
        self._losses: list[float] = []
        self._accuracies: list[float] = []
        self._start = time.perf_counter()
        self._offset = 0.0

    def on_train_start(self, trainer, first_step: int) -> None:
        rows = self._rows()
        kept = [r for r in rows if int(r["step"]) <= first_step]
        if kept:
            self._offset = float(kept[-1]["seconds"])
        self._write(kept)  # a resumed run drops rows of steps it will redo

    def on_step_end(self, trainer, step, loss, accuracy) -> None:
        self._losses.append(loss)
        self._accuracies.append(accuracy)

    def on_validation_end(self, trainer, result: ValidationResult) -> None:
        row = {
            "step": result.step,
            "loss": f"{np.mean(self._losses):.6g}" if self._losses else "",
            "train_accuracy": f"{np.mean(self._accuracies):.6g}" if self._accuracies else "",
            "validation_loss": f"{result.loss:.6g}",
            "validation_accuracy": f"{result.accuracy:.6g}",
            "seconds": f"{self._offset + time.perf_counter() - self._start:.3f}",
            "learning_rate": f"{trainer.optimizer.param_groups[0]['lr']:.6g}",  # of the steps that follow
        }
        self._losses.clear()
        self._accuracies.clear()
        self._write([*self._rows(), row])

    def _rows(self) -> list[dict]:
        if not self.path.is_file():
            return []
        with open(self.path, newline="") as f:
            return list(csv.DictReader(f))

    def _write(self, rows: list[dict]) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, LOG_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.path, buffer.getvalue())


class ValidationSaver(Callback):
    """``validation-<step>.npz``: what ``hark accuracy`` needs, without re-reading any audio."""

    def __init__(self, folder: Path):
        self.folder = folder

    def on_validation_end(self, trainer, result: ValidationResult) -> None:
        path = self.folder / f"validation-{result.step:06d}.npz"
        arrays = {"probabilities": result.probabilities, "targets": result.targets}
        if result.mask is not None:
            arrays["mask"] = result.mask
        if result.recordings:
            arrays["recordings"] = np.array(result.recordings)
            arrays["positions"] = np.array(result.positions, dtype=np.int64)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)


class ProgressDisplay(Callback):
    """A progress bar with the loss and the training and validation accuracy."""

    def __init__(self, total_steps: int, description: str = "training"):
        self.total = total_steps
        self.description = description
        self._progress = None
        self._task = None
        self._validation = "-"

    def on_train_start(self, trainer, first_step: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total, completed=first_step, status="")

    def on_step_end(self, trainer, step, loss, accuracy) -> None:
        status = f"loss {loss:.3f} train {accuracy:.0%} validation {self._validation}"
        self._progress.update(self._task, completed=step, status=status)

    def on_validation_end(self, trainer, result: ValidationResult) -> None:
        self._validation = f"{result.accuracy:.0%}"

    def on_train_end(self, trainer, last_step: int) -> None:
        if self._progress is not None:
            self._progress.stop()


class LineReporter(Callback):
    """One line per validation, for logs and terminals without a progress bar."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def on_validation_end(self, trainer, result: ValidationResult) -> None:
        print(
            f"step {result.step}: validation loss {result.loss:.4f}, accuracy {result.accuracy:.1%}",
            file=self.stream,
            flush=True,
        )
