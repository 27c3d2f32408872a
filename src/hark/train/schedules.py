"""What the training loop keeps beside the optimiser: the learning-rate schedule, early stopping
and averaged weights (all torch's own: ``torch.optim.lr_scheduler`` and ``torch.optim.swa_utils``).

Each keeps its state in a plain dict that goes into every checkpoint, so a resumed run goes
on exactly where the interrupted one stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from hark.errors import ParameterError

ONE_CYCLE_DEFAULT_RISE = 0.3
"""One-cycle without ``warmup_steps``: the fraction of the steps the learning rate rises (torch's default)."""

IMPROVEMENT = 1e-4
"""A validation loss improves on the best so far when lower by more than this fraction of it
(ReduceLROnPlateau's default threshold, used by early stopping too, so that both agree)."""


class LearningRateSchedule:
    """The learning rate of each step: ``after_step`` once per optimiser step, ``after_validation``
    with each validation's loss (reduce-on-plateau listens to it; the others ignore it).

    ``constant`` keeps ``learning_rate``; ``cosine`` falls from it to 0 at the last step along a
    half cosine; ``one-cycle`` rises from a 25th of it to it and falls to almost 0 (torch's
    OneCycleLR, momentum left alone); ``plateau`` multiplies it by ``plateau_factor`` once the
    validation loss has not improved for ``plateau_patience`` validations. ``warmup_steps`` make
    the first steps rise linearly to ``learning_rate`` (one-cycle: the length of its rise).
    """

    def __init__(self, optimizer: torch.optim.Optimizer, params):
        self.name = params.lr_schedule or "constant"  # None reaches here only where no supervision chose (a bare Trainer)
        self.planned_steps = params.steps
        self.per_step = _per_step_scheduler(optimizer, params)
        self.plateau = None
        if self.name == "plateau":
            # torch lowers at the (patience + 1)-th bad validation; ours at the patience-th
            self.plateau = lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=params.plateau_factor, patience=params.plateau_patience - 1, threshold=IMPROVEMENT
            )

    @property
    def depends_on_steps(self) -> bool:
        """Whether the schedule was planned for a number of steps (so that it cannot be trained longer)."""
        return self.name in ("cosine", "one-cycle")

    def after_step(self) -> None:
        if self.per_step is not None:
            self.per_step.step()

    def after_validation(self, loss: float) -> None:
        if self.plateau is not None:
            self.plateau.step(loss)

    def state_dict(self) -> dict:
        return {
            "name": self.name,
            "planned_steps": self.planned_steps,
            "per_step": None if self.per_step is None else self.per_step.state_dict(),
            "plateau": None if self.plateau is None else self.plateau.state_dict(),
        }

    def load_state_dict(self, state: dict | None) -> None:
        """``state`` None: a checkpoint of a hark before schedules (its schedule was constant, without warm-up)."""
        if state is None:
            if self.per_step is not None or self.plateau is not None:
                raise ParameterError("out_dir", "the checkpoint holds no learning-rate schedule to resume; give another {param} folder")
            return
        if self.depends_on_steps and int(state["planned_steps"]) != self.planned_steps:
            raise ParameterError(
                "steps",
                f"the {self.name} learning-rate schedule of this model was planned for {state['planned_steps']} steps, "
                f"not {{param}} {self.planned_steps}; give another {{out_dir}} folder to train for another number of steps",
                others=("out_dir",),
            )
        if self.per_step is not None:
            self.per_step.load_state_dict(state["per_step"])
        if self.plateau is not None:
            self.plateau.load_state_dict(state["plateau"])


def _per_step_scheduler(optimizer, params):
    steps, warmup = params.steps, params.warmup_steps
    if params.lr_schedule == "one-cycle":
        rise = warmup / steps if warmup else ONE_CYCLE_DEFAULT_RISE
        return lr_scheduler.OneCycleLR(optimizer, max_lr=params.learning_rate, total_steps=steps, pct_start=rise, cycle_momentum=False)
    rising = lr_scheduler.LinearLR(optimizer, start_factor=1 / (warmup + 1), end_factor=1.0, total_iters=warmup) if warmup else None
    if params.lr_schedule != "cosine":
        return rising
    falling = lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps - warmup, eta_min=0.0)
    if rising is None:
        return falling
    return lr_scheduler.SequentialLR(optimizer, [rising, falling], milestones=[warmup])


class EarlyStopping:
    """Stops training once the validation loss has not improved for ``patience`` validations
    (None: never). Every checkpoint is kept; ``best_step`` names the one of the lowest loss."""

    def __init__(self, patience: int | None):
        self.patience = patience
        self.best_loss = math.inf
        self.best_step = 0
        self.bad_validations = 0
        self.stopped = False

    def after_validation(self, step: int, loss: float) -> None:
        if self.patience is None:
            return
        if loss < self.best_loss - IMPROVEMENT * abs(self.best_loss) or math.isinf(self.best_loss):
            self.best_loss, self.best_step, self.bad_validations = float(loss), step, 0
            return
        self.bad_validations += 1
        self.stopped = self.bad_validations >= self.patience

    def state_dict(self) -> dict:
        return {"best_loss": self.best_loss, "best_step": self.best_step, "bad_validations": self.bad_validations, "stopped": self.stopped}

    def load_state_dict(self, state: dict | None) -> None:
        if state is None:
            return  # a checkpoint of a hark before early stopping: nothing seen yet
        self.best_loss = float(state["best_loss"])
        self.best_step = int(state["best_step"])
        self.bad_validations = int(state["bad_validations"])
        self.stopped = bool(state["stopped"])


class WeightAverage:
    """Averaged weights, validated and saved in place of the trained ones.

    ``ema``: the exponential moving average of the weights after every step. ``swa``: the plain
    mean of the weights after every step past ``swa_start`` of the steps. Either way the
    batch-norm statistics are recomputed for the averaged weights (``refresh_batch_norm``)
    before they are used, not averaged: a batch norm's running variance starts at 1, and where
    the real one is 1e-4 (the fly convnet's first layer) the average still carries that start
    after hundreds of steps (25 times the real variance after 600 steps at decay 0.99, which
    made the validation loss 3.1 instead of 0.36 with recomputed statistics).
    """

    def __init__(self, module: nn.Module, params):
        self.kind = params.weight_averaging
        self.planned_steps = params.steps
        if self.kind == "ema":
            self.averaged = AveragedModel(module, multi_avg_fn=get_ema_multi_avg_fn(params.ema_decay), use_buffers=False)
            self.first_step = 1
        else:
            self.averaged = AveragedModel(module, use_buffers=False)
            self.first_step = math.floor(params.swa_start * params.steps) + 1
        self.averaged.requires_grad_(False)

    @property
    def count(self) -> int:
        """Weights averaged so far (0: the trained weights are used as they are)."""
        return int(self.averaged.n_averaged)

    @property
    def needs_batch_norm_refresh(self) -> bool:
        return self.count > 0 and bool(_batch_norms(self.averaged.module, self.averaged.module))

    def after_step(self, module: nn.Module, step: int) -> None:
        """``step``: the steps done, this one included."""
        if step >= self.first_step:
            self.averaged.update_parameters(module)

    def evaluated(self, module: nn.Module) -> nn.Module:
        """The network to validate and save: the average once there is one, else ``module``."""
        return self.averaged.module if self.count else module

    def load(self, weights: dict, count: int, planned_steps: int | None) -> None:
        """Restore from a checkpoint whose ``model`` (``weights``) is the average of ``count``
        steps' weights, of a run of ``planned_steps``."""
        if self.kind == "swa" and planned_steps is not None and planned_steps != self.planned_steps:
            raise ParameterError(
                "steps",
                f"the swa average of this model (from swa_start of its steps on) was planned for {planned_steps} steps, "
                f"not {{param}} {self.planned_steps}; give another {{out_dir}} folder to train for another number of steps",
                others=("out_dir",),
            )
        if count:
            self.averaged.module.load_state_dict(weights)
        self.averaged.n_averaged.fill_(count)


def _batch_norms(module: nn.Module, root: nn.Module) -> list[nn.Module]:
    """The batch norms of ``module`` that learn statistics in training mode (frozen ones stay in eval)."""
    was_training = root.training
    root.train()
    found = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats]
    root.train(was_training)
    return found


@torch.no_grad()
def refresh_batch_norm(module: nn.Module, inputs: Iterable[torch.Tensor], run: Callable[[nn.Module, torch.Tensor], object]) -> None:
    """Recompute the running statistics of ``module``'s learning batch norms as the plain mean
    over ``inputs``, each passed as ``run(module, x)`` (torch's ``swa_utils.update_bn``, sparing
    batch norms a model keeps frozen). Torch's random generators are left as they were, so
    that training goes on as without this."""
    norms = _batch_norms(module, module)
    if not norms:
        return
    was_training = module.training
    momenta = {norm: norm.momentum for norm in norms}
    with torch.random.fork_rng():
        module.train()
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative mean over the batches
        for x in inputs:
            run(module, x)
    for norm, momentum in momenta.items():
        norm.momentum = momentum
    module.train(was_training)
