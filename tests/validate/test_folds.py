"""Planning cross-validations: names, seeds, withheld recordings, and the checks made before training."""

from __future__ import annotations

import shutil

import pytest

from hark.errors import HarkError
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.validate import plan_generalization, plan_xvalidation
from tests.train.helpers import write_recording

LABELS = "mel-pulse,mel-sine,ambient"
TINY = TrainParams(steps=20, batch_size=8, validation_period=10, weights_seed=5)


def test_xvalidation_plans_one_model_per_fold_and_replicate_with_successive_weight_seeds(fly_three):
    folder, _ = fly_three
    plan = plan_xvalidation(folder, DataParams(labels=LABELS), TINY, folds=2, replicates=3)
    assert [run.name for run in plan.runs] == ["1k_1r", "1k_2r", "1k_3r", "2k_1r", "2k_2r", "2k_3r"]
    assert [run.training.weights_seed for run in plan.runs] == [5, 6, 7, 5, 6, 7]
    assert {run.training.batch_seed for run in plan.runs} == {1}
    assert [(run.data.folds, run.data.validation_fold) for run in plan.runs[::3]] == [(2, 1), (2, 2)]
    manifest = plan.manifest()
    assert manifest["kind"] == "xvalidate" and manifest["weights_seeds"] == [5, 6, 7] and manifest["labels"] == LABELS.split(",")


def test_a_fold_without_examples_of_a_label_is_named_before_any_training(fly_three):
    folder, _ = fly_three  # mel-sine has 6 annotations: 8 folds leave two folds without one to validate
    with pytest.raises(HarkError, match=r"fold 3 of 8 has no validation examples of 'mel-sine': the label has 6 annotations for 8 folds"):
        plan_xvalidation(folder, DataParams(labels=LABELS), TINY.model_copy(update={"batch_size": 4}), folds=8)
    # negative k: each model trains on one eighth, and some eighths hold no mel-sine to train on
    with pytest.raises(HarkError, match=r"fold 3 of -8: label 'mel-sine' has no training examples"):
        plan_xvalidation(folder, DataParams(labels=LABELS), TINY.model_copy(update={"batch_size": 4}), folds=-8)


def test_bad_xvalidation_settings_are_refused(fly_three):
    folder, _ = fly_three
    with pytest.raises(HarkError, match="at least 2 folds"):
        plan_xvalidation(folder, DataParams(labels=LABELS), TINY, folds=1)
    with pytest.raises(HarkError, match="fewer than the mini-batch of 512"):
        plan_xvalidation(folder, DataParams(labels=LABELS), TINY.model_copy(update={"batch_size": 512}), folds=2)
    with pytest.raises(HarkError, match="architecture convnet"):
        plan_xvalidation(folder, DataParams(labels=LABELS), TINY.model_copy(update={"architecture_params": {"kernel_size": "big"}}), folds=2)
    with pytest.raises(HarkError, match=r"fold \d+ of 40 has no validation examples of"):
        plan_xvalidation(folder, DataParams(labels=LABELS, supervision="dense"), TINY, folds=40)


def test_omit_one_withholds_each_annotated_recording_in_turn(fly_three):
    folder, _ = fly_three
    plan = plan_generalization(folder, DataParams(labels=LABELS), TINY, "one", replicates=2)
    assert [run.name for run in plan.runs] == ["1w_1r", "1w_2r", "2w_1r", "2w_2r", "3w_1r", "3w_2r"]
    assert [run.withheld for run in plan.runs[::2]] == [("fly-01.wav",), ("fly-02.wav",), ("fly-03.wav",)]
    # nested (the default): the withheld recording is held out of training and of validation alike
    assert [run.data.test_recordings for run in plan.runs[::2]] == [["fly-01.wav"], ["fly-02.wav"], ["fly-03.wav"]]
    assert all(run.data.validation_recordings is None for run in plan.runs)
    assert plan.notes == () and plan.omit == "one" and plan.nested and plan.manifest()["nested"]
    flat = plan_generalization(folder, DataParams(labels=LABELS), TINY, "one", nested=False)
    assert [run.data.validation_recordings for run in flat.runs] == [["fly-01.wav"], ["fly-02.wav"], ["fly-03.wav"]]
    assert all(run.data.test_recordings is None for run in flat.runs) and not flat.nested


def test_omit_some_deals_the_recordings_into_partitions(tmp_path, fly_three):
    folder, recordings = fly_three
    root = tmp_path / "gt"
    root.mkdir()
    for i in range(5):  # five recordings: the three demo ones and two copies
        source = recordings[i % 3]
        shutil.copy(source.wav, root / f"r{i}.wav")
        text = source.csv.read_text().replace(source.wav.name, f"r{i}.wav")
        (root / f"r{i}.wav-annotated-demo.csv").write_text(text)
    plan = plan_generalization(root, DataParams(labels=LABELS), TINY, "some", partitions=2)
    sets = [run.withheld for run in plan.runs]
    assert len(sets) == 2 and sorted(len(s) for s in sets) == [2, 3]
    assert sorted(name for s in sets for name in s) == [f"r{i}.wav" for i in range(5)]
    again = plan_generalization(root, DataParams(labels=LABELS, split_seed=1), TINY, "some", partitions=2)
    assert [run.withheld for run in again.runs] == sets  # fixed by the split seed
    with pytest.raises(HarkError, match="only 5 recordings to withhold, fewer than the 6 partitions"):
        plan_generalization(root, DataParams(labels=LABELS), TINY, "some", partitions=6)


def test_omit_all_trains_one_model_withholding_the_named_recordings(fly_three):
    folder, _ = fly_three
    plan = plan_generalization(folder, DataParams(labels=LABELS), TINY, "all", ["fly-02.wav", "fly-03.wav"])
    assert [(run.name, run.withheld) for run in plan.runs] == [("1w_1r", ("fly-02.wav", "fly-03.wav"))]
    with pytest.raises(HarkError, match="name them"):
        plan_generalization(folder, DataParams(labels=LABELS), TINY, "all")
    with pytest.raises(HarkError, match="leaves nothing to train on"):
        plan_generalization(folder, DataParams(labels=LABELS), TINY, "all", ["fly-01.wav", "fly-02.wav", "fly-03.wav"])
    with pytest.raises(HarkError, match="'nope.wav' is not in"):
        plan_generalization(folder, DataParams(labels=LABELS), TINY, "one", ["nope.wav"])


def test_withholding_the_only_recording_of_a_label_is_an_error_and_a_label_missing_from_validation_a_note(tmp_path):
    write_recording(tmp_path, "a.wav", [(100 * i, 100 * i, "x") for i in range(1, 15)] + [(1500, 1500, "y")])
    write_recording(tmp_path, "b.wav", [(100 * i, 100 * i, "x") for i in range(1, 15)])
    with pytest.raises(HarkError, match=r"fold 1 \(withholding a.wav\).*'y'"):
        plan_generalization(tmp_path, DataParams(labels="x,y"), TINY, "one")
    plan = plan_generalization(tmp_path, DataParams(labels="x,y"), TINY, "one", ["b.wav"], nested=False)
    assert plan.notes == ("fold 1 (withholding b.wav) validates no 'y'",)
    # nested, the single 'y' of a.wav would have to train and validate (tune) at once
    with pytest.raises(HarkError, match=r"fold 1 \(withholding b.wav\): label 'y' has no training examples"):
        plan_generalization(tmp_path, DataParams(labels="x,y"), TINY, "one", ["b.wav"])


def test_dense_xvalidation_deals_each_recordings_blocks_into_the_folds(fly_three):
    from hark.train.data import TrainingData

    folder, recordings = fly_three
    plan = plan_xvalidation(folder, DataParams(labels=LABELS, supervision="dense"), TINY, folds=3)
    assert [(run.data.folds, run.data.validation_fold) for run in plan.runs] == [(3, 1), (3, 2), (3, 3)]
    covered: dict[str, list[tuple[int, int]]] = {}
    for run in plan.runs:
        manifest = TrainingData.from_folder(folder, run.data).split_manifest()
        assert manifest["method"] == "folds" and manifest["guard"]
        held = {}
        for region in manifest["validation"]:
            held.setdefault(region["recording"], []).append((region["start"], region["stop"]))
        assert set(held) == {r.name for r in recordings}  # every fold validates on a share of every recording
        for name, regions in held.items():
            covered.setdefault(name, []).extend(regions)
        # negative k: the same fold trains, every other one validates
        flipped = TrainingData.from_folder(folder, run.data.model_copy(update={"folds": -3})).split_manifest()
        for region in flipped["validation"]:
            assert all(region["stop"] <= lo or region["start"] >= hi for lo, hi in held.get(region["recording"], []))
    for recording in recordings:  # the folds' validation blocks tile each recording exactly once
        regions = sorted(covered[recording.name])
        assert regions[0][0] == 0 and regions[-1][1] == recording.frames
        assert all(a[1] == b[0] for a, b in zip(regions, regions[1:]))
