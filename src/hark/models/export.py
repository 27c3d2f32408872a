"""ONNX export of a model with a dynamic batch size and audio length.

This uses the TorchScript-based exporter (``dynamo=False``), chosen by measuring both with
torch 2.13 and onnxscript 0.7 on the shipped architectures:

- ``dynamo=True`` with named ``torch.export.Dim`` s for batch and time fails: valid strided
  convolutions and pooling give lengths like ``((T - 16) // 4 - 8) // 2``, torch.export cannot
  prove its guards on such floor divisions (e.g. in ``max_pool1d`` or that a crop fits), so it
  reports a constraint violation and wants the length fixed to the example's.
- ``dynamo=True`` with ``Dim.DYNAMIC`` fails on the default convnet ("tracing inferred a
  static shape" for the time axis, because of ``max_pool1d``). With pooling rewritten as
  reshape-and-reduce it exports, but takes 4-16 s per model (against 0.5-1 s), and the
  exported resnet differed from torch by 1e-3.
- ``dynamo=False`` traces the shape arithmetic of ``nn`` layers and ``narrow`` as ONNX ops,
  so every length works; onnxruntime matches torch to 1e-6-1e-5 on inputs of other lengths
  and batch sizes (the contract tests check each architecture to 1e-4).

When torch drops the TorchScript exporter, pooling and crops must be made provable for
torch.export first (and the comparison above rerun).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from hark.errors import HarkError
from hark.models.base import FrameModel
from hark.models.channels import input_channels_of

INPUT_NAME = "audio"
OUTPUT_NAME = "logits"


def export_onnx(
    model: nn.Module,
    path: str | Path,
    example_samples: int | None = None,
    *,
    opset: int = 17,
    output_name: str = OUTPUT_NAME,
    frames: bool | None = None,
) -> Path:
    """Write ``model`` (put in eval mode) to ``path`` as ONNX: input ``audio`` ``(batch, C, samples)`` (C 1, or a model's ``input_channels``)
    of any batch size and length, output ``logits`` ``(batch, n_outputs[, frames])``.

    ``example_samples`` is the length traced (default: two context windows of a frame model,
    else 4096 samples); any other length works with the exported model. ``output_name`` names
    the output and ``frames`` says whether its last axis is time (default: for a frame model),
    for a wrapper such as :class:`HiddenLayer`.
    """
    path = Path(path)
    if getattr(model, "needs_video", False):  # the graph's one input is audio: the movie's frames would be lost
        raise HarkError(f"{type(model).__name__} reads a movie's frames beside the audio; it cannot be exported to ONNX (run it with torch)")
    if example_samples is None:
        if isinstance(model, FrameModel):
            example_samples = 2 * model.context + 3 * model.stride
        else:
            example_samples = max(4096, 2 * getattr(model, "min_samples", 0))
    example = torch.zeros(2, input_channels_of(model), example_samples).uniform_(-0.5, 0.5)
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            # the TorchScript exporter warns that it is deprecated (see above)
            warnings.simplefilter("ignore")
            frames = isinstance(model, FrameModel) if frames is None else frames
            output_axes = {0: "batch", 2: "frames"} if frames else {0: "batch"}
            torch.onnx.export(
                model,
                (example,),
                str(path),
                dynamo=False,
                input_names=[INPUT_NAME],
                output_names=[output_name],
                dynamic_axes={INPUT_NAME: {0: "batch", 2: "samples"}, output_name: output_axes},
                opset_version=opset,
            )
    finally:
        model.train(was_training)
    return path


class HiddenLayer(nn.Module):
    """A frame model whose output is its hidden layer ``layer`` (``forward_hidden``), ``(batch, units, frames)``:
    what ``hark embed`` exports (:mod:`hark.embed.engine`). Layers after it are left out of the export."""

    def __init__(self, model: FrameModel, layer: str):
        super().__init__()
        self.model = model
        self.layer = layer
        self.train(model.training)  # export_onnx restores the wrapper's mode, and with it the model's

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.model.forward_hidden(audio)[self.layer]


PARITY_TOLERANCE = 1e-4
"""Largest absolute difference an export may show against torch on its check input (freeze, embed)."""


def onnx_parity(ort, path: Path, reference, audio: torch.Tensor, what: str = "the export") -> float:
    """The largest absolute difference between the ONNX file ``path`` run by onnxruntime (``ort``,
    on the CPU) and ``reference(audio)`` in torch (a numpy array), on ``audio`` (B, C, samples);
    a HarkError naming ``what`` when onnxruntime cannot run it or the shapes differ."""
    import numpy as np

    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: audio.numpy()})[0]
    except Exception as err:  # noqa: BLE001 - onnxruntime's own exception types
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise HarkError(f"onnxruntime cannot run {what} on {audio.shape[2]} samples ({first[:200]})") from None
    with torch.inference_mode():
        expected = reference(audio)
    if got.shape != expected.shape:
        raise HarkError(f"{what} gives outputs of shape {got.shape} where torch gives {expected.shape}")
    return float(np.max(np.abs(got - expected))) if got.size else 0.0
