"""Planning cross-validation: which data each model of a run trains and validates on.

Two plans, both a list of :class:`FoldRun` (one model each), checked before any training:

- :func:`plan_xvalidation`: k-fold over annotations (sparse, events), clips (clip) or blocks
  of each recording (dense). The items are dealt into |k| folds label by label, the blocks
  recording by recording (``DataParams.folds``); with positive k
  each model validates on one fold and trains on the others, with negative k it trains on
  one fold and validates on the others (to ask whether more annotation would help).
- :func:`plan_generalization`: whole recordings withheld: ``one`` model per withheld
  recording, ``some``: one per partition of the recordings, ``all``: one model that withholds
  every recording given (SongExplorer's "omit all"). Nested (the default), the withheld
  recordings are the fold's ``test_recordings`` and everything tuned is tuned on the fold's
  own split of the others (:mod:`hark.validate.nested`); not nested, they are its
  ``validation_recordings``.

Replicates repeat every fold with successive weight seeds. Models are named
``<fold>k_<replicate>r`` (xvalidate) and ``<fold>w_<replicate>r`` (generalize: "w" for
withheld, as SongExplorer suffixes them), folders below the run's folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hark.annotations.event import Status
from hark.errors import HarkError, ParameterError
from hark.params import validate_params
from hark.train.data import DataParams, split_examples
from hark.train.params import TrainParams
from hark.train.supervisions import supervision_of

Omit = Literal["one", "some", "all"]


@dataclass(frozen=True)
class FoldRun:
    """One model of a cross-validation: its folder name and what it trains on."""

    name: str
    fold: int
    replicate: int
    data: DataParams
    training: TrainParams
    withheld: tuple[str, ...] = ()  # generalize: the recordings it validates on


@dataclass(frozen=True)
class ValidationPlan:
    """Every model of one cross-validation run, and notes on what the folds lack."""

    kind: Literal["xvalidate", "generalize"]
    data_root: Path
    folds: int  # xvalidate: k (negative: train on one fold); generalize: the number of withheld sets
    replicates: int
    runs: tuple[FoldRun, ...]
    omit: Omit | None = None
    notes: tuple[str, ...] = field(default=())
    nested: bool = False  # generalize: tune on the other recordings, score the withheld ones once

    @property
    def labels(self) -> list[str]:
        return list(self.runs[0].data.labels)

    def manifest(self) -> dict:
        """JSON-able: what ``hark compare`` and a later look need to know of the run."""
        first = self.runs[0]
        return {
            "kind": self.kind,
            "data_root": str(Path(self.data_root).resolve()),
            "folds": self.folds,
            "replicates": self.replicates,
            "omit": self.omit,
            "nested": self.nested,
            "labels": self.labels,
            "data": first.data.model_dump(mode="json", exclude={"folds", "validation_fold", "validation_recordings"}),
            "training": first.training.model_dump(mode="json", exclude={"weights_seed"}),
            "weights_seeds": sorted({run.training.weights_seed for run in self.runs}, key=lambda s: (s is None, s)),
            "models": [
                {"name": run.name, "fold": run.fold, "replicate": run.replicate, "withheld": list(run.withheld)}
                for run in self.runs
            ],
            "notes": list(self.notes),
        }


def check_training(data: DataParams, training: TrainParams) -> None:
    """The architecture and its parameters, checked now rather than in every job."""
    from hark.models.base import architectures

    name = training.architecture or supervision_of(data.supervision).default_architecture
    architectures.get(name).validate(training.architecture_params)


def _check_supervised(data: DataParams) -> None:
    if not data.labels:
        raise HarkError(f"cross-validation scores labelled sounds; {data.supervision} training has no labels to score")


def replicate_training(training: TrainParams, replicates: int) -> list[TrainParams]:
    """One set of training parameters per replicate: weight seeds ``seed, seed + 1, ...``
    (as ``hark train --replicates``); the batch order stays, so replicates differ in their start only."""
    if replicates < 1:
        raise ParameterError("replicates", f"{{param}} {replicates}: train at least one model per fold")
    if training.weights_seed is None:
        return [training] * replicates
    return [training.model_copy(update={"weights_seed": training.weights_seed + r}) for r in range(replicates)]


# -- k-fold --------------------------------------------------------------------------------


def plan_xvalidation(data_root: str | Path, data: DataParams, training: TrainParams, folds: int, replicates: int = 1) -> ValidationPlan:
    """|folds| x ``replicates`` models; every fold is checked to train on and validate every label."""
    root = Path(data_root)
    _check_supervised(data)
    if abs(folds) < 2:
        raise ParameterError("folds", f"{{param}} {folds}: give at least 2 folds (each validates on 1/k), or at most -2 (each trains on 1/|k|)")
    if data.validation_recordings:
        raise HarkError("hark xvalidate chooses the validation sets itself; leave out validation_recordings (hark generalize withholds recordings)")
    check_training(data, training)
    trainings = replicate_training(training, replicates)
    runs, per_fold = [], {}
    for fold in range(1, abs(folds) + 1):
        values = {**data.model_dump(), "folds": folds, "validation_fold": fold}
        fold_data = validate_params(DataParams, values, "hark xvalidate")
        per_fold[fold] = _fold_split(root, fold_data, f"fold {fold} of {folds}")
        if not supervision_of(data.supervision).dense:  # dense trains on audio, not on a number of examples
            _check_batch(per_fold[fold], training.batch_size, f"fold {fold} of {folds}")
        runs += [FoldRun(f"{fold}k_{r}r", fold, r, fold_data, t) for r, t in enumerate(trainings, start=1)]
    _check_every_label(per_fold, folds, data.labels)
    return ValidationPlan("xvalidate", root, folds, replicates, tuple(runs))


def _fold_split(root: Path, data: DataParams, what: str) -> dict[str, dict[str, int]]:
    try:
        if supervision_of(data.supervision).dense:
            return dense_split_counts(root, data)
        split = split_examples(root, data)
    except HarkError as err:
        raise HarkError(f"{what}: {err}") from None
    return {side: _count(split[side]) for side in ("training", "validation")}


def dense_split_counts(root: Path, data: DataParams) -> dict[str, dict[str, int]]:
    """Dense supervision: annotations per label on each side (placed by their middle), as training
    would split the recordings, from the annotations and the recordings' headers only."""
    from hark.audio import open_recording
    from hark.train.data_dense_split import dense_annotation_counts, dense_regions
    from hark.train.data_load import read_folder
    from hark.train.splits import resolve_validation_recordings

    contents = read_folder(root, data.kinds)
    stretches = list(contents.annotated)
    lengths = {
        name: open_recording(root / name, channel=data.channel, reader=data.reader, reader_params=data.reader_params).frames
        for name in stretches
    }

    def resolve(spec):
        return resolve_validation_recordings(spec, root, contents.recordings) if spec else None

    _, _, regions, test = dense_regions(stretches, lengths, data, resolve(data.validation_recordings), resolve(data.test_recordings))
    by_recording: dict[str, list] = {name: [] for name in stretches}
    for annotation in contents.annotations:
        # a rejected event is background in dense training, not an example of its label
        rejected = annotation.event.status is Status.REJECTED
        if annotation.event.label in data.labels and not rejected and annotation.event.recording in by_recording:
            by_recording[annotation.event.recording].append(annotation)
    counts = dense_annotation_counts(by_recording, regions, test)
    return {"training": counts["training"], "validation": counts["validation"]}


def _check_batch(counts: dict[str, dict[str, int]], batch_size: int | str, what: str) -> None:
    n = sum(counts["training"].values())
    if isinstance(batch_size, int) and n < batch_size:  # "auto" takes at most the examples there are
        raise ParameterError("batch_size", f"{what} trains on only {n} examples, fewer than the mini-batch of {batch_size}; lower {{param}} or use fewer folds")


def _count(examples) -> dict[str, int]:
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.label] = counts.get(example.label, 0) + 1
    return counts


def _check_every_label(per_fold: dict[int, dict[str, dict[str, int]]], folds: int, labels: Sequence[str]) -> None:
    """Each fold must train on and validate every annotated label (``not_x`` too, with overlapped classes)."""
    present = sorted({label for counts in per_fold.values() for side in counts.values() for label in side})
    for fold, counts in per_fold.items():
        for side in ("validation", "training"):
            for label in present:
                if counts[side].get(label, 0) == 0:
                    total = sum(per_fold[1][s].get(label, 0) for s in ("training", "validation"))
                    raise HarkError(
                        f"fold {fold} of {folds} has no {side} examples of {label!r}: the label has {total} "
                        f"annotation{'s' if total != 1 else ''} for {abs(folds)} folds; use fewer folds or annotate more"
                    )


# -- withheld recordings -------------------------------------------------------------------


def plan_generalization(
    data_root: str | Path,
    data: DataParams,
    training: TrainParams,
    omit: Omit,
    recordings: Sequence[str] | None = None,
    partitions: int | None = None,
    replicates: int = 1,
    nested: bool = True,
) -> ValidationPlan:
    """Models that each withhold recordings and train on all the others.

    ``recordings``: the recordings to withhold (names, a text file of names or a subfolder, as
    ``validation_recordings`` takes them); by default (``one``, ``some``) every recording
    with annotations of the labels. ``partitions``: how many sets ``some`` makes.
    ``nested`` (the default): the withheld recordings are the fold's test recordings, the
    model validates (checkpoint, thresholds) on its own split of the other recordings, and
    the withheld ones are scored once (:mod:`hark.validate.nested`). Not nested: the model
    validates on the withheld recordings themselves (what is chosen then has seen them).
    """
    from hark.train.data_load import read_folder
    from hark.train.splits import resolve_validation_recordings, seeded_uniform

    root = Path(data_root)
    _check_supervised(data)
    if omit not in ("one", "some", "all"):
        raise ParameterError("omit", f"{{param}} {omit!r}: choose one, some or all")
    if data.validation_recordings:
        raise ParameterError("recordings", "hark generalize chooses the validation recordings itself; give them with {param}")
    if data.folds:
        raise HarkError("hark generalize withholds recordings; leave out folds (that is hark xvalidate)")
    contents = read_folder(root, data.kinds)
    annotated = _annotated_recordings(contents, data)
    if recordings:
        candidates = resolve_validation_recordings(list(recordings), root, contents.recordings)
    elif omit == "all":
        raise ParameterError("recordings", "{omit} all trains one model that withholds the recordings named by {param}; name them", others=("omit",))
    else:
        candidates = annotated
    tested: set[str] = set()
    if data.test_recordings:
        tested = set(resolve_validation_recordings(data.test_recordings, root, contents.recordings))
        candidates = [name for name in candidates if name not in tested]
    if not candidates:
        raise HarkError(f"{root}: no recordings with annotations of {','.join(data.labels)} to withhold")
    if omit == "one":
        sets = [[name] for name in candidates]
    elif omit == "all":
        sets = [list(candidates)]
    else:
        if partitions is None or partitions < 2:
            raise ParameterError("partitions", f"{{omit}} some needs {{param}} of at least 2, not {partitions}", others=("omit",))
        if len(candidates) < partitions:
            raise ParameterError(
                "partitions",
                f"only {len(candidates)} recording{'s' if len(candidates) != 1 else ''} to withhold, fewer than the "
                f"{partitions} partitions; lower {{param}} or use {{omit}} one",
                others=("omit",),
            )
        # dealt in seeded-hash order, so the partitions are fixed by the split seed and differ by at most one recording
        order = sorted(candidates, key=lambda name: (seeded_uniform(data.split_seed, "partition", name), name))
        sets = [sorted(order[i::partitions]) for i in range(partitions)]
    if len(sets) == 1 and set(sets[0]) >= set(annotated):
        raise ParameterError("recordings", "withholding every annotated recording leaves nothing to train on; name fewer with {param}")
    check_training(data, training)
    trainings = replicate_training(training, replicates)
    runs, notes = [], []
    for fold, withheld in enumerate(sets, start=1):
        if nested:  # held out of training and of validation: nothing is chosen on them
            values = {**data.model_dump(), "test_recordings": sorted(tested | set(withheld)), "test_percent": 0.0}
        else:
            values = {**data.model_dump(), "validation_recordings": withheld}
        fold_data = validate_params(DataParams, values, "hark generalize")
        notes += _check_withheld(root, contents, fold_data, fold, withheld, training.batch_size, nested)
        runs += [FoldRun(f"{fold}w_{r}r", fold, r, fold_data, t, tuple(withheld)) for r, t in enumerate(trainings, start=1)]
    return ValidationPlan("generalize", root, len(sets), replicates, tuple(runs), omit, tuple(notes), nested)


def _annotated_recordings(contents, data: DataParams) -> list[str]:
    from hark.train.examples import Classes

    supervision = supervision_of(data.supervision)
    if supervision.dense:
        return list(contents.annotated)
    if not supervision.checks_labels_present:  # events: rejected events train too, as the rejected label
        return sorted({a.event.recording for a in contents.annotations})
    wanted = set(Classes(tuple(data.labels), data.overlapped, data.not_prefix).annotation_labels)
    return sorted({a.event.recording for a in contents.annotations if a.event.label in wanted})


def _check_withheld(root: Path, contents, data: DataParams, fold: int, withheld: list[str], batch_size: int, nested: bool = False) -> list[str]:
    """Errors for what cannot train or validate; notes for labels a withheld set lacks."""
    shown = withheld[0] if len(withheld) == 1 else f"{len(withheld)} recordings ({withheld[0]}, ...)"
    what = f"fold {fold} (withholding {shown})"
    held = set(withheld)
    if supervision_of(data.supervision).dense:
        counts = {"training": {}, "validation": {}}
        for annotation in contents.annotations:
            if annotation.event.label in data.labels and annotation.event.status is not Status.REJECTED:
                side = counts["validation" if annotation.event.recording in held else "training"]
                side[annotation.event.label] = side.get(annotation.event.label, 0) + 1
    elif nested:
        try:
            split = split_examples(root, data)
        except HarkError as err:
            raise HarkError(f"{what}: {err}") from None
        _check_batch({"training": _count(split["training"])}, batch_size, what)
        if not split["validation"]:
            raise HarkError(f"{what} leaves nothing to tune on: the other recordings' validation split is empty; raise validation_percent")
        counts = {"training": _count(split["training"]), "validation": _count(e for e in split["test"] if e.recording in held)}
    else:
        counts = _fold_split(root, data, what)
        _check_batch(counts, batch_size, what)
    if not counts["validation"]:
        raise HarkError(f"{what} has no annotations of {','.join(data.labels)} to validate on")
    for label in data.labels:
        if counts["training"].get(label, 0) == 0:
            raise HarkError(f"{what} has no training examples of {label!r}: every one is in the withheld recordings")
    return [f"{what} validates no {label!r}" for label in data.labels if counts["validation"].get(label, 0) == 0]
