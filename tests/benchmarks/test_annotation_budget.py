"""benchmarks.annotation_budget on generated fly song (--quick): the oracle, the strategies, a seed, a resumed run."""

import csv

import pytest

from benchmarks.annotation_budget import ALL, batch_size, curves, labels_to_reach, labels_to_stay, run
from benchmarks.annotation_budget_oracle import STRATEGIES, Sound, answer, candidates, initial_picks, pick_in_time_order, pick_random, read_sounds
from benchmarks.annotation_budget_sets import NEGATIVE, prepare_demo

ROUNDS, PER_ROUND = 1, 4


def _rows(out):
    with open(out / "budget.csv") as f:
        return {(r["strategy"], r["round"]): (r["labels"], r["score"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def budget(tmp_path_factory):
    out = tmp_path_factory.mktemp("budget")
    table = run(["demo"], out, [1], quick=True, rounds=ROUNDS, per_round=PER_ROUND)
    return out, table


@pytest.fixture(scope="module")
def demo(budget):
    out, _ = budget
    return prepare_demo(out, out / "data")  # already prepared by the run: read back, not made again


def _labelled(out, strategy):
    return read_sounds(out / "runs" / "demo" / "seed1" / strategy.replace(" ", "-") / f"labelled-round{ROUNDS}.csv")


def test_the_oracle_answers_a_true_event_with_exactly_its_label_and_times_and_a_gap_with_noise(demo):
    events = [e for e in demo.truth["fly-01.wav"] if e.label in demo.labels]
    sine = next(e for e in events if e.label == "mel-sine")
    # a stretch inside the sine, or one reaching a little beyond it, is the sine event itself
    assert answer(demo, "fly-01.wav", sine.start + 10, sine.stop - 10) == Sound("fly-01.wav", sine.start, sine.stop, "mel-sine")
    assert answer(demo, "fly-01.wav", sine.start - 5, sine.stop + 5) == Sound("fly-01.wav", sine.start, sine.stop, "mel-sine")
    pulse = next(e for e in events if e.label == "mel-pulse")  # a point: a stretch around it is that pulse
    assert answer(demo, "fly-01.wav", pulse.start - 20, pulse.start + 20) == Sound("fly-01.wav", pulse.start, pulse.stop, "mel-pulse")
    gap = next(s for s in candidates(demo) if s.label == NEGATIVE)
    assert answer(demo, gap.recording, gap.start, gap.stop) == gap
    assert not any(e.start <= gap.stop and gap.start <= e.stop for e in demo.truth[gap.recording])


def test_every_label_written_for_training_is_the_truth(budget, demo):
    out, _ = budget
    truth = {(e.recording, e.start, e.stop): e.label for events in demo.truth.values() for e in events}
    for strategy in STRATEGIES:
        labelled = _labelled(out, strategy)
        assert len(labelled) == len(set(labelled)) == 5 * 4 + ROUNDS * PER_ROUND  # 5 per label (noise too), then the round
        for sound in labelled:
            if sound.label == NEGATIVE:
                assert not any(e.start <= sound.stop and sound.start <= e.stop for e in demo.truth[sound.recording])
            else:
                assert truth[(sound.recording, sound.start, sound.stop)] == sound.label
        # and the training folder's CSVs hold exactly these answers
        rows = []
        for path in sorted((out / "runs" / "demo" / "seed1" / strategy.replace(" ", "-") / "data").glob("*-annotated-oracle.csv")):
            rows += [line.split(",") for line in path.read_text().splitlines()]
        assert sorted((r[0], int(r[1]), int(r[2]), r[4]) for r in rows) == sorted((s.recording, s.start, s.stop, s.label) for s in labelled)


def test_the_strategies_pick_different_sounds_and_time_order_picks_the_earliest(budget, demo):
    out, _ = budget
    picked = {s: set(_labelled(out, s)) for s in STRATEGIES}
    assert picked["suggest"] != picked["random"] != picked["time order"] != picked["suggest"]
    initial = initial_picks(candidates(demo), demo.labels, 5, 1)
    new = sorted(picked["time order"] - set(initial), key=lambda s: (s.recording, s.start))
    assert new == pick_in_time_order(candidates(demo), initial, PER_ROUND)
    assert new[0].recording == "fly-01.wav" and new[0].start == min(s.start for s in candidates(demo) if s not in initial and s.recording == "fly-01.wav")


def test_draws_are_the_same_under_a_seed_and_differ_with_another(demo):
    pool = candidates(demo)
    assert initial_picks(pool, demo.labels, 5, 1) == initial_picks(pool, demo.labels, 5, 1) != initial_picks(pool, demo.labels, 5, 2)
    labelled = initial_picks(pool, demo.labels, 5, 1)
    assert pick_random(pool, labelled, 4, 1, 1) == pick_random(pool, labelled, 4, 1, 1) != pick_random(pool, labelled, 4, 2, 1)


def test_outputs_rows_figure_and_table(budget):
    out, table = budget
    rows = _rows(out)
    assert set(rows) == {(s, str(r)) for s in STRATEGIES for r in range(ROUNDS + 1)} | {(ALL, "-1")}
    assert len({rows[(s, "0")] for s in STRATEGIES}) == 1  # round 0 is one model, shared
    assert (out / "budget-demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["strategy"] for r in table] == list(STRATEGIES)
    assert "round 1" in (out / "budget.log").read_text()


def test_the_95_percent_point_and_the_batch_size():
    points = [(10, 0.5, 0.4, 0.6), (20, 0.93, 0.9, 0.95), (30, 0.97, 0.96, 0.98)]
    assert labels_to_reach(points, 0.95) == 30 and labels_to_reach(points, 0.5) == 10 and labels_to_reach(points, 0.99) is None
    dip = [(10, 0.96, 0, 0), (20, 0.9, 0, 0), (30, 0.97, 0, 0), (40, 0.98, 0, 0)]
    assert labels_to_reach(dip, 0.95) == 10 and labels_to_stay(dip, 0.95) == 30 and labels_to_stay(points, 0.99) is None
    rows = [
        {"dataset": "x", "strategy": "random", "seed": s, "round": r, "labels": str(10 * (r + 1)), "score": str(v)}
        for s, r, v in [("1", 0, 0.2), ("2", 0, 0.4), ("1", 1, 0.6), ("2", 1, 0.8)]
    ]
    [(labels0, mean0, low0, high0), (labels1, mean1, _, _)] = curves(rows, "x")["random"]
    assert (labels0, mean0, low0, high0) == (10, pytest.approx(0.3), 0.2, 0.4) and (labels1, mean1) == (20, pytest.approx(0.7))
    assert [batch_size(n) for n in (10, 20, 60, 135, 1000)] == [2, 4, 8, 32, 32]


def test_a_stopped_run_resumes_to_the_same_scores_without_redoing_finished_rounds(budget):
    # last in this file: it stops and resumes the shared run itself (a copy's paths would differ from its models')
    copy, _ = budget
    before = _rows(copy)
    # stopped while training time order's round: its row and its model's last checkpoints missing
    lines = (copy / "budget.csv").read_text().splitlines()
    (copy / "budget.csv").write_text("\n".join(line for line in lines if ",time order,1,1," not in line and f",{ALL}," not in line) + "\n")
    round_folder = copy / "runs" / "demo" / "seed1" / "time-order" / "round1"
    for checkpoint in sorted(round_folder.glob("ckpt-*.pt"))[1:]:
        checkpoint.unlink()
    suggest_model = copy / "runs" / "demo" / "seed1" / "suggest" / "round1" / "rounds.json"
    stamp = suggest_model.stat().st_mtime_ns
    run(["demo"], copy, [1], quick=True, rounds=ROUNDS, per_round=PER_ROUND)
    assert _rows(copy) == before  # the retrained round and all labels: the same figures (one seed, bit for bit on CPU)
    assert suggest_model.stat().st_mtime_ns == stamp  # a finished round is not trained again
    log = (copy / "budget.log").read_text().split("annotation budget:")[-1]
    assert "time order round 1" in log and "suggest round 1" not in log
