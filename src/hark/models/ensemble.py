"""Ensembles: several trained models as one, their probabilities averaged (``hark ensemble``).

An ensemble folder is an ordinary, self-contained model folder: its configuration names
the architecture ``ensemble`` (frame models) or ``clip-ensemble`` (clip models) with every
member's architecture and parameters, and its one checkpoint (step 0) holds every member's
weights. ``hark freeze`` makes one ONNX of it; classify, ethogram and accuracy use it like
any model, and the member folders are not needed afterwards.

The network runs each member, turns its logits into probabilities (softmax, or sigmoid for
overlapped labels), averages them, and returns the logits of the average (``log p`` for
exclusive classes, ``log p - log(1 - p)`` for overlapped ones), so that the usual output
activation gives back exactly the mean probability.

Frame members must step alike (the same stride in samples); their contexts may differ: the
ensemble sees the longest, and each member's frames are cropped so that they describe the
same times (see :mod:`hark.models.alignment`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import Field
from torch import nn

from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_path, atomic_write_text, ensure_writable_dir
from hark.models.alignment import align
from hark.models.base import Architecture, ClipModel, FrameModel, architectures, register_architecture
from hark.params import Params

ENSEMBLE_STEP = 0
"""The step of an ensemble's only checkpoint (and of its averaged validation results)."""

# float32 keeps 1 - 6e-8 apart from 1; clamping there moves a probability by less than that
_ONE_BELOW = 1.0 - 6e-8
_TINY = 1e-30


class EnsembleMember(Params):
    """One member: enough to rebuild its network (its weights are in the ensemble's checkpoint)."""

    model: str = Field("", description="the model folder the member came from (a record; not read again)")
    step: int = Field(0, ge=0, description="the checkpoint step whose weights were copied (a record)")
    architecture: str = Field("convnet", description="the member's architecture")
    architecture_params: dict[str, Any] = Field(default_factory=dict, description="the member's architecture parameters")


class EnsembleParams(Params):
    """Parameters of the ``ensemble`` architecture; ``hark ensemble`` fills them from the members' folders.

    The default (one default convnet) only lets the architecture build like any other.
    """

    members: tuple[EnsembleMember, ...] = Field(
        (EnsembleMember(),), min_length=1, max_length=256, description="the models averaged, in order"
    )
    overlapped: bool = Field(False, description="the members' outputs are sigmoids (overlapped labels), else a softmax")


class ClipEnsembleParams(EnsembleParams):
    """Parameters of the ``clip-ensemble`` architecture (clip members)."""

    members: tuple[EnsembleMember, ...] = Field(
        (EnsembleMember(architecture="resnet"),), min_length=1, max_length=256, description="the models averaged, in order"
    )


def probabilities_of(logits: torch.Tensor, overlapped: bool) -> torch.Tensor:
    return torch.sigmoid(logits) if overlapped else torch.softmax(logits, dim=1)


def logits_of_mean(probabilities: torch.Tensor, overlapped: bool) -> torch.Tensor:
    """Logits whose output activation gives ``probabilities`` back (to float32 rounding)."""
    if overlapped:
        p = probabilities.clamp(_TINY, _ONE_BELOW)
        return torch.log(p) - torch.log(1.0 - p)
    return torch.log(probabilities.clamp_min(_TINY))


def _build_members(params: EnsembleParams, samplerate: int, n_outputs: int, kind: str) -> list[nn.Module]:
    members = []
    for i, member in enumerate(params.members):
        architecture = architectures.get(member.architecture)
        if architecture.kind != kind:
            raise HarkError(f"ensemble member {i + 1} ({member.model or member.architecture}) is a {architecture.kind} model, not a {kind} model")
        members.append(architecture.build(architecture.validate(member.architecture_params), samplerate, n_outputs))
    return members


class FrameEnsemble(FrameModel):
    """Frame members: probabilities averaged frame by frame, frames lined up by time."""

    def __init__(self, members: list[nn.Module], names: list[str], overlapped: bool, n_outputs: int):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.overlapped = overlapped
        self.alignment = align([(m.context, m.stride) for m in members], names, "an ensemble", equal_strides=True)
        self.context, self.stride, self.n_outputs = self.alignment.context, self.alignment.stride, n_outputs

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        n = self.alignment.frames(audio.shape[-1])
        total = None
        for i, member in enumerate(self.members):
            p = self.alignment.take(i, probabilities_of(member(audio), self.overlapped), n)
            total = p if total is None else total + p
        return logits_of_mean(total / len(self.members), self.overlapped)


class ClipEnsemble(ClipModel):
    """Clip members: one row of averaged probabilities per clip."""

    def __init__(self, members: list[nn.Module], overlapped: bool, n_outputs: int):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.overlapped = overlapped
        self.n_outputs = n_outputs
        self.min_samples = max(int(getattr(m, "min_samples", 1)) for m in members)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        total = sum(probabilities_of(member(audio), self.overlapped) for member in self.members)
        return logits_of_mean(total / len(self.members), self.overlapped)


@register_architecture("ensemble")
class Ensemble(Architecture):
    """Frame models averaged into one (hark ensemble)."""

    kind = "frame"
    Params = EnsembleParams
    made_by = "hark ensemble"
    """Made from trained models by this command, not trained by ``hark train --architecture``."""

    @classmethod
    def build(cls, params: EnsembleParams, samplerate: int, n_outputs: int) -> FrameEnsemble:
        members = _build_members(params, samplerate, n_outputs, "frame")
        names = [m.model or f"member {i + 1}" for i, m in enumerate(params.members)]
        return FrameEnsemble(members, names, params.overlapped, n_outputs)


@register_architecture("clip-ensemble")
class ClipEnsembleArchitecture(Architecture):
    """Clip models averaged into one (hark ensemble)."""

    kind = "clip"
    Params = ClipEnsembleParams
    made_by = "hark ensemble"
    """Made from trained models by this command, not trained by ``hark train --architecture``."""

    @classmethod
    def build(cls, params: ClipEnsembleParams, samplerate: int, n_outputs: int) -> ClipEnsemble:
        return ClipEnsemble(_build_members(params, samplerate, n_outputs, "clip"), params.overlapped, n_outputs)


# ---------------------------------------------------------------------------------------
# from model folders


@dataclass(frozen=True)
class EnsembleResult:
    folder: Path
    members: int
    context: int
    stride: int
    validation: bool  # averaged validation results were written (hark accuracy can score it)
    note: str  # why not, when not


def make_ensemble(models: Sequence[str | Path], out: str | Path, checkpoint: str | int | None = None) -> EnsembleResult:
    """Average the models in ``models`` into the model folder ``out``.

    ``checkpoint`` chooses each member's weights (a step, ``best`` or ``last``; default the
    best by ``hark accuracy``, else the last). Members must agree on what they are: outputs,
    labels, sample rate, kind (clip or frame), overlapped or exclusive classes and (frame
    models) stride; anything else is a one-line HarkError naming the first that differs.
    When every member was validated on the same examples (replicates), the members'
    validation probabilities are averaged into the ensemble's, so ``hark accuracy`` scores it.
    """
    from hark.models.store import ModelConfig, load_config, load_model, save_checkpoint, save_config

    folders = [Path(m) for m in models]
    if len(folders) < 2:
        raise HarkError("an ensemble needs at least two models")
    out = Path(out)
    for folder in folders:
        if folder.resolve() == out.resolve():
            raise ParameterError("out", f"{out}: is one of the members; give the ensemble another {{param}} folder")
    configs = [load_config(folder) for folder in folders]  # a folder that is not a model fails here
    _check_compatible(folders, configs)
    loaded = [load_model(folder, checkpoint) for folder in folders]
    for folder, member in zip(folders, loaded):
        if getattr(member.module, "needs_video", False):  # an ensemble's forward passes audio alone
            raise HarkError(f"{folder}: is a video model (it reads the movie beside each recording); video models cannot be averaged into an ensemble")
    first = configs[0]
    n_outputs = len(first.output_names)
    members = [
        EnsembleMember(model=str(f.resolve()), step=m.step, architecture=c.architecture, architecture_params=c.architecture_params)
        for f, m, c in zip(folders, loaded, configs)
    ]
    name = "ensemble" if first.kind == "frame" else "clip-ensemble"
    architecture = architectures.get(name)
    params = architecture.validate({"members": [m.model_dump() for m in members], "overlapped": first.overlapped})
    module = architecture.build(params, first.samplerate, n_outputs)
    for target, member in zip(module.members, loaded):
        target.load_state_dict(member.module.state_dict())
    roots = {c.data_root for c in configs}
    config = ModelConfig(
        architecture=name,
        architecture_params=params.model_dump(mode="json"),
        kind=first.kind,
        samplerate=first.samplerate,
        output_names=list(first.output_names),
        labels=list(first.labels),
        overlapped=first.overlapped,
        supervision=first.supervision,
        # a clip ensemble reads files in its members' window (hark classify); members of other windows: the longest
        context=module.context if first.kind == "frame" else max(c.context for c in configs),
        stride=module.stride if first.kind == "frame" else 0,
        data_root=first.data_root if len(roots) == 1 else "",
        data=first.data,  # for the label prevalences (priors); the members' splits may differ
        training={"ensemble_of": [{"model": m.model, "step": m.step} for m in members]},
    )
    folder = ensure_writable_dir(out)
    _claim(folder, config)
    save_config(folder, config)
    save_checkpoint(folder, ENSEMBLE_STEP, {"model": module.state_dict()})
    validation, note = _average_validation(folders, [m.step for m in loaded], folder)
    return EnsembleResult(folder, len(folders), config.context, config.stride, validation, note)


def _check_compatible(folders: list[Path], configs: list) -> None:
    first, reference = configs[0], folders[0]
    checks = [
        ("outputs", lambda c: ",".join(c.output_names)),
        ("labels", lambda c: ",".join(c.labels)),
        ("sample rate (Hz)", lambda c: c.samplerate),
        ("kind", lambda c: c.kind),
        ("classes", lambda c: "overlapped" if c.overlapped else "exclusive"),
        ("supervision", lambda c: c.supervision),
    ]
    for folder, config in zip(folders[1:], configs[1:]):
        for what, value in checks:
            if value(config) != value(first):
                raise HarkError(
                    f"{folder} has {what} {value(config)}, but {reference} has {value(first)}; "
                    "an ensemble averages models of the same outputs, labels, sample rate and kind"
                )


def _claim(folder: Path, config) -> None:
    """Refuse to overwrite another model (its accuracy results and export would be stale);
    the same ensemble made again (same members and checkpoints) is rewritten in place."""
    from hark.models.store import CONFIG_NAME, list_checkpoints, load_config

    if not list_checkpoints(folder) and not (folder / CONFIG_NAME).is_file():
        return
    try:
        previous = load_config(folder).model_dump(exclude={"hark_version"})
    except HarkError:
        previous = None
    if previous != config.model_dump(exclude={"hark_version"}):
        raise ParameterError("out", f"{folder}: already holds a model; give the ensemble another {{param}} folder")


def _average_validation(folders: list[Path], steps: list[int], out: Path) -> tuple[bool, str]:
    """``validation-000000.npz``: the members' validation probabilities averaged, when they were
    validated on the same examples (the same targets at the same places)."""
    arrays = []
    for folder, step in zip(folders, steps):
        path = folder / f"validation-{step:06d}.npz"
        if not path.is_file():
            return False, f"{folder} has no validation results for step {step}"
        try:
            with np.load(path) as data:
                arrays.append({name: data[name] for name in data.files})
        except (OSError, ValueError) as err:
            return False, f"{path}: unreadable ({err})"
    first = arrays[0]
    for folder, other in zip(folders[1:], arrays[1:]):
        same = set(other) == set(first) and all(
            other[k].shape == first[k].shape and np.array_equal(other[k], first[k]) for k in first if k != "probabilities"
        )
        if not same or other["probabilities"].shape != first["probabilities"].shape:
            return False, f"{folder} was validated on other examples than {folders[0]} (folds?)"
    averaged = dict(first)
    averaged["probabilities"] = np.mean([a["probabilities"] for a in arrays], axis=0).astype(first["probabilities"].dtype)
    with atomic_path(out / f"validation-{ENSEMBLE_STEP:06d}.npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **averaged)
    splits = {(folder / "split.json").read_text() if (folder / "split.json").is_file() else None for folder in folders}
    if len(splits) == 1 and None not in splits:
        atomic_write_text(out / "split.json", splits.pop())
    return True, ""
