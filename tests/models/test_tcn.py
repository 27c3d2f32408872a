import torch

from hark.models import build_model, count_parameters
from tests.models.helpers import calibrate, make_audio, per_window_outputs

FINCH_RATE = 32000


def test_default_segments_finch_song_per_millisecond_with_almost_a_second_of_context():
    model = build_model("tcn", {}, FINCH_RATE, 4)
    # spectrogram of 4 ms windows, 1 ms hop; 2 stacks x dilations 1..32 x (kernel 8 - 1) taps
    frames = 1 + 2 * 7 * 63
    assert (model.context, model.stride) == (128 + (frames - 1) * 32, 32)
    assert 500 <= 1000 * model.context / FINCH_RATE <= 1000  # enough to hear the syllables around
    assert count_parameters(model) < 200_000


def test_context_follows_kernel_dilations_and_stacks():
    model = build_model("tcn", {"front_end": "waveform", "kernel_size": 3, "n_dilations": 3, "n_stacks": 2}, 8000, 2)
    assert (model.context, model.stride) == (1 + 2 * 2 * 7, 1)


def test_spectrogram_front_end_gives_one_frame_per_hop():
    params = {"front_end": "spectrogram", "window_ms": 4, "stride_ms": 1, "n_dilations": 3, "kernel_size": 3}
    model = build_model("tcn", params, 8000, 2)
    # window 32 samples, hop 8; 2 stacks of taps 2 x (1 + 2 + 4) add 28 frames of 8 samples
    assert (model.context, model.stride) == (32 + 28 * 8, 8)
    x = make_audio(model.context + 9 * 8 + 5)
    with torch.no_grad():
        assert model.eval()(x).shape == (2, 2, 10)


def test_without_skip_connections_the_last_block_feeds_the_output():
    params = {"front_end": "waveform", "n_dilations": 2, "kernel_size": 3, "skip_connections": False, "n_stacks": 1}
    model = build_model("tcn", params, 8000, 2)
    x = make_audio(model.context + 20)
    calibrate(model, x)
    with torch.no_grad():
        hidden = model.forward_hidden(x)
    expected = model.output(torch.relu(hidden["block2"]))
    torch.testing.assert_close(hidden["output"], expected)
    torch.testing.assert_close(per_window_outputs(model, x), hidden["output"], atol=1e-5, rtol=0)


def test_hidden_layers_are_the_blocks_in_order():
    model = build_model("tcn", {"front_end": "waveform", "n_dilations": 2, "n_stacks": 2, "kernel_size": 2}, 8000, 2).eval()
    assert model.hidden_layers() == ["front_end", "block1", "block2", "block3", "block4", "skip_sum", "output"]
    with torch.no_grad():
        hidden = model.forward_hidden(make_audio(100))
    assert list(hidden) == ["front_end", "block1", "block2", "block3", "block4", "skip_sum", "output"]
    assert [hidden[f"block{i}"].shape[-1] for i in range(1, 5)] == [99, 97, 96, 94]
