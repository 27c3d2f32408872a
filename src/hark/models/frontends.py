"""In-graph front ends: waveform, spectrogram and mel-cepstrum, optionally level-normalised.

The DSP is written as pure functions in :mod:`hark.dsp` (numpy for the matrices computed once
at build time, torch for what runs in the graph); this module holds their thin
:class:`torch.nn.Module` wrappers, in the style of torchaudio. The spectrogram is a strided
``conv1d`` whose fixed kernels are the Hann-windowed DFT basis, so that

- frame ``k`` covers exactly the input samples ``[k * hop, k * hop + window)`` (no centring,
  no padding), which keeps the frame models' receptive-field arithmetic exact;
- it exports to ONNX as a plain ``Conv`` (no FFT operator needed);
- only the bins inside ``[low_hz, high_hz]`` are computed.

The power of each bin then becomes a feature by one of three normalisations
(:class:`SpectralNormalization`): its log (``none``, the default), per-channel energy
normalisation (``pcen``) or its log ratio to a slowly tracked background (``noise_floor``).
The last two divide each bin by its own power smoothed over the frames around it, a
truncated two-sided exponential (:mod:`hark.dsp.normalize`, where the choice is argued)
applied without padding: a front-end frame then sees ``span // 2`` more hops of audio on each
side of its DFT window, which ``window`` includes, so the frame contract of
:mod:`hark.models.base` holds (and the context's centre stays the DFT window's), chunked and
whole-file classification agree, ``hark stream`` needs no state beyond the context it
already keeps and ONNX export needs no new operator. (A recursive smoother over the whole
recording would make every frame depend on all the audio before it.)

Every front end maps ``(batch, 1, T)`` audio to ``(batch, channels, frames)`` and exposes
``window`` (the samples one frame sees) and ``hop`` in samples and ``n_channels``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

# the pure functions stay importable from here too, where models and tests used to find them
from hark.dsp import (  # noqa: F401
    LOG_EPS,
    bins_in_range,
    dct_matrix,
    dft_kernels,
    hann_window,
    hz_to_mel,
    mel_filterbank,
    mel_to_hz,
    ms_to_samples,
    rfft_frequencies,
)
from hark.dsp.graph import log_power, stft_power
from hark.dsp.normalize import noise_floor_ratio, pad_edges, pcen, smoother_span, smoothing_coefficient
from hark.errors import HarkError

FrontEndKind = Literal["waveform", "spectrogram", "mel-cepstrum"]
NormalizationKind = Literal["none", "pcen", "noise_floor"]


@dataclass(frozen=True)
class SpectralNormalization:
    """How a spectrogram's power becomes features (the architectures' shared parameters).

    ``time_ms`` is the time constant of the background for ``pcen`` and ``noise_floor``;
    the smoother spans three of them on each side of a frame. ``gain``, ``bias`` and
    ``exponent`` are PCEN's alpha, delta and r (librosa's ``gain``, ``bias``, ``power``).
    """

    kind: NormalizationKind = "none"
    time_ms: float = 100.0
    gain: float = 0.98
    bias: float = 2.0
    exponent: float = 0.5

    @classmethod
    def of(cls, params) -> SpectralNormalization:
        """From an architecture's parameters (``input_normalization``, ``norm_time_ms``, ``pcen_*``)."""
        return cls(
            params.input_normalization, params.norm_time_ms, params.pcen_gain, params.pcen_bias, params.pcen_exponent
        )


# ---------------------------------------------------------------------------------------
# modules


class LogPower(nn.Module):
    """``log(power + eps)``: no normalisation (``span`` 1: each frame on its own)."""

    span = 1

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return log_power(power)


class _Smoothed(nn.Module):
    """A normalisation by a background smoothed over ``smoother_span`` frames (:mod:`hark.dsp.normalize`).

    Valid (the default): ``smoother_span - 1`` fewer frames out than in, each output from the
    ``smoother_span`` input frames centred on it (frame models). ``pad=True`` repeats the
    first and last frames ``smoother_span // 2`` times instead, keeping the frame count (clip
    models, which have no frame contract). ``span`` is what the front end's window grows by,
    in frames plus one: the smoother's span, or 1 when padded.
    """

    def __init__(self, coefficient: float, span: int, pad: bool = False):
        super().__init__()
        self.coefficient, self.pad = float(coefficient), pad
        self.span = 1 if pad else int(span)
        self.smoother_span = int(span)

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        return pad_edges(x, self.smoother_span // 2) if self.pad else x


class PCEN(_Smoothed):
    """Per-channel energy normalisation of power ``(B, F, frames)`` (Wang et al. 2017, librosa's definition)."""

    def __init__(
        self,
        coefficient: float,
        span: int,
        gain: float = 0.98,
        bias: float = 2.0,
        exponent: float = 0.5,
        pad: bool = False,
    ):
        super().__init__(coefficient, span, pad)
        self.gain, self.bias, self.exponent = float(gain), float(bias), float(exponent)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return pcen(self._input(power), self.coefficient, self.smoother_span, self.gain, self.bias, self.exponent)


class NoiseFloor(_Smoothed):
    """Log power over its slowly tracked background (its smoothed log power), per bin."""

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return noise_floor_ratio(self._input(log_power(power)), self.coefficient, self.smoother_span)


def make_normalizer(normalization: SpectralNormalization | None, hop_s: float, pad: bool = False) -> nn.Module:
    """The module turning power into features for frames ``hop_s`` seconds apart."""
    normalization = normalization or SpectralNormalization()
    if normalization.kind == "none":
        return LogPower()
    time_frames = normalization.time_ms / 1000.0 / hop_s
    coefficient, span = smoothing_coefficient(time_frames), smoother_span(time_frames)
    if normalization.kind == "pcen":
        return PCEN(coefficient, span, normalization.gain, normalization.bias, normalization.exponent, pad)
    if normalization.kind == "noise_floor":
        return NoiseFloor(coefficient, span, pad)
    raise HarkError(f"unknown input normalization {normalization.kind!r}; known: none, pcen, noise_floor")


class Waveform(nn.Module):
    """The audio itself, one channel per sample: ``window == hop == 1``."""

    window = 1
    hop = 1
    n_channels = 1

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return audio


class Spectrogram(nn.Module):
    """Features of the power ``|STFT|^2`` of Hann-windowed frames, bins in ``[low_hz, high_hz]``.

    ``fft_window`` and ``hop`` are in samples; the DFT length is the window (no zero padding).
    The features are the log power unless ``normalizer`` (from :func:`make_normalizer`) says
    otherwise; ``window``, the samples one output frame sees, includes its smoother's span.
    """

    def __init__(
        self,
        samplerate: float,
        window: int,
        hop: int,
        low_hz: float = 0.0,
        high_hz: float | None = None,
        normalizer: nn.Module | None = None,
    ):
        super().__init__()
        high_hz = samplerate / 2 if high_hz is None else high_hz
        check_frequency_range(samplerate, low_hz, high_hz)
        if window < 2 or hop < 1:
            raise HarkError(f"spectrogram window ({window} samples) must be >= 2 and its hop ({hop}) >= 1")
        bins = bins_in_range(samplerate, window, low_hz, high_hz)
        if len(bins) == 0:
            raise HarkError(
                f"no frequency bin of a {window}-sample window lies in {low_hz:g}-{high_hz:g} Hz; "
                "widen the range or lengthen the window"
            )
        self.normalizer = normalizer if normalizer is not None else LogPower()
        self.fft_window, self.hop, self.n_channels = window, hop, len(bins)
        self.window = window + hop * (self.normalizer.span - 1)
        self.frequencies = rfft_frequencies(samplerate, window)[bins]
        kernels = torch.tensor(dft_kernels(hann_window(window), bins), dtype=torch.float32)
        # a buffer, not a parameter: fixed (never trained) yet saved and moved with the model
        self.register_buffer("kernels", kernels)

    def power(self, audio: torch.Tensor) -> torch.Tensor:
        """``(B, F, (T - fft_window) // hop + 1)`` power, before any normalisation."""
        return stft_power(audio, self.kernels, self.hop)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.normalizer(self.power(audio))


def check_frequency_range(samplerate: float, low_hz: float, high_hz: float) -> None:
    nyquist = samplerate / 2
    if not 0 <= low_hz < high_hz <= nyquist + 1e-9:
        raise HarkError(
            f"frequency range {low_hz:g}-{high_hz:g} Hz must satisfy 0 <= low_hz < high_hz <= {nyquist:g} (Nyquist)"
        )


def build_front_end(
    kind: FrontEndKind,
    samplerate: float,
    window_ms: float = 6.4,
    stride_ms: float = 1.6,
    low_hz: float = 0.0,
    high_hz: float = 0.0,
    n_mels: int = 7,
    n_dct: int = 7,
    normalization: SpectralNormalization | None = None,
    pad: bool = False,
) -> nn.Module:
    """A front end from the parameters architectures share; ``high_hz == 0`` means Nyquist.

    ``pad`` keeps a normalised spectrogram's frame count (for clip models; see :class:`PCEN`).
    """
    normalization = normalization or SpectralNormalization()
    if kind == "waveform":
        if normalization.kind != "none":
            raise HarkError(
                f"input_normalization {normalization.kind} needs a spectral front end "
                "(spectrogram or mel-cepstrum), not the waveform"
            )
        return Waveform()
    window, hop = ms_to_samples(window_ms, samplerate), ms_to_samples(stride_ms, samplerate)
    high = samplerate / 2 if high_hz == 0 else high_hz
    normalizer = make_normalizer(normalization, max(hop, 1) / samplerate, pad)
    if kind == "spectrogram":
        return Spectrogram(samplerate, window, hop, low_hz, high, normalizer)
    if kind == "mel-cepstrum":
        return MelCepstrum(samplerate, window, hop, n_mels, n_dct, low_hz, high, normalizer)
    raise HarkError(f"unknown front end {kind!r}; known: waveform, spectrogram, mel-cepstrum")


# ---------------------------------------------------------------------------------------
# mel spectrogram and spectrogram masking (clip models)


def mel_power(power: torch.Tensor, mel: torch.Tensor) -> torch.Tensor:
    """Power ``(B, F, frames)`` summed into mel bands by the filterbank ``mel`` ``(n_mels, F)``: ``(B, n_mels, frames)``."""
    return torch.matmul(mel, power)


class MelSpectrogram(nn.Module):
    """Spectrogram power -> ``n_mels`` triangular mel bands over ``[low_hz, high_hz]`` -> log (or PCEN or noise-floor ratio).

    The same strided-``conv1d`` DFT as :class:`Spectrogram` (only the bins inside the band are
    computed) and the filterbank :class:`MelCepstrum` uses, without its DCT: an image of
    ``n_mels`` rows whatever the sample rate and window, so that a 44.1 kHz recording costs a
    clip model as much as a 16 kHz one. A band holding no DFT bin is refused (one line).
    ``frequencies`` are the bands' centres.
    """

    def __init__(
        self,
        samplerate: float,
        window: int,
        hop: int,
        n_mels: int,
        low_hz: float = 0.0,
        high_hz: float | None = None,
        normalizer: nn.Module | None = None,
    ):
        super().__init__()
        high_hz = samplerate / 2 if high_hz is None else high_hz
        self.spectrogram = Spectrogram(samplerate, window, hop, low_hz, high_hz)
        mel = mel_filterbank(self.spectrogram.frequencies, n_mels, low_hz, high_hz)
        empty = int((mel.sum(axis=1) == 0).sum())
        if empty:
            raise HarkError(
                f"{empty} of the {n_mels} mel bands hold no frequency bin of a {window}-sample window; "
                "use fewer n_mels, a longer window_ms or a higher low_hz"
            )
        self.normalizer = normalizer if normalizer is not None else LogPower()
        self.fft_window, self.hop, self.n_channels = window, hop, n_mels
        self.window = window + hop * (self.normalizer.span - 1)
        self.frequencies = mel_to_hz(np.linspace(hz_to_mel(low_hz), hz_to_mel(high_hz), n_mels + 2)[1:-1])
        self.register_buffer("mel", torch.tensor(mel, dtype=torch.float32))

    def power(self, audio: torch.Tensor) -> torch.Tensor:
        """``(B, n_mels, frames)`` mel-band power, before any normalisation."""
        return mel_power(self.spectrogram.power(audio), self.mel)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return self.normalizer(self.power(audio))


class MelCepstrum(MelSpectrogram):
    """Spectrogram power -> mel filterbank -> log (or PCEN or noise-floor ratio) -> DCT-II, first ``n_dct`` coefficients."""

    def __init__(
        self,
        samplerate: float,
        window: int,
        hop: int,
        n_mels: int,
        n_dct: int,
        low_hz: float = 0.0,
        high_hz: float | None = None,
        normalizer: nn.Module | None = None,
    ):
        if n_dct > n_mels:
            raise HarkError(f"n_dct ({n_dct}) must not exceed n_mels ({n_mels})")
        super().__init__(samplerate, window, hop, n_mels, low_hz, high_hz, normalizer)
        self.n_channels = n_dct
        self.register_buffer("dct", torch.tensor(dct_matrix(n_dct, n_mels), dtype=torch.float32))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        return torch.matmul(self.dct, self.normalizer(self.power(audio)))


def build_mel_front_end(
    samplerate: float,
    window_ms: float,
    stride_ms: float,
    n_mels: int,
    low_hz: float = 0.0,
    high_hz: float = 0.0,
    normalization: SpectralNormalization | None = None,
    pad: bool = False,
) -> MelSpectrogram:
    """A :class:`MelSpectrogram` from the parameters architectures share; ``high_hz == 0`` means Nyquist."""
    window, hop = ms_to_samples(window_ms, samplerate), ms_to_samples(stride_ms, samplerate)
    high = samplerate / 2 if high_hz == 0 else high_hz
    check_frequency_range(samplerate, low_hz, high)
    normalizer = make_normalizer(normalization, max(hop, 1) / samplerate, pad)
    return MelSpectrogram(samplerate, window, hop, n_mels, low_hz, high, normalizer)


def mask_stripes(x: torch.Tensor, starts: torch.Tensor, widths: torch.Tensor, dim: int, value: float = 0.0) -> torch.Tensor:
    """``x`` ``(B, F, T)`` with, for each example ``b`` and mask ``k``, the stripe
    ``[starts[b, k], starts[b, k] + widths[b, k])`` along ``dim`` (1: frequency, 2: time) set to ``value``.

    A pure function (SpecAugment's masking, Park et al. 2019): ``starts`` and ``widths`` are
    ``(B, masks)`` integer tensors; a width of 0 masks nothing.
    """
    positions = torch.arange(x.shape[dim], device=x.device)  # (L,)
    inside = (positions[None, None, :] >= starts[:, :, None]) & (positions[None, None, :] < (starts + widths)[:, :, None])
    masked = inside.any(dim=1)  # (B, L)
    masked = masked[:, :, None] if dim == 1 else masked[:, None, :]
    return x.masked_fill(masked, value)


class SpectrogramMasks(nn.Module):
    """SpecAugment-style masking of a ``(B, F, T)`` image while training; the identity in eval mode.

    ``freq_masks`` stripes of up to ``max_freq_fraction`` of the rows and ``time_masks`` of
    up to ``max_time_fraction`` of the frames, each width drawn uniformly from 0 to its
    maximum and placed uniformly, are set to 0 (the mean of the standardised image they are
    applied to). Draws come from torch's generator, which training seeds (``batch_seed``).
    Not in an exported model: ``export_onnx`` traces eval mode, where this is the identity.
    """

    def __init__(self, freq_masks: int = 0, max_freq_fraction: float = 0.15, time_masks: int = 0, max_time_fraction: float = 0.1):
        super().__init__()
        self.freq_masks, self.max_freq_fraction = int(freq_masks), float(max_freq_fraction)
        self.time_masks, self.max_time_fraction = int(time_masks), float(max_time_fraction)

    def _draw(self, x: torch.Tensor, masks: int, fraction: float, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
        size = x.shape[dim]
        widest = int(fraction * size)
        widths = torch.randint(0, widest + 1, (x.shape[0], masks), device=x.device)
        starts = (torch.rand(x.shape[0], masks, device=x.device) * (size - widths + 1)).long()
        return starts, widths

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        if self.freq_masks:
            x = mask_stripes(x, *self._draw(x, self.freq_masks, self.max_freq_fraction, 1), dim=1)
        if self.time_masks:
            x = mask_stripes(x, *self._draw(x, self.time_masks, self.max_time_fraction, 2), dim=2)
        return x
