"""The annotation budget's bat and insect sets, prepared from ../shared/data: disjoint splits, the oracle's answers."""

import csv
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.annotation_budget import PREPARE
from benchmarks.annotation_budget_bat import BAT_WITHHELD_SPECIES, species_of
from benchmarks.annotation_budget_insects import link_name
from benchmarks.annotation_budget_oracle import answer, candidates, initial_picks, write_answers
from benchmarks.annotation_budget_sets import NEGATIVE


@pytest.fixture(scope="module")
def bats(shared_data, tmp_path_factory):
    return PREPARE["bat"](shared_data, tmp_path_factory.mktemp("budget-bat"))


@pytest.fixture(scope="module")
def insects(shared_data, tmp_path_factory):
    return PREPARE["insects"](shared_data, tmp_path_factory.mktemp("budget-insects"))


def _species(clip: Path) -> str:
    return species_of(clip.name.rsplit("-clip", 1)[0])


def test_bat_clips_of_a_withheld_species_are_never_in_the_pool(bats):
    assert {_species(c) for c in bats.withheld} == set(BAT_WITHHELD_SPECIES)
    assert not {_species(c) for c in bats.pool} & set(BAT_WITHHELD_SPECIES)
    assert not {c.resolve() for c in bats.pool} & {c.resolve() for c in bats.withheld}
    assert len(bats.pool) + len(bats.withheld) == 33  # every annotated clip of the project, once
    # the project's 433 boxes, each a call of one clip
    assert sum(len(bats.truth[c.name]) for c in [*bats.pool, *bats.withheld]) == 433
    assert {e.label for c in bats.pool for e in bats.truth[c.name]} == {"call"}
    assert bats.model_labels == ["call", NEGATIVE] and bats.segmentation == {"min_duration_ms": 1.0, "fill_gap_ms": 3.0}


def test_bat_candidates_are_the_pools_calls_and_gaps_between_them(bats):
    pool = candidates(bats)
    calls = [s for s in pool if s.label == "call"]
    assert len(calls) == sum(len(bats.truth[c.name]) for c in bats.pool)
    gaps = [s for s in pool if s.label == NEGATIVE]
    assert gaps and all(answer(bats, g.recording, g.start, g.stop) == g for g in gaps)
    assert all(answer(bats, s.recording, s.start + 1, s.stop - 1) == s for s in calls if s.stop - s.start > 2)


def test_insect_pool_is_the_training_split_and_withheld_the_validation_split(insects, shared_data):
    with open(shared_data / "insects" / "clips.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    species = {link_name(r["file"]): r["label"] for r in rows}
    assert sorted(p.name for p in insects.pool) == sorted(link_name(r["file"]) for r in rows if r["split"] == "train")
    assert sorted(p.name for p in insects.withheld) == sorted(link_name(r["file"]) for r in rows if r["split"] == "validation")
    assert not {p.resolve() for p in insects.pool} & {p.resolve() for p in insects.withheld}
    assert len(insects.labels) == 32 and insects.model_labels == insects.labels and insects.supervision == "clip"
    # a sound is the whole clip, and the oracle answers its species, wherever in the clip it is asked
    pool = candidates(insects)
    assert len(pool) == len(insects.pool)
    for sound in pool:
        assert sound.start == 0 and sound.label == species[sound.recording]
        assert answer(insects, sound.recording, sound.stop // 3, sound.stop // 2) == sound
    # round 0: 5 clips of each species, all of one with fewer
    per_species = Counter(species[p.name] for p in insects.pool)
    drawn = Counter(s.label for s in initial_picks(pool, insects.labels, insects.initial_per_label, 1))
    assert drawn == {label: min(5, n) for label, n in per_species.items()}


def test_insect_answers_are_written_as_one_event_spanning_each_clip(insects, tmp_path):
    pool = candidates(insects)
    picked = pool[:3]
    write_answers(tmp_path, insects, picked)
    for sound in picked:
        [row] = (tmp_path / f"{sound.recording}-annotated-oracle.csv").read_text().splitlines()
        assert row.split(",")[:5] == [sound.recording, "0", str(sound.stop), "annotated", sound.label]
    assert len(list(tmp_path.glob("*-annotated-oracle.csv"))) == 3
