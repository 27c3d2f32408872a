"""A TCN streamed with each layer's past kept gives the logits of one pass over the whole signal."""

import numpy as np
import pytest
import torch

from hark.models import build_model
from hark.models.tcn_stream import TCNStream

SMALL = {"n_filters": 8, "n_dilations": 3, "kernel_size": 3, "n_stacks": 2}


@pytest.mark.parametrize(
    ("architecture", "params", "samplerate"),
    [
        ("tcn", SMALL, 8000),  # spectrogram front end, skip connections
        ("tcn", {**SMALL, "skip_connections": False, "front_end": "waveform"}, 4000),
        ("tcn", {**SMALL, "input_normalization": "pcen", "norm_time_ms": 5.0}, 8000),  # a front end with a long window
        ("tcn", {**SMALL, "normalization": "group", "norm_groups": 2}, 8000),
        ("calls", {"n_filters": 8, "n_dilations": 2, "conv_channels": 4}, 250000),  # 2-D convolutions before the blocks
    ],
)
def test_streamed_logits_equal_one_pass_for_any_chunks(architecture, params, samplerate):
    torch.manual_seed(1)
    model = build_model(architecture, params, samplerate, 3).eval()
    audio = torch.randn(3 * model.context + 7 * model.stride + 5) * 0.2
    with torch.inference_mode():
        expected = model(audio[None, None])[0]
    rng = np.random.default_rng(0)
    for sizes in ([int(n) for n in rng.integers(1, model.stride * 3 + 2, 400)], [model.context - 1, 1, 5000]):
        stream, parts, start = TCNStream(model), [], 0
        for size in sizes:
            if start >= len(audio):
                break
            parts.append(stream.push(audio[start : start + size]))
            start += size
        if start < len(audio):
            parts.append(stream.push(audio[start:]))
        streamed = torch.cat(parts, dim=1)
        assert streamed.shape == expected.shape == (3, model.output_frames(len(audio)))
        torch.testing.assert_close(streamed, expected, atol=1e-5, rtol=1e-4)


def test_a_stream_shorter_than_the_context_gives_no_frames_until_it_is_complete():
    torch.manual_seed(2)
    model = build_model("tcn", SMALL, 8000, 2).eval()
    stream = TCNStream(model)
    audio = torch.randn(model.context) * 0.2
    assert stream.push(audio[:-1]).shape == (2, 0)
    last = stream.push(audio[-1:])
    with torch.inference_mode():
        torch.testing.assert_close(last, model(audio[None, None])[0], atol=1e-5, rtol=1e-4)
