"""Parameter fields the architectures share, each with its description and range.

Each architecture declares its own parameter model (so that the CLI, docs and GUI list them
in its order, with its defaults); these factories keep the wording and ranges consistent.
"""

from __future__ import annotations

from pydantic import Field

from hark.models.frontends import FrontEndKind
from hark.models.layers import NormKind


def split_int_list(value):
    """``"64,32"`` -> ``["64", "32"]`` and ``""`` -> ``[]`` (a command line's way of writing a list)."""
    if isinstance(value, str):
        return [part for part in value.replace(" ", "").split(",") if part]
    return value


def front_end_field(default: FrontEndKind, *choices: str):
    return Field(default, description="input representation computed inside the model: " + ", ".join(choices))


def window_ms_field(default: float):
    return Field(default, gt=0, le=1000, description="spectrogram window (ms); Hann-windowed, DFT length = window")


def stride_ms_field(default: float):
    return Field(default, gt=0, le=1000, description="spectrogram hop between frames (ms)")


def low_hz_field(default: float = 0.0):
    return Field(default, ge=0, le=500_000, description="lowest frequency kept by the spectrogram (Hz)")


def high_hz_field(default: float = 0.0):
    return Field(default, ge=0, le=500_000, description="highest frequency kept by the spectrogram (Hz); 0 = Nyquist")


def n_mels_field(default: int = 7):
    return Field(default, ge=1, le=256, description="mel bands of the mel-cepstrum")


def n_dct_field(default: int = 7):
    return Field(default, ge=1, le=256, description="DCT coefficients kept by the mel-cepstrum (<= n_mels)")


def dropout_field(default: float):
    return Field(default, ge=0, le=0.9, description="fraction of hidden units dropped while training")


def normalization_field(default: NormKind):
    return Field(
        default,
        description="normalisation after each conv: none, batch (batch norm), or group (per-frame group norm)",
    )


def norm_groups_field(default: int = 4):
    return Field(default, ge=1, le=256, description="channel groups of group normalization (divides the maps)")


def input_normalization_field(default: str = "none"):
    return Field(
        default,
        description="how each spectrogram bin's power becomes a feature: none (its log), pcen (per-channel energy "
        "normalisation) or noise_floor (its log ratio to its own slowly tracked background); pcen and noise_floor "
        "make the features independent of the recording's gain and lengthen the context by 6 norm_time_ms",
    )


def norm_time_ms_field(default: float = 100.0):
    return Field(
        default, gt=0, le=10_000, description="time constant of the background pcen and noise_floor divide by (ms)"
    )


def pcen_gain_field(default: float = 0.98):
    return Field(
        default, ge=0, le=1, description="pcen: exponent of the background the energy is divided by (1 = fully)"
    )


def pcen_bias_field(default: float = 2.0):
    return Field(default, ge=0, le=100, description="pcen: offset added before the compression")


def pcen_exponent_field(default: float = 0.5):
    return Field(default, gt=0, le=1, description="pcen: compression exponent (0.5 = square root)")
