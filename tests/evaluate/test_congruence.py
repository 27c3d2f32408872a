"""Congruence on hand-made annotations with known answers, the threshold sweep, files and speed."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from hark.annotations import Event, write_csv
from hark.errors import FileFormatError, HarkError
from hark.evaluate import (
    FrameProbabilities,
    congruence,
    find_dense_files,
    read_events,
    threshold_sweep,
    write_congruence_report,
)

RATE = 10000


def _e(start, stop, label="sine", kind="annotated", recording="r.wav"):
    return Event(recording, start, stop, kind, label)


# Portions: alice 100-400, bob 150-400 -> together 150-400. Clipped to it:
#   alice [150,200) [300,400)   bob [150,250) [300,400)   hark [180,260)   (hark's 500-600 is outside)
ALICE = [_e(100, 200), _e(300, 400)]
BOB = [_e(150, 250), _e(300, 400)]
HARK = [_e(180, 260, kind="predicted"), _e(500, 600, kind="predicted")]


def test_tics_and_events_of_two_annotators_and_hark():
    result = congruence({"alice": ALICE, "bob": BOB}, HARK, samplerate=RATE)
    assert result.parties == ("alice", "bob", "hark") and result.labels == ("sine",)
    tic = result.regions_of("sine", "tic")
    # 150-180 alice+bob, 180-200 all, 200-250 bob+hark, 250-260 hark, 300-400 alice+bob
    assert tic.everyone == 20
    assert tic.only == {"alice": 0, "bob": 0, "hark": 10}
    assert tic.all_but == {"alice": 50, "bob": 0, "hark": 130}
    event = result.regions_of("sine", "event")
    # {alice 1, bob 1, hark} overlap: everyone; {alice 2, bob 2}: not hark
    assert event.everyone == 1 and event.all_but["hark"] == 1
    assert sum(event.only.values()) == 0 and event.all_but["alice"] == event.all_but["bob"] == 0
    assert event.rows()[:2] == [("everyone", 1), ("only alice", 0)]


def test_precision_recall_and_f1_of_hark_against_each_reference():
    result = congruence({"alice": ALICE, "bob": BOB}, HARK, samplerate=RATE)
    alice = result.agreement("sine", "tic", "alice")
    # alice 150 tics, hark 80, shared 180-200
    assert (alice.true_positives, alice.false_positives, alice.false_negatives) == (20, 60, 130)
    union = result.agreement("sine", "tic", "union")  # 150-250 and 300-400
    assert (union.true_positives, union.false_positives, union.false_negatives) == (70, 10, 130)
    both = result.agreement("sine", "tic", "intersection")  # 150-200 and 300-400
    assert (both.true_positives, both.false_positives, both.false_negatives) == (20, 60, 130)
    for reference in ("alice", "bob", "union", "intersection"):
        event = result.agreement("sine", "event", reference)
        assert (event.true_positives, event.false_positives, event.false_negatives) == (1, 0, 1)
        assert event.f1 == pytest.approx(2 / 3)
    assert union.precision == pytest.approx(70 / 80) and union.recall == pytest.approx(70 / 200)


def test_point_events_agree_within_the_tolerance():
    alice = [_e(t, t, "pulse") for t in (1000, 2000, 3000, 4000)]
    hark = [_e(t, t, "pulse", "predicted") for t in (1100, 2050, 3101, 3500)]  # 10 ms = 100 samples
    result = congruence({"alice": alice}, hark, samplerate=RATE, tolerance_ms=10)
    event = result.agreement("pulse", "event", "alice")
    assert (event.true_positives, event.false_positives, event.false_negatives) == (2, 2, 2)
    regions = result.regions_of("pulse", "event")
    assert (regions.everyone, regions.only["alice"], regions.only["hark"]) == (2, 2, 2)
    assert result.regions_of("pulse", "tic").everyone == 0  # points cover no tics
    # with one annotator, union and intersection are that annotator
    assert result.agreement("pulse", "event", "union") == event.__class__(2, 2, 2, "pulse", "event", "union")


def test_only_the_annotated_portion_counts_unless_an_extent_is_given():
    alice = [_e(1000, 1000, "pulse"), _e(2000, 2000, "pulse")]
    hark = [_e(t, t, "pulse", "predicted") for t in (1000, 2000, 9000)]
    default = congruence({"alice": alice}, hark, samplerate=RATE).agreement("pulse", "event", "alice")
    assert default.false_positives == 0
    wider = congruence({"alice": alice}, hark, samplerate=RATE, extents={"alice": {"r.wav": (0, 10000)}})
    assert wider.agreement("pulse", "event", "alice").false_positives == 1


def test_recordings_count_when_every_annotator_covers_them():
    alice = [_e(100, 200), _e(100, 200, recording="s.wav")]
    bob = [_e(100, 200)]
    hark = [_e(100, 200, kind="predicted"), _e(100, 200, kind="predicted", recording="s.wav")]
    result = congruence({"alice": alice, "bob": bob}, hark, samplerate=RATE)
    assert result.agreement("sine", "event", "alice").true_positives == 1
    both = congruence({"alice": alice}, hark, samplerate=RATE)
    assert both.agreement("sine", "event", "alice").true_positives == 2


@pytest.mark.parametrize(
    "annotations, kwargs, message",
    [
        ({"hark": ALICE}, {}, "may not be called 'hark'"),
        ({}, {}, "at least one annotator"),
        ({"alice": ALICE}, {"labels": ["song"]}, "unknown label 'song'"),
        ({"alice": ALICE, "bob": [_e(0, 10, recording="other.wav")]}, {}, "no recording is annotated by every one"),
        ({"alice": ALICE}, {"tolerance_ms": -1}, "tolerance"),
        ({"alice": ALICE}, {"extents": {"alice": {"r.wav": (500, 100)}}}, "annotated extent"),
    ],
)
def test_bad_inputs_are_one_line_errors(annotations, kwargs, message):
    with pytest.raises(HarkError) as err:
        congruence(annotations, HARK, samplerate=RATE, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


# Sweep: one label, frames of 100 samples. Alice marks frames 10, 20, 30, 40 (as hark would);
# hark's probability there is 0.9, 0.7, 0.5, 0.3, and 0.8 and 0.4 at frames 15 and 25 (wrong).
SWEEP_TRUTH = [_e(f * 100 - 50, f * 100 + 50, "pulse") for f in (10, 20, 30, 40)]


def _sweep_probabilities():
    p = np.zeros((50, 1))
    p[[10, 20, 30, 40], 0] = [0.9, 0.7, 0.5, 0.3]
    p[[15, 25], 0] = [0.8, 0.4]
    return [FrameProbabilities("r.wav", p, hop=100)]


def test_the_sweep_counts_each_threshold_and_finds_where_false_positives_and_negatives_cross():
    sweep = threshold_sweep(
        {"alice": SWEEP_TRUTH}, _sweep_probabilities(), ["pulse"], samplerate=RATE, thresholds=[0.35, 0.55], exclusive=False, tolerance_ms=0
    )
    low, high = sweep.curve("pulse")
    # >= 0.35: 3 right, 2 wrong, 1 missed; >= 0.55: 2 right, 1 wrong, 2 missed
    assert (low.threshold, low.true_positives, low.false_positives, low.false_negatives) == (0.35, 3, 2, 1)
    assert (high.threshold, high.true_positives, high.false_positives, high.false_negatives) == (0.55, 2, 1, 2)
    (dense,) = sweep.dense
    # P/R goes from 0.6/0.75 = 0.8 to (2/3)/0.5 = 4/3: crossing 1 at log(1/0.8) / log(4/3 / 0.8) of the way
    f = math.log(1 / 0.8) / math.log((4 / 3) / 0.8)
    assert (dense.label, dense.ratio) == ("pulse", 1.0)
    assert dense.threshold == pytest.approx(0.35 + 0.2 * f)
    assert dense.precision == pytest.approx(dense.recall)
    tic = sweep.curve("pulse", level="tic", reference="alice")[0]
    assert (tic.true_positives, tic.false_positives, tic.false_negatives) == (300, 200, 100)


def test_the_sweep_rejects_bad_choices():
    args = ({"alice": SWEEP_TRUTH}, _sweep_probabilities(), ["pulse"])
    for kwargs, message in (
        ({"reference": "carol"}, "unknown reference 'carol'"),
        ({"level": "word"}, "unknown level 'word'"),
        ({"ratios": [0]}, "positive number"),
        ({"thresholds": []}, "at least one threshold"),
    ):
        with pytest.raises(HarkError, match=message):
            threshold_sweep(*args, samplerate=RATE, **kwargs)
    with pytest.raises(HarkError, match="annotators used none"):
        threshold_sweep({"alice": SWEEP_TRUTH}, _sweep_probabilities(), ["sine"], samplerate=RATE)
    elsewhere = [FrameProbabilities("other.wav", np.zeros((5, 1)), hop=100)]
    with pytest.raises(HarkError, match="no probabilities for any annotated recording"):
        threshold_sweep({"alice": SWEEP_TRUTH}, elsewhere, ["pulse"], samplerate=RATE)


def test_files_are_found_read_and_reported(tmp_path):
    write_csv(tmp_path / "r.wav-annotated-alice.csv", ALICE)
    write_csv(tmp_path / "sub" / "r.wav-annotated-bob.csv", BOB)
    write_csv(tmp_path / "r.wav-predicted-1.0pr.csv", HARK)
    write_csv(tmp_path / "r.wav-detected.csv", [_e(0, 10, "time", "detected")])
    files = find_dense_files(tmp_path)
    assert set(files.annotated) == {"alice", "bob"} and set(files.predicted) == {"1.0"}
    annotations = {name: read_events(paths, "annotated") for name, paths in files.annotated.items()}
    result = congruence(annotations, read_events(files.predicted["1.0"], "predicted"), samplerate=RATE)
    assert result.regions_of("sine", "tic").everyone == 20
    sweep = threshold_sweep({"alice": SWEEP_TRUTH}, _sweep_probabilities(), ["pulse"], samplerate=RATE, exclusive=False, tolerance_ms=0)
    written = write_congruence_report(tmp_path / "report", {"1.0pr": result}, sweep)
    names = {p.name for p in written}
    assert {"congruence-regions.csv", "congruence-agreement.csv", "congruence-sweep.csv", "thresholds-dense.csv"} <= names
    assert {"congruence-1.0pr-tic.png", "congruence-1.0pr-event.pdf", "congruence-sweep.png"} <= names
    regions = (tmp_path / "report" / "congruence-regions.csv").read_text().splitlines()
    assert regions[0] == "predictions,label,level,region,count" and "1.0pr,sine,tic,everyone,20" in regions
    assert (tmp_path / "report" / "thresholds-dense.csv").read_text().startswith("label,ratio,threshold,precision,recall\n")
    assert (tmp_path / "report" / "congruence-sweep.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "report" / "congruence-1.0pr-event.pdf").read_bytes().startswith(b"%PDF")
    assert not [p for p in (tmp_path / "report").iterdir() if p.name.endswith(".tmp")]


def test_a_missing_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(HarkError, match="no such folder"):
        find_dense_files(tmp_path / "nothing")


def test_a_malformed_annotator_file_raises_its_file_format_error(tmp_path):
    bad = tmp_path / "r.wav-annotated-alice.csv"
    bad.write_text("r.wav,100,200,annotated,sine\nr.wav,300,annotated,sine\n")
    with pytest.raises(FileFormatError) as err:
        read_events(find_dense_files(tmp_path).annotated["alice"], "annotated")
    assert str(err.value).startswith(f"{bad}:2:") and "\n" not in str(err.value)


def test_a_minute_of_dense_song_takes_well_under_a_second():
    rng = np.random.default_rng(5)
    pulses = np.arange(500, 60 * RATE, 350)  # about 1700 pulses

    def party(kind, jitter, keep):
        events = [_e(int(t), int(t), "pulse", kind) for t in pulses[rng.random(len(pulses)) < keep] + rng.integers(-jitter, jitter + 1)]
        bouts = np.arange(0, 60 * RATE, 20000)
        events += [_e(int(s) + int(rng.integers(0, 300)), int(s) + 5000 + int(rng.integers(0, 300)), "sine", kind) for s in bouts]
        return events

    annotations = {"alice": party("annotated", 40, 0.97), "bob": party("annotated", 40, 0.95)}
    predicted = party("predicted", 80, 0.9)
    start = time.perf_counter()
    result = congruence(annotations, predicted, samplerate=RATE, tolerance_ms=10)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"congruence of one minute took {elapsed:.2f} s"
    assert result.agreement("pulse", "event", "union").f1 > 0.9
    assert result.agreement("sine", "tic", "intersection").f1 > 0.9


def test_the_samples_of_every_region_are_written_to_listen_to_and_review(tmp_path):
    from hark.annotations.songexplorer import read_csv

    result = congruence({"alice": ALICE, "bob": BOB}, HARK, samplerate=RATE)
    for label in result.labels:
        table = result.regions_of(label, "tic")
        for region, count in table.rows():
            spans = [(r.start, r.stop) for r in result.intervals if r.label == label and r.region == region]
            assert sum(b - a for a, b in spans) == count  # the intervals hold exactly the tics counted
            assert all(a < b for a, b in spans) and spans == sorted(spans)
    written = write_congruence_report(tmp_path / "report", {"1.0pr": result})
    table = (tmp_path / "report" / "congruence-1.0pr-intervals.csv").read_text().splitlines()
    assert table[0] == "recording,label,region,start,stop" and len(table) == 1 + len(result.intervals)
    everyone = [r for r in result.intervals if r.region == "everyone"]
    files = {p.name: p for p in written if p.parent.name == "disjoint-1.0pr"}
    assert "r.wav-disjoint-everyone.csv" in files and "r.wav-disjoint-only-hark.csv" in files
    events = read_csv(files["r.wav-disjoint-everyone.csv"])
    assert [(e.start, e.stop, e.label, str(e.kind)) for e in events] == [(r.start, r.stop, r.label, "correct") for r in everyone]
    assert {str(e.kind) for e in read_csv(files["r.wav-disjoint-only-hark.csv"])} == {"mistaken"}
