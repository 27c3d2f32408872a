"""Which of several annotations of one sound counts (hark.annotations.precedence)."""

from __future__ import annotations

from pathlib import Path

from hark.annotations.event import Event
from hark.annotations.precedence import labels_contradict, resolve, same_place

ALICE = Path("rec.wav-annotated-alice.csv")
PERSON1 = Path("rec.wav-annotated-person1.csv")
DETECTED = Path("rec-detected.csv")


def ev(start, stop, label, status=None, annotator=None, kind="annotated", recording="rec.wav"):
    return Event(recording, start, stop, kind, label, annotator=annotator, status=status)


def alice(start, stop, label, status=None):
    return (ev(start, stop, label, status, "alice"), ALICE)


def person1(start, stop, label, status=None):
    return (ev(start, stop, label, status, "person1"), PERSON1)


def test_same_place_is_the_same_point_or_ranges_sharing_half_their_union():
    assert same_place(ev(10, 10, "a"), ev(10, 10, "b"))
    assert not same_place(ev(10, 10, "a"), ev(11, 11, "b"))
    assert not same_place(ev(10, 10, "a"), ev(0, 20, "b"))  # a point inside a range is another sound
    assert same_place(ev(0, 100, "a"), ev(0, 100, "b"))
    assert same_place(ev(0, 100, "a"), ev(20, 110, "b"))  # 80 shared of 110: a redrawn box
    assert not same_place(ev(0, 100, "a"), ev(60, 160, "b"))  # 40 of 160: neighbours
    assert not same_place(ev(0, 100, "a"), ev(0, 100, "b", recording="other.wav"))


def test_a_negative_of_one_label_says_nothing_about_another():
    assert labels_contradict("usv", "noise")
    assert labels_contradict("mel-sine", "not_mel-sine") and labels_contradict("not_mel-sine", "mel-sine")
    assert not labels_contradict("mel-sine", "not_mel-pulse")  # fly song: sine ranges lie under not-pulse ranges
    assert not labels_contradict("usv", "usv")


def test_an_unranked_relabel_is_a_conflict_and_a_ranking_settles_it_either_way():
    items = [person1(0, 100, "usv"), alice(0, 100, "noise"), person1(500, 600, "usv")]
    found = resolve(items)
    assert found.superseded == {} and len(found.conflicts) == 1
    text = found.conflicts[0].describe()
    assert str(PERSON1) in text and str(ALICE) in text and "'usv'" in text and "'noise'" in text and "0..100" in text
    assert resolve(items, ["alice", "person1"]).superseded == {0: 1}
    assert resolve(items, ["person1", "alice"]).superseded == {1: 0}
    assert resolve(items, ["alice"]).superseded == {0: 1}  # an annotator not named ranks below the named


def test_a_verdict_supersedes_the_same_label_without_one_and_opposite_verdicts_conflict():
    assert resolve([person1(0, 100, "usv"), alice(0, 100, "usv", "rejected")]).superseded == {0: 1}
    opposite = resolve([person1(0, 100, "usv", "accepted"), alice(0, 100, "usv", "rejected")])
    assert opposite.superseded == {} and len(opposite.conflicts) == 1
    duplicates = resolve([person1(0, 100, "usv"), alice(0, 100, "usv")])
    assert duplicates.superseded == {} and duplicates.conflicts == []


def test_a_person_supersedes_a_machine_and_machines_are_never_compared():
    detected = (ev(0, 100, "time", kind="detected"), DETECTED)
    assert resolve([detected, alice(0, 100, "usv")]).superseded == {0: 1}
    other = (ev(0, 100, "frequency", kind="detected"), Path("rec-predicted-1.0pr.csv"))
    assert resolve([detected, other]).superseded == {} and resolve([detected, other]).conflicts == []


def test_one_file_is_one_view_and_independent_labels_stay():
    same_file = resolve([person1(0, 100, "song"), person1(0, 100, "loud")])
    assert same_file.superseded == {} and same_file.conflicts == []
    fly = resolve([person1(0, 100, "mel-sine"), (ev(10, 95, "not_mel-pulse", annotator="notsong"), Path("rec-annotated-notsong.csv"))])
    assert fly.superseded == {} and fly.conflicts == []


def test_a_conflict_settled_by_a_third_event_is_no_conflict():
    bob = (ev(0, 100, "call", annotator="bob"), Path("rec.wav-annotated-bob.csv"))
    found = resolve([person1(0, 100, "usv"), bob, alice(0, 100, "noise")], ["alice"])
    assert found.superseded == {0: 2, 1: 2} and found.conflicts == []
