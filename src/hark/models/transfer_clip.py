"""Transfer learning for clip models: a trained clip model's body under a new output layer.

::

    audio -> the pretrained model's front end and input normalisation   (always kept)
          -> its first N layers                                         (kept: copied weights)
          -> its other layers                                           (new: fresh weights)
          -> pooling -> a new output layer for the new labels

``hark train --supervision clip --transfer MODEL --keep-layers N`` builds it: the new model has
the pretrained model's architecture and parameters (``resnet``, its preset included), so it is an
ordinary clip model that ``hark accuracy``, ``classify``, ``freeze`` and ``ensemble`` use as any
other, and its folder does not need the pretrained one afterwards. The layers are counted after
the front end: for ``resnet`` ``stem``, ``block1``, ``block2``, ... (``resnet18`` and its
quarter-width preset: the stem and eight blocks, so ``--keep-layers 9`` keeps the whole body);
the output layer is always new, sized for the new labels. A plugin clip model takes part by
giving its model a ``clip_transfer_layers()`` method that returns ``(name, [modules])`` pairs in
this order (front end first, the output layer left out).

Kept layers are frozen (``--freeze-kept``, the default: their weights and batch-norm statistics
stay the pretrained ones and they stay in eval mode while the rest trains) or trained with the
rest (``--fine-tune``, fastai's ``fine_tune`` without its frozen first epoch). Architecture
parameters given with ``-a`` override the pretrained model's where they leave the kept layers'
shapes alone (the masks, dropout, pooling); one that changes a kept layer's shape is refused in
one line naming the layer. The new data must have the pretrained model's sample rate (a clip
model has no resampling layer): ``hark resample`` them first.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from hark.errors import HarkError, ParameterError

ClipLayers = list[tuple[str, list[nn.Module]]]


def clip_layers(model: nn.Module) -> ClipLayers:
    """The front end and then every layer of a clip model that transfer can keep, in order."""
    from hark.models.resnet import ResNetClipModel

    if hasattr(model, "clip_transfer_layers"):
        return list(model.clip_transfer_layers())
    if not isinstance(model, ResNetClipModel):
        raise HarkError(f"transfer cannot take layers of a {type(model).__name__} (it offers no clip_transfer_layers())")
    layers: ClipLayers = [("front_end", [model.front_end, model.input_norm]), ("stem", [model.stem])]
    layers += [(f"block{i + 1}", [block]) for i, block in enumerate(model.blocks)]
    return layers


def _layer_names(layers: ClipLayers) -> str:
    names = [name for name, _ in layers[1:]]
    return ", ".join(names[:3] + ["..."] + names[-1:]) if len(names) > 5 else ", ".join(names) or "none"


def plan_clip_transfer(models: Sequence[str | Path], keep_layers: int, given_params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(architecture, its parameters) of a clip model started from the trained clip model
    ``models[0]`` (checked: one clip model, with at least ``keep_layers`` layers, its best
    checkpoint, else its last, readable); ``given_params`` override the pretrained model's."""
    from hark.models.base import architectures
    from hark.models.store import load_model

    if len(models) != 1:
        raise ParameterError("transfer", f"{{param}} takes one clip model for clip supervision (got {len(models)}); clip models' features are not concatenated")
    folder = models[0]
    loaded = load_model(folder)  # a folder that is not a model, or holds no checkpoint, fails here
    config = loaded.config
    if config.kind != "clip":
        raise HarkError(f"{folder}: a frame model ({config.architecture}); a clip model transfers from a clip model (resnet)")
    if getattr(architectures.get(config.architecture), "made_by", None):
        raise HarkError(f"{folder}: a {config.architecture} model, made from other models; transfer from one of those")
    layers = clip_layers(loaded.module)
    if keep_layers > len(layers) - 1:
        raise ParameterError(
            "keep_layers", f"{{param}} {keep_layers}: {folder} ({config.architecture}) has {len(layers) - 1} layers to keep ({_layer_names(layers)})"
        )
    return config.architecture, {**config.architecture_params, **given_params}


def load_clip_body(module: nn.Module, models: Sequence[str | Path], keep_layers: int, fine_tune: bool, samplerate: int) -> None:
    """Copy the pretrained clip model's front end and first ``keep_layers`` layers (weights and
    batch-norm statistics) into ``module``, and freeze them unless ``fine_tune``."""
    from hark.models.store import load_model

    folder = models[0]
    loaded = load_model(folder)
    if loaded.config.samplerate != samplerate:
        raise HarkError(
            f"{folder}: trained on audio at {loaded.config.samplerate} Hz, the new clips are at {samplerate} Hz; "
            f"resample them first (hark resample --rate {loaded.config.samplerate})"
        )
    new, old = clip_layers(module), clip_layers(loaded.module)
    kept = new[: keep_layers + 1]
    for (name, new_modules), (_, old_modules) in zip(kept, old):
        for target, source in zip(new_modules, old_modules):
            try:
                target.load_state_dict(source.state_dict())
            except RuntimeError as error:
                first = str(error).strip().splitlines()[-1].strip()
                raise HarkError(
                    f"{folder}: its layer {name} does not fit the new model ({first}); give only architecture "
                    "parameters that leave the kept layers' shapes alone"
                ) from None
    if not fine_tune:
        for _, modules in kept:
            for layer in modules:
                freeze(layer)


def _stay_in_eval(self: nn.Module, mode: bool = True) -> nn.Module:
    return nn.Module.train(self, False)


def freeze(layer: nn.Module) -> None:
    """No gradients for ``layer``'s weights, and eval mode whatever ``train()`` asks, so its
    batch norms keep the pretrained statistics (and normalise with them) while the rest trains.

    ``train`` is replaced on each submodule as a bound method: the trainer calls the model's
    ``train()`` before every step, and a deep copy (averaged weights) binds its own copies."""
    for part in layer.modules():
        for parameter in part.parameters(recurse=False):
            parameter.requires_grad_(False)
        part.train = types.MethodType(_stay_in_eval, part)
    layer.train(False)
