"""Running a model folder on audio: through torch (a checkpoint) or onnxruntime (``frozen.onnx``).

Both engines take a batch of float32 audio ``(batch, samples)`` (a model of several channels:
``(batch, C, samples)``) and return *probabilities*
(the model's logits, divided by the checkpoint's temperature from ``calibration.json``,
through its output activation): ``(batch, outputs, frames)`` for a frame model,
``(batch, outputs)`` for a clip model. The ONNX export holds the same division, so both
engines give the same calibrated probabilities. What they run on is described by a
:class:`ModelSpec`, which is all the rest of ``hark.infer`` needs to know about a model.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch import nn

from hark.errors import HarkError, ParameterError
from hark.models.store import ModelConfig, best_step, list_checkpoints, load_config, load_model, temperature_of

FROZEN_MODEL = "frozen.onnx"
FROZEN_INFO = "frozen.json"
EngineName = Literal["auto", "torch", "onnx"]


@dataclass(frozen=True)
class ModelSpec:
    """What inference needs to know about a model: its geometry, outputs and provenance."""

    folder: str
    kind: Literal["frame", "clip"]
    samplerate: int
    output_names: tuple[str, ...]
    overlapped: bool
    context: int  # samples one output frame sees (0 for clip models)
    stride: int  # samples between output frames (0 for clip models)
    step: int  # the checkpoint's training step
    config_digest: str
    temperature: float = 1.0  # what the logits are divided by (the checkpoint's calibration)

    def frames(self, n_samples: int) -> int:
        """Output frames of ``n_samples`` samples: one for a clip model, the contract's count else."""
        if self.kind == "clip":
            return 1
        return 0 if n_samples < self.context else (n_samples - self.context) // self.stride + 1


class Engine(Protocol):
    """Maps audio ``(batch, samples)`` to probabilities; ``name`` and ``device`` say how."""

    spec: ModelSpec
    name: str
    device: str

    def __call__(self, audio: np.ndarray) -> np.ndarray: ...


def config_digest(config: ModelConfig) -> str:
    """A fingerprint of what the model is, to tell a frozen export of another configuration."""
    # How it was trained (steps, learning rate) is not what it is: training longer in the same
    # folder makes new checkpoints, told apart by their step, of the same model.
    canonical = json.dumps(config.model_dump(mode="json", exclude={"hark_version", "training"}), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class WithActivation(nn.Module):
    """A model followed by its calibration and output activation: the logits divided by the
    temperature, then a softmax over exclusive outputs, a sigmoid else."""

    def __init__(self, model: nn.Module, overlapped: bool, temperature: float = 1.0):
        super().__init__()
        self.model = model
        self.overlapped = overlapped
        self.temperature = float(temperature)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return activated(self.model(audio), self.overlapped, self.temperature, dim=1)


def activated(logits: torch.Tensor, overlapped: bool, temperature: float, dim: int) -> torch.Tensor:
    """Probabilities from logits whose outputs lie along ``dim``: divided by the temperature, then a
    sigmoid for overlapped outputs, a softmax over exclusive ones."""
    if temperature != 1.0:  # an uncalibrated model exports the same graph as before
        logits = logits / temperature
    return torch.sigmoid(logits) if overlapped else torch.softmax(logits, dim=dim)


def spec_of(folder: str | Path, config: ModelConfig, module: Any, step: int, temperature: float = 1.0) -> ModelSpec:
    # The built module is authoritative for the geometry; the config's copy serves onnx.
    context = int(getattr(module, "context", config.context)) if config.kind == "frame" else 0
    stride = int(getattr(module, "stride", config.stride)) if config.kind == "frame" else 0
    if config.kind == "frame" and (context < 1 or stride < 1):
        raise HarkError(f"{folder}: the configuration gives no context and stride for this frame model")
    return ModelSpec(
        str(Path(folder).resolve()), config.kind, config.samplerate, tuple(config.output_names),
        config.overlapped, context, stride, step, config_digest(config), float(temperature),
    )


def resolve_device(device: str) -> str:
    """``auto``: the GPU when torch sees one, else the CPU; an unavailable GPU is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError("device", f"{{param}} {device}: no CUDA GPU is available to torch here (use {{param}} cpu)")
    if device != "cpu" and not device.startswith("cuda"):
        raise ParameterError("device", f"{{param}} {device!r}: expected auto, cpu, cuda or cuda:N")
    return device


class TorchEngine:
    """A checkpoint run by torch, batched, in inference mode."""

    name = "torch"

    def __init__(self, folder: str | Path, checkpoint: str | int | Path | None = None, device: str = "auto"):
        loaded = load_model(folder, checkpoint)
        temperature = temperature_of(folder, loaded.step)
        self.spec = spec_of(folder, loaded.config, loaded.module, loaded.step, temperature)
        self.checkpoint = loaded.checkpoint
        self.device = resolve_device(device)
        self.model = loaded.module.eval()  # as built, for what needs its layers (hark.infer.stream)
        module = WithActivation(fused_for_inference(loaded.module), loaded.config.overlapped, temperature)
        self.module = module.eval().to(self.device)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            batch = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)).to(self.device)
            try:
                return self.module(batch if batch.ndim == 3 else batch[:, None, :]).float().cpu().numpy()
            except torch.cuda.OutOfMemoryError:
                raise ParameterError("chunk_seconds", f"the GPU ran out of memory on {audio.shape[1]} samples; lower {{param}}") from None


def fused_for_inference(module: nn.Module) -> nn.Module:
    """``module`` with each BatchNorm folded into the convolution before it, where torch.fx can trace it.

    In eval mode a batch norm is a fixed affine map, so folding changes results by rounding
    only (~1e-7) and saves a pass over every activation: 30-40% of the time of a convnet on
    the CPU (onnxruntime folds the same way by itself). A model fx cannot trace runs as is.
    """
    with warnings.catch_warnings():  # the module imports torch.utils.mkldnn, which warns of torch.jit's deprecation
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch.fx.experimental.optimization import fuse

    try:
        return fuse(module.eval())
    except Exception:  # noqa: BLE001 - symbolic tracing fails in many ways on dynamic code
        return module


class OnnxEngine:
    """``MODEL/frozen.onnx`` run by onnxruntime (the CUDA provider when there is one)."""

    name = "onnx"

    def __init__(self, folder: str | Path, device: str = "auto", threads: int = 0):
        folder = Path(folder)
        config = load_config(folder)
        info = read_frozen_info(folder, config)
        ort = import_onnxruntime()
        available = ort.get_available_providers()
        if device == "auto":
            device = "cuda" if "CUDAExecutionProvider" in available else "cpu"
        if device.startswith("cuda"):
            if "CUDAExecutionProvider" not in available:
                raise ParameterError("device", f"{{param}} {device}: onnxruntime here has no CUDA provider (use {{param}} cpu or {{engine}} torch)", others=("engine",))
            index = int(device.partition(":")[2] or 0)
            providers: list = [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]
        elif device == "cpu":
            providers = ["CPUExecutionProvider"]
        else:
            raise ParameterError("device", f"{{param}} {device!r}: expected auto, cpu, cuda or cuda:N")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.log_severity_level = 3  # onnxruntime's warnings are not the user's business
        # No memory pattern: onnxruntime would keep a planned block per input shape and per
        # concurrent run beside its arena; without it the USV calls detector with two chunks in
        # flight peaked 55-80 MB lower (of 490-520 MB), at the same CPU time and the same rows
        # bit for bit (docs/performance.md, "Memory at 250 and 500 kHz").
        options.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(str(folder / FROZEN_MODEL), options, providers=providers)
        except Exception as err:  # onnxruntime raises its own exception types  # noqa: BLE001
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise HarkError(f"{folder / FROZEN_MODEL}: not a loadable ONNX model ({first[:200]}); run hark freeze {folder}") from None
        self.input_name = self.session.get_inputs()[0].name
        self.device = device
        self.threads = options.intra_op_num_threads
        self.checkpoint = None
        # the geometry the export was made with (the config's copy may predate it)
        geometry = SimpleNamespace(context=info.get("context", config.context), stride=info.get("stride", config.stride))
        self.spec = spec_of(folder, config, geometry, int(info["step"]), float(info.get("temperature", 1.0)))

    def with_threads(self, threads: int) -> OnnxEngine:
        """This export on ``threads`` intra-op threads: itself when it runs so already, else opened
        again (onnxruntime fixes a session's threads when it opens it)."""
        if threads == self.threads:
            return self
        return OnnxEngine(self.spec.folder, self.device, threads)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(audio, dtype=np.float32)
        batch = batch if batch.ndim == 3 else batch[:, None, :]  # (batch, C, samples) for a model of several channels
        return self.session.run(None, {self.input_name: batch})[0]


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise HarkError("the onnx engine needs onnxruntime (pip install onnxruntime, or onnxruntime-gpu)") from None
    return onnxruntime


def read_frozen_info(folder: Path, config: ModelConfig) -> dict[str, Any]:
    """``frozen.json``, checked against the model's configuration (a stale export is an error)."""
    model_path, info_path = folder / FROZEN_MODEL, folder / FROZEN_INFO
    if not model_path.is_file() or not info_path.is_file():
        raise ParameterError("engine", f"{folder}: has no frozen model; run hark freeze {folder} first (or use {{param}} torch)")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        int(info["step"])
    except (ValueError, KeyError, TypeError):
        raise HarkError(f"{info_path}: unreadable; run hark freeze {folder} again") from None
    if info.get("config_digest") != config_digest(config):
        raise HarkError(f"{model_path} was exported from another configuration of the model; run hark freeze {folder} again")
    exported, calibrated = float(info.get("temperature", 1.0)), temperature_of(folder, int(info["step"]))
    if not math.isclose(exported, calibrated, rel_tol=1e-9):
        raise HarkError(
            f"{model_path} was exported with temperature {exported:.6g}, but the calibration of step {info['step']} "
            f"is now {calibrated:.6g}; run hark freeze {folder} again"
        )
    return info


def default_step(folder: Path) -> int | None:
    """The step ``load_model(folder)`` would load: the best by ``hark accuracy``, else the last."""
    steps = [step for step, _ in list_checkpoints(folder)]
    if not steps:
        return None
    best = best_step(folder)
    return best if best in steps else steps[-1]


def choose_engine(
    folder: str | Path, engine: EngineName, checkpoint: str | int | Path | None, device: str = "auto"
) -> Literal["torch", "onnx"]:
    """``auto``: the frozen model when it is up to date with the checkpoint that would be used,
    onnxruntime can run it where torch would (a GPU needs onnxruntime's CUDA provider), and it
    was not measured slower than torch on this machine (:mod:`hark.infer.auto_freeze`); else torch.
    """
    if engine in ("torch", "onnx"):
        if engine == "onnx" and checkpoint not in (None, "best"):
            raise ParameterError("checkpoint", "{param} chooses weights for the torch engine; the onnx engine runs frozen.onnx as exported")
        return engine
    if engine != "auto":
        raise ParameterError("engine", f"{{param}} {engine!r}: expected auto, torch or onnx")
    folder = Path(folder)
    if checkpoint is not None or not (folder / FROZEN_MODEL).is_file():
        return "torch"
    try:
        info = read_frozen_info(folder, load_config(folder))
        ort = import_onnxruntime()
    except HarkError:
        return "torch"
    wants_gpu = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if wants_gpu and "CUDAExecutionProvider" not in ort.get_available_providers():
        return "torch"
    step = default_step(folder)
    if step is not None and step != int(info["step"]):
        return "torch"
    return "torch" if not wants_gpu and measured_slower_here(folder, info) else "onnx"


def machine_fingerprint(device: str) -> str:
    """What an engine timing depends on, to tell whether one measured elsewhere applies here."""
    return f"{platform.machine()} {platform.processor() or platform.system()} {os.cpu_count()} cpus, torch {torch.__version__}, {device}"


def measured_slower_here(folder: Path, info: dict[str, Any] | None = None) -> bool:
    """Whether ``frozen.json`` records onnxruntime as no faster than torch on this machine
    (:mod:`hark.infer.auto_freeze` times both when it exports on first use)."""
    if info is None:
        try:
            info = json.loads((folder / FROZEN_INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
    timing = info.get("timing") if isinstance(info, dict) else None
    if not isinstance(timing, dict) or timing.get("machine") != machine_fingerprint("cpu"):
        return False
    try:
        return float(timing["onnx_s"]) >= float(timing["torch_s"])
    except (KeyError, TypeError, ValueError):
        return False


def checked_checkpoint(checkpoint: str | int | Path | None) -> str | int | Path | None:
    """A checkpoint as the user may give it: a step, ``best``, ``last`` or a ``.pt`` path."""
    if checkpoint is None or isinstance(checkpoint, (int, Path)):
        return checkpoint
    text = str(checkpoint).strip()
    if text in ("best", "last") or text.endswith(".pt"):
        return text
    if text.isdigit():
        return int(text)
    raise ParameterError("checkpoint", f"{{param}} {checkpoint!r}: expected a step number, best, last or a ckpt-N.pt file")


def open_engine(
    folder: str | Path,
    checkpoint: str | int | Path | None = None,
    engine: EngineName = "auto",
    device: str = "auto",
    threads: int = 0,
) -> Engine:
    """The engine that runs ``folder``'s model; every problem with the folder is a HarkError here."""
    checkpoint = checked_checkpoint(checkpoint)
    chosen = choose_engine(folder, engine, checkpoint, device)
    if chosen == "onnx":
        return OnnxEngine(folder, device, threads)
    if threads:
        torch.set_num_threads(threads)
    return TorchEngine(folder, checkpoint, device)
