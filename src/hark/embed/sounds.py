"""Which sounds to embed: the events of chosen kinds and labels, subsampled as SongExplorer does.

SongExplorer's ``activations`` takes at most ``max sounds`` sounds and, with ``equalize
ratio`` R, at most R times as many of any label as of the rarest one, so that a label with
thousands of detections does not bury one with a dozen annotations in the cluster plot.
Both caps draw at random (seeded) within each label, never the first N in file order, which
would take them all from the first recordings.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from hark.annotations.event import Event


def subsample_sounds(events: list[Event], max_sounds: int, equalize_ratio: float | None, seed: int) -> list[Event]:
    """Events kept after the per-label cap (``equalize_ratio`` x the rarest label) and the total cap.

    The total cap is shared out in proportion to what each label has left, so the mix of
    labels survives it. The result is in (recording, start) order.
    """
    rng = np.random.default_rng(seed)
    by_key: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        by_key[(event.kind.value, event.label)].append(event)
    if not by_key:
        return []
    counts = {key: len(group) for key, group in by_key.items()}
    if equalize_ratio is not None:
        cap = int(np.floor(equalize_ratio * min(counts.values())))
        counts = {key: min(n, max(cap, 1)) for key, n in counts.items()}
    total = sum(counts.values())
    if total > max_sounds:
        counts = _share(counts, max_sounds)
    kept: list[Event] = []
    for key in sorted(by_key):
        group = by_key[key]
        chosen = rng.choice(len(group), size=counts[key], replace=False) if counts[key] < len(group) else range(len(group))
        kept.extend(group[i] for i in chosen)
    return sorted(kept, key=lambda e: (e.recording, e.start, e.stop, e.label))


def _share(counts: dict[tuple[str, str], int], budget: int) -> dict[tuple[str, str], int]:
    """``budget`` split over the keys in proportion to ``counts`` (largest remainders get the rest)."""
    total = sum(counts.values())
    exact = {key: n * budget / total for key, n in counts.items()}
    shares = {key: int(np.floor(value)) for key, value in exact.items()}
    left = budget - sum(shares.values())
    for key in sorted(exact, key=lambda k: (shares[k] - exact[k], k))[:left]:
        shares[key] += 1
    return shares
