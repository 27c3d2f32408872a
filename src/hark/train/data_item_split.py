"""The split of labelled items (sparse annotations, events, clips) into training, validation and test.

The test set is taken first (whole ``test_recordings``, or the items whose seeded hash lies in
the ``test_percent`` range just above the validation range). Validation then comes from what
is left, in one of four ways (``method`` in the split manifest):

- ``recordings``: whole recordings, named by the user (``validation_recordings``) or, by
  default with five (``whole_recordings_from``) or more annotated recordings,
  ``validation_percent`` of them (at least one) picked by seeded hash of their names;
- ``blocks``: by default with fewer recordings, each recording's timeline is cut into
  ``dense_blocks`` contiguous blocks and ``validation_percent`` of them (at least one) are
  held out, plus, for a label none of them holds, one block of that label's (if the label
  keeps training items: :func:`_cover_every_label`); an item validates when its middle lies in a held-out block, and trains only
  when its audio keeps clear of every held-out block (``guard`` samples around it; sparse
  supervision checks its windows when it knows their length, see
  :class:`hark.train.examples.SparseSource`);
- ``percent``: clips (clip supervision's unit is the file), or with ``validation_split="percent"``
  single annotations drawn from every recording by seeded hash (the old default: validation
  sounds then share recordings, animals and minutes with training ones, which flatters);
- ``folds``: k-fold cross-validation (``folds``, ``validation_fold``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hark.errors import HarkError
from hark.train.splits import (
    assign_folds,
    block_edges,
    merge_regions,
    seeded_uniform,
    held_out,
    held_out_for_test,
    overlaps,
    pick_recordings,
    recordings_to_hold_out,
    split_blocks,
)


def split_items(
    items: list,
    key: Callable,
    params,
    validation_recordings: list[str] | None,
    test_recordings: list[str] | None = None,
    frames_of: dict[str, int] | None = None,
    guard: int | None = None,
    unit: str = "annotation",
):
    """``(training, validation, test, method, blocks)`` of ``items`` (see the module's docstring).

    ``blocks``: the held-out blocks per recording (empty unless ``method`` is ``blocks``).
    ``guard``: samples an item's audio reaches beyond it (events: half a crop); training items
    within it of a held-out block are dropped. None: leave the guard to the windows.
    ``unit``: ``clip`` splits whole files by default.
    """
    seed, percent = params.split_seed, params.validation_percent
    tested = set(test_recordings or ())

    def is_test(item) -> bool:
        if test_recordings is not None:
            return item.recording in tested
        return params.test_percent > 0 and held_out_for_test(seed, percent, params.test_percent, *key(item))

    sides = ["test" if is_test(item) else "" for item in items]
    free = [i for i, side in enumerate(sides) if not side]
    blocks: dict[str, list[tuple[int, int]]] = {}
    method = _method(params, validation_recordings, unit, sorted({items[i].recording for i in free}))
    if method == "folds":
        # dealt among what testing leaves, so each fold holds its share of every label
        folds = assign_folds(seed, abs(params.folds), [key(items[i]) for i in free], [items[i].label for i in free])
        for i, fold in zip(free, folds):
            sides[i] = "validation" if (fold == params.validation_fold) == (params.folds > 0) else "training"
    elif method == "percent":
        for i in free:
            sides[i] = "validation" if held_out(seed, percent, *key(items[i])) else "training"
    else:
        names = sorted({items[i].recording for i in free})
        picked = method == "recordings" and validation_recordings is None
        if picked:
            chosen = pick_recordings(seed, recordings_to_hold_out(len(names), percent), names)
            if params.validation_split == "auto" and _untrained_label(items, free, set(chosen)) is not None:
                method = "blocks"  # whole recordings would leave a label unlearnt; blocks of each keep it
            else:
                validation_recordings = chosen
        if method == "recordings":
            held = set(validation_recordings)
            if unit == "clip":  # clips keyed by their group: the group goes where its held-out clips go
                held = _whole_groups(items, free, key, held, picked)
            for i in free:
                sides[i] = "validation" if items[i].recording in held else "training"
        else:
            blocks = _cover_every_label(items, free, _blocks(names, frames_of, params), frames_of, params, guard)
            for i in free:
                sides[i] = _block_side(items[i], blocks.get(items[i].recording, []), guard)
    training = [item for item, side in zip(items, sides) if side == "training"]
    validation = [item for item, side in zip(items, sides) if side == "validation"]
    test = [item for item, side in zip(items, sides) if side == "test"]
    _check_trained(training, validation)
    return training, validation, test, method, blocks


def _method(params, validation_recordings, unit: str, recordings: list[str]) -> str:
    if validation_recordings is not None:
        return "recordings"
    if params.folds:
        return "folds"
    choice = params.validation_split
    if choice == "percent" or params.validation_percent == 0:
        return "percent"
    if choice == "auto":
        if unit == "clip":
            return "percent"  # a clip is a file: holding out clips holds out whole files
        return "recordings" if len(recordings) >= params.whole_recordings_from else "blocks"
    if choice == "recordings" and len(recordings) < 2:
        raise HarkError(
            f"validation_split recordings: only {len(recordings)} annotated recording{'s' if len(recordings) != 1 else ''}, "
            "none left to train on if it is held out; use validation_split blocks"
        )
    if unit == "clip" and choice == "blocks":
        raise HarkError("validation_split blocks: a clip is one label per file and cannot be cut into blocks; use auto or recordings")
    return choice


def _whole_groups(items, free: list[int], key: Callable, held: set[str], picked: bool) -> set[str]:
    """``held`` with every clip of a held-out clip's group (``key``: ``("group", name)`` for a
    clip in a group). Recordings picked by the split grow to their groups; recordings a person
    named must already hold whole groups (a one-line HarkError names one that does not)."""
    held_keys = {key(items[i]) for i in free if items[i].recording in held}
    grown = {items[i].recording for i in free if key(items[i]) in held_keys}
    if not picked:
        for i in free:
            if items[i].recording in grown - held and key(items[i])[0] == "group":
                named = next(items[j].recording for j in free if key(items[j]) == key(items[i]) and items[j].recording in held)
                raise HarkError(
                    f"validation_recordings holds out {named} but not {items[i].recording} of the same group {key(items[i])[1]!r}; "
                    "name every recording of a group, or none"
                )
    return held | grown


def _untrained_label(items, free: list[int], held: set[str]) -> str | None:
    trained = {items[i].label for i in free if items[i].recording not in held}
    missing = sorted({items[i].label for i in free} - trained)
    return missing[0] if missing else None


def _blocks(names: list[str], frames_of: dict[str, int] | None, params) -> dict[str, list[tuple[int, int]]]:
    if frames_of is None:
        raise HarkError("a split by blocks needs the recordings' lengths")
    return {name: split_blocks(frames_of[name], params.dense_blocks, params.split_seed, params.validation_percent, name) for name in names}


def _cover_every_label(items, free: list[int], blocks: dict[str, list[tuple[int, int]]], frames_of, params, guard: int | None):
    """``blocks`` with more held out where a label would otherwise have no validation item.

    A label that only occurs in a few stretches (a song bout, a rare call) can miss every
    block the seeded pick holds out; its checkpoint and thresholds would then be chosen on
    nothing. For each such label, the block holding one of its items with the smallest seeded
    hash is held out too, provided no label loses its last training item by it.
    """
    seed, n_blocks = params.split_seed, params.dense_blocks
    for label in sorted({items[i].label for i in free}):
        own = [i for i in free if items[i].label == label]
        if any(_block_side(items[i], blocks.get(items[i].recording, []), guard) == "validation" for i in own):
            continue
        candidates: dict[tuple[str, int], tuple[int, int]] = {}
        for i in own:
            name = items[i].recording
            edges = block_edges(frames_of[name], n_blocks)
            index = min(max(int(np.searchsorted(edges, (items[i].start + items[i].stop) // 2, side="right")) - 1, 0), len(edges) - 2)
            candidates[(name, index)] = (int(edges[index]), int(edges[index + 1]))
        for name, index in sorted(candidates, key=lambda c: (seeded_uniform(seed, c[0], "block", c[1]), c)):
            trial = {**blocks, name: merge_regions([*blocks.get(name, []), candidates[(name, index)]])}
            if _trained_labels(items, free, trial, guard) >= _trained_labels(items, free, blocks, guard):
                blocks = trial  # no label, this one or another, loses its last training item
                break
    return blocks


def _trained_labels(items, free: list[int], blocks: dict[str, list[tuple[int, int]]], guard: int | None) -> set[str]:
    return {items[i].label for i in free if _block_side(items[i], blocks.get(items[i].recording, []), guard) == "training"}


def _block_side(item, blocks: list[tuple[int, int]], guard: int | None) -> str:
    middle = (item.start + item.stop) // 2
    if any(lo <= middle < hi for lo, hi in blocks):
        return "validation"
    reach = guard or 0
    if guard is not None and overlaps(item.start - reach, max(item.stop, item.start + 1) + reach, blocks):
        return "dropped"  # its audio would reach into validation audio: neither side
    return "training"


def _check_trained(training: list, validation: list) -> None:
    """A label seen only in validation would never be learnt; say so now rather than after training.
    (With nothing in training at all, check_batch_size says so.)"""
    trained = {item.label for item in training}
    for label in sorted({item.label for item in validation} - trained if training else ()):
        held = sum(item.label == label for item in validation)
        raise HarkError(
            f"label {label!r} has no training examples: all {held} are held out for validation; "
            "annotate more, or change validation_percent, validation_split, split_seed, folds or validation_recordings"
        )
