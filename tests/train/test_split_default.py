"""The default (honest) split: whole recordings with five or more, else blocks of each recording.

Never single annotations drawn from the recordings the model trains on (that is
``validation_split="percent"``, kept as an option).
"""

from __future__ import annotations

import numpy as np
import pytest

from hark.errors import HarkError
from hark.train.data import DataParams, TrainingData, Window, split_examples
from hark.train.splits import pick_recordings, recordings_to_hold_out
from tests.train.helpers import write_recording

RATE = 1000


def _points(label: str, first: int, n: int, every: int = 97) -> list[tuple[int, int, str]]:
    return [(first + every * i, first + every * i, label) for i in range(n)]


def _folder(tmp_path, n_recordings: int, frames: int = 20_000):
    for i in range(n_recordings):
        write_recording(tmp_path, f"r{i}.wav", _points("x", 50, 150, 131) + _points("y", 70, 150, 127), frames=frames)
    return tmp_path


def test_how_many_recordings_are_held_out_whole():
    # 20 % rounded, at least one, never all: one must train
    assert [recordings_to_hold_out(n, 20) for n in (2, 3, 4, 5, 8, 10, 13)] == [1, 1, 1, 1, 2, 2, 3]
    assert recordings_to_hold_out(3, 90) == 2 and recordings_to_hold_out(4, 20, test=2) == 1 and recordings_to_hold_out(2, 20, test=1) == 0
    names = [f"r{i}.wav" for i in range(10)]
    picked = pick_recordings(1, 2, names)
    assert len(picked) == 2 and picked == pick_recordings(1, 2, list(reversed(names)))  # fixed by seed and names
    assert any(pick_recordings(seed, 2, names) != picked for seed in range(2, 6))


@pytest.mark.parametrize("supervision", ["sparse", "events"])
def test_five_or_more_recordings_hold_whole_ones_out(tmp_path, supervision):
    folder = _folder(tmp_path, 5)
    data = TrainingData.from_folder(folder, DataParams(labels="x,y", supervision=supervision))
    manifest, summary = data.split_manifest(), data.summary()
    assert manifest["method"] == "recordings" and manifest["validation_split"] == "auto"
    validated, trained = summary["recordings"]["validation"], summary["recordings"]["training"]
    assert len(validated) == 1 and manifest["validation_recordings"] == validated
    assert sorted(validated + trained) == [f"r{i}.wav" for i in range(5)]
    # every annotation of the held-out recording validates, none of the others does
    assert len(manifest["validation"]) == 300 and {e["recording"] for e in manifest["validation"]} == set(validated)
    assert len(manifest["training"]) == 1200
    split = split_examples(folder, DataParams(labels="x,y", supervision=supervision))  # planning splits the same way
    assert {e.recording for e in split["validation"]} == set(validated)


def test_fewer_recordings_hold_blocks_out_and_no_training_window_reaches_them(tmp_path):
    folder = _folder(tmp_path, 2)
    data = TrainingData.from_folder(folder, DataParams(labels="x,y"))
    manifest = data.split_manifest()
    assert manifest["method"] == "blocks"
    blocks = {name: [tuple(b) for b in regions] for name, regions in manifest["validation_blocks"].items()}
    # 20 % of each recording's 10 blocks of 2000 samples: two blocks (adjacent ones merged)
    assert set(blocks) == {"r0.wav", "r1.wav"} and all(sum(hi - lo for lo, hi in b) == 4000 for b in blocks.values())
    assert all(lo % 2000 == 0 and hi % 2000 == 0 for b in blocks.values() for lo, hi in b)
    for e in manifest["validation"]:
        assert any(lo <= e["start"] < hi for lo, hi in blocks[e["recording"]])
    for e in manifest["training"]:
        assert not any(lo <= e["start"] < hi for lo, hi in blocks[e["recording"]])
    window = Window(context=301, stride=1, frames=1)
    rng = np.random.default_rng(0)
    trained_near_a_block = False
    for _ in range(20):
        for ref in data.training_batch(rng, 64, window).where:
            first = ref.position - window.centre_offset
            for lo, hi in blocks[ref.recording]:
                assert first + window.length <= lo or first >= hi, (ref, lo, hi)
                trained_near_a_block |= lo - 2 * window.length < first < hi + window.length
    assert trained_near_a_block  # the guard is tight: examples just clear of a block still train
    for batch in data.validation_batches(64, window):
        for ref in batch.where:
            assert any(lo <= ref.position < hi for lo, hi in blocks[ref.recording])


def test_events_leave_out_training_events_whose_audio_reaches_a_block(tmp_path):
    folder = _folder(tmp_path, 2)
    params = DataParams(labels="x,y", supervision="events", margin_ms=40)
    manifest = TrainingData.from_folder(folder, params).split_manifest()
    assert manifest["method"] == "blocks"
    reach = 40 + 1  # the margin faded in around an event (40 ms at 1 kHz), and the event's last sample
    for e in manifest["training"]:
        for lo, hi in manifest["validation_blocks"][e["recording"]]:
            assert e["stop"] + reach <= lo or e["start"] - reach >= hi
    assert len(manifest["training"]) + len(manifest["validation"]) < 600  # some near the blocks are neither


def test_dense_follows_the_same_rule(tmp_path):
    for i in range(5):
        write_recording(tmp_path / "five", f"r{i}.wav", [(100, 600, "a")], frames=2000)
    # 5 % of five recordings rounds to none: at least one is held out whole all the same
    five = TrainingData.from_folder(tmp_path / "five", DataParams(labels="a", supervision="dense", validation_percent=5))
    assert five.summary()["split"] == "stretches" and len(five.summary()["recordings"]["validation"]) == 1
    old = TrainingData.from_folder(tmp_path / "five", DataParams(labels="a", supervision="dense", validation_percent=5, validation_split="percent"))
    assert old.summary()["split"] == "blocks"  # the old rule kept blocks here
    two = tmp_path / "two"
    for i in range(2):
        write_recording(two, f"r{i}.wav", [(100, 600, "a")], frames=2000)
    assert TrainingData.from_folder(two, DataParams(labels="a", supervision="dense", validation_percent=50)).summary()["split"] == "blocks"
    forced = TrainingData.from_folder(two, DataParams(labels="a", supervision="dense", validation_percent=50, validation_split="recordings"))
    assert forced.summary()["split"] == "stretches" and len(forced.summary()["recordings"]["validation"]) == 1


def test_the_old_percent_split_and_named_recordings_still_work(tmp_path):
    folder = _folder(tmp_path, 4)
    old = TrainingData.from_folder(folder, DataParams(labels="x,y", validation_split="percent")).split_manifest()
    assert old["method"] == "percent" and {e["recording"] for e in old["validation"]} == {f"r{i}.wav" for i in range(4)}
    named = TrainingData.from_folder(folder, DataParams(labels="x,y", validation_recordings="r2.wav")).split_manifest()
    assert named["method"] == "recordings" and {e["recording"] for e in named["validation"]} == {"r2.wav"}
    blocks = TrainingData.from_folder(folder, DataParams(labels="x,y", validation_split="blocks")).split_manifest()
    assert blocks["method"] == "blocks" and set(blocks["validation_blocks"]) == {f"r{i}.wav" for i in range(4)}


def test_a_label_only_in_the_picked_recording_falls_back_to_blocks(tmp_path):
    for i in range(3):
        rows = _points("x", 50, 60) + (_points("y", 70, 60) if i == 2 else [])
        write_recording(tmp_path, f"r{i}.wav", rows, frames=8000)
    # a seed whose pick of one of the three recordings is r2.wav, the only one with 'y'
    seed = next(seed for seed in range(100) if pick_recordings(seed, 1, [f"r{i}.wav" for i in range(3)]) == ["r2.wav"])
    manifest = TrainingData.from_folder(tmp_path, DataParams(labels="x,y", split_seed=seed, whole_recordings_from=3)).split_manifest()
    assert manifest["method"] == "blocks"  # whole recordings would leave 'y' unlearnt
    assert {e["label"] for e in manifest["training"]} == {e["label"] for e in manifest["validation"]} == {"x", "y"}
    with pytest.raises(HarkError, match="label 'y' has no training examples"):
        TrainingData.from_folder(tmp_path, DataParams(labels="x,y", split_seed=seed, validation_split="recordings"))


def test_clips_are_held_out_as_whole_files_and_cannot_be_cut_into_blocks(tmp_path):
    for i in range(10):
        write_recording(tmp_path, f"c{i}.wav", [(0, 500, "x" if i % 2 else "y")], frames=500)
    manifest = TrainingData.from_folder(tmp_path, DataParams(labels="x,y", supervision="clip", validation_percent=30)).split_manifest()
    assert manifest["method"] == "percent"  # the unit is the file
    with pytest.raises(HarkError, match="validation_split blocks: a clip is one label per file"):
        TrainingData.from_folder(tmp_path, DataParams(labels="x,y", supervision="clip", validation_split="blocks"))


def test_whole_recordings_from_sets_how_many_recordings_hold_whole_ones_out(tmp_path):
    folder = _folder(tmp_path, 3)
    assert TrainingData.from_folder(folder, DataParams(labels="x,y")).summary()["split"] == "blocks"  # below the default five
    assert TrainingData.from_folder(folder, DataParams(labels="x,y", whole_recordings_from=3)).summary()["split"] == "recordings"
    assert TrainingData.from_folder(folder, DataParams(labels="x,y", whole_recordings_from=4)).summary()["split"] == "blocks"
    dense = tmp_path / "dense"
    for i in range(3):
        write_recording(dense, f"r{i}.wav", [(100, 600, "a")], frames=2000)
    assert TrainingData.from_folder(dense, DataParams(labels="a", supervision="dense")).summary()["split"] == "blocks"
    assert TrainingData.from_folder(dense, DataParams(labels="a", supervision="dense", whole_recordings_from=3)).summary()["split"] == "stretches"
    assert TrainingData.from_folder(dense, DataParams(labels="a", supervision="dense", whole_recordings_from=4)).summary()["split"] == "blocks"


def test_blocks_also_hold_out_a_label_the_seeded_pick_missed(tmp_path):
    # 'y' sounds only in the last two of ten 2000-sample blocks, where seed 1's pick does not fall
    rows = _points("x", 50, 150, 131) + _points("y", 16_050, 30, 127)
    write_recording(tmp_path, "r0.wav", rows, frames=20_000)
    from hark.train.splits import split_blocks

    picked = split_blocks(20_000, 10, 1, 20.0, "r0.wav")
    assert not any(lo < 20_000 and 16_000 < hi for lo, hi in picked)  # the premise: no pick reaches the 'y' stretch
    manifest = TrainingData.from_folder(tmp_path, DataParams(labels="x,y")).split_manifest()
    blocks = [tuple(b) for b in manifest["validation_blocks"]["r0.wav"]]
    assert set(picked) <= set(blocks) or all(any(lo <= a and b <= hi for lo, hi in blocks) for a, b in picked)
    added = [(lo, hi) for lo, hi in blocks if lo < 20_000 and 16_000 < hi]
    assert len(added) == 1 and added[0][1] - added[0][0] == 2000  # one more block, of the 'y' stretch; the other still trains
    labels_validated = {e["label"] for e in manifest["validation"]}
    labels_trained = {e["label"] for e in manifest["training"]}
    assert labels_validated == labels_trained == {"x", "y"}
