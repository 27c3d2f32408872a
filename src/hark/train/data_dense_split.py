"""Dense supervision's split: which stretches or blocks of recordings are validation and which test."""

from __future__ import annotations

import numpy as np

from hark.errors import HarkError
from hark.train.splits import assign_folds, recordings_to_hold_out, seeded_uniform, split_blocks_with_test


def dense_regions(stretches: list[str], lengths: dict[str, int], params, validation_recordings, test_recordings):
    """(method, guarded, validation regions, test regions) of dense supervision.

    Named recordings are held out whole. Otherwise ``validation_split`` says how:
    ``auto`` holds out whole stretches (``validation_percent`` of them, at least one, by
    seeded rank; the test ones next) when there are ``whole_recordings_from`` (5) or more,
    else blocks of each one;
    ``recordings`` and ``blocks`` force one way; ``percent`` is the old rule (whole stretches
    whenever the percentage rounds to at least one of two or more, else blocks).
    """
    def whole(names) -> dict[str, list[tuple[int, int]]]:
        return {name: [(0, lengths[name])] for name in names if name in lengths}

    test = whole(test_recordings or [])
    if params.folds and validation_recordings is None:
        free = [name for name in stretches if name not in test]
        return "folds", True, dense_fold_regions(free, lengths, params), test
    validation = whole(validation_recordings) if validation_recordings is not None else {}
    method, guarded = ("recordings" if validation_recordings is not None else "stretches"), False
    free = [name for name in stretches if name not in test and name not in validation]
    vp = params.validation_percent if validation_recordings is None else 0.0
    tp = params.test_percent if test_recordings is None else 0.0
    if validation_recordings is None or tp > 0:
        n = len(free)
        nv, nt = round(n * vp / 100), round(n * tp / 100)
        choice = params.validation_split if validation_recordings is None and vp > 0 else "percent"
        if choice == "percent":
            whole_ok = n >= 2 and (validation_recordings is not None or nv >= 1) and (tp == 0 or (nt >= 1 and n - nv - nt >= 1))
        else:
            nv = recordings_to_hold_out(n, vp, nt)
            whole_ok = choice != "blocks" and nv >= 1 and (n >= params.whole_recordings_from or choice == "recordings")
            whole_ok = whole_ok and (tp == 0 or (nt >= 1 and n - nv - nt >= 1))
            if choice == "recordings" and not whole_ok:
                raise HarkError(f"validation_split recordings: {n} annotated recording{'s' if n != 1 else ''} cannot give one to validate and one to train on; use validation_split blocks")
        if whole_ok:
            order = sorted(range(n), key=lambda i: seeded_uniform(params.split_seed, free[i]))
            picked_v, picked_t = order[:nv], order[nv : nv + nt]
            validation.update(whole(free[i] for i in picked_v))
            test.update(whole(free[i] for i in picked_t))
        else:
            guarded = True
            method = "blocks" if validation_recordings is None else method
            for name in free:
                v, t = split_blocks_with_test(lengths[name], params.dense_blocks, params.split_seed, vp, tp, name)
                validation[name], test[name] = v, t
    return method, guarded, validation, test


def dense_fold_regions(names: list[str], lengths: dict[str, int], params) -> dict[str, list[tuple[int, int]]]:
    """k-fold cross-validation of dense supervision: every recording is cut into blocks
    (``dense_blocks``, at least |folds|) and its blocks are dealt into the folds in seeded-hash
    order, recording by recording, so each fold holds a share of every recording. The model
    validates on the blocks of fold ``validation_fold`` (negative folds: on all the others)."""
    if params.test_percent:
        raise HarkError("folds with dense supervision: hold test audio out by test_recordings, not test_percent")
    k = abs(params.folds)
    n_blocks = {name: max(1, min(max(params.dense_blocks, k), lengths[name])) for name in names}
    keys = [(name, "block", i) for name in names for i in range(n_blocks[name])]
    dealt = assign_folds(params.split_seed, k, keys, [key[0] for key in keys])
    regions: dict[str, list[tuple[int, int]]] = {}
    for (name, _, i), fold in zip(keys, dealt):
        if (fold == params.validation_fold) != (params.folds > 0):
            continue
        edges = np.linspace(0, lengths[name], n_blocks[name] + 1).round().astype(int)
        start, stop = int(edges[i]), int(edges[i + 1])
        held = regions.setdefault(name, [])
        if held and held[-1][1] == start:
            held[-1] = (held[-1][0], stop)
        else:
            held.append((start, stop))
    return {name: regions.get(name, []) for name in names}


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
