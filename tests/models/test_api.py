from importlib.metadata import EntryPoint

import pytest
import torch
from pydantic import Field
from torch import nn

from hark.errors import HarkError
from hark.models import (
    Architecture,
    ConvNetParams,
    FrameModel,
    architectures,
    build_model,
    count_parameters,
    register_architecture,
)
from hark.params import Params, describe_params


class GainParams(Params):
    gain: float = Field(1.0, ge=0, le=10, description="multiplies the audio")
    context: int = Field(4, ge=1, le=64, description="samples per frame")


class GainFrameModel(FrameModel):
    """A frame model a user might write: non-overlapping frames of ``context`` samples."""

    def __init__(self, p: GainParams, n_outputs: int):
        super().__init__()
        self.context = self.stride = p.context
        self.n_outputs = n_outputs
        self.conv = nn.Conv1d(1, n_outputs, p.context, stride=p.context)
        self.gain = p.gain

    def forward(self, audio):
        return self.conv(self.gain * audio)


class GainNet(Architecture):
    kind = "frame"
    Params = GainParams

    @classmethod
    def build(cls, params, samplerate, n_outputs):
        return GainFrameModel(params, n_outputs)


@pytest.fixture
def unregister():
    added = []
    yield added.append
    for name in added:
        architectures._items.pop(name, None)


def test_a_registered_plugin_is_built_by_name(unregister):
    unregister("test-gain")
    register_architecture("test-gain")(GainNet)
    assert "test-gain" in architectures.names() and GainNet.name == "test-gain"
    model = build_model("test-gain", {"gain": "2.5", "context": 8}, 1000, 3)
    assert (model.gain, model.context, model.stride, model.n_outputs) == (2.5, 8, 8, 3)
    assert model(torch.zeros(1, 1, 40)).shape == (1, 3, model.output_frames(40))
    with pytest.raises(HarkError, match=r"architecture test-gain: gain: Input should be less than or equal to 10"):
        build_model("test-gain", {"gain": 11}, 1000, 3)


def test_a_plugin_is_found_through_the_hark_architectures_entry_point_group(monkeypatch, unregister):
    unregister("ep-gain")
    seen_groups = []

    def fake_entry_points(group):
        seen_groups.append(group)
        return [EntryPoint("ep-gain", f"{__name__}:GainNet", group)]

    monkeypatch.setattr("hark.registry.entry_points", fake_entry_points)
    monkeypatch.setattr(architectures, "_entry_points_loaded", False)
    assert build_model("ep-gain", {}, 1000, 2).n_outputs == 2
    assert seen_groups == ["hark.architectures"]


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(HarkError, match="unknown architecture 'convnett'; known: audio-video, autoencoder, calls, clip-ensemble, convnet, ensemble, resnet, tcn, transfer, video"):
        build_model("convnett", {}, 2500, 2)


@pytest.mark.parametrize("samplerate, n_outputs, message", [(0, 2, "samplerate"), (2500, 0, "n_outputs")])
def test_bad_samplerate_or_output_count(samplerate, n_outputs, message):
    with pytest.raises(HarkError, match=message):
        build_model("convnet", {}, samplerate, n_outputs)


def test_params_may_be_a_validated_model_or_strings_from_a_command_line():
    params = ConvNetParams(kernel_size=5)
    assert build_model("convnet", params, 2500, 2).layers["conv1"].conv.kernel_size == (5,)
    model = build_model("convnet", {"kernel_size": "5", "residual": "true", "dense_layers": "8"}, 2500, 2)
    assert model.layers["conv1"].residual and model.layers["dense1"][0].out_channels == 8


def test_count_parameters_leaves_out_the_fixed_front_end_kernels():
    model = build_model("convnet", {"front_end": "spectrogram", "pooling": "none", "n_conv_layers": 1}, 2500, 2)
    total = sum(p.numel() for p in model.parameters())
    assert count_parameters(model) == total
    assert model.front_end.kernels.numel() > 0 and "front_end.kernels" not in dict(model.named_parameters())
    model.layers["conv1"].conv.weight.requires_grad_(False)
    assert count_parameters(model) == total - model.layers["conv1"].conv.weight.numel()
    assert count_parameters(model, trainable_only=False) == total


def test_parameters_are_described_for_the_cli():
    docs = {d.name: d for d in describe_params(ConvNetParams)}
    assert docs["context_ms"].default == 204.8 and "receptive field" in docs["context_ms"].description
    assert docs["dense_layers"].default == (32,)
