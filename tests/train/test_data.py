"""DataParams, reports, bad inputs (each a one-line HarkError), and the real fly folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hark.demo import AMBIENT_LABEL, PULSE_LABEL, SINE_LABEL
from hark.errors import HarkError
from hark.params import validate_params
from hark.train.data import DataParams, TrainingData, Window
from tests.train.helpers import write_recording

LABELS = f"{PULSE_LABEL},{SINE_LABEL},{AMBIENT_LABEL}"


def _error(root, **params) -> str:
    with pytest.raises(HarkError) as info:
        TrainingData.from_folder(root, params if "labels" in params else {"labels": "a", **params})
    message = str(info.value)
    assert "\n" not in message
    return message


def test_params_accept_comma_separated_strings_and_describe_every_field():
    params = DataParams(labels="a, b,c", kinds="annotated,detected", validation_recordings="x.wav,y.wav", augmentations="volume,invert")
    assert params.labels == ["a", "b", "c"] and params.kinds == ["annotated", "detected"]
    assert params.validation_recordings == ["x.wav", "y.wav"]
    assert params.augmentations == [{"name": "volume"}, {"name": "invert"}]
    assert all(field.description for field in DataParams.model_fields.values())


@pytest.mark.parametrize(
    "values, message",
    [
        ({"labels": "a", "supervision": "weak"}, "supervision: unknown supervision 'weak'; known: clip, dense, events, sparse, unsupervised$"),
        ({"labels": "a", "batch": 3}, "batch: unknown parameter"),
        ({"labels": "a,a"}, "label 'a' is listed twice"),
        ({"labels": ""}, "give at least one label"),
        ({"labels": "a,not_b", "overlapped": True}, "label 'not_b' starts with the negative prefix 'not_'"),
        ({"labels": "a", "supervision": "dense", "overlapped": True}, "dense supervision trains exclusive classes"),
        ({"labels": "a,background", "supervision": "dense"}, "the background label 'background' is implicit"),
        ({"labels": "a", "validation_percent": 120}, "validation_percent: Input should be less than or equal to 100"),
    ],
)
def test_bad_params_are_one_line_errors(values, message):
    with pytest.raises(HarkError, match=message):
        validate_params(DataParams, values, "training data")


def test_summary_and_manifest(fly_demo):
    folder, recordings = fly_demo
    data = TrainingData.from_folder(folder, DataParams(labels=LABELS))
    summary = data.summary()
    # two recordings: the default split holds out blocks of each
    assert summary["samplerate"] == 2500 and summary["outputs"] == LABELS.split(",") and summary["split"] == "blocks"
    truth = {}
    for recording in recordings:
        for event in recording.events:
            truth[event.label] = truth.get(event.label, 0) + 1
    examples = summary["examples"]
    assert {label: examples["training"].get(label, 0) + examples["validation"].get(label, 0) for label in truth} == truth
    manifest = json.loads(json.dumps(data.split_manifest()))
    assert manifest["split_seed"] == 1 and manifest["validation_percent"] == 20
    assert len(manifest["training"]) == sum(examples["training"].values())
    assert {"recording", "start", "stop", "label"} == set(manifest["validation"][0])
    dense = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense"))
    manifest = json.loads(json.dumps(dense.split_manifest()))
    assert manifest["method"] == "blocks" and {"recording", "start", "stop"} == set(manifest["validation"][0])
    seconds = json.loads(json.dumps(dense.summary()))["seconds"]
    assert sum(seconds["training"].values()) + sum(seconds["validation"].values()) == pytest.approx(60.0, abs=0.01)


def test_an_empty_folder(tmp_path):
    assert "no recordings found" in _error(tmp_path)


def test_a_folder_without_annotations_of_the_kinds(tmp_path):
    write_recording(tmp_path, "r.wav", [])
    assert _error(tmp_path) == f"{tmp_path}: no annotations of kinds annotated"


def test_a_label_with_no_annotations(tmp_path):
    write_recording(tmp_path, "r.wav", [(10, 10, "a"), (20, 20, "b")])
    message = _error(tmp_path, labels="a,c")
    assert message == f"label 'c' has no annotations of kinds annotated in {tmp_path} (labels there: a, b)"


def test_an_overlapped_label_without_negatives(tmp_path):
    write_recording(tmp_path, "r.wav", [(10, 10, "a"), (20, 20, "not_a"), (30, 30, "b")])
    assert _error(tmp_path, labels="a,b", overlapped=True).startswith("label 'not_b' has no annotations of kinds annotated")


def test_fewer_training_examples_than_the_mini_batch(tmp_path):
    write_recording(tmp_path, "r.wav", [(t, t, "a") for t in range(10, 500, 50)])
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a", validation_percent=0))
    data.check_batch_size(10)
    with pytest.raises(HarkError, match=rf"^only 10 training examples of a in {tmp_path}, fewer than the mini-batch of 16; lower"):
        data.check_batch_size(16)
    held = TrainingData.from_folder(tmp_path, DataParams(labels="a", supervision="dense", validation_percent=100))
    with pytest.raises(HarkError, match="no training audio"):
        held.check_batch_size(4)


def test_recordings_of_different_sample_rates(tmp_path):
    write_recording(tmp_path, "a.wav", [(10, 10, "a")], samplerate=1000)
    write_recording(tmp_path, "b.wav", [(10, 10, "a")], samplerate=2000)
    assert _error(tmp_path) == f"recordings of different sample rates in {tmp_path}: a.wav is 1000 Hz but b.wav is 2000 Hz; resample them to one rate (hark resample --rate 1000 --out NEW_FOLDER {tmp_path})"


def test_an_unknown_augmentation_fails_before_reading_audio(tmp_path):
    write_recording(tmp_path, "a.wav", [(10, 10, "a")])
    assert _error(tmp_path, augmentations=[{"name": "echo"}]).startswith("unknown augmentation 'echo'")


def test_an_annotation_of_a_missing_recording(tmp_path):
    write_recording(tmp_path, "a.wav", [(10, 10, "a")])
    (tmp_path / "a.wav-annotated-x.csv").write_text("gone.wav,10,10,annotated,a\n")
    assert _error(tmp_path).endswith("annotates gone.wav, which is not a recording in " + str(tmp_path))


def test_a_window_is_required_except_for_clips(tmp_path):
    write_recording(tmp_path, "a.wav", [(10, 10, "a")])
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a", validation_split="percent"))
    with pytest.raises(HarkError, match="sparse supervision needs a window of at least one sample"):
        data.training_batch(np.random.default_rng(0), 1, None)
    with pytest.raises(HarkError, match="needs a window"):
        next(data.validation_batches(1, Window(context=0)))
    assert data.clip_length is None
    assert data.training_batch(np.random.default_rng(0), 1, Window(9)).x.shape == (1, 9)


@pytest.mark.shared_data
def test_the_real_fly_folder(shared_data):
    folder = shared_data / "fly"
    data = TrainingData.from_folder(folder, DataParams(labels="mel-pulse,mel-sine,ambient", kinds="annotated"))
    summary = data.summary()
    examples = summary["examples"]
    totals = {label: examples["training"].get(label, 0) + examples["validation"].get(label, 0) for label in data.output_names}
    assert totals == {"mel-pulse": 140, "mel-sine": 26, "ambient": 33}  # the not_ labels are not used
    assert summary["samplerate"] == 2500
    annotated = ["20161207T102314_ch1.wav", "PS_20130625111709_ch3.wav"]
    assert summary["recordings"] == {"training": annotated, "validation": annotated, "test": []}
    window = Window(context=255, stride=16, frames=1)
    batch = data.training_batch(np.random.default_rng(0), 64, window)
    assert batch.x.shape == (64, 255) and np.abs(batch.x).max() > 0

    overlapped = TrainingData.from_folder(
        folder, DataParams(labels="mel-pulse,mel-sine", overlapped=True, validation_recordings="PS_20130625111709_ch3.wav")
    )
    examples = overlapped.summary()["examples"]
    assert examples["training"] == {"mel-pulse": 67, "mel-sine": 15, "not_mel-pulse": 101, "not_mel-sine": 75}
    assert examples["validation"] == {"mel-pulse": 73, "mel-sine": 11, "not_mel-pulse": 37, "not_mel-sine": 49}


def test_a_label_held_out_entirely(tmp_path):
    write_recording(tmp_path, "a.wav", [(10, 10, "a")])
    write_recording(tmp_path, "b.wav", [(10, 10, "a"), (20, 20, "b")])
    message = _error(tmp_path, labels="a,b", validation_recordings="b.wav")
    assert message.startswith("label 'b' has no training examples: all 1 are held out for validation")
