import pytest
import torch
from torch import nn

from hark.errors import HarkError
from hark.models import ConvNetParams, build_model, count_parameters
from hark.models.layers import FrameGroupNorm, Span, ValidConvBlock, crop
from tests.models.helpers import calibrate, make_audio, per_window_outputs

FLY_RATE = 2500


def test_default_is_a_small_fly_song_model():
    model = build_model("convnet", {}, FLY_RATE, 3)
    # four conv layers (kernel 9, max pooling 2) tile 504 of the 512 samples of 204.8 ms
    assert (model.context, model.stride) == (504, 16)
    assert 5_000 <= count_parameters(model) <= 100_000
    assert model.output_frames(504) == 1 and model.output_frames(503) == 0
    assert model.output_frames(504 + 16 * 10 + 15) == 11


def test_context_is_rounded_down_to_what_the_layers_tile():
    params = {"n_conv_layers": 2, "kernel_size": 5, "pooling": "none", "context_ms": 10}
    model = build_model("convnet", params, 1000, 2)
    assert (model.context, model.stride) == (10, 1)
    pooled = build_model("convnet", {**params, "pooling": "avg", "pool_size": 3, "context_ms": 35}, 1000, 2)
    # conv 5 -> pool 3 -> conv 5 -> pool 3 sees 25 samples, steps of 9: 34 fits in 35, 43 does not
    assert (pooled.context, pooled.stride) == (34, 9)


def test_shift_by_sets_the_output_stride():
    model = build_model("convnet", {"shift_by_ms": 12.8}, FLY_RATE, 3)
    assert (model.context, model.stride) == (504, 32)
    x = make_audio(model.context + 5 * 32)
    with torch.no_grad():
        assert model.eval()(x).shape[-1] == model.output_frames(x.shape[-1]) == 6


def test_shift_by_must_be_a_multiple_of_the_layers_stride():
    with pytest.raises(HarkError, match=r"shift_by_ms=10 \(25 samples\) must be a multiple of 16 samples") as err:
        build_model("convnet", {"shift_by_ms": 10}, FLY_RATE, 3)
    assert "\n" not in str(err.value) and str(err.value).startswith("architecture convnet: ")


def test_a_context_shorter_than_the_layers_is_an_error():
    with pytest.raises(HarkError, match="shorter than the 136 samples"):
        build_model("convnet", {"context_ms": 40}, FLY_RATE, 3)


def test_spectral_front_ends_have_the_spectrogram_hop_as_stride():
    params = {"front_end": "mel-cepstrum", "pooling": "none", "n_conv_layers": 2, "kernel_size": 5}
    model = build_model("convnet", params, FLY_RATE, 2)
    # window 6.4 ms = 16 samples, hop 1.6 ms = 4; two convs of 5 frames: 16 + 8 * 4 = 48
    assert model.stride == 4 and (model.context - 48) % 4 == 0 and model.context <= 512
    assert model.front_end.n_channels == 7


def test_dense_layers_accept_a_comma_list_or_nothing():
    assert ConvNetParams.model_validate({"dense_layers": "64, 32"}).dense_layers == (64, 32)
    assert ConvNetParams.model_validate({"dense_layers": ""}).dense_layers == ()
    model = build_model("convnet", {"dense_layers": ""}, FLY_RATE, 4)
    assert model.hidden_layers() == ["front_end", "conv1", "conv2", "conv3", "conv4", "output"]
    deep = build_model("convnet", {"dense_layers": [16, 8]}, FLY_RATE, 4)
    assert deep.hidden_layers()[-3:] == ["dense1", "dense2", "output"]
    assert deep.layers["dense2"][0].kernel_size == (1,)


def test_forward_hidden_names_every_stage_and_ends_with_the_output():
    model = build_model("convnet", {"residual": True}, FLY_RATE, 3).eval()
    x = make_audio(model.context + 4 * model.stride)
    with torch.no_grad():
        hidden = model.forward_hidden(x)
        out = model(x)
    assert list(hidden) == model.hidden_layers()
    assert torch.equal(hidden["output"], out)
    assert hidden["conv1"].shape[:2] == (2, 32) and hidden["dense1"].shape == (2, 32, 5)


def test_trains_end_to_end():
    model = build_model("convnet", {"normalization": "group", "residual": True}, FLY_RATE, 2)
    x = make_audio(model.context, batch=8)
    labels = torch.randint(0, 2, (8, 1))
    loss = nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_span_arithmetic():
    span = Span().then(9).then(2, 2).then(9).then(2, 2)
    assert (span.size, span.jump) == (28, 4)
    assert Span(16, 4).then(3, dilation=2) == Span(32, 4)


def test_crop_takes_the_aligned_samples():
    x = torch.arange(20.0)[None, None]
    assert crop(x, 3, 4).flatten().tolist() == [3, 4, 5, 6]
    assert crop(x, 1, 4, stride=3).flatten().tolist() == [1, 4, 7, 10]


def test_strided_residual_block_keeps_the_frame_contract():
    block = ValidConvBlock(4, 6, 5, dilation=2, stride=2, residual=True, pooling="avg", pool_size=2).eval()
    span = block.span(Span())
    x = torch.randn(1, 4, span.size + 9 * span.jump)
    with torch.no_grad():
        long = block(x)
        alone = [block(x[..., j * span.jump : j * span.jump + span.size]) for j in range(long.shape[-1])]
    assert long.shape[-1] == 10 and all(a.shape[-1] == 1 for a in alone)
    torch.testing.assert_close(long, torch.cat(alone, dim=-1), atol=1e-6, rtol=0)


def test_frame_group_norm_normalises_each_frame_like_group_norm():
    norm = FrameGroupNorm(2, 6)
    nn.init.normal_(norm.weight)
    nn.init.normal_(norm.bias)
    x = torch.randn(3, 6, 11)
    reference = nn.GroupNorm(2, 6)
    reference.load_state_dict(norm.state_dict())
    # nn.GroupNorm on each frame alone: frames moved into the batch, a time axis of 1
    expected = reference(x.permute(0, 2, 1).reshape(-1, 6, 1)).reshape(3, 11, 6).permute(0, 2, 1)
    torch.testing.assert_close(norm(x), expected, atol=1e-5, rtol=1e-5)


def test_group_norm_needs_the_maps_to_split_into_groups():
    with pytest.raises(HarkError, match="do not split into 4 groups"):
        build_model("convnet", {"normalization": "group", "feature_maps": 30}, FLY_RATE, 2)


def test_dilated_residual_mel_cepstrum_model_equals_its_windows_in_float32():
    params = {
        "front_end": "mel-cepstrum",
        "pooling": "none",
        "residual": True,
        "dilation_growth": 2,
        "n_conv_layers": 3,
        "kernel_size": 3,
        "normalization": "group",
    }
    model = build_model("convnet", params, FLY_RATE, 3)
    x = make_audio(model.context + 6 * model.stride + 3)
    calibrate(model, x)
    with torch.no_grad():
        long = model(x)
    torch.testing.assert_close(long, per_window_outputs(model, x), atol=1e-5, rtol=0)


def test_frequency_layers_convolve_over_frequency_and_time_and_fold_frequency_into_channels():
    params = {"front_end": "spectrogram", "n_conv_layers": 3, "frequency_conv_layers": 2, "frequency_kernel_size": 3,
              "frequency_stride": 2, "feature_maps": 4, "context_ms": 150}  # fmt: skip
    model = build_model("convnet", params, FLY_RATE, 3).eval()
    flat = build_model("convnet", {**params, "frequency_conv_layers": 0}, FLY_RATE, 3)
    assert (model.context, model.stride) == (flat.context, flat.stride)  # the same span in time
    rows = model.front_end.n_channels
    first, second = (model.layers[name] for name in ("conv1", "conv2"))
    assert isinstance(first.conv, nn.Conv2d) and first.conv.kernel_size == (3, 9) and first.conv.stride == (2, 1)
    assert first.out_frequencies == (rows - 3) // 2 + 1 and second.out_frequencies == (first.out_frequencies - 3) // 2 + 1
    assert model.layers["conv3"].conv.in_channels == 4 * second.out_frequencies  # folded: maps x rows
    hidden = model.forward_hidden(make_audio(model.context + 4 * model.stride))
    assert hidden["conv1"].shape[:2] == (2, 4 * first.out_frequencies) and hidden["output"].shape == (2, 3, 5)


def test_frequency_layers_need_a_spectral_front_end_and_rows_to_fit():
    with pytest.raises(HarkError, match="need a spectral front end"):
        build_model("convnet", {"frequency_conv_layers": 1}, FLY_RATE, 3)
    with pytest.raises(HarkError, match="exceeds n_conv_layers 2"):
        build_model("convnet", {"front_end": "spectrogram", "n_conv_layers": 2, "frequency_conv_layers": 3}, FLY_RATE, 3)
    with pytest.raises(HarkError, match="frequency kernel of 200 .* does not fit the \\d+ frequency rows") as err:
        build_model("convnet", {"front_end": "spectrogram", "frequency_conv_layers": 1, "frequency_kernel_size": 200}, FLY_RATE, 3)
    assert "\n" not in str(err.value)
