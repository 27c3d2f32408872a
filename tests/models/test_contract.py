"""The contract every registered architecture keeps (the shipped ones and installed plugins).

Frame models: classifying a long chunk in one pass equals classifying each context window
alone, to 1e-5 in float32 (and to rounding in float64, which shows the equality is exact
and the float32 difference only the order of summation); ``output_frames`` gives the
frame count. Clip models: any length gives ``(batch, n_outputs)``. Both export to ONNX
with a dynamic batch and length. Parameter models reject typos and out-of-range values
with one-line errors, and document every parameter with its range (for the CLI and GUI).
"""

from __future__ import annotations

import typing

import annotated_types
import numpy as np
import pytest
import torch

from hark.errors import HarkError
from hark.models import ClipModel, FrameModel, architectures, build_model, export_onnx
from tests.models.helpers import calibrate, make_audio, per_window_outputs

# small settings covering the front ends and their input normalisations, pooling, strides,
# dilation, residuals, norms
SETTINGS: dict[str, list[tuple[int, dict]]] = {
    "convnet": [
        (2500, {}),
        # SongExplorer's 2-D time x frequency layers first, then 1-D ones
        (2500, {"front_end": "spectrogram", "n_conv_layers": 3, "frequency_conv_layers": 2, "frequency_stride": 2, "feature_maps": 4, "context_ms": 150}),
        (
            2500,
            {
                "front_end": "spectrogram", "n_conv_layers": 2, "frequency_conv_layers": 2, "frequency_dilation_growth": 2,
                "normalization": "group", "norm_groups": 2, "pooling": "avg", "kernel_size": 3, "feature_maps": 4, "context_ms": 100,
            },
        ),  # fmt: skip
        (2500, {"front_end": "spectrogram", "pooling": "avg", "n_conv_layers": 2, "kernel_size": 5, "context_ms": 100}),
        (
            2500,
            {
                "front_end": "mel-cepstrum",
                "pooling": "none",
                "n_conv_layers": 3,
                "kernel_size": 3,
                "dilation_growth": 2,
                "residual": True,
                "normalization": "group",
                "norm_groups": 2,
                "dense_layers": [16, 8],
                "context_ms": 80,
            },
        ),
        (
            2500,
            {
                "residual": True,
                "conv_stride": 2,
                "pooling": "max",
                "n_conv_layers": 3,
                "kernel_size": 5,
                "feature_maps": 8,
                "shift_by_ms": 25.6,
                "normalization": "none",
            },
        ),
        (
            2500,
            {
                "front_end": "spectrogram",
                "input_normalization": "pcen",
                "norm_time_ms": 20,
                "n_conv_layers": 2,
                "kernel_size": 5,
                "context_ms": 100,
            },
        ),
        (
            2500,
            {
                "front_end": "mel-cepstrum",
                "input_normalization": "noise_floor",
                "norm_time_ms": 15,
                "pooling": "none",
                "n_conv_layers": 1,
                "kernel_size": 3,
                "context_ms": 40,
            },
        ),
    ],
    "tcn": [
        (8000, {"n_dilations": 4, "kernel_size": 3, "n_filters": 8}),
        (
            8000,
            {
                "front_end": "spectrogram",
                "n_dilations": 3,
                "kernel_size": 3,
                "n_filters": 8,
                "skip_connections": False,
                "normalization": "group",
                "norm_groups": 2,
            },
        ),
        (
            8000,
            {
                "front_end": "spectrogram",
                "input_normalization": "noise_floor",
                "norm_time_ms": 12,
                "n_dilations": 2,
                "kernel_size": 3,
                "n_filters": 8,
            },
        ),
    ],
    "calls": [
        (250_000, {}),
        (48_000, {"low_hz": 2000, "conv_layers": 1, "conv_channels": 4, "n_dilations": 2, "normalization": "group", "norm_groups": 2}),
        (48_000, {"low_hz": 2000, "conv_layers": 1, "conv_channels": 4, "n_dilations": 2, "input_normalization": "pcen", "norm_time_ms": 5}),
    ],
    "resnet": [
        (2000, {}),
        (2000, {"channels": [4], "window_ms": 32, "stride_ms": 8, "low_hz": 50, "high_hz": 500}),
        (2000, {"channels": [4], "input_normalization": "pcen", "norm_time_ms": 100}),
        (2000, {"channels": [4], "input_normalization": "noise_floor", "norm_time_ms": 100}),
        # the mel front end, the ResNet-18-like stem and stages, and masks (identity when exported)
        (16000, {"front_end": "mel", "n_mels": 32, "window_ms": 32, "stride_ms": 16, "preset": "resnet18-quarter", "freq_masks": 2, "time_masks": 2}),
        (16000, {"front_end": "mel", "n_mels": 24, "window_ms": 16, "stride_ms": 8, "low_hz": 500, "channels": [4], "input_normalization": "pcen"}),
    ],
}
PLUGIN_SETTINGS = [(16000, {})]  # an installed plugin is checked with its defaults

CASES = [
    pytest.param(name, rate, params, id=f"{name}-{i}")
    for name in architectures.names()
    for i, (rate, params) in enumerate(SETTINGS.get(name, PLUGIN_SETTINGS))
]
FRAME_CASES = [c for c in CASES if architectures.get(c.values[0]).kind == "frame"]
CLIP_CASES = [c for c in CASES if architectures.get(c.values[0]).kind == "clip"]


def long_chunk_length(model: FrameModel, frames: int = 9) -> int:
    # a remainder short of one more stride must be ignored
    return model.context + (frames - 1) * model.stride + (model.stride - 1)


@pytest.mark.parametrize("name, rate, params", FRAME_CASES)
def test_long_chunk_equals_each_context_window_alone(name, rate, params):
    model = build_model(name, params, rate, 3)
    assert isinstance(model, FrameModel) and model.n_outputs == 3
    audio = make_audio(long_chunk_length(model))
    calibrate(model, audio)
    with torch.no_grad():
        long = model(audio)
    assert long.shape == (2, 3, 9) and model.output_frames(audio.shape[-1]) == 9
    torch.testing.assert_close(long, per_window_outputs(model, audio), atol=1e-5, rtol=0)

    model.double()
    audio = audio.double()
    with torch.no_grad():
        long = model(audio)
    torch.testing.assert_close(long, per_window_outputs(model, audio), atol=1e-10, rtol=0)


@pytest.mark.parametrize("name, rate, params", FRAME_CASES)
def test_output_frames_counts_the_frames(name, rate, params):
    model = build_model(name, params, rate, 2).eval()
    assert model.output_frames(model.context - 1) == 0
    for n in (model.context, model.context + model.stride - 1, model.context + 3 * model.stride + 1):
        with torch.no_grad():
            assert model(make_audio(n, batch=1)).shape[-1] == model.output_frames(n), n


def streams_incrementally(case) -> bool:
    name, rate, params = case.values
    return build_model(name, params, rate, 3).incremental_stream() is not None


@pytest.mark.parametrize("name, rate, params", [case for case in FRAME_CASES if streams_incrementally(case)])
def test_an_incremental_stream_gives_the_frames_of_one_pass(name, rate, params):
    """Where an architecture streams incrementally (each layer keeping its past), uneven chunks give
    the logits of one pass over the whole signal."""
    model = build_model(name, params, rate, 3).eval()
    audio = make_audio(long_chunk_length(model), batch=1)
    calibrate(model, audio)
    model.eval()
    stream = model.incremental_stream()
    with torch.no_grad():
        expected = model(audio)[0]
    cuts = [0, 1, model.stride + 2, model.context - 3, model.context + model.stride, audio.shape[-1]]
    streamed = torch.cat([stream.push(audio[0, 0, a:b]) for a, b in zip(cuts, cuts[1:])], dim=1)
    torch.testing.assert_close(streamed, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name, rate, params", CLIP_CASES)
def test_clips_of_any_length_give_one_row_each(name, rate, params):
    model = build_model(name, params, rate, 3).eval()
    assert isinstance(model, ClipModel) and model.n_outputs == 3
    shortest = getattr(model, "min_samples", 1)
    for n in (shortest, 3 * shortest + 1, rate * 2, rate * 3 + 17):
        with torch.no_grad():
            assert model(make_audio(n, batch=2)).shape == (2, 3), n


# models that read a movie's frames beside the audio have no ONNX form (tests/models/test_video_models.py)
AUDIO_ONLY_CASES = [c for c in CASES if not getattr(architectures.get(c.values[0]), "needs_video", False)]


@pytest.mark.parametrize("name, rate, params", AUDIO_ONLY_CASES)
def test_onnx_export_runs_any_length_in_onnxruntime(name, rate, params, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = build_model(name, params, rate, 3)
    if isinstance(model, FrameModel):
        export_length, run_length = long_chunk_length(model, 4), long_chunk_length(model, 11) - 3
    else:
        export_length, run_length = rate, 2 * rate + 123
    calibrate(model, make_audio(export_length, batch=4))
    path = export_onnx(model, tmp_path / "model.onnx", example_samples=export_length)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    audio = make_audio(run_length, batch=3, seed=7)
    (ours,) = session.run(None, {"audio": audio.numpy()})
    with torch.no_grad():
        expected = model(audio).numpy()
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-4, rtol=0)


def numeric_bounds(field) -> dict[str, float]:
    bounds = {}
    for meta in field.metadata:
        for kind in ("ge", "gt", "le", "lt"):
            if isinstance(meta, getattr(annotated_types, kind.capitalize())):
                bounds[kind] = getattr(meta, kind)
    return bounds


def item_bounds(field) -> dict[str, float]:
    """Bounds on the items of a ``tuple[Annotated[int, Field(...)], ...]`` parameter."""
    args = typing.get_args(field.annotation)
    if typing.get_origin(field.annotation) not in (tuple, list) or not args:
        return {}
    item = args[0]
    if typing.get_origin(item) is not typing.Annotated:
        return {}
    return numeric_bounds(typing.get_args(item)[1]) if len(typing.get_args(item)) > 1 else {}


@pytest.mark.parametrize("name", architectures.names())
def test_every_parameter_has_a_description_and_numbers_a_range(name):
    model = architectures.get(name).Params
    for field_name, field in model.model_fields.items():
        assert field.description, f"{name}.{field_name} has no description"
        if field.annotation in (int, float):
            bounds = numeric_bounds(field)
            assert {"ge", "gt"} & set(bounds) and {"le", "lt"} & set(bounds), f"{name}.{field_name}: {bounds}"


@pytest.mark.parametrize("name", architectures.names())
def test_defaults_build(name):
    assert build_model(name, {}, 16000, 2).n_outputs == 2


@pytest.mark.parametrize("name", architectures.names())
def test_typos_and_out_of_range_values_are_one_line_errors(name):
    params = architectures.get(name).Params
    with pytest.raises(HarkError, match="kernal_size: unknown parameter") as err:
        build_model(name, {"kernal_size": 3}, 16000, 2)
    assert "\n" not in str(err.value) and f"architecture {name}" in str(err.value)
    for field_name, field in params.model_fields.items():
        bad_values = []
        bounds = numeric_bounds(field)
        for kind, step in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
            if kind in bounds:
                bad_values.append(bounds[kind] + step)
        items = item_bounds(field)
        bad_values += [[items["ge"] - 1]] if "ge" in items else []
        bad_values += [[items["le"] + 1]] if "le" in items else []
        if field.annotation in (int, float, bool) or typing.get_origin(field.annotation) is typing.Literal:
            bad_values.append("not-a-value")
        for value in bad_values:
            with pytest.raises(HarkError, match=field_name) as err:
                build_model(name, {field_name: value}, 16000, 2)
            assert "\n" not in str(err.value), (field_name, value)
