"""Level-independent spectrograms: per-channel energy normalisation and a noise-floor ratio.

Both divide each frequency bin by a *background*, its own power smoothed over neighbouring
frames, so that a recording's gain, its microphone's frequency response and a steady noise
floor cancel out:

- :func:`pcen`: per-channel energy normalisation (Wang et al. 2017, "Trainable frontend for
  robust and far-field keyword spotting"; librosa's ``pcen``):
  ``(E / (eps + M) ** gain + bias) ** exponent - bias ** exponent``, ``M`` the smoothed energy;
- :func:`noise_floor_ratio`: ``log E - B``, ``B`` the smoothed *log* power (the background's
  geometric mean, which a few loud calls move less than their arithmetic mean): the log of
  each bin's power over its background, exactly unchanged by any gain.

The papers' smoother is a first-order recursive (IIR) filter, ``M[t] = (1 - s) M[t-1] + s E[t]``,
run over the whole recording: every frame would depend on all the audio before it, which
breaks hark's frame contract (a long chunk classified in one pass equals each context window
classified alone) and makes chunked classification differ from whole-file. Here the smoother
is a bounded FIR filter applied *valid* (no padding): output frame ``t`` depends on the input
frames ``[t, t + span)`` only, so a model's context simply grows by ``span - 1`` hops, and
chunked and whole-file classification, ``hark stream`` and ONNX export need nothing more.

The kernel is *two-sided*, ``a ** |k|`` for ``|k| <= half`` (``a = 1 - s``; ``span = 2 half + 1``),
the IIR's impulse response run forward and backward (as a zero-phase filter), truncated and
normalised to sum 1. Two-sided rather than causal because a frame model's output describes the
*centre* of its context (:mod:`hark.models.base`): with a causal background the context would
grow before the spectrogram frame only, and the frame labelled at the context's centre would
lie ``span / 2`` hops before the frame the network actually sees. It also treats a call's
onset and offset alike. Each side is computed by repeated doubling,
``S_2L[t] = S_L[t + L] + a**L S_L[t]``, in about ``2 log2(half)`` shifted additions per frame
(rather than ``span`` multiplications), which exports to ONNX as slices, muls and adds; the
slices count from the ends of the tensor, so one traced graph serves every length. With
``half`` three time constants the truncation drops 5 % of the kernel's weight.

Every function here takes ``(..., frames)`` tensors and works along the last axis.
"""

from __future__ import annotations

import math

import torch

PCEN_EPS = 1e-12
"""Added to the smoothed energy before its power: -120 dB re a full-scale sinusoid's bin power
(0.25), below the noise floor of real recordings, so a quiet recording is still normalised."""


def smoothing_coefficient(time_constant_frames: float) -> float:
    """The IIR smoothing coefficient ``s`` of a time constant in frames (librosa's ``pcen`` rule)."""
    t = float(time_constant_frames)
    if t <= 0:
        raise ValueError(f"time constant {t:g} frames must be positive")
    return (math.sqrt(1 + 4 * t * t) - 1) / (2 * t * t)


def smoother_span(time_constant_frames: float, time_constants: float = 3.0) -> int:
    """Frames the two-sided smoother covers: ``time_constants`` time constants on each side of the centre."""
    return 2 * int(round(time_constants * time_constant_frames)) + 1


def exponential_weights(coefficient: float, span: int) -> torch.Tensor:
    """The smoother's taps ``a ** |k - span // 2|`` for ``k < span`` (odd), normalised to sum 1 (float64)."""
    _check_span(span)
    decay = 1.0 - coefficient
    half = span // 2
    taps = decay ** (torch.arange(span, dtype=torch.float64) - half).abs()
    return taps / taps.sum()


def _check_span(span: int) -> None:
    if span < 1 or span % 2 == 0:
        raise ValueError(f"smoother span {span} must be an odd number of frames")


def decayed_sums(x: torch.Tensor, decay: float, length: int, newest_last: bool = True) -> torch.Tensor:
    """Valid sums of ``length`` frames along the last axis, weighted by powers of ``decay``.

    ``newest_last``: output ``t`` is ``sum_k decay**k x[t + length - 1 - k]`` (weight 1 on the
    window's last frame); else ``sum_k decay**k x[t + k]`` (weight 1 on its first). Computed
    by binary doubling; an input shorter than ``length`` gives no frames.
    """
    result, result_length = None, 0
    block, block_length = x, 1
    remaining = length
    while remaining:
        if remaining & 1:
            if result is None:
                result, result_length = block, block_length
            elif newest_last:  # the new block lies before the result: it decays by decay**result_length
                result = result[..., block_length:] + decay**result_length * block[..., :-result_length]
                result_length += block_length
            else:  # the new block lies after the result
                result = result[..., :-block_length] + decay**result_length * block[..., result_length:]
                result_length += block_length
        remaining >>= 1
        if remaining:
            if newest_last:
                block = block[..., block_length:] + decay**block_length * block[..., :-block_length]
            else:
                block = block[..., :-block_length] + decay**block_length * block[..., block_length:]
            block_length *= 2
    return result


def exponential_smoother(x: torch.Tensor, coefficient: float, span: int) -> torch.Tensor:
    """Valid two-sided exponential smoothing along the last axis: ``frames - span + 1`` outputs.

    Output ``t`` is ``sum_k w[k] x[t + k]`` with the taps of :func:`exponential_weights`,
    centred on input frame ``t + span // 2``.
    """
    _check_span(span)
    half = span // 2
    if half == 0:
        return x
    decay = 1.0 - coefficient
    past = decayed_sums(x, decay, half + 1, newest_last=True)[..., :-half]  # frames t .. t + half
    future = decayed_sums(x, decay, half + 1, newest_last=False)[..., half:]  # frames t + half .. t + 2 half
    side = (1.0 - decay ** (half + 1)) / (1.0 - decay) if decay != 1.0 else float(half + 1)
    return (past + future - x[..., half:-half]) * (1.0 / (2.0 * side - 1.0))


def centre_frames(x: torch.Tensor, span: int) -> torch.Tensor:
    """The frames the valid smoother's outputs are centred on: ``x`` less ``span // 2`` at each end."""
    half = span // 2
    return x[..., half:-half] if half else x


def pad_edges(x: torch.Tensor, frames: int) -> torch.Tensor:
    """``x`` with its first and last frames repeated ``frames`` times (a valid smoother then keeps the length)."""
    if frames <= 0:
        return x
    ones = x.new_ones(frames)
    return torch.cat([x[..., :1] * ones, x, x[..., -1:] * ones], dim=-1)


def pcen(
    power: torch.Tensor,
    coefficient: float,
    span: int,
    gain: float = 0.98,
    bias: float = 2.0,
    exponent: float = 0.5,
    eps: float = PCEN_EPS,
) -> torch.Tensor:
    """Per-channel energy normalisation of ``power`` ``(..., frames)``: ``frames - span + 1`` frames.

    ``(E / (eps + M) ** gain + bias) ** exponent - bias ** exponent`` where ``E`` is the
    centre frame of each output's ``span`` frames and ``M`` their smoothed energy (librosa's
    ``gain``, ``bias`` and ``power``; ``exponent`` here, as power means the energy).
    """
    smooth = exponential_smoother(power, coefficient, span)
    ratio = centre_frames(power, span) / (eps + smooth) ** gain
    if bias == 0:
        return ratio**exponent
    return (ratio + bias) ** exponent - bias**exponent


def noise_floor_ratio(log_power: torch.Tensor, coefficient: float, span: int) -> torch.Tensor:
    """``log_power`` minus its smoothed background: ``frames - span + 1`` frames.

    The log of each bin's power over the geometric mean of its power around it: 0 for a
    steady background whatever its level, the call's level above the background elsewhere.
    """
    return centre_frames(log_power, span) - exponential_smoother(log_power, coefficient, span)
