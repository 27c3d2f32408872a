"""Signal processing as pure functions, shared by models, GUI, boxes and calls.

- :mod:`hark.dsp.spectral`: windows, DFT bins and numpy power spectrograms;
- :mod:`hark.dsp.mel`: mel filterbanks and the DCT;
- :mod:`hark.dsp.graph`: the torch spectrogram that runs inside models;
- :mod:`hark.dsp.normalize`: PCEN and the noise-floor ratio (torch).

Importing ``hark.dsp`` loads numpy only (the GUI needs no torch); the torch functions are
imported from their modules. It imports nothing of hark's stages: models, the GUI,
inference and the call statistics import it, never the other way round.
"""

from hark.dsp.mel import dct_matrix, hz_to_mel, mel_filterbank, mel_to_hz
from hark.dsp.spectral import (
    LOG_EPS,
    bins_in_range,
    dft_kernels,
    hann_window,
    ms_to_samples,
    power_spectrogram,
    rfft_frequencies,
    sliding_frames,
    windowed_power,
)

__all__ = [
    "LOG_EPS",
    "bins_in_range",
    "dct_matrix",
    "dft_kernels",
    "hann_window",
    "hz_to_mel",
    "mel_filterbank",
    "mel_to_hz",
    "ms_to_samples",
    "power_spectrogram",
    "rfft_frequencies",
    "sliding_frames",
    "windowed_power",
]
