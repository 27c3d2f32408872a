"""The video architectures (``video``, ``audio-video``) keep the frame contract with their pictures."""

from __future__ import annotations

import pytest
import torch

from hark.errors import HarkError
from hark.models import architectures, build_model, export_onnx
from tests.models.helpers import make_audio

CASES = [
    ("video", 2500, {}),
    ("video", 2500, {"temporal_kernel": 1, "frame_size": 16, "stride_ms": 4, "context_ms": 4}),
    ("audio-video", 2500, {"audio_params": {"n_conv_layers": 2, "feature_maps": 4, "context_ms": 100}}),
    ("audio-video", 2500, {"audio": "tcn", "audio_params": {"n_dilations": 2, "kernel_size": 3, "n_filters": 4}, "temporal_kernel": 5, "temporal_spacing_ms": 8}),
]


def pictures(model, frames: int, batch: int = 2, seed: int = 0) -> torch.Tensor:
    """Random pictures, each repeated over 3 output frames, as a movie's frame spans several (computed once each)."""
    generator = torch.Generator().manual_seed(seed)
    count = frames + 2 * model.video_margin
    distinct = torch.randint(0, 256, (batch, -(-count // 3), model.video_size, model.video_size), generator=generator, dtype=torch.uint8)
    return distinct.repeat_interleave(3, dim=1)[:, :count]


@pytest.mark.parametrize("name, rate, params", CASES)
def test_a_long_chunk_equals_each_window_with_its_pictures(name, rate, params):
    torch.manual_seed(0)
    model = build_model(name, params, rate, 3).eval()
    assert model.needs_video and architectures.get(name).kind == "frame"
    frames = 9
    audio = make_audio(model.context + (frames - 1) * model.stride + model.stride - 1)
    video = pictures(model, frames)
    with torch.no_grad():
        long = model(audio, video)
        alone = torch.cat(
            [model(audio[:, :, j * model.stride : j * model.stride + model.context], video[:, j : j + 1 + 2 * model.video_margin]) for j in range(frames)],
            dim=2,
        )
    assert long.shape == (2, 3, frames)
    torch.testing.assert_close(long, alone, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name, rate, params", CASES)
def test_the_pictures_change_the_output(name, rate, params):
    torch.manual_seed(0)
    model = build_model(name, params, rate, 3).eval()
    audio = make_audio(model.context + 4 * model.stride)
    with torch.no_grad():
        one, other = model(audio, pictures(model, 5, seed=1)), model(audio, pictures(model, 5, seed=2))
        black = model(audio, torch.zeros_like(pictures(model, 5)))
        assert not torch.allclose(one, other)
        torch.testing.assert_close(model(audio), black)  # no pictures: black ones (memory estimates)


def test_the_video_model_ignores_what_it_hears():
    model = build_model("video", {}, 2500, 2).eval()
    video = pictures(model, 3)
    audio = make_audio(model.context + 2 * model.stride)
    with torch.no_grad():
        torch.testing.assert_close(model(audio, video), model(torch.zeros_like(audio), video))


def test_the_temporal_convolution_spans_the_spacing_asked():
    model = build_model("audio-video", {"audio_params": {"n_conv_layers": 2, "context_ms": 100}, "temporal_kernel": 3, "temporal_spacing_ms": 40}, 2500, 2)
    spacing = 40 * 2500 // 1000 // model.stride  # output frames between the pictures joined
    assert model.video_margin == spacing


def test_pictures_of_the_wrong_shape_are_one_line_errors():
    model = build_model("video", {}, 2500, 2)
    audio = make_audio(model.context + 2 * model.stride)
    with pytest.raises(HarkError, match=r"video of shape \(2, 3, 32, 32\) given; 2 x 11 pictures of 32x32 expected") as err:
        model(audio, torch.zeros(2, 3, 32, 32, dtype=torch.uint8))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"audio": "nonesuch"}, "audio 'nonesuch': unknown architecture"),
        ({"audio": "resnet"}, "audio 'resnet': an audio frame architecture"),
        ({"audio": "video"}, "audio 'video': an audio frame architecture"),
        ({"audio_params": {"kernal_size": 3}}, "kernal_size: unknown parameter"),
        ({"frame_size": 30}, "frame_size 30 must be a multiple of 4"),
        ({"temporal_kernel": 4}, "temporal_kernel 4 must be odd"),
    ],
)
def test_bad_parameters_are_one_line_errors(params, message):
    with pytest.raises(HarkError, match=message) as err:
        build_model("audio-video", params, 2500, 2)
    assert "\n" not in str(err.value) and "architecture audio-video" in str(err.value)


def test_a_stride_longer_than_the_context_is_refused():
    with pytest.raises(HarkError, match="stride_ms 50.0 is longer than context_ms 40.0"):
        build_model("video", {"stride_ms": 50}, 2500, 2)


def test_onnx_export_is_refused(tmp_path):
    model = build_model("video", {}, 2500, 2)
    with pytest.raises(HarkError, match="reads a movie's frames beside the audio; it cannot be exported to ONNX"):
        export_onnx(model, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
