"""The training loop: model, data and callbacks kept apart (Lightning's way).

Checkpoints carry the optimiser's, the learning-rate schedule's, early stopping's and the
random generators' states (and the trained weights beside averaged ones), so a run stopped
by a crash or Ctrl-C resumes from its last checkpoint and ends bit for bit where an
uninterrupted run would (on the CPU, with seeds set).
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hark.errors import HarkError, ParameterError
from hark.models.store import list_checkpoints, load_weights, read_checkpoint, save_checkpoint
from hark.train.callbacks import Callback, ValidationResult
from hark.train.params import TrainParams
from hark.train.schedules import EarlyStopping, LearningRateSchedule, WeightAverage, refresh_batch_norm

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
    # the rest of SongExplorer's optimisers (all of Keras's but Ftrl, which torch lacks)
    "adadelta": torch.optim.Adadelta,
    "adagrad": torch.optim.Adagrad,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
}


SWA_BATCH_NORM_BATCHES = 16
"""Training batches over which stochastic weight averaging recomputes batch-norm statistics."""


@dataclass(frozen=True)
class Objective:
    """How outputs and targets meet: exclusive classes (softmax) or overlapped ones (sigmoid)."""

    overlapped: bool
    dense: bool
    classifies = True

    def apply(self, module: nn.Module, x: torch.Tensor, video: torch.Tensor | None = None) -> torch.Tensor:
        """What ``loss`` and ``correct`` compare with the targets: the logits of the batch (a video
        model's also given the batch's pictures, :mod:`hark.train.data_video`)."""
        return self.logits_of(module(x) if video is None else module(x, video))

    def logits_of(self, output: torch.Tensor) -> torch.Tensor:
        """(B, C) for one output per example, (B, C, frames) for dense targets."""
        if output.dim() == 3 and not self.dense:
            return output[:, :, output.shape[2] // 2]  # a window of exactly the context gives one frame
        return output

    def loss(self, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Exclusive classes take class indices, or class probabilities of the logits' shape (soft dense targets)."""
        if self.overlapped:
            per_entry = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
            weights = mask if mask is not None else torch.ones_like(per_entry)
            return (per_entry * weights).sum() / weights.sum().clamp(min=1)
        if mask is not None:  # dense: frames already scored by a neighbouring window weigh 0
            per_frame = nn.functional.cross_entropy(logits, targets, reduction="none")
            return (per_frame * mask).sum() / mask.sum().clamp(min=1)
        return nn.functional.cross_entropy(logits, targets)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.overlapped else torch.softmax(logits, dim=1)

    def correct(self, logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor | None) -> tuple[float, float]:
        """(number right, number judged)."""
        if self.overlapped:
            right = ((logits > 0).float() == targets).float()
            weights = mask if mask is not None else torch.ones_like(right)
            return float((right * weights).sum()), float(weights.sum())
        targets = class_indices(targets)
        right = (logits.argmax(dim=1) == targets).float()
        if mask is not None:
            return float((right * mask).sum()), float(mask.sum())
        return float(right.sum()), float(targets.numel())


@dataclass(frozen=True)
class ReconstructionObjective:
    """An autoencoder's: the mean squared error between its input features and their reconstruction.

    Labels play no part (``targets`` and ``mask`` are ignored). What the training log calls
    accuracy is the fraction of the features' variance the reconstruction explains (R²,
    1 - SSE / SST with each channel's mean over the batch as the constant prediction): 0 for
    the best constant prediction, 1 for a perfect reconstruction.
    """

    classifies = False
    overlapped = False  # (batches carry no targets to convert)

    def apply(self, module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not hasattr(module, "reconstruct"):
            raise HarkError(f"{type(module).__name__} cannot reconstruct its input; train an autoencoder")
        return module.reconstruct(x)

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], targets=None, mask=None) -> torch.Tensor:
        target, reconstruction = outputs
        return nn.functional.mse_loss(reconstruction, target)

    def correct(self, outputs: tuple[torch.Tensor, torch.Tensor], targets=None, mask=None) -> tuple[float, float]:
        """(variance explained, 1): R² of the batch."""
        target, reconstruction = outputs
        total = (target - target.mean(dim=(0, 2), keepdim=True)).pow(2).sum()
        error = (reconstruction - target).pow(2).sum()
        return float(1.0 - error / total.clamp_min(1e-12)), 1.0


def class_indices(targets: torch.Tensor) -> torch.Tensor:
    """Exclusive targets as class indices: soft (B, C, ...) probabilities become their argmax."""
    return targets.argmax(dim=1) if targets.is_floating_point() else targets


class Trainer:
    """Trains ``module`` on ``data`` for ``params.steps`` steps, checkpointing into ``folder``."""

    def __init__(
        self, module: nn.Module, data, window, params: TrainParams, folder: Path,
        objective: Objective | ReconstructionObjective, callbacks: list[Callback],
    ):
        self.module = module
        self.data = data
        self.window = window
        self.params = params
        self.folder = Path(folder)
        self.objective = objective
        self.callbacks = callbacks
        self.device = _device(params.device)
        torch.set_num_threads(params.threads or _auto_threads(module))
        self.module.to(self.device)
        self.optimizer = OPTIMIZERS[params.optimizer](self.module.parameters(), lr=params.learning_rate)
        self.schedule = LearningRateSchedule(self.optimizer, params)
        self.early_stopping = EarlyStopping(params.early_stopping_patience)
        self.average = None if params.weight_averaging == "none" else WeightAverage(self.module, params)
        self._batch_norm_fresh_at: int | None = None
        self.batch_rng = np.random.default_rng(params.batch_seed)
        if params.batch_seed is not None:
            torch.manual_seed(params.batch_seed)  # dropout draws from torch's generator
        self.step = 0

    # -- checkpoints -------------------------------------------------------------------
    def resume(self) -> int:
        """Continue from the last checkpoint in the folder, if any; returns its step."""
        checkpoints = list_checkpoints(self.folder)
        if not checkpoints:
            return 0
        step, path = checkpoints[-1]
        self.restore(path, full=True)
        return step

    def restore(self, path: Path, full: bool) -> None:
        """Weights from a checkpoint; ``full`` also the optimiser, the schedule, early stopping,
        averaged weights, the generators and the step. (Not ``full``: the weights the checkpoint
        was validated with, averaged ones where it had them.)"""
        state = read_checkpoint(path)
        load_weights(self.module, state, path)
        if full:
            if "training_model" in state:  # "model" holds the averaged weights
                load_weights(self.module, {"model": state["training_model"]}, path)
            if self.average is not None:
                self.average.load(state["model"], int(state.get("averaged_count", 0)), state.get("averaged_steps"))
            self.schedule.load_state_dict(state.get("schedule"))
            self.early_stopping.load_state_dict(state.get("early_stopping"))
            self.optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["torch_rng"])
            self.batch_rng.bit_generator.state = state["batch_rng"]
            self.step = int(state["step"])

    def save(self) -> Path:
        state = {
            "model": self.evaluated_module().state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "early_stopping": self.early_stopping.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "batch_rng": self.batch_rng.bit_generator.state,
        }
        if self.average is not None:
            state["training_model"] = self.module.state_dict()
            state["averaged_count"] = self.average.count
            state["averaged_steps"] = self.average.planned_steps
        return save_checkpoint(self.folder, self.step, state)

    def evaluated_module(self) -> nn.Module:
        """What is validated and saved as the model: the averaged weights when averaging has begun."""
        if self.average is None:
            return self.module
        if self.average.needs_batch_norm_refresh and self._batch_norm_fresh_at != self.step:
            refresh_batch_norm(self.average.averaged.module, self._batch_norm_inputs(), self.objective.apply)
            self._batch_norm_fresh_at = self.step
        return self.average.evaluated(self.module)

    def _batch_norm_inputs(self):
        """Training batches of their own generator (seeded by the step), so that the batches
        of training are the same whether or not statistics were recomputed."""
        rng = np.random.default_rng([self.params.batch_seed or 0, self.step])
        for _ in range(SWA_BATCH_NORM_BATCHES):
            yield self._tensors(self.data.training_batch(rng, self.params.batch_size, self.window))[0]

    # -- the loop ----------------------------------------------------------------------
    def fit(self, validate_first: bool = False) -> int:
        """Train up to ``params.steps``; ``validate_first`` redoes the validation of a checkpoint
        whose results a killed run never wrote.

        Ctrl-C stops between steps: the step in progress finishes, a checkpoint is saved and
        KeyboardInterrupt is raised, so resuming continues exactly where training stopped.
        A second Ctrl-C stops at once.
        """
        first = self.step
        for callback in self.callbacks:
            callback.on_train_start(self, first)
        try:
            with _CtrlC() as ctrl_c:
                if validate_first:  # the checkpoint's states already count this validation
                    self._validate_and_save(count=False)
                while self.step < self.params.steps and not self.early_stopping.stopped:
                    loss, accuracy = self._train_step()
                    self.step += 1
                    for callback in self.callbacks:
                        callback.on_step_end(self, self.step, loss, accuracy)
                    if self.step % self.params.validation_period == 0 or self.step == self.params.steps:
                        self._validate_and_save(count=True)
                    if ctrl_c.pressed:
                        self.save()  # keep what was learnt; the same command resumes from here
                        raise KeyboardInterrupt
        finally:
            for callback in self.callbacks:
                callback.on_train_end(self, self.step)
        return self.step

    def train_step(self) -> tuple[float, float]:
        """One optimiser step on the next training batch: its (loss, accuracy). A loss that is not
        finite raises ParameterError (learning_rate). The learning-rate finder steps through this."""
        return self._train_step()

    def _train_step(self) -> tuple[float, float]:
        self.module.train()
        batch = self.data.training_batch(self.batch_rng, self.params.batch_size, self.window)
        x, y, mask = self._tensors(batch)
        logits = self.objective.apply(self.module, x, *self._video(batch))
        loss = self.objective.loss(logits, y, mask)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.schedule.after_step()
        if self.average is not None:
            self.average.after_step(self.module, self.step + 1)
        with torch.no_grad():
            right, judged = self.objective.correct(logits, y, mask)
        if not torch.isfinite(loss):
            raise ParameterError("learning_rate", f"training diverged at step {self.step + 1} (loss {loss.item()}); try a smaller {{param}}")
        return float(loss.item()), right / max(judged, 1.0)

    def validate(self) -> ValidationResult:
        module = self.evaluated_module()  # (outside inference mode: refreshed batch norms stay usable)
        with torch.inference_mode():
            module.eval()
            return self._validate_classification(module) if self.objective.classifies else self._validate_reconstruction(module)

    def _validate_classification(self, module: nn.Module) -> ValidationResult:
        losses, weights, probabilities, targets, masks = [], [], [], [], []
        recordings, positions = [], []
        right_total = judged_total = 0.0
        for batch in self.data.validation_batches(self.params.batch_size, self.window):
            x, y, mask = self._tensors(batch)
            logits = self.objective.apply(module, x, *self._video(batch))
            losses.append(float(self.objective.loss(logits, y, mask)) * len(x))
            weights.append(len(x))
            right, judged = self.objective.correct(logits, y, mask)
            right_total += right
            judged_total += judged
            p = self.objective.probabilities(logits)
            if self.objective.dense:  # every frame is an example: (B, C, F) -> (B*F, C)
                p = p.permute(0, 2, 1).reshape(-1, p.shape[1])
                y = class_indices(y)  # soft (gaussian) targets are saved as their most likely class
                y = y.reshape(-1)
                if mask is not None:  # each sample once: drop frames a neighbouring window scored
                    keep = mask.reshape(-1) > 0
                    p, y, mask = p[keep], y[keep], None
            else:
                recordings += [ref.recording for ref in batch.where]
                positions += [int(ref.position) for ref in batch.where]
            probabilities.append(p.cpu().numpy())
            targets.append(y.cpu().numpy())
            if mask is not None:
                masks.append(mask.cpu().numpy())
        if not weights:
            raise ParameterError("validation_percent", "the validation set is empty; use a larger {param} or name validation recordings")
        return ValidationResult(
            step=self.step,
            loss=sum(losses) / sum(weights),
            accuracy=right_total / max(judged_total, 1.0),
            probabilities=np.concatenate(probabilities),
            targets=np.concatenate(targets),
            mask=np.concatenate(masks) if masks else None,
            recordings=recordings,
            positions=positions,
        )

    def _validate_reconstruction(self, module: nn.Module) -> ValidationResult:
        """Loss and variance explained over the validation windows; no probabilities to save."""
        total_loss = total_explained = 0.0
        count = 0
        for batch in self.data.validation_batches(self.params.batch_size, self.window):
            x, y, mask = self._tensors(batch)
            outputs = self.objective.apply(module, x)
            total_loss += float(self.objective.loss(outputs, y, mask)) * len(x)
            total_explained += self.objective.correct(outputs, y, mask)[0] * len(x)
            count += len(x)
        if not count:
            raise ParameterError("validation_percent", "the validation set is empty; use a larger {param} or name validation recordings")
        empty = np.zeros((0, 0), dtype=np.float32)
        return ValidationResult(self.step, total_loss / count, total_explained / count, empty, np.zeros(0, dtype=np.int64))

    def _validate_and_save(self, count: bool) -> None:
        """``count``: let the schedule and early stopping hear of this validation (not when it
        is redone for a checkpoint whose states already include it)."""
        result = self.validate()
        if count:
            self.schedule.after_validation(result.loss)
            self.early_stopping.after_validation(self.step, result.loss)
        self.save()
        for callback in self.callbacks:
            callback.on_validation_end(self, result)

    def _video(self, batch) -> tuple[torch.Tensor, ...]:
        """A video model's pictures of the batch, as the extra argument of ``objective.apply`` (none without)."""
        video = getattr(batch, "video", None)
        return () if video is None else (torch.as_tensor(video, device=self.device),)

    def _tensors(self, batch):
        x = torch.as_tensor(batch.x, dtype=torch.float32, device=self.device)
        x = x.unsqueeze(1) if x.ndim == 2 else x  # (B, C, L) already for a model of several channels
        if self.objective.overlapped or np.issubdtype(batch.y.dtype, np.floating):  # 0/1 or soft targets
            y = torch.as_tensor(batch.y, dtype=torch.float32, device=self.device)
        else:
            y = torch.as_tensor(batch.y, dtype=torch.int64, device=self.device)
        mask = None if batch.mask is None else torch.as_tensor(batch.mask, dtype=torch.float32, device=self.device)
        return x, y, mask


class _CtrlC:
    """Turns the first Ctrl-C into a flag the loop checks between steps (main thread only)."""

    def __init__(self):
        self.pressed = False
        self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __enter__(self) -> "_CtrlC":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _auto_threads(module: nn.Module) -> int:
    """Small models train fastest on one thread: their per-layer work is too little to share,
    and threads waiting on each other cost far more once any other process wants a core."""
    parameters = sum(p.numel() for p in module.parameters())
    return 1 if parameters < 1_000_000 else os.cpu_count() or 1


def _device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device", "{param} cuda: no CUDA GPU is available here")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)
