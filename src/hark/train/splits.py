"""Training/validation splits, decided before any audio is cut into windows.

Four ways to hold audio out:

- **by percent of items** (annotations for sparse supervision, clips for clip supervision):
  each item gets a number in [0, 1) from a seeded hash of what identifies it and is held out
  when that number is below ``percent / 100``. An item's fate depends only on itself and the
  seed, so adding annotations later never moves the old ones between splits, and duplicate
  annotations (two annotators marking the same sound) always land together;
- **by whole recordings** named by the user (:func:`resolve_validation_recordings`);
- **by folds** for k-fold cross-validation (:func:`assign_folds`): items are dealt into
  k folds, label by label, in seeded-hash order; one fold validates (or, with negative k,
  one fold trains) and the others train;
- **by blocks of a recording's timeline** (too few recordings to hold whole ones out): each
  recording is cut into contiguous blocks and a fixed share of them is held out
  (:func:`split_blocks`); training windows keep clear of the held-out blocks.

By default (``validation_split="auto"``) the split is **honest**: with
:data:`MIN_RECORDINGS_TO_HOLD_OUT` or more annotated recordings whole recordings are held
out (:func:`pick_recordings`), with fewer blocks of each recording; never single annotations
drawn from the recordings the model trains on (clip supervision's unit is the file).

The hash is BLAKE2b keyed by the seed rather than Python's ``hash``, which is salted per
process and would give a different split every run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hark.audio import audio_suffixes
from hark.errors import HarkError


def seeded_uniform(seed: int, *key: object) -> float:
    """A number in [0, 1) determined by ``seed`` and ``key`` alone, the same on every machine."""
    text = "\x1f".join(str(k) for k in key).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=8, key=str(int(seed)).encode("ascii")).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def held_out(seed: int, percent: float, *key: object) -> bool:
    """Whether the item identified by ``key`` belongs to the validation set."""
    return seeded_uniform(seed, *key) < percent / 100.0


def pick_by_rank(seed: int, percent: float, keys: Sequence[tuple]) -> set[int]:
    """Indices of the ``round(percent% of len(keys))`` keys with the smallest seeded hashes.

    For a handful of items (a few recordings, ten blocks) a per-item threshold would often
    hold out none or all of them; ranking holds out the share asked for.
    """
    count = int(round(len(keys) * percent / 100.0))
    if count == 0:
        return set()
    order = sorted(range(len(keys)), key=lambda i: seeded_uniform(seed, *keys[i]))
    return set(order[:count])


MIN_RECORDINGS_TO_HOLD_OUT = 5
"""With this many annotated recordings or more, the default split holds out whole recordings
(``DataParams.whole_recordings_from`` defaults to it).

Why five and not three: with three or four recordings one held out leaves two or three to
train on, and thresholds tuned on that single recording follow its own share of sound
rather than the detector's. Measured on ../shared/data/usv (leave one recording out, the
other three trained with the USV test's settings): whole-recording validation gave pooled
F1 0.571 (the balanced thresholds, tuned on rec_4 whose calls fill 64 % of its frames,
fell to 0.0002-0.002), blocks of each recording 0.979, while the models themselves scored
alike at a fixed threshold of 0.5. docs/validation.md has the figures."""


def recordings_to_hold_out(n: int, percent: float, test: int = 0) -> int:
    """How many of ``n`` recordings the default split holds out whole: ``percent``% of them
    rounded, at least one, leaving at least one (after ``test`` more held out for testing) to train on."""
    return max(0, min(n - 1 - test, max(1, int(round(n * percent / 100.0)))))


def pick_recordings(seed: int, count: int, names: Sequence[str]) -> list[str]:
    """The ``count`` recordings with the smallest seeded hashes (keyed by name alone, as the
    dense split's stretches are), sorted: fixed by the seed and the names, whatever else changes."""
    order = sorted(names, key=lambda name: (seeded_uniform(seed, name), name))
    return sorted(order[:count])


def split_blocks(frames: int, n_blocks: int, seed: int, percent: float, recording: str) -> list[tuple[int, int]]:
    """The validation blocks ``[start, stop)`` of one recording cut into ``n_blocks`` equal blocks.

    Adjacent held-out blocks are merged into one region.
    """
    return split_blocks_with_test(frames, n_blocks, seed, percent, 0.0, recording)[0]


def rank_two_ways(seed: int, percent: float, test_percent: float, keys: Sequence[tuple]) -> tuple[set[int], set[int]]:
    """Validation and test indices: by seeded hash rank, the first ``percent``% then the next ``test_percent``%.

    The validation pick is exactly :func:`pick_by_rank`'s, so a test share never changes it.
    """
    order = sorted(range(len(keys)), key=lambda i: seeded_uniform(seed, *keys[i]))
    n_validation = int(round(len(keys) * percent / 100.0))
    n_test = int(round(len(keys) * test_percent / 100.0))
    return set(order[:n_validation]), set(order[n_validation : n_validation + n_test])


def split_blocks_with_test(
    frames: int, n_blocks: int, seed: int, percent: float, test_percent: float, recording: str
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The validation and the test blocks of one recording (:func:`split_blocks`, then the next-ranked blocks for test)."""
    edges = block_edges(frames, n_blocks)
    n_blocks = len(edges) - 1
    # at least one block validates when any share is asked for (10 % of 5 blocks would round to none)
    percent = max(percent, 100.0 / n_blocks) if 0 < percent and n_blocks > 1 else percent
    validation, test = rank_two_ways(seed, percent, test_percent, [(recording, "block", i) for i in range(n_blocks)])
    return _merged(edges, sorted(validation)), _merged(edges, sorted(test))


def assign_folds(seed: int, folds: int, keys: Sequence[tuple], strata: Sequence[str]) -> list[int]:
    """The fold (1 to ``folds``) of each item, for k-fold cross-validation.

    Stratified: the items of each stratum (label) are dealt out in turn, in the order of their
    seeded hashes, so every fold gets a share of every label within one item, and the deal
    goes on from stratum to stratum so the folds' sizes differ by at most one. Items with
    equal keys (two annotators marking the same sound) share one fold, the one of the first;
    they are dealt once, in the stratum of the first of them.
    """
    if folds < 1:
        raise ValueError(f"folds must be positive, not {folds}")
    first_of: dict[tuple, int] = {}
    for i, key in enumerate(keys):
        first_of.setdefault(tuple(key), i)
    by_stratum: dict[str, list[tuple]] = {}
    for key, i in first_of.items():
        by_stratum.setdefault(str(strata[i]), []).append(key)
    fold_of_key: dict[tuple, int] = {}
    dealt = 0
    for stratum in sorted(by_stratum):
        for key in sorted(by_stratum[stratum], key=lambda k: (seeded_uniform(seed, *k), k)):
            fold_of_key[key] = dealt % folds + 1
            dealt += 1
    return [fold_of_key[tuple(key)] for key in keys]


def held_out_for_test(seed: int, percent: float, test_percent: float, *key: object) -> bool:
    """Whether the item identified by ``key`` belongs to the test set: its hash lies in
    ``[percent, percent + test_percent)`` %, the range just above the validation one."""
    u = seeded_uniform(seed, *key)
    return percent / 100.0 <= u < (percent + test_percent) / 100.0


def block_edges(frames: int, n_blocks: int) -> np.ndarray:
    """The ``n_blocks + 1`` edges of a recording of ``frames`` cut into equal blocks (fewer blocks than frames)."""
    n_blocks = max(1, min(n_blocks, frames))
    return np.linspace(0, frames, n_blocks + 1).round().astype(int)


def merge_regions(regions: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``regions`` sorted, with touching or overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(regions):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _merged(edges: np.ndarray, chosen: list[int]) -> list[tuple[int, int]]:
    regions: list[tuple[int, int]] = []
    for i in chosen:
        start, stop = int(edges[i]), int(edges[i + 1])
        if regions and regions[-1][1] == start:
            regions[-1] = (regions[-1][0], stop)
        else:
            regions.append((start, stop))
    return regions


def overlaps(start: int, stop: int, regions: Sequence[tuple[int, int]]) -> bool:
    """Whether ``[start, stop)`` meets any of ``regions``."""
    return any(start < hi and lo < stop for lo, hi in regions)


def complement(frames: int, regions: Sequence[tuple[int, int]], guard: int = 0) -> list[tuple[int, int]]:
    """The parts of ``[0, frames)`` outside ``regions``, kept ``guard`` samples away from them.

    The guard keeps training windows from ending right where validation audio begins, so
    a sound that straddles the border is not learnt on one side and tested on the other.
    """
    free: list[tuple[int, int]] = []
    cursor = 0
    for start, stop in sorted(regions):
        lo, hi = cursor + (guard if cursor > 0 else 0), start - guard
        if hi > lo:
            free.append((lo, hi))
        cursor = max(cursor, stop)
    lo = cursor + (guard if cursor > 0 else 0)
    if frames > lo:
        free.append((lo, frames))
    return free


def resolve_validation_recordings(spec: Sequence[str], root: Path, recordings: Sequence[str]) -> list[str]:
    """The recordings (relative POSIX names) that ``validation_recordings`` names.

    ``spec`` is a list of recording names relative to ``root``, or a single entry that is a
    subfolder of ``root`` (every recording below it) or a text file (one name per line;
    blank lines and ``#`` comments skipped), given relative to the working folder or ``root``.
    """
    known = set(recordings)
    if len(spec) == 1:
        entry = spec[0]
        folder = root / entry
        if entry not in known and folder.is_dir():
            prefix = _relative(folder, root).rstrip("/") + "/"
            chosen = [r for r in recordings if prefix == "./" or r.startswith(prefix)]
            if not chosen:
                raise HarkError(f"validation recordings: subfolder {entry} of {root} holds no recordings")
            return chosen
        text_file = _text_file(entry, root)
        if text_file is not None:
            names = _read_name_list(text_file)
            if not names:
                raise HarkError(f"validation recordings: {text_file} lists no recordings")
            return _check_names(names, root, recordings, f" (listed in {text_file})")
    return _check_names(list(spec), root, recordings, "")


def _text_file(entry: str, root: Path) -> Path | None:
    suffixes = {s.lower() for s in audio_suffixes()}
    if Path(entry).suffix.lower() in suffixes:
        return None  # a recording's name, never a list of names
    for candidate in (Path(entry), root / entry):
        if candidate.is_file():
            return candidate
    return None


def _read_name_list(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise HarkError(f"validation recordings: cannot read {path} ({err})") from None
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _check_names(names: list[str], root: Path, recordings: Sequence[str], where: str) -> list[str]:
    chosen = []
    for name in names:
        relative = _relative(Path(name), root) if Path(name).is_absolute() else Path(os.path.normpath(name)).as_posix()
        if relative not in recordings:
            shown = ", ".join(list(recordings)[:3]) + (", ..." if len(recordings) > 3 else "")
            raise HarkError(
                f"validation recording {name!r}{where} is not in {root} (its {len(recordings)} recordings: {shown or 'none'})"
            )
        if relative not in chosen:
            chosen.append(relative)
    return chosen


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(os.path.normpath(path)).relative_to(os.path.normpath(root)).as_posix()
    except ValueError:
        return Path(os.path.normpath(path)).as_posix()
