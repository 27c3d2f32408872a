"""Splits: seeded and stable percent splits, whole recordings held out, blocks with guard gaps."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hark.demo import AMBIENT_LABEL, PULSE_LABEL, SINE_LABEL
from hark.errors import HarkError
from hark.train.data import DataParams, TrainingData, Window
from hark.train.splits import complement, held_out, pick_by_rank, seeded_uniform, split_blocks
from tests.train.helpers import write_recording

LABELS = f"{PULSE_LABEL},{SINE_LABEL},{AMBIENT_LABEL}"


def _keys(manifest, side):
    return {(e["recording"], e["start"], e["stop"], e["label"]) for e in manifest[side]}


def test_seeded_uniform_is_fixed_by_seed_and_key():
    assert seeded_uniform(1, "a.wav", 10, 20, "x") == seeded_uniform(1, "a.wav", 10, 20, "x")
    assert seeded_uniform(1, "a.wav", 10, 20, "x") != seeded_uniform(2, "a.wav", 10, 20, "x")
    values = np.array([seeded_uniform(5, "r", i) for i in range(4000)])
    assert values.min() >= 0 and values.max() < 1
    assert np.mean(values < 0.2) == pytest.approx(0.2, abs=0.02)
    assert not held_out(5, 0, "r", 1) and held_out(5, 100, "r", 1)


def test_percent_split_holds_out_about_that_share_and_depends_on_the_seed(fly_demo):
    folder, _ = fly_demo
    a = TrainingData.from_folder(folder, DataParams(labels=LABELS, validation_percent=30, split_seed=1, validation_split="percent")).split_manifest()
    b = TrainingData.from_folder(folder, DataParams(labels=LABELS, validation_percent=30, split_seed=2, validation_split="percent")).split_manifest()
    total = len(a["training"]) + len(a["validation"])
    assert len(a["validation"]) / total == pytest.approx(0.3, abs=0.08)
    assert _keys(a, "validation") != _keys(b, "validation")
    assert not _keys(a, "validation") & _keys(a, "training")


def test_adding_annotations_leaves_the_old_ones_where_they_were(fly_demo, tmp_path):
    folder, recordings = fly_demo
    shutil.copytree(folder, tmp_path / "gt")
    before = TrainingData.from_folder(tmp_path / "gt", DataParams(labels=LABELS)).split_manifest()
    csv = tmp_path / "gt" / recordings[0].csv.name
    extra = "".join(f"{recordings[0].name},{t},{t},annotated,{PULSE_LABEL}\n" for t in range(1000, 60000, 997))
    csv.write_text(csv.read_text() + extra)
    after = TrainingData.from_folder(tmp_path / "gt", DataParams(labels=LABELS)).split_manifest()
    assert _keys(before, "training") <= _keys(after, "training")
    assert _keys(before, "validation") <= _keys(after, "validation")
    assert len(after["training"]) + len(after["validation"]) > len(before["training"]) + len(before["validation"])


def _fly_recordings_folder(tmp_path, fly_demo):
    """The two demo fly recordings, one in a subfolder, plus a third in another."""
    folder, recordings = fly_demo
    root = tmp_path / "gt"
    for sub, recording in zip(("day1", "day2"), recordings):
        (root / sub).mkdir(parents=True)
        shutil.copy(recording.wav, root / sub / recording.name)
        shutil.copy(recording.csv, root / sub / recording.csv.name)
    return root


@pytest.mark.parametrize("how", ["list", "text file", "subfolder"])
def test_held_out_recordings_never_reach_a_training_batch(tmp_path, fly_demo, how):
    root = _fly_recordings_folder(tmp_path, fly_demo)
    held = "day2/fly-02.wav"
    spec = {"list": [held], "text file": None, "subfolder": "day2"}[how]
    if how == "text file":
        names = tmp_path / "validation.txt"
        names.write_text(f"# held out\n\n{held}\n")
        spec = str(names)
    data = TrainingData.from_folder(root, DataParams(labels=LABELS, validation_recordings=spec))
    summary = data.summary()
    assert summary["split"] == "recordings"
    assert summary["recordings"] == {"training": ["day1/fly-01.wav"], "validation": [held], "test": []}
    window = Window(context=255, stride=16, frames=4)
    rng = np.random.default_rng(0)
    trained_on = {ref.recording for _ in range(20) for ref in data.training_batch(rng, 64, window).where}
    validated_on = {ref.recording for b in data.validation_batches(64, window) for ref in b.where}
    assert trained_on == {"day1/fly-01.wav"} and validated_on == {held}
    assert data.split_manifest()["validation_recordings"] == [held]


def test_unknown_validation_recordings_are_named(tmp_path, fly_demo):
    root = _fly_recordings_folder(tmp_path, fly_demo)
    with pytest.raises(HarkError, match=r"validation recording 'day3/x.wav' is not in .*gt \(its 2 recordings: day1/fly-01.wav"):
        TrainingData.from_folder(root, DataParams(labels=LABELS, validation_recordings="day1/fly-01.wav,day3/x.wav"))
    names = tmp_path / "names.txt"
    names.write_text("fly-02.wav\n")
    with pytest.raises(HarkError, match=r"'fly-02.wav' \(listed in .*names.txt\) is not in"):
        TrainingData.from_folder(root, DataParams(labels=LABELS, validation_recordings=str(names)))


def test_pick_by_rank_and_blocks():
    assert len(pick_by_rank(1, 20, [(i,) for i in range(10)])) == 2
    assert pick_by_rank(1, 20, [(i,) for i in range(2)]) == set()
    blocks = split_blocks(1000, 10, 1, 30, "a.wav")
    assert sum(hi - lo for lo, hi in blocks) == 300
    assert all(lo % 100 == 0 and hi % 100 == 0 for lo, hi in blocks)
    assert split_blocks(1000, 10, 1, 30, "a.wav") == blocks != split_blocks(1000, 10, 1, 30, "b.wav")


def test_complement_keeps_a_guard_from_held_out_regions():
    assert complement(1000, [(200, 300), (300, 400), (800, 1000)], guard=50) == [(0, 150), (450, 750)]
    assert complement(1000, [], guard=50) == [(0, 1000)]
    assert complement(1000, [(0, 100)], guard=0) == [(100, 1000)]


def test_dense_training_windows_keep_a_window_away_from_validation_blocks(fly_demo):
    folder, _ = fly_demo
    data = TrainingData.from_folder(folder, DataParams(labels=LABELS, supervision="dense", validation_percent=20))
    manifest = data.split_manifest()
    assert manifest["method"] == "blocks" and manifest["guard"]
    held = {}
    for region in manifest["validation"]:
        held.setdefault(region["recording"], []).append((region["start"], region["stop"]))
    assert held
    window = Window(context=255, stride=16, frames=8)
    rng = np.random.default_rng(0)
    for equalize in (True, False):
        data.source.equalize = equalize
        for _ in range(10):
            for ref in data.training_batch(rng, 128, window).where:
                start = ref.position - window.centre_offset
                for lo, hi in held.get(ref.recording, []):
                    # disjoint, with at least a window's length between
                    assert start + window.length + window.length <= lo or start >= hi + window.length
    for batch in data.validation_batches(64, window):
        for ref in batch.where:
            start = ref.position - window.centre_offset
            assert any(lo <= start and start + window.length <= hi for lo, hi in held[ref.recording])


def test_dense_holds_out_whole_stretches_when_there_are_enough(tmp_path):
    for i in range(5):
        write_recording(tmp_path, f"r{i}.wav", [(100, 600, "a")], frames=2000)
    data = TrainingData.from_folder(tmp_path, DataParams(labels="a", supervision="dense", validation_percent=20))
    summary = data.summary()
    assert summary["split"] == "stretches"
    assert len(summary["recordings"]["validation"]) == 1
    assert not set(summary["recordings"]["validation"]) & set(summary["recordings"]["training"])
    window = Window(context=101, stride=10, frames=5)
    trained_on = {r.recording for r in data.training_batch(np.random.default_rng(0), 256, window).where}
    assert trained_on == set(summary["recordings"]["training"])
