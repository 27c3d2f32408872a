"""``freeze_model``: export a checkpoint and its output activation to ``MODEL/frozen.onnx``.

The export has dynamic batch and time axes, so one file classifies recordings of any length
in batches of any size. Before it replaces an earlier export it is checked: onnxruntime must
reproduce torch's probabilities (to 1e-4) on an input of another length and batch size than
the example it was traced with, which catches an axis the exporter silently fixed.
``frozen.json`` beside it records the checkpoint's step, its temperature (the calibration,
divided into the logits inside the exported graph) and the configuration's digest, so a
later configuration, a better checkpoint or a new calibration shows the export to be stale.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import torch

from hark import __version__
from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_path, atomic_write_text
from hark.infer.engines import FROZEN_INFO, FROZEN_MODEL, WithActivation, checked_checkpoint, import_onnxruntime, spec_of
from hark.models.channels import input_channels_of
from hark.models.export import PARITY_TOLERANCE, onnx_parity
from hark.models.store import load_model, temperature_of

OPSET = 17


def freeze_model(folder: str | Path, checkpoint: str | int | Path | None = None) -> Path:
    """Export ``folder``'s model (the best checkpoint by default) to ``folder/frozen.onnx``; returns its path."""
    folder = Path(folder)
    loaded = load_model(folder, checked_checkpoint(checkpoint))
    if getattr(loaded.module, "needs_video", False):  # an ONNX graph of audio alone would lose the movie's pictures
        raise HarkError(f"{folder}: a video model reads a movie beside the audio and cannot be frozen for onnxruntime; hark classify runs it with torch")
    temperature = temperature_of(folder, loaded.step)
    spec = spec_of(folder, loaded.config, loaded.module, loaded.step, temperature)
    wrapped = WithActivation(loaded.module, loaded.config.overlapped, temperature).eval()
    ort = import_onnxruntime()
    example_length, check_length = _lengths(spec.kind, spec.context, spec.stride, spec.samplerate)
    generator = torch.Generator().manual_seed(0)
    channels = input_channels_of(loaded.module)  # a model of several channels: (batch, C, samples)
    example = 0.1 * torch.randn(2, channels, example_length, generator=generator)
    check = 0.1 * torch.randn(3, channels, check_length, generator=generator)
    target = folder / FROZEN_MODEL
    with atomic_path(target) as tmp:
        _export(wrapped, example, tmp, frames=spec.kind == "frame")
        difference = onnx_parity(ort, tmp, lambda audio: wrapped(audio).numpy(), check, "the ONNX export")
        if not difference <= PARITY_TOLERANCE:  # also catches NaN
            raise ParameterError(
                "engine",
                f"{folder}: the ONNX export disagrees with torch by {difference:.3g} (> {PARITY_TOLERANCE:g}) on "
                f"{check_length} samples; this architecture cannot be frozen faithfully, use {{param}} torch",
            )
    info = {
        "hark_version": __version__,
        "step": loaded.step,
        "checkpoint": loaded.checkpoint.name,
        "config_digest": spec.config_digest,
        "kind": spec.kind,
        "context": spec.context,
        "stride": spec.stride,
        "samplerate": spec.samplerate,
        "output_names": list(spec.output_names),
        "overlapped": spec.overlapped,
        "temperature": temperature,
        "opset": OPSET,
        "parity_max_abs_difference": float(difference),
        "parity_input_samples": check_length,
    }
    atomic_write_text(folder / FROZEN_INFO, json.dumps(info, indent=2) + "\n")
    return target


def _lengths(kind: str, context: int, stride: int, samplerate: int) -> tuple[int, int]:
    """The traced example's length and a different one (not a whole number of strides) to check."""
    if kind == "clip":
        return samplerate // 2 + 17, samplerate + 301
    return context + 7 * stride, context + 13 * stride + max(stride // 2, 1)


def _export(model: torch.nn.Module, example: torch.Tensor, path: Path, frames: bool) -> None:
    # The TorchScript exporter (dynamo=False) with declared dynamic axes, not torch.export's
    # (dynamo=True): measured with torch 2.13 on the shipped convnet, dynamo=True with named
    # Dims for batch and time silently specialised the time axis to the example's length (the
    # export then refused every other length), and with Dim.DYNAMIC it failed outright
    # ("tracing inferred a static shape"), because the guards on the floor divisions of
    # strided valid convolutions cannot be proven. Tracing records the shape arithmetic as
    # ONNX ops instead, exports in well under a second, and the parity check afterwards
    # proves the result on another length.
    output_axes = {0: "batch", 2: "frames"} if frames else {0: "batch"}
    # Both exporters print progress, warn about their own deprecation and log about optional
    # packages (torchvision); none of it concerns the user.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), _quiet_logger("torch.onnx"):
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model, (example,), str(path), dynamo=False, input_names=["audio"], output_names=["probabilities"],
                dynamic_axes={"audio": {0: "batch", 2: "samples"}, "probabilities": output_axes}, opset_version=OPSET,
            )
        except Exception as err:  # noqa: BLE001 - the exporter raises many kinds
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise HarkError(f"the model cannot be exported to ONNX ({first[:200]})") from None


@contextlib.contextmanager
def _quiet_logger(name: str):
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


