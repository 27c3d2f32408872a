import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch

from hark.errors import HarkError
from hark.models.frontends import (
    LOG_EPS,
    PCEN,
    MelCepstrum,
    NoiseFloor,
    SpectralNormalization,
    Spectrogram,
    Waveform,
    bins_in_range,
    build_front_end,
    dct_matrix,
    hann_window,
    hz_to_mel,
    mel_filterbank,
    mel_to_hz,
    ms_to_samples,
    rfft_frequencies,
)
from hark.dsp.normalize import smoother_span, smoothing_coefficient

RATE = 8000


def scipy_power(x: np.ndarray, window: int, hop: int) -> np.ndarray:
    """|STFT|^2 from scipy with frames [k*hop, k*hop+window): (bins, frames)."""
    _, _, z = scipy.signal.stft(
        x, fs=RATE, window="hann", nperseg=window, noverlap=window - hop, boundary=None, padded=False, detrend=False
    )
    return np.abs(z) ** 2


def tone(freq: float, n: int, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(n) / RATE)


def test_hann_window_is_scipys_periodic_hann():
    np.testing.assert_allclose(hann_window(64), scipy.signal.get_window("hann", 64), atol=1e-12)


def test_ms_to_samples_rounds():
    assert ms_to_samples(6.4, 2500) == 16
    assert ms_to_samples(1.0, 44100) == 44


def test_spectrogram_power_matches_scipy_stft():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    spec = Spectrogram(RATE, window=64, hop=16)
    ours = spec.power(torch.tensor(x, dtype=torch.float32)[None, None])[0].numpy()
    ref = scipy_power(x, 64, 16)
    assert ours.shape == ref.shape == (33, (1000 - 64) // 16 + 1)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


def test_spectrogram_is_log_power_of_the_bins_in_the_range():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(500)
    spec = Spectrogram(RATE, window=32, hop=8, low_hz=1000, high_hz=3000)
    bins = bins_in_range(RATE, 32, 1000, 3000)
    np.testing.assert_allclose(spec.frequencies, rfft_frequencies(RATE, 32)[bins])
    assert spec.frequencies[0] == 1000 and spec.frequencies[-1] == 3000 and spec.n_channels == len(bins) == 9
    out = spec(torch.tensor(x, dtype=torch.float32)[None, None])[0].numpy()
    np.testing.assert_allclose(out, np.log(scipy_power(x, 32, 8)[bins] + LOG_EPS), rtol=1e-4, atol=1e-4)


def test_frame_k_covers_exactly_its_window():
    window, hop, n = 32, 8, 200
    spec = Spectrogram(RATE, window, hop)
    base = torch.zeros(1, 1, n)
    for sample in (0, 31, 32, 77, 199):
        x = base.clone()
        x[0, 0, sample] = 1.0
        touched = (spec.power(x)[0] > 0).any(dim=0).nonzero().flatten().tolist()
        expected = [k for k in range((n - window) // hop + 1) if k * hop <= sample < k * hop + window]
        # the Hann window is zero at its first tap, so that tap alone does not show
        expected = [k for k in expected if sample != k * hop]
        assert touched == expected, sample
    assert (spec.window, spec.hop) == (window, hop)


def test_a_pure_tone_peaks_in_its_bin():
    spec = Spectrogram(RATE, window=128, hop=64)
    freq = 20 * RATE / 128  # bin 20
    power = spec.power(torch.tensor(tone(freq, 4096), dtype=torch.float32)[None, None])[0]
    assert (power.argmax(dim=0) == 20).all()
    # "spectrum" scaling: amplitude a on a bin reads (a/2)^2
    assert power[20].mean().item() == pytest.approx(0.0625, rel=1e-3)


def test_mel_scale_round_trips_and_1000_hz_is_about_1000_mel():
    assert hz_to_mel(1000) == pytest.approx(1000, abs=0.1)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel([0, 440, 3999])), [0, 440, 3999], atol=1e-9)


def test_mel_filters_peak_at_their_centres_and_tile_the_range():
    n_mels, low, high = 10, 100.0, 3000.0
    centres = mel_to_hz(np.linspace(hz_to_mel(low), hz_to_mel(high), n_mels + 2))[1:-1]
    bank = mel_filterbank(centres, n_mels, low, high)
    np.testing.assert_allclose(bank, np.eye(n_mels), atol=1e-9)
    grid = np.linspace(low, high, 2000)
    fine = mel_filterbank(grid, n_mels, low, high)
    assert fine.max() <= 1 + 1e-12 and fine.min() >= 0
    # adjacent triangles cross-fade: inside the first and last centres the weights sum to 1
    inner = (grid >= centres[0]) & (grid <= centres[-1])
    np.testing.assert_allclose(fine[:, inner].sum(axis=0), 1.0, atol=1e-9)


def test_dct_matrix_is_scipys_orthonormal_dct_ii():
    ref = scipy.fft.dct(np.eye(12), type=2, norm="ortho", axis=0)[:5]
    np.testing.assert_allclose(dct_matrix(5, 12), ref, atol=1e-12)
    full = dct_matrix(12, 12)
    np.testing.assert_allclose(full @ full.T, np.eye(12), atol=1e-12)


def test_mel_cepstrum_matches_a_numpy_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(1200)
    window, hop, n_mels, n_dct = 64, 16, 12, 6
    module = MelCepstrum(RATE, window, hop, n_mels, n_dct, low_hz=200, high_hz=3500)
    bins = bins_in_range(RATE, window, 200, 3500)
    bank = mel_filterbank(rfft_frequencies(RATE, window)[bins], n_mels, 200, 3500)
    mel_power = bank @ scipy_power(x, window, hop)[bins]
    ref = scipy.fft.dct(np.log(mel_power + LOG_EPS), type=2, norm="ortho", axis=0)[:n_dct]
    ours = module(torch.tensor(x, dtype=torch.float32)[None, None])[0].numpy()
    assert ours.shape == ref.shape and module.n_channels == n_dct
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-3)


def test_a_pure_tone_peaks_in_its_mel_band():
    window, n_mels = 256, 16
    module = MelCepstrum(RATE, window, 128, n_mels, n_mels)
    centres = mel_to_hz(np.linspace(0, hz_to_mel(RATE / 2), n_mels + 2))[1:-1]
    for band in (3, 9, 14):
        audio = torch.tensor(tone(centres[band], 4096), dtype=torch.float32)[None, None]
        mel_power = torch.matmul(module.mel, module.spectrogram.power(audio))[0]
        assert (mel_power.argmax(dim=0) == band).all()


def test_waveform_is_the_identity():
    x = torch.randn(2, 1, 50)
    front = Waveform()
    assert front(x) is x and (front.window, front.hop, front.n_channels) == (1, 1, 1)


def test_kernels_are_fixed_buffers_not_parameters():
    module = MelCepstrum(RATE, 64, 16, 8, 4)
    assert list(module.parameters()) == []
    assert {"spectrogram.kernels", "mel", "dct"} <= set(dict(module.named_buffers()))


def test_build_front_end_reads_ms_and_zero_high_as_nyquist():
    spec = build_front_end("spectrogram", RATE, window_ms=8, stride_ms=2, high_hz=0)
    assert (spec.window, spec.hop) == (64, 16) and spec.frequencies[-1] == RATE / 2
    assert isinstance(build_front_end("waveform", RATE), Waveform)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Spectrogram(RATE, 64, 16, low_hz=3000, high_hz=2000), "frequency range"),
        (lambda: Spectrogram(RATE, 64, 16, high_hz=5000), "Nyquist"),
        (lambda: Spectrogram(RATE, 8, 4, low_hz=100, high_hz=900), "no frequency bin"),
        (lambda: MelCepstrum(RATE, 16, 4, n_mels=20, n_dct=5), "mel bands hold no frequency bin"),
        (lambda: MelCepstrum(RATE, 64, 16, n_mels=4, n_dct=5), "n_dct"),
    ],
)
def test_impossible_front_ends_are_one_line_errors(build, message):
    with pytest.raises(HarkError, match=message) as err:
        build()
    assert "\n" not in str(err.value)


def test_a_normalised_frame_sees_its_smoothers_span_around_its_window():
    window, hop, n = 32, 8, 400
    spec = build_front_end("spectrogram", RATE, 4, 1, normalization=SpectralNormalization("pcen", time_ms=2))
    span = smoother_span(2 / 1)  # a 2 ms time constant at a 1 ms hop
    assert isinstance(spec.normalizer, PCEN) and spec.normalizer.span == span == 13  # 6 frames each side
    assert (spec.fft_window, spec.hop, spec.window) == (window, hop, window + hop * (span - 1))
    base = torch.full((1, 1, n), 1e-3)
    frames = (n - spec.window) // hop + 1
    quiet = spec(base)[0]
    assert quiet.shape[-1] == frames
    for sample in (0, 50, 71, 200, 399):
        x = base.clone()
        x[0, 0, sample] = 1.0
        touched = ((spec(x)[0] - quiet).abs() > 1e-6).any(dim=0).nonzero().flatten().tolist()
        expected = [k for k in range(frames) if k * hop < sample < k * hop + spec.window]
        assert touched == expected, sample
    # the background is centred: a click stands out most in the frame whose window it centres
    x = base.clone()
    x[0, 0, 200] = 1.0
    loudest = (spec(x)[0] - quiet).abs().sum(dim=0).argmax().item()
    assert abs(loudest * hop + spec.window // 2 - 200) <= hop


@pytest.mark.parametrize("kind", ["pcen", "noise_floor"])
@pytest.mark.parametrize("front_end", ["spectrogram", "mel-cepstrum"])
def test_normalised_features_forget_a_20_db_gain_the_log_spectrogram_keeps(kind, front_end):
    rng = np.random.default_rng(3)
    x = 0.01 * rng.standard_normal(RATE)
    x[4000:4400] += 0.1 * np.sin(2 * np.pi * 1000 * np.arange(400) / RATE)
    quiet = torch.tensor(x, dtype=torch.float32)[None, None]
    plain = build_front_end(front_end, RATE, 8, 2, n_mels=8, n_dct=8)
    normalization = SpectralNormalization(kind, time_ms=50)
    normalised = build_front_end(front_end, RATE, 8, 2, n_mels=8, n_dct=8, normalization=normalization)
    with torch.no_grad():
        # how far each channel moves on average in units of its spread over the recording, for
        # the channel that moves most (the cepstrum's first coefficient; any bin of the spectrogram)
        shift, moved = (
            ((module(10 * quiet) - module(quiet)).abs().mean(dim=(0, 2)) / module(quiet).std(dim=(0, 2))).max()
            for module in (plain, normalised)
        )
    assert shift > 3.0  # the log features move by ln(100)
    # PCEN keeps 100 ** 0.02 of the gain; the noise-floor ratio none but float32 rounding
    assert moved < (0.25 if kind == "pcen" else 0.01), (moved, shift)


def test_a_clip_front_end_pads_its_background_and_keeps_every_frame():
    normalization = SpectralNormalization("noise_floor", time_ms=10)
    spec = build_front_end("spectrogram", RATE, 8, 2, normalization=normalization, pad=True)
    assert isinstance(spec.normalizer, NoiseFloor) and spec.window == spec.fft_window == 64
    x = torch.randn(2, 1, 64 + 16 * 5)
    assert spec(x).shape == (2, 33, 6)
    # a tone on bin 8 has the same power in every frame: its own background from the first frame
    steady = spec(torch.sin(2 * torch.pi * 1000 * torch.arange(500.0) / RATE)[None, None])
    assert steady[0, 7:10].abs().max() < 1e-4  # the tone's bin and its neighbours (the others hold only rounding)


def test_the_normalisers_are_fixed_and_exported_by_their_settings():
    spec = build_front_end("spectrogram", RATE, normalization=SpectralNormalization("pcen", 30, 0.9, 1.0, 0.25))
    assert list(spec.parameters()) == []
    norm = spec.normalizer
    assert (norm.gain, norm.bias, norm.exponent) == (0.9, 1.0, 0.25)
    assert spec.hop == 13 and norm.coefficient == pytest.approx(smoothing_coefficient(30 / (1000 * 13 / RATE)))


@pytest.mark.parametrize("kind", ["pcen", "noise_floor"])
def test_a_normalisation_needs_a_spectral_front_end(kind):
    with pytest.raises(HarkError, match=f"input_normalization {kind} needs a spectral front end") as err:
        build_front_end("waveform", RATE, normalization=SpectralNormalization(kind))
    assert "\n" not in str(err.value)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter, as models/export.py uses
@pytest.mark.parametrize("kind", ["pcen", "noise_floor"])
@pytest.mark.parametrize("front_end", ["spectrogram", "mel-cepstrum"])
def test_normalised_front_ends_run_in_onnxruntime_at_any_length(kind, front_end, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    module = build_front_end(
        front_end, RATE, 8, 2, n_mels=8, n_dct=8, normalization=SpectralNormalization(kind, time_ms=7)
    ).eval()
    path = tmp_path / "front.onnx"
    example = torch.randn(2, 1, module.window + 5 * module.hop)
    torch.onnx.export(
        module, (example,), str(path), dynamo=False, input_names=["audio"], output_names=["features"],
        dynamic_axes={"audio": {0: "batch", 2: "samples"}, "features": {0: "batch", 2: "frames"}}, opset_version=17,
    )  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    generator = torch.Generator().manual_seed(5)
    for n in (module.window, module.window + 37 * module.hop + 3, 3 * RATE):
        audio = 0.1 * torch.randn(3, 1, n, generator=generator)
        (ours,) = session.run(None, {"audio": audio.numpy()})
        with torch.no_grad():
            expected = module(audio).numpy()
        assert ours.shape == expected.shape == (3, module.n_channels, (n - module.window) // module.hop + 1)
        np.testing.assert_allclose(ours, expected, atol=2e-4, rtol=1e-4)
