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
    """Lines for logs and terminals without a progress bar: one per validation, and a progress
    line (step, loss, seconds per step, time left) at the first step and then every
    ``every_s`` seconds, so that a log file shows how far training is and when it will end.
    Lines go to ``stream`` (stderr), or to ``write`` when given (a job's log: its own time stamps)."""

    def __init__(self, stream=None, every_s: float = 30.0, clock=time.perf_counter, write=None):
        self.stream = stream or sys.stderr
        self._write = write
        self.every_s = every_s
        self._clock = clock
        self._start = 0.0
        self._first = 0
        self._printed_at: float | None = None
        self._losses: list[float] = []

    def on_train_start(self, trainer, first_step: int) -> None:
        self._start = self._clock()
        self._first = first_step
        self._printed_at = None
        self._losses.clear()

    def on_step_end(self, trainer, step, loss, accuracy) -> None:
        self._losses.append(loss)
        now = self._clock()
        if self._printed_at is not None and now - self._printed_at < self.every_s:
            return
        self._printed_at = now
        total = trainer.params.steps
        per_step = (now - self._start) / max(step - self._first, 1)
        mean = sum(self._losses) / len(self._losses)
        self._losses.clear()
        self._line(f"step {step}/{total}: loss {mean:.4f}, {per_step:.3g} s/step, {format_duration(per_step * (total - step))} left")

    def on_validation_end(self, trainer, result: ValidationResult) -> None:
        self._line(f"step {result.step}: validation loss {result.loss:.4f}, accuracy {result.accuracy:.1%}")

    def _line(self, text: str) -> None:
        if self._write is not None:
            self._write(text)
        else:
            print(text, file=self.stream, flush=True)


def format_duration(seconds: float) -> str:
    """``2 h 05 min``, ``3 min 20 s`` or ``12 s``."""
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
