"""Which sounds hark activations takes: caps per label and in all, drawn at random with a seed."""

from collections import Counter

from hark.annotations.event import Event, Kind
from hark.embed.sounds import subsample_sounds


def _events(counts: dict[str, int]) -> list[Event]:
    events = []
    for label, n in counts.items():
        events += [Event(f"r{i % 3}.wav", 10 * i, 10 * i + 5, Kind.ANNOTATED, label) for i in range(n)]
    return events


def test_equalize_ratio_caps_each_label_at_ratio_times_the_rarest():
    kept = subsample_sounds(_events({"pulse": 200, "sine": 12, "ambient": 30}), 10_000, 2.0, seed=1)
    assert Counter(e.label for e in kept) == {"pulse": 24, "sine": 12, "ambient": 24}


def test_max_sounds_is_shared_in_proportion_and_kept_exactly():
    kept = subsample_sounds(_events({"pulse": 300, "sine": 100}), 100, None, seed=1)
    assert Counter(e.label for e in kept) == {"pulse": 75, "sine": 25}
    assert len(set(kept)) == 100


def test_the_draw_is_random_but_repeatable_and_not_the_first_rows():
    events = _events({"pulse": 300})
    first = subsample_sounds(events, 50, None, seed=3)
    assert first == subsample_sounds(events, 50, None, seed=3)
    assert first != subsample_sounds(events, 50, None, seed=4)
    assert max(e.start for e in first) > 1500  # drawn from the whole list, not its head


def test_nothing_is_dropped_when_under_the_caps_and_order_is_by_recording_then_time():
    events = _events({"pulse": 5, "sine": 5})
    kept = subsample_sounds(events, 100, 1.0, seed=1)
    assert sorted(kept) == sorted(events)
    assert kept == sorted(kept, key=lambda e: (e.recording, e.start, e.stop, e.label))
