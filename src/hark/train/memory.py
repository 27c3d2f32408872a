"""How much memory a mini-batch needs, checked before training (and classifying) starts.

A batch of clip supervision is as long as its window: 32 clips of 39 s at 44.1 kHz with a
128 ms spectrogram window at full frequency resolution need more than 20 GB, and a process
that takes more than the machine has is killed by the kernel without a word. So before any
step, :func:`estimate_memory` measures what one example costs and :func:`check_memory`
refuses, in one line with the numbers, a batch that does not fit; ``batch_size="auto"``
picks the largest batch that fits instead (:func:`fitting_batch_size`).

The estimate has three parts:

- **parameters**: the weights, their gradients and the optimiser's state (Adam keeps two
  tensors per weight, RMSprop one, SGD none or one with momentum): 4 bytes each;
- **activations**: what autograd keeps for the backward pass. One forward pass of a single
  example, at most :data:`PROBE_SAMPLES` long, is run with a hook on every tensor autograd
  saves (:func:`torch.autograd.graph.saved_tensors_hooks`, so functional operations count as
  well as modules), multiplied by :data:`ACTIVATION_FACTOR` (the gradients of the activations
  during the backward pass take about as much again), plus :data:`INTERMEDIATE_COPIES` times
  the largest tensor the pass makes (a mel front end's spectrogram is never saved but peaks
  while it is made: measured, such models peak at 3.2 to 3.5 times their saved bytes);
  convolutional models' activations grow in proportion to the input's length, so the sum is
  scaled to the window;
- **input**: the batch's samples, held as numpy and as a tensor, and augmented copies; and a
  fixed :data:`STEP_OVERHEAD` (the allocator's slack, threads' buffers).

Calibration: ``python -m benchmarks.train_memory`` runs three training steps (forward,
backward, Adam) of ``resnet`` (its own spectrogram defaults, a 32 ms window, and the mel
resnet18-quarter that clip supervision trains at 16-50 kHz) and of ``convnet`` at several
sample rates, window lengths and batch sizes, each in a fresh process, and compares the peak
resident memory (``ru_maxrss``) above what the process held before the first step with the
saved bytes and the estimate. Measured on 2026-12-07 (CPU, torch 2.13, one thread, the shared
2-core machine; 8 cases): peak over saved bytes 0.98 to 3.8 (the higher ratios for the mel
front end, whose spectrogram is never saved, and for small batches, where the fixed overhead
dominates), and every peak below the estimate (``peak/estimate`` 0.29 to 0.72), so a batch
that passes the check fits; the estimate errs high, by up to about 3 times for large batches
of full-resolution spectrograms.

Available memory is the operating system's ``MemAvailable`` (``/proc/meminfo``), the GPU's
free memory when training on one, or a declared limit (``memory_gb``, a job's declared
memory, or the environment variable ``HARK_MEMORY_GB``) less what the process holds already,
whichever is least.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from hark.errors import HarkError, ParameterError
from hark.models.channels import input_channels_of

PROBE_SAMPLES = 1 << 16
"""Longest input the probe's forward pass reads; longer windows are scaled from it."""

ACTIVATION_FACTOR = 2.5
"""Peak memory of a training step's activations over the bytes autograd saves (see the module's docstring):
the saved tensors, as much again for their gradients during the backward pass, and a margin."""

INTERMEDIATE_COPIES = 2
"""Copies of the largest tensor of the forward pass counted per example on top of the saved bytes:
intermediates that are never saved (a mel front end's spectrogram, its frames) but peak while made."""

STEP_OVERHEAD = 128_000_000
"""Bytes a training step takes whatever its size: the allocator's and threads' buffers, the loss and its graph."""

INPUT_COPIES = 4
"""Copies of a batch's samples alive at once: the numpy batch, an augmented copy, the tensor and its channel view."""

OPTIMIZER_STATES = {"adam": 2, "adamw": 2, "sgd": 1, "rmsprop": 1, "adadelta": 2, "adagrad": 1, "adamax": 2, "nadam": 2}
"""Tensors the optimiser keeps per weight (SGD: momentum's, at most)."""

MEMORY_ENV = "HARK_MEMORY_GB"
"""Environment variable: the memory hark may use, in GB (a job's or a test's limit)."""

GB = 1e9


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training step needs: fixed (weights, gradients, optimiser state) and per example."""

    parameters: int
    activations_per_example: int
    input_per_example: int
    samples: int  # of one example's input

    @property
    def per_example(self) -> int:
        return self.activations_per_example + self.input_per_example

    def batch_bytes(self, batch_size: int) -> int:
        return self.parameters + batch_size * self.per_example


def estimate_memory(module: nn.Module, samples: int, optimizer: str = "adam", training: bool = True) -> MemoryEstimate:
    """What a batch of inputs ``samples`` long costs ``module`` (see the module's docstring).

    ``training`` False: inference only (no gradients, no optimiser, no activations kept
    beyond the largest layer's: a quarter of the training figure is a safe bound).
    """
    weights = sum(p.numel() for p in module.parameters())
    states = (2 + OPTIMIZER_STATES.get(optimizer, 2)) if training else 1
    # a frame model must see at least its receptive field; a clip model at least one spectrogram window
    shortest = max(int(getattr(module, "context", 0) or 0), int(getattr(module, "min_samples", 0) or 0), 1)
    probe = max(1, min(samples, max(PROBE_SAMPLES, shortest)))
    saved, largest = _forward_bytes(module, probe)
    activations = (saved * ACTIVATION_FACTOR + largest * INTERMEDIATE_COPIES) * samples / probe
    if not training:
        activations /= 4
    inputs = INPUT_COPIES * 4 * samples * input_channels_of(module)  # each example's samples, in every channel it reads
    return MemoryEstimate(4 * weights * states + STEP_OVERHEAD, int(activations), inputs, samples)


def _output_bytes(module: nn.Module, samples: int) -> int:
    """Bytes autograd saves for the backward pass in one forward pass of one example ``samples`` long."""
    return _forward_bytes(module, samples)[0]


class _LargestResult(TorchFunctionMode):
    """Records the largest tensor any torch function returns (a front end's spectrogram, say)."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for tensor in result if isinstance(result, (tuple, list)) else (result,):
            if isinstance(tensor, torch.Tensor) and tensor.device.type != "meta":
                self.largest = max(self.largest, tensor.numel() * tensor.element_size())
        return result


def _forward_bytes(module: nn.Module, samples: int) -> tuple[int, int]:
    """Bytes autograd saves for the backward pass in one forward pass of one example ``samples``
    long, and the largest tensor the pass makes (saved or not: a spectrogram that a mel front end
    reduces at once is never saved, but is alive while it is made).

    Saved bytes are counted with :func:`torch.autograd.graph.saved_tensors_hooks`, each storage
    once, so that functional operations between modules count as well as the modules' own.
    """
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.device.type != "meta":
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    was_training = module.training
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    weights = {p.untyped_storage().data_ptr() for p in module.parameters()}
    try:
        module.eval()  # batch norm of one example: eval mode keeps its statistics untouched
        largest = _LargestResult()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor), largest:
            output = module(torch.zeros(1, input_channels_of(module), samples, device=device))
        del output
    finally:
        module.train(was_training)
    return sum(size for pointer, size in seen.items() if pointer not in weights), largest.largest


def available_memory(device: torch.device | str = "cpu", limit_gb: float | None = None) -> tuple[int | None, str]:
    """Bytes this process may still take, and where the figure comes from (naming the parameter
    ``{memory_gb}``, for :class:`ParameterError`'s phrasing); (None, why) when unknown."""
    if str(device) == "auto":  # as the trainer chooses
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    candidates: list[tuple[int, str]] = []
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        candidates.append((int(free), f"free on {torch.cuda.get_device_name(device)}"))
    else:
        system = _mem_available()
        if system is not None:
            candidates.append((system, "available on this machine (MemAvailable)"))
    env = os.environ.get(MEMORY_ENV)
    if limit_gb is None and env:
        try:
            limit_gb = float(env)
        except ValueError:
            raise HarkError(f"{MEMORY_ENV}={env!r}: expected a number of GB") from None
        source = f"of the {limit_gb:g} GB {MEMORY_ENV} allows"
    else:
        source = f"of the {limit_gb:g} GB {{memory_gb}} allows" if limit_gb is not None else ""
    if limit_gb is not None:
        held = _resident_bytes() if device.type != "cuda" else int(torch.cuda.memory_allocated(device))
        candidates.append((max(int(limit_gb * GB) - held, 0), f"left {source} ({held / GB:.2f} GB already in use)"))
    if not candidates:
        return None, "unknown"
    return min(candidates)


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil  # optional: macOS and Windows have no /proc

        return int(psutil.virtual_memory().available)
    except ImportError:
        return None


def _resident_bytes() -> int:
    """This process's resident memory now (``/proc/self/statm``), else its peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def fitting_batch_size(estimate: MemoryEstimate, available: int, largest: int) -> int:
    """The largest batch of at most ``largest`` examples that fits in ``available`` bytes (0: not even one)."""
    room = available - estimate.parameters
    if room < estimate.per_example:
        return 0
    return int(min(largest, room // max(estimate.per_example, 1)))


def check_memory(
    estimate: MemoryEstimate,
    batch_size: int,
    samplerate: int,
    device: torch.device | str = "cpu",
    limit_gb: float | None = None,
    what: str = "training",
) -> None:
    """A one-line ParameterError (``batch_size``) when a batch does not fit, with the numbers and what to change."""
    available, source = available_memory(device, limit_gb)
    if available is None:
        return
    need = estimate.batch_bytes(batch_size)
    if need <= available:
        return
    fits = fitting_batch_size(estimate, available, batch_size)
    seconds = estimate.samples / samplerate
    change = (
        f"lower {{param}} to {fits} (or auto)" if fits else
        f"even a batch of one ({{param}} 1) does not fit: shorten the window ({seconds:.3g} s; clip_window_s for clip supervision)"
    )
    raise ParameterError(
        "batch_size",
        f"{what} needs about {need / GB:.2f} GB for a batch of {batch_size} window{'s' if batch_size != 1 else ''} of {seconds:.3g} s "
        f"({estimate.per_example / GB:.3f} GB each, {estimate.parameters / GB:.3f} GB of weights and optimiser state) "
        f"but {available / GB:.2f} GB is {source}; {change}, or make the spectrogram smaller (a narrower band: low_hz/high_hz, a longer stride_ms, a shorter window_ms)",
        others=("memory_gb",),
    )


def choose_batch_size(estimate: MemoryEstimate, largest: int, samplerate: int, device: torch.device | str = "cpu", limit_gb: float | None = None) -> int:
    """``batch_size="auto"``: the largest batch up to ``largest`` that fits; a ParameterError when none does."""
    available, _ = available_memory(device, limit_gb)
    if available is None:
        return largest
    fits = fitting_batch_size(estimate, available, largest)
    if fits == 0:
        check_memory(estimate, 1, samplerate, device, limit_gb)  # raises, with the numbers
    return fits


def check_inference_memory(
    module: nn.Module, samples: int, batch_size: int, samplerate: int, device: torch.device | str = "cpu", hint: str = ""
) -> None:
    """Before classifying: a one-line HarkError when ``batch_size`` inputs ``samples`` long do not
    fit (no gradients, no optimiser: :func:`estimate_memory` with ``training`` False); ``hint``
    says what to change. The limit is the machine's, the GPU's or ``HARK_MEMORY_GB`` (a job's)."""
    estimate = estimate_memory(module, samples, training=False)
    available, source = available_memory(device)
    need = estimate.batch_bytes(batch_size)
    if available is None or need <= available:
        return
    raise HarkError(
        f"classifying needs about {need / GB:.2f} GB for {batch_size} window{'s' if batch_size != 1 else ''} of "
        f"{samples / samplerate:.3g} s at a time, but {available / GB:.2f} GB is {source}; {hint or 'free memory, or use a machine with more'}"
    )
