"""k-fold splits (DataParams.folds): stratified, balanced, duplicates together, and checked."""

from __future__ import annotations

from collections import Counter

import pytest

from hark.errors import HarkError
from hark.params import validate_params
from hark.train.data import DataParams, TrainingData, split_examples
from hark.train.splits import assign_folds
from tests.train.helpers import write_recording

LABELS = "mel-pulse,mel-sine,ambient"


def test_assign_folds_deals_each_label_evenly_and_keeps_duplicates_together():
    keys = [("a.wav", i, i, "x") for i in range(10)] + [("a.wav", i, i, "y") for i in range(100, 107)]
    keys.append(("a.wav", 3, 3, "x"))  # a second annotator marked the same sound
    strata = [k[3] for k in keys]
    folds = assign_folds(1, 3, keys, strata)
    assert folds == assign_folds(1, 3, keys, strata)  # fixed by the seed
    assert folds != assign_folds(2, 3, keys, strata)
    assert folds[-1] == folds[3]
    for label, expected in (("x", [4, 3, 3]), ("y", [3, 2, 2])):
        counts = Counter(f for f, k in zip(folds[:-1], keys) if k[3] == label)
        assert sorted(counts.values(), reverse=True) == expected
    # the deal goes on across labels, so the folds' sizes differ by at most one
    sizes = Counter(folds[:-1]).values()
    assert max(sizes) - min(sizes) <= 1


def _keys(examples):
    return {(e.recording, e.start, e.stop, e.label) for e in examples}


def test_positive_folds_validate_each_example_once_and_negative_folds_swap_the_sides(fly_demo):
    folder, _ = fly_demo
    everything = split_examples(folder, DataParams(labels=LABELS, validation_percent=0))["training"]
    validated = []
    for fold in (1, 2, 3):
        split = split_examples(folder, DataParams(labels=LABELS, folds=3, validation_fold=fold))
        assert not _keys(split["validation"]) & _keys(split["training"])
        assert {e.label for e in split["validation"]} == {"mel-pulse", "mel-sine", "ambient"}
        validated += split["validation"]
        swapped = split_examples(folder, DataParams(labels=LABELS, folds=-3, validation_fold=fold))
        assert _keys(swapped["training"]) == _keys(split["validation"])
        assert _keys(swapped["validation"]) == _keys(split["training"])
    assert sorted(_keys(validated)) == sorted(_keys(everything)) and len(validated) == len(everything)


def test_split_examples_splits_as_training_data_does(fly_demo):
    folder, _ = fly_demo
    params = DataParams(labels=LABELS, folds=4, validation_fold=2, test_percent=10)
    manifest = TrainingData.from_folder(folder, params).split_manifest()
    split = split_examples(folder, params)
    for side in ("training", "validation", "test"):
        assert _keys(split[side]) == {(e["recording"], e["start"], e["stop"], e["label"]) for e in manifest[side]}
    assert manifest["method"] == "folds" and manifest["folds"] == 4 and manifest["validation_fold"] == 2


@pytest.mark.parametrize(
    "values, message",
    [
        ({"folds": 1}, "at least 2 folds"),
        ({"folds": -1}, "at least 2 folds"),
        ({"folds": 3, "validation_fold": 4}, "beyond the 3 folds"),
        ({"folds": 3, "validation_recordings": ["a.wav"]}, "give one"),
        ({"folds": 3, "supervision": "unsupervised", "labels": []}, "unsupervised supervision"),
    ],
)
def test_bad_fold_settings_are_one_line_errors(values, message):
    with pytest.raises(HarkError, match=message):
        validate_params(DataParams, {"labels": "a,b", **values}, "training data")


def test_a_label_too_rare_for_the_folds_fails_before_any_audio_is_read(tmp_path):
    rows = [(100 * i, 100 * i, "x") for i in range(1, 9)] + [(950, 950, "y")]
    write_recording(tmp_path, "a.wav", rows)
    failures = []
    for fold in (1, 2, 3):
        try:
            split_examples(tmp_path, DataParams(labels="x,y", folds=3, validation_fold=fold))
        except HarkError as err:
            failures.append(str(err))
    assert len(failures) == 1 and "label 'y' has no training examples: all 1 are held out" in failures[0]
