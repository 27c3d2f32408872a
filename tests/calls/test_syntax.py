"""Syntax analysis on constructed sequences with known answers: bouts, transitions, probabilities, intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hark.annotations.event import Event, Kind
from hark.calls.syntax import (
    BOUT_END,
    BOUT_START,
    Call,
    SyntaxParams,
    analyse_syntax,
    calls_of,
    split_bouts,
    summary_statistics,
    transition_matrix,
    transition_probabilities,
)
from hark.errors import HarkError, ParameterError
from hark.params import validate_request


def sequence(spec: list[tuple[str, float, float]]) -> list[Call]:
    return [Call(label, start, stop) for label, start, stop in spec]


# two bouts: a b a (gaps 0.05 s), then 0.5 s of silence, then b b (gap 0.1 s)
CALLS = sequence([("a", 0.0, 0.1), ("b", 0.15, 0.25), ("a", 0.30, 0.40), ("b", 0.90, 1.00), ("b", 1.10, 1.20)])


def test_bouts_split_where_the_silence_exceeds_the_gap():
    bouts, intervals = split_bouts("r", CALLS, bout_gap_s=0.3)
    assert [b.labels for b in bouts] == [("a", "b", "a"), ("b", "b")]
    assert [b.number for b in bouts] == [1, 2]
    assert bouts[0].duration_s == pytest.approx(0.4) and bouts[1].duration_s == pytest.approx(0.3)
    assert bouts[0].call_rate_per_s == pytest.approx(3 / 0.4)
    assert [(i.before, i.after, i.bout) for i in intervals] == [("a", "b", 1), ("b", "a", 1), ("b", "b", 2)]
    assert [i.onset_interval_s for i in intervals] == pytest.approx([0.15, 0.15, 0.2])
    assert [i.gap_s for i in intervals] == pytest.approx([0.05, 0.05, 0.1])
    # a gap just longer than the threshold splits, one equal to it does not
    assert len(split_bouts("r", CALLS, bout_gap_s=0.1)[0]) == 2
    assert len(split_bouts("r", CALLS, bout_gap_s=0.0999)[0]) == 3
    assert len(split_bouts("r", CALLS, bout_gap_s=0.5)[0]) == 1


def test_the_silence_counts_from_the_latest_end_so_an_overlapped_call_keeps_the_bout():
    # a long call covers a short one; the next call starts 0.05 s after the long one ends
    calls = sequence([("long", 0.0, 1.0), ("short", 0.1, 0.2), ("next", 1.05, 1.1)])
    bouts, intervals = split_bouts("r", calls, bout_gap_s=0.1)
    assert [b.labels for b in bouts] == [("long", "short", "next")]
    assert bouts[0].stop_s == 1.1
    assert [i.gap_s for i in intervals] == pytest.approx([-0.9, 0.05])


def test_transitions_and_probabilities_within_bouts_only():
    result = analyse_syntax({"r": CALLS}, SyntaxParams(bout_gap_ms=300))
    assert result.transitions == {("a", "b"): 1, ("b", "a"): 1, ("b", "b"): 1}  # no b -> b across the silence
    assert transition_probabilities(result.transitions) == {("a", "b"): 1.0, ("b", "a"): 0.5, ("b", "b"): 0.5}
    counts, probabilities = transition_matrix(result.transitions, result.states)
    assert result.states == ("a", "b")
    assert counts.tolist() == [[0, 1], [1, 1]]
    assert probabilities.tolist() == [[0.0, 1.0], [0.5, 0.5]]


def test_bout_edges_add_start_and_end_states():
    result = analyse_syntax({"r": CALLS}, SyntaxParams(bout_gap_ms=300, bout_edges=True))
    assert result.states == (BOUT_START, "a", "b", BOUT_END)
    assert result.transitions[(BOUT_START, "a")] == 1 and result.transitions[(BOUT_START, "b")] == 1
    assert result.transitions[("a", BOUT_END)] == 1 and result.transitions[("b", BOUT_END)] == 1
    probabilities = transition_probabilities(result.transitions)
    assert probabilities[(BOUT_START, "a")] == 0.5
    assert probabilities[("b", "a")] == pytest.approx(1 / 3)  # b is followed by a, b and the end once each
    _, matrix = transition_matrix(result.transitions, result.states)
    assert np.isnan(matrix[-1]).all()  # nothing leaves <end>
    assert np.nansum(matrix, axis=1)[:-1] == pytest.approx([1, 1, 1])


def test_pooled_counts_are_the_sums_and_probabilities_come_from_them():
    other = sequence([("a", 0.0, 0.1), ("a", 0.2, 0.3), ("a", 0.4, 0.5)])
    result = analyse_syntax({"r1": CALLS, "r2": other}, SyntaxParams(bout_gap_ms=300))
    assert [r.transitions for r in result.recordings] == [{("a", "b"): 1, ("b", "a"): 1, ("b", "b"): 1}, {("a", "a"): 2}]
    assert result.transitions == {("a", "a"): 2, ("a", "b"): 1, ("b", "a"): 1, ("b", "b"): 1}
    assert transition_probabilities(result.transitions)[("a", "a")] == pytest.approx(2 / 3)


def test_one_call_type_is_allowed_with_a_note():
    calls = sequence([("usv", 0.0, 0.01), ("usv", 0.05, 0.06), ("usv", 0.09, 0.1), ("usv", 2.0, 2.01), ("usv", 2.02, 2.03)])
    result = analyse_syntax({"m": calls}, SyntaxParams(bout_gap_ms=500))
    assert result.labels == ("usv",) and result.transitions == {("usv", "usv"): 3}
    assert transition_probabilities(result.transitions) == {("usv", "usv"): 1.0}
    assert [len(b.calls) for b in result.bouts] == [3, 2]
    assert len(result.notes) == 1 and "one call type" in result.notes[0]


def test_too_little_to_analyse_is_one_line_error():
    with pytest.raises(HarkError, match="only one call"):
        analyse_syntax({"r": sequence([("a", 0.0, 0.1)]), "s": []})
    with pytest.raises(HarkError, match="no labelled events"):
        analyse_syntax({})
    spread = sequence([("a", 0.0, 0.1), ("b", 1.0, 1.1)])
    with pytest.raises(ParameterError, match="no two calls are within 300 ms") as caught:
        analyse_syntax({"r": spread})
    assert caught.value.param == "bout_gap_ms"
    assert analyse_syntax({"r": spread}, SyntaxParams(bout_gap_ms=1000)).transitions == {("a", "b"): 1}


def test_a_label_named_like_a_bout_edge_is_refused_only_with_bout_edges():
    calls = sequence([("<end>", 0.0, 0.1), ("a", 0.15, 0.2)])
    assert analyse_syntax({"r": calls}).transitions == {("<end>", "a"): 1}
    with pytest.raises(HarkError, match="named '<end>'"):
        analyse_syntax({"r": calls}, SyntaxParams(bout_edges=True))


@pytest.mark.parametrize(("value", "message"), [(-1, "bout_gap_ms -1 must be at least 0"), (float("nan"), "bout_gap_ms nan")])
def test_a_negative_or_undefined_gap_is_refused(value, message):
    with pytest.raises(ParameterError, match=message):
        validate_request(SyntaxParams, {"bout_gap_ms": value})


def test_calls_of_orders_events_and_converts_samples_to_seconds():
    events = [Event("r.wav", 3000, 4000, Kind.ANNOTATED, "b"), Event("r.wav", 0, 1000, Kind.ANNOTATED, "a")]
    assert calls_of(events, 2000.0) == [Call("a", 0.0, 0.5), Call("b", 1.5, 2.0)]


def test_summary_statistics_known_answers():
    stats = summary_statistics([1.0, 2.0, 3.0, 4.0, 5.0])
    assert stats["mean"] == 3.0 and stats["median"] == 3.0
    assert stats["p25"] == 2.0 and stats["p75"] == 4.0 and stats["p5"] == pytest.approx(1.2)
    assert summary_statistics([]) == {"mean": None, "median": None, "p5": None, "p25": None, "p75": None, "p95": None}


def test_reading_a_folder_reports_progress_file_by_file(tmp_path):
    import soundfile as sf

    from hark.annotations import write_csv
    from hark.calls.syntax_inputs import read_calls

    for name in ("a.wav", "b.wav", "c.wav"):
        sf.write(tmp_path / name, np.zeros(4000, dtype=np.float32), 2000)
        write_csv(tmp_path / f"{name}-annotated-me.csv", [Event(name, 0, 100, Kind.ANNOTATED, "x"), Event(name, 200, 300, Kind.ANNOTATED, "y")])
    seen: list[float] = []
    calls = read_calls([tmp_path], progress=seen.append)
    assert sorted(Path(name).name for name in calls) == ["a.wav", "b.wav", "c.wav"]
    assert calls[str(tmp_path / "a.wav")] == [Call("x", 0.0, 0.05), Call("y", 0.1, 0.15)]
    assert seen == pytest.approx([0, 1 / 3, 2 / 3, 1])
