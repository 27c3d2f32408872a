"""Dense supervision's split: which stretches or blocks of recordings are validation and which test."""

from __future__ import annotations

from hark.train.splits import rank_two_ways, split_blocks_with_test


def dense_regions(stretches: list[str], lengths: dict[str, int], params, validation_recordings, test_recordings):
    """(method, guarded, validation regions, test regions) of dense supervision.

    Named recordings are held out whole; percents hold out whole stretches by seeded rank
    (validation first, test the next ones) when there are enough, else blocks of each one.
    """
    def whole(names) -> dict[str, list[tuple[int, int]]]:
        return {name: [(0, lengths[name])] for name in names if name in lengths}

    test = whole(test_recordings or [])
    validation = whole(validation_recordings) if validation_recordings is not None else {}
    method, guarded = ("recordings" if validation_recordings is not None else "stretches"), False
    free = [name for name in stretches if name not in test and name not in validation]
    vp = params.validation_percent if validation_recordings is None else 0.0
    tp = params.test_percent if test_recordings is None else 0.0
    if validation_recordings is None or tp > 0:
        n = len(free)
        nv, nt = round(n * vp / 100), round(n * tp / 100)
        whole_ok = n >= 2 and (validation_recordings is not None or nv >= 1) and (tp == 0 or (nt >= 1 and n - nv - nt >= 1))
        if whole_ok:
            picked_v, picked_t = rank_two_ways(params.split_seed, vp, tp, [(name,) for name in free])
            validation.update(whole(free[i] for i in picked_v))
            test.update(whole(free[i] for i in picked_t))
        else:
            guarded = True
            method = "blocks" if validation_recordings is None else method
            for name in free:
                v, t = split_blocks_with_test(lengths[name], params.dense_blocks, params.split_seed, vp, tp, name)
                validation[name], test[name] = v, t
    return method, guarded, validation, test


def dense_annotation_counts(by_recording: dict[str, list], regions, test_regions=None) -> dict:
    """Annotations per label on each side, placed by their middle."""
    counts: dict[str, dict[str, int]] = {"training": {}, "validation": {}, "test": {}}
    for name, annotations in by_recording.items():
        for annotation in annotations:
            middle = (annotation.event.start + annotation.event.stop) // 2
            side = "training"
            if any(lo <= middle < hi for lo, hi in (test_regions or {}).get(name, [])):
                side = "test"
            elif any(lo <= middle < hi for lo, hi in regions.get(name, [])):
                side = "validation"
            counts[side][annotation.event.label] = counts[side].get(annotation.event.label, 0) + 1
    return {side: dict(sorted(c.items())) for side, c in counts.items()}
