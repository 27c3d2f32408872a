"""Clip supervision in windows: random crops for training, every window of a clip for validation,
short clips padded, and a clip's (or a group's) windows never on both sides of the split."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from hark.evaluate.model_accuracy import per_clip
from hark.models.store import ModelConfig
from hark.train.data import DataParams, TrainingData
from hark.train.data_clip import clip_key
from hark.train.data_item_split import split_items
from hark.train.examples import Example
from tests.train.helpers import write_recording

RATE = 1000


def _ramp(n: int, seed: int) -> np.ndarray:
    """Distinct values at every sample (to 16 bits), so a window's first value says where it began."""
    return (np.linspace(-0.9, 0.9, n) + 0.0001 * seed).astype(np.float32)


@pytest.fixture()
def clips(tmp_path):
    lengths = {"long-a.wav": (6000, "a"), "long-b.wav": (4500, "b"), "short-a.wav": (700, "a"), "short-b.wav": (1300, "b")}
    audio = {}
    for i, (name, (n, label)) in enumerate(lengths.items()):
        path = write_recording(tmp_path, name, [(0, n, label)], frames=n, samplerate=RATE, samples=_ramp(n, i))
        audio[name] = sf.read(path, dtype="float32")[0]
    return tmp_path, audio


def _offset(audio: np.ndarray, window: np.ndarray) -> int:
    return int(np.argmin(np.abs(audio - window[0])))


def test_training_draws_a_random_crop_of_long_clips_each_time_seeded(clips):
    folder, audio = clips
    data = TrainingData.from_folder(folder, DataParams(labels="a,b", supervision="clip", validation_percent=0, clip_window_s=2.0, augmentations=[]))
    assert data.clip_window == 2000 and data.clip_length == 6000
    first = data.training_batch(np.random.default_rng(7), 64, None)
    again = data.training_batch(np.random.default_rng(7), 64, None)
    assert np.array_equal(first.x, again.x)  # seeded
    assert first.x.shape == (64, 2000)
    offsets: dict[str, set[int]] = {}
    for x, ref in zip(first.x, first.where):
        clip = audio[ref.recording]
        if len(clip) >= 2000:
            start = _offset(clip, x)
            assert 0 <= start <= len(clip) - 2000
            np.testing.assert_array_equal(x, clip[start : start + 2000])  # a crop of the clip, nothing else
            offsets.setdefault(ref.recording, set()).add(start)
        else:  # a short clip fills the window by repeating itself
            np.testing.assert_array_equal(x, np.resize(clip, 2000))
    assert all(len(seen) > 3 for seen in offsets.values())  # a different crop each time it is drawn


def test_zero_padding_on_request(clips):
    folder, audio = clips
    params = DataParams(labels="a,b", supervision="clip", validation_percent=0, clip_window_s=2.0, clip_padding="zeros", augmentations=[])
    batch = TrainingData.from_folder(folder, params).training_batch(np.random.default_rng(0), 32, None)
    short = [x for x, ref in zip(batch.x, batch.where) if ref.recording == "short-a.wav"]
    assert short and all(np.array_equal(x[:700], audio["short-a.wav"]) and not x[700:].any() for x in short)


def test_validation_windows_cover_each_clip_once_in_a_fixed_order(clips):
    folder, audio = clips
    params = DataParams(labels="a,b", supervision="clip", validation_percent=100, clip_window_s=2.0, clip_overlap=0.5)
    data = TrainingData.from_folder(folder, params)
    batches = list(data.validation_batches(5, None))
    assert [b.x.tolist() for b in batches] == [b.x.tolist() for b in data.validation_batches(5, None)]
    starts: dict[str, list[int]] = {}
    for batch in batches:
        for x, ref in zip(batch.x, batch.where):
            clip = audio[ref.recording]
            assert ref.label == ref.recording.split("-")[1][0]  # every window carries its clip's label
            starts.setdefault(ref.recording, []).append(_offset(clip, x) if len(clip) > 2000 else 0)
    assert starts == {"long-a.wav": [0, 1000, 2000, 3000, 4000], "long-b.wav": [0, 1000, 2000, 2500], "short-a.wav": [0], "short-b.wav": [0]}


def test_the_window_is_at_most_the_longest_clip(whale_demo):
    folder, _ = whale_demo  # 2 s clips at 2 kHz: read whole, as before windows existed
    assert TrainingData.from_folder(folder, DataParams(labels="upcall,noise", supervision="clip")).clip_window == 4000
    assert TrainingData.from_folder(folder, DataParams(labels="upcall,noise", supervision="clip", clip_window_s=0.5)).clip_window == 1000


def test_windows_of_a_clip_never_straddle_training_and_validation(clips):
    folder, _ = clips
    params = DataParams(labels="a,b", supervision="clip", clip_window_s=1.0, validation_recordings=["long-a.wav", "short-b.wav"])
    data = TrainingData.from_folder(folder, params)
    rng = np.random.default_rng(0)
    trained = {ref.recording for _ in range(30) for ref in data.training_batch(rng, 16, None).where}
    validated = {ref.recording for batch in data.validation_batches(16, None) for ref in batch.where}
    assert trained == {"long-b.wav", "short-a.wav"} and validated == {"long-a.wav", "short-b.wav"}
    assert trained | validated == {"long-a.wav", "long-b.wav", "short-a.wav", "short-b.wav"}


def test_a_groups_clips_go_to_one_side():
    groups = {f"g{g}-c{c}.wav": f"site{g}" for g in range(12) for c in range(5)}
    examples = [Example(name, 0, 1000, "ab"[i % 2], i % 2, True) for i, name in enumerate(sorted(groups))]
    params = DataParams(labels="a,b", supervision="clip", validation_percent=30)
    for seed in range(4):
        training, validation, _, _, _ = split_items(
            examples, clip_key(groups), params.model_copy(update={"split_seed": seed}), None, None, unit="clip"
        )
        sides = {groups[e.recording]: set() for e in examples}
        for side, items in (("training", training), ("validation", validation)):
            for example in items:
                sides[groups[example.recording]].add(side)
        assert all(len(s) == 1 for s in sides.values()) and {"training"} in sides.values() and {"validation"} in sides.values()
    # without groups, the clips of a site are split one by one
    training, validation, _, _, _ = split_items(examples, clip_key(), params, None, None, unit="clip")
    mixed = {groups[e.recording] for e in training} & {groups[e.recording] for e in validation}
    assert mixed


def test_accuracy_aggregates_a_clips_windows():
    config = ModelConfig(architecture="resnet", architecture_params={}, kind="clip", samplerate=RATE, output_names=["a", "b"],
                         labels=["a", "b"], supervision="clip", context=2000, data={"clip_aggregation": "mean"})  # fmt: skip
    windows = {
        "probabilities": np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]], dtype=np.float32),
        "targets": np.array([0, 0, 1, 1]),
        "recordings": np.array(["x.wav", "x.wav", "y.wav", "y.wav"]),
        "positions": np.array([1000, 2000, 1000, 1500]),
    }
    mean = per_clip({k: v.copy() for k, v in windows.items()}, config)
    np.testing.assert_allclose(mean["probabilities"], [[0.6, 0.4], [0.4, 0.6]], atol=1e-6)
    assert mean["targets"].tolist() == [0, 1] and mean["recordings"].tolist() == ["x.wav", "y.wav"]
    maxed = per_clip({k: v.copy() for k, v in windows.items()}, config.model_copy(update={"data": {"clip_aggregation": "max"}}))
    np.testing.assert_allclose(maxed["probabilities"], [[0.9, 0.7], [0.6, 0.8]], atol=1e-6)
    whole = per_clip({k: v.copy() for k, v in windows.items()}, config.model_copy(update={"context": 0}))
    assert len(whole["probabilities"]) == 4  # a model of whole clips (or events): rows stay as they are


def test_a_window_shorter_than_the_models_spectrogram_window_is_refused(clips, tmp_path):
    from hark.errors import HarkError
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    folder, _ = clips
    data = DataParams(labels="a,b", supervision="clip", clip_window_s=0.05, validation_recordings=["long-a.wav", "short-b.wav"])
    with pytest.raises(HarkError, match=r"clip_window_s 0.05 \(50 samples\) is shorter than one spectrogram window of resnet \(128 samples\)") as err:
        train_model(folder, data, TrainParams(architecture="resnet", steps=1, batch_size=2), tmp_path / "m", progress=False)
    assert "\n" not in str(err.value) and not list((tmp_path / "m").glob("ckpt-*"))


def test_whole_recordings_hold_out_whole_groups():
    from hark.errors import HarkError

    groups = {f"g{g}-c{c}.wav": f"site{g}" for g in range(6) for c in range(3)}
    examples = [Example(name, 0, 1000, "ab"[i % 2], i % 2, True) for i, name in enumerate(sorted(groups))]
    params = DataParams(labels="a,b", supervision="clip", validation_split="recordings", validation_percent=20)
    training, validation, _, method, _ = split_items(examples, clip_key(groups), params, None, None, unit="clip")
    assert method == "recordings" and validation
    held = {groups[e.recording] for e in validation}
    assert not held & {groups[e.recording] for e in training}
    assert len(validation) == 3 * len(held)  # every clip of a held-out site
    named = ["g0-c0.wav", "g0-c1.wav", "g0-c2.wav"]
    training, validation, _, _, _ = split_items(examples, clip_key(groups), params, named, None, unit="clip")
    assert sorted(e.recording for e in validation) == named
    with pytest.raises(HarkError, match=r"holds out g0-c0.wav but not g0-c2.wav of the same group 'site0'"):
        split_items(examples, clip_key(groups), params, named[:2], None, unit="clip")
