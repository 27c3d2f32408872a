"""The mel front end, SpecAugment-style masks and the ResNet-18-like presets of ``resnet``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hark.errors import HarkError
from hark.models import build_model, count_parameters
from hark.models.frontends import MelSpectrogram, SpectrogramMasks, Spectrogram, mask_stripes, mel_filterbank
from hark.models.resnet import WIDEBAND_CLIP_DEFAULTS

RATE = 44_100


def sine(freq: float, seconds: float = 0.5, rate: int = RATE) -> torch.Tensor:
    t = np.arange(int(seconds * rate)) / rate
    return torch.tensor(0.5 * np.sin(2 * np.pi * freq * t), dtype=torch.float32).view(1, 1, -1)


@pytest.mark.parametrize("freq", [440.0, 3000.0, 12_000.0])
def test_a_sine_peaks_in_the_mel_band_whose_centre_is_nearest(freq):
    mel = MelSpectrogram(RATE, 1024, 512, n_mels=64)
    image = mel(sine(freq))[0].mean(dim=1)  # (n_mels,) mean log power
    nearest = int(np.argmin(np.abs(np.log(mel.frequencies) - np.log(freq))))
    assert abs(int(image.argmax()) - nearest) <= 1
    assert image.shape == (64,) and mel.n_channels == 64 and mel.window == 1024 and mel.hop == 512


def test_mel_power_is_the_filterbank_times_the_spectrogram_power():
    audio = torch.randn(2, 1, 8000) * 0.1
    spectrogram = Spectrogram(16_000, 512, 256, 200.0, 7000.0)
    mel = MelSpectrogram(16_000, 512, 256, 40, 200.0, 7000.0)
    matrix = torch.tensor(mel_filterbank(spectrogram.frequencies, 40, 200.0, 7000.0), dtype=torch.float32)
    torch.testing.assert_close(mel.power(audio), matrix @ spectrogram.power(audio), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(mel(audio), torch.log(mel.power(audio) + 1e-10), rtol=1e-5, atol=1e-5)


def test_a_band_without_a_dft_bin_is_one_line():
    with pytest.raises(HarkError, match=r"of the 128 mel bands hold no frequency bin of a 64-sample window"):
        build_model("resnet", {"front_end": "mel", "n_mels": 128, "window_ms": 32}, 2000, 2)


def test_the_resnet_reads_a_mel_image_of_n_mels_rows():
    model = build_model("resnet", {"front_end": "mel", "n_mels": 48, "window_ms": 23.22, "stride_ms": 11.61}, RATE, 3)
    assert isinstance(model.front_end, MelSpectrogram) and model.input_norm.num_features == 48
    assert model.front_end(torch.zeros(1, 1, RATE)).shape == (1, 48, (RATE - 1024) // 512 + 1)


def test_mask_stripes_set_exactly_the_stripes():
    x = torch.ones(2, 6, 10)
    starts, widths = torch.tensor([[1, 4], [0, 0]]), torch.tensor([[2, 1], [0, 3]])
    out = mask_stripes(x, starts, widths, dim=2, value=0.0)
    assert out[0].sum(dim=0).tolist() == [6, 0, 0, 6, 0, 6, 6, 6, 6, 6]  # frames 1, 2 and 4
    assert out[1].sum(dim=0).tolist() == [0, 0, 0, 6, 6, 6, 6, 6, 6, 6]  # frames 0-2 (the empty stripe masks nothing)
    rows = mask_stripes(x, torch.tensor([[5], [2]]), torch.tensor([[1], [2]]), dim=1)
    assert rows[0].sum(dim=1).tolist() == [10, 10, 10, 10, 10, 0] and rows[1].sum(dim=1).tolist() == [10, 10, 0, 0, 10, 10]
    assert x.eq(1).all()  # a pure function


def test_masks_mask_only_while_training_within_their_widths_and_are_seeded():
    masks = SpectrogramMasks(freq_masks=2, max_freq_fraction=0.1, time_masks=2, max_time_fraction=0.05)
    x = torch.randn(16, 60, 400) + 5.0  # never 0 itself
    masks.train()
    torch.manual_seed(3)
    a = masks(x)
    torch.manual_seed(3)
    assert torch.equal(a, masks(x)) and not torch.equal(a, masks(x))
    zero_rows = (a == 0).all(dim=2).sum(dim=1)  # fully masked rows per example: at most 2 stripes of 6
    zero_frames = (a == 0).all(dim=1).sum(dim=1)
    assert zero_rows.max() <= 12 and zero_frames.max() <= 40 and zero_rows.sum() > 0 and zero_frames.sum() > 0
    assert ((a == 0) | (a == x)).all()  # everything else is untouched
    assert torch.equal(masks.eval()(x), x)


def test_masks_change_training_outputs_only():
    params = {"channels": [4], "freq_masks": 2, "time_masks": 2, "max_freq_fraction": 0.3, "max_time_fraction": 0.3}
    torch.manual_seed(0)
    masked = build_model("resnet", params, 2000, 2)
    plain = build_model("resnet", {"channels": [4]}, 2000, 2)
    plain.load_state_dict(masked.state_dict())
    audio = torch.randn(4, 1, 4000) * 0.1
    masked.eval(), plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(masked(audio), plain(audio))
        masked.train(), plain.train()
        torch.manual_seed(1)
        assert not torch.allclose(masked.embed(audio), plain.embed(audio))


def test_resnet18_preset_has_resnet18s_stages_and_width():
    model = build_model("resnet", {"front_end": "mel", "preset": "resnet18"}, RATE, 10)
    convs = [m for m in model.blocks.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(model.blocks) == 8 and len(convs) == 16  # 4 stages x 2 blocks x 2 convs: with the stem and output, 18 layers
    assert [model.blocks[i].conv2.out_channels for i in (0, 2, 4, 6)] == [64, 128, 256, 512]
    assert model.stem[0].kernel_size == (7, 7) and model.stem[0].stride == (2, 2)
    assert 11_000_000 < count_parameters(model) < 11_300_000  # torchvision's resnet18 without its RGB stem and 1000-way head
    quarter = build_model("resnet", {"front_end": "mel", "preset": "resnet18-quarter"}, RATE, 10)
    assert [quarter.blocks[i].conv2.out_channels for i in (0, 2, 4, 6)] == [16, 32, 64, 128]
    with torch.no_grad():
        assert quarter.eval()(torch.randn(2, 1, RATE) * 0.1).shape == (2, 10)


def test_a_preset_with_its_own_stages_given_is_one_line():
    with pytest.raises(HarkError, match=r"preset resnet18 sets the stages; give channels with preset custom only"):
        build_model("resnet", {"preset": "resnet18", "channels": "4,8"}, RATE, 2)
    assert len(build_model("resnet", {"preset": "custom", "channels": "4,8", "blocks_per_stage": 2}, 2000, 2).blocks) == 4


def test_the_wideband_clip_defaults_build_at_the_rates_they_apply_to():
    for rate in (16_000, 22_050, 32_000, 44_100, 48_000):
        model = build_model("resnet", WIDEBAND_CLIP_DEFAULTS, rate, 32)
        assert model.front_end.n_channels == 64
