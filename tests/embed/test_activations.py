"""hark activations: one row per sound per hidden layer, from the model's own forward_hidden."""

from collections import Counter

import numpy as np
import pytest
import torch

from hark.annotations.folder import scan_folder
from hark.audio.recording import open_recording
from hark.embed import ActivationParams, compute_activations, read_activations
from hark.errors import HarkError
from hark.models.store import load_model


def test_each_row_is_the_layer_output_of_the_window_centred_on_the_sound(fly_model, tmp_path):
    data, model = fly_model
    params = ActivationParams(kinds=["annotated"], max_sounds=40, seed=2)
    result = compute_activations(model, data, params, tmp_path / "act")
    loaded = load_model(model)
    assert list(result.layers) == loaded.module.hidden_layers()
    assert len(result.sounds) == 40

    again = read_activations(tmp_path / "act")
    assert again.sounds == result.sounds and again.layers == result.layers
    sound = again.sounds[7]
    recording = open_recording(data / sound.recording)
    context = loaded.module.context
    start = (sound.start + sound.stop) // 2 - context // 2
    window = np.zeros(context, np.float32)
    lo, hi = max(start, 0), min(start + context, recording.frames)
    window[lo - start : hi - start] = recording.read(lo, hi)
    with torch.no_grad():
        hidden = loaded.module.forward_hidden(torch.from_numpy(window)[None, None, :])
    for name, (channels, frames) in again.layers.items():
        expected = hidden[name].reshape(-1).numpy()
        assert expected.size == channels * frames
        np.testing.assert_allclose(again.layer(name)[7], expected, rtol=1e-5, atol=1e-5)


def test_kinds_labels_and_equalize_ratio_choose_the_sounds(fly_model, tmp_path):
    data, model = fly_model
    annotated = scan_folder(data).load_events(["annotated"], ["mel-pulse", "ambient"])
    counts = Counter(e.label for e in annotated)
    params = ActivationParams(kinds="annotated", labels="mel-pulse,ambient", equalize_ratio=1.5, layers="front_end")
    result = compute_activations(model, data, params, tmp_path / "act")
    kept = Counter(e.label for e in result.sounds)
    cap = int(1.5 * min(counts.values()))
    assert kept == {label: min(n, cap) for label, n in counts.items()}
    assert list(result.layers) == ["front_end"]


def test_bad_requests_fail_with_one_line(fly_model, tmp_path):
    data, model = fly_model
    with pytest.raises(HarkError, match=r"layer 'nope': .* has no such layer \(it has front_end"):
        compute_activations(model, data, ActivationParams(layers=["nope"]), tmp_path / "a")
    with pytest.raises(HarkError, match=r"no events of labels bark of kinds annotated to embed"):
        compute_activations(model, data, ActivationParams(kinds=["annotated"], labels=["bark"]), tmp_path / "b")
    with pytest.raises(HarkError, match=r"no activations.json; run hark activations"):
        read_activations(tmp_path / "nothing")
    with pytest.raises(ValueError, match="unknown kind 'annotate'"):
        ActivationParams(kinds=["annotate"])
