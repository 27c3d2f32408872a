"""Frame models of several input channels (``input_channels``, ``channel_mixing``): DAS's multi-channel front ends."""

from __future__ import annotations

import pytest
import torch

from hark.errors import HarkError
from hark.models import build_model
from tests.models.helpers import calibrate, make_audio, per_window_outputs

RATE = 2500
SMALL = {
    "convnet": {"n_conv_layers": 2, "kernel_size": 5, "feature_maps": 4, "dense_layers": [8], "context_ms": 100},
    "tcn": {"n_filters": 4, "n_dilations": 2, "n_stacks": 1, "kernel_size": 3},
}
CASES = [
    ("convnet", {"front_end": "waveform"}),
    ("convnet", {"front_end": "spectrogram"}),
    ("convnet", {"front_end": "mel-cepstrum"}),
    ("tcn", {"front_end": "spectrogram"}),
    ("tcn", {"front_end": "waveform"}),
]


def two_channels(samples: int, batch: int = 2) -> torch.Tensor:
    """Different audio on each channel: the demo test signal, and the same with other noise, reversed."""
    return torch.cat([make_audio(samples, batch, seed=1), make_audio(samples, batch, seed=2).flip(-1)], dim=1)


@pytest.mark.parametrize("mixing", ["joint", "separable"])
@pytest.mark.parametrize(("name", "params"), CASES)
def test_several_channels_keep_the_frame_contract_and_the_span_of_one(name, params, mixing):
    torch.manual_seed(0)
    mono = build_model(name, {**SMALL[name], **params}, RATE, 3)
    model = build_model(name, {**SMALL[name], **params, "input_channels": 2, "channel_mixing": mixing}, RATE, 3)
    assert (model.context, model.stride) == (mono.context, mono.stride)
    audio = two_channels(model.context + 9 * model.stride)
    calibrate(model, audio)
    with torch.no_grad():
        whole = model(audio)
    assert whole.shape == (2, 3, model.output_frames(audio.shape[-1]))
    torch.testing.assert_close(whole, per_window_outputs(model, audio), atol=1e-5, rtol=1e-4)
    # each channel is read: changing channel 1 alone changes the outputs
    changed = audio.clone()
    changed[:, 1] = 0.5 * changed[:, 1].flip(-1)
    with torch.no_grad():
        assert not torch.allclose(model(changed), whole, atol=1e-4)


@pytest.mark.parametrize("front_end", ["waveform", "spectrogram"])
def test_separable_with_an_identity_mix_is_joint(front_end):
    """The 1x1 mix across channels is the only difference: set to the identity, the two agree."""
    params = {**SMALL["convnet"], "front_end": front_end, "input_channels": 3}
    torch.manual_seed(4)
    joint = build_model("convnet", {**params, "channel_mixing": "joint"}, RATE, 2)
    separable = build_model("convnet", {**params, "channel_mixing": "separable"}, RATE, 2)
    missing, unexpected = separable.load_state_dict(joint.state_dict(), strict=False)
    assert sorted(missing) == ["front_end.mix.bias", "front_end.mix.weight"] and not unexpected
    with torch.no_grad():
        separable.front_end.mix.weight.copy_(torch.eye(3).reshape(3, 3, 1, 1))
        separable.front_end.mix.bias.zero_()
    audio = torch.cat([make_audio(joint.context + 4 * joint.stride, 1, seed=s) for s in (1, 2, 3)], dim=1)
    joint.eval(), separable.eval()
    with torch.no_grad():
        torch.testing.assert_close(separable(audio), joint(audio))


def test_a_joint_model_learns_what_only_its_second_channel_shows():
    """Channel 0 is noise alone; a tone on channel 1 or not decides the label: a few steps learn it."""
    torch.manual_seed(0)
    model = build_model("convnet", {**SMALL["convnet"], "input_channels": 2, "dropout": 0}, RATE, 2)
    generator = torch.Generator().manual_seed(0)

    def batch(n: int):
        labels = torch.randint(0, 2, (n,), generator=generator)
        audio = 0.1 * torch.randn(n, 2, model.context, generator=generator)
        t = torch.arange(model.context) / RATE
        audio[:, 1] += 0.5 * labels[:, None] * torch.sin(2 * torch.pi * 300 * t)
        return audio, labels

    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(40):
        audio, labels = batch(32)
        loss = torch.nn.functional.cross_entropy(model(audio)[..., 0], labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    audio, labels = batch(200)
    with torch.no_grad():
        accuracy = (model(audio)[..., 0].argmax(1) == labels).float().mean().item()
    assert accuracy >= 0.95


def test_a_tcn_of_several_channels_has_no_incremental_stream_of_one():
    assert build_model("tcn", SMALL["tcn"], RATE, 2).incremental_stream() is not None
    assert build_model("tcn", {**SMALL["tcn"], "input_channels": 2}, RATE, 2).incremental_stream() is None


def test_bad_channel_settings_are_one_line_errors():
    with pytest.raises(HarkError, match="input_channels") as err:
        build_model("convnet", {"input_channels": 0}, RATE, 2)
    assert "\n" not in str(err.value)
    with pytest.raises(HarkError, match="channel_mixing"):
        build_model("tcn", {"input_channels": 2, "channel_mixing": "beamform"}, RATE, 2)
    with pytest.raises(HarkError, match="frequency_conv_layers read one channel's spectrogram"):
        build_model("convnet", {"front_end": "spectrogram", "frequency_conv_layers": 1, "input_channels": 2}, RATE, 2)
    model = build_model("convnet", {**SMALL["convnet"], "input_channels": 2}, RATE, 2)
    with pytest.raises(ValueError, match="the model reads 2 channels, got audio of 1"):
        model(torch.zeros(1, 1, model.context))
