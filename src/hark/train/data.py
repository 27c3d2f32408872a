"""Training data from a ground-truth folder: examples, splits, batches (see docs/training-data.md).

>>> data = TrainingData.from_folder("groundtruth/", DataParams(labels="mel-pulse,mel-sine,ambient"))
>>> data.check_batch_size(32)
>>> batch = data.training_batch(np.random.default_rng(0), 32, Window(context=256, stride=16))
>>> for batch in data.validation_batches(32, Window(context=256, stride=16)): ...

Everything is split before any window is cut: the split assigns annotations (sparse),
clips (clip) or stretches of recordings (dense) to training or validation, and windows are
then drawn only from their own side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hark.annotations.event import Status
from hark.annotations.selection import check_kinds
from hark.errors import HarkError, ParameterError
from hark.params import validate_params
from hark.train.data_params import DataParams  # declared apart: see its module
from hark.train.augment import build_augmentations, follow_times, prepare_augmentations
from hark.train.augment_background import training_audio_of
from hark.train.augment_mix import mix_batch
from hark.train.data_channels import augment_channels, channel_chains, channels_first
from hark.train.data_item_split import split_items
from hark.train.data_load import check_labels_present, check_table_clips, labels_of_data, read_folder, table_validation
from hark.train.data_precedence import apply_precedence
from hark.train.data_types import Batch, ExampleRef, Window
from hark.train.examples import Classes, Example, count_labels
from hark.train.supervisions import supervision_of, supervisions
from hark.train.splits import resolve_validation_recordings

__all__ = ["Batch", "DataParams", "ExampleRef", "TrainingData", "Window", "split_examples"]


def classes_of(params: DataParams) -> Classes:
    """The classes of ``params``: a rejected event of exclusive classes falls back to ``rejected_label``, then ``background_label``."""
    return Classes(tuple(params.labels), params.overlapped, params.not_prefix, (params.rejected_label, params.background_label))


def rejected_as(contents, classes: Classes) -> set[str]:
    """The labels rejected events teach (``not_x``, ...): present in the folder though nobody wrote them."""
    return {label for a in contents.annotations if a.event.status is Status.REJECTED and (label := classes.rejected_as(a.event.label))}


class TrainingData:
    """Examples of one ground-truth folder, split into training and validation, as batches."""

    def __init__(self, root: Path, params: DataParams, samplerate: int, output_names: list[str], source, split: dict):
        self.root = root
        self.params = params
        self.samplerate = samplerate
        self.output_names = output_names
        self.source = source
        self._split = split
        self._augmentations = build_augmentations(params.augmentations)
        self.supervision = supervision_of(params.supervision)
        self.superseded: list = []  # annotations another's at the same place won over (kept on disk, not learnt)
        self._channel_chains = None  # a model of several channels: its augmentations per channel (hark.train.data_channels)
        self.video = None  # a video model's movies (hark.train.data_video.VideoWindows): see attach_video

    @classmethod
    def from_folder(cls, root: str | Path, params: DataParams | dict) -> TrainingData:
        """Scan ``root``, read the annotations and audio, check them and split them."""
        if not isinstance(params, DataParams):
            params = validate_params(DataParams, params, "training data")
        chain = build_augmentations(params.augmentations)  # unknown names fail before any audio is read
        if supervision_of(params.supervision).dense and any(a.mixes_examples for a in chain):
            raise HarkError("augmentation mixup mixes one label per example (sparse, clip and events supervision), not dense supervision's frames")
        root = Path(root)
        kinds = sorted(k.value for k in check_kinds(params.kinds))
        supervision = supervision_of(params.supervision)
        contents = read_folder(root, kinds)
        if not contents.annotations and supervision.labelled:
            raise HarkError(f"{root}: no annotations of kinds {','.join(kinds)}")
        classes = classes_of(params)
        superseded: list = []
        if supervision.labelled:  # who wins where annotators disagree; the superseded are not learnt
            contents, superseded = apply_precedence(contents, params.annotators, classes, every_label=supervision.denoises)
        if supervision.checks_labels_present:
            check_labels_present(contents, classes.annotation_labels, kinds, rejected_as(contents, classes))
        check_table_clips(contents, classes.annotation_labels)
        root = contents.root  # a clip-label table's folder, when a table was given
        validation_recordings = table_validation(contents)
        if params.validation_recordings:
            validation_recordings = resolve_validation_recordings(params.validation_recordings, root, contents.recordings)
        test_recordings = None
        if params.test_recordings:
            test_recordings = resolve_validation_recordings(params.test_recordings, root, contents.recordings)
            both = sorted(set(test_recordings) & set(validation_recordings or ()))
            if both:
                raise HarkError(f"recording {both[0]} is held out for both validation and testing; name it in one of the two")
        data = supervision.build(cls, contents, params, classes, validation_recordings, test_recordings)
        data.superseded = superseded
        # augmentations that need the training data (its sample rate, its unannotated training audio) learn it now
        if params.channels:  # a model of several channels: one chain per channel, the same draws (hark.train.data_channels)
            data._channel_chains = channel_chains(params.augmentations, len(params.channels), lambda: training_audio_of(data, contents.annotations))
            data._augmentations = data._channel_chains[0]
        else:
            prepare_augmentations(data._augmentations, lambda: training_audio_of(data, contents.annotations))
        return data

    def attach_video(self, module) -> None:
        """Read the movie beside every recording for ``module``, a video model (``needs_video``): each
        batch then carries its pictures (:mod:`hark.train.data_video`); a missing or short movie is a one-line error."""
        from hark.train.data_video import load_video_windows

        if self.supervision.model_kind != "frame" or not isinstance(getattr(self.source, "audio", None), dict):
            raise HarkError(f"video models train on windows of recordings (sparse or dense supervision), not with {self.params.supervision} supervision")
        if getattr(self.params, "channels", None):
            raise ParameterError("channels", "{param}: video models read one channel of each recording ({channel}), not several", others=("channel",))
        moving = [a.name for a in self._augmentations if a.moves_time or a.mixes_examples]
        if moving:
            raise HarkError(f"augmentation {moving[0]} moves or mixes audio that the movie's pictures could not follow; leave it out for a video model")
        lengths = {name: len(samples) for name, samples in self.source.audio.items()}
        self.video = load_video_windows(self.root, lengths, self.samplerate, module, self.params)

    def _with_video(self, batch: Batch, window: Window, reversed_rows=None) -> Batch:
        if self.video is not None:
            starts = np.array([ref.position for ref in batch.where], dtype=np.int64) - window.centre_offset
            batch.video = self.video.for_windows([ref.recording for ref in batch.where], starts, window.context, window.stride, window.frames)
            if reversed_rows is not None and reversed_rows.any():  # reversed audio: its pictures play backwards too
                batch.video[reversed_rows] = batch.video[reversed_rows, ::-1]
        return batch

    # -- batches ---------------------------------------------------------------------------

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window | None) -> Batch:
        """A random training batch, augmented. ``window`` None or of length 0 (clip supervision only): the clip window."""
        self._check_window(window)
        batch = channels_first(self.source.training_batch(rng, batch_size, window))
        reversed_rows = None
        if self._augmentations:
            batch.x, reversed_rows, moved = augment_channels(batch.x, self._channel_chains or [self._augmentations], rng)
            if self.supervision.dense and moved is not None:  # time stretched: the targets follow the audio
                batch.y = follow_times(batch.y, moved, window.context, window.stride)
            if self.supervision.dense and reversed_rows.any():
                batch.y[reversed_rows] = batch.y[reversed_rows, ..., ::-1]
            for mixer in (a for a in self._augmentations if a.mixes_examples):  # mixup: audio and targets
                batch = mix_batch(batch, mixer, len(self.output_names), self.params.overlapped, rng)
        return self._with_video(batch, window, reversed_rows)

    def validation_batches(self, batch_size: int, window: Window | None) -> Iterator[Batch]:
        """The whole validation set once, in a fixed order, never augmented."""
        self._check_window(window)
        batches = map(channels_first, self.source.validation_batches(batch_size, window))  # several channels: (B, C, L)
        return batches if self.video is None else (self._with_video(batch, window) for batch in batches)

    def _check_window(self, window: Window | None) -> None:
        if (window is None or window.length == 0) and self.supervision.model_kind != "clip":
            raise HarkError(f"{self.params.supervision} supervision needs a window of at least one sample")

    @property
    def clip_length(self) -> int | None:
        """Clip supervision: samples in the longest clip."""
        return self.source.longest if self.supervision.whole_clips else None

    @property
    def clip_window(self) -> int | None:
        """Clip supervision: samples in the window the model reads (``clip_window_s``, at most the longest clip)."""
        return self.source.window if self.supervision.whole_clips else None

    def check_batch_size(self, batch_size: int, window: Window | None = None) -> None:
        """A one-line HarkError when there are fewer training examples than one mini-batch holds."""
        if batch_size < 1:
            raise HarkError(f"the mini-batch size must be positive, not {batch_size}")
        if self.supervision.dense:
            if self.source.n_training == 0:
                raise HarkError(f"no training audio in {self.root}: everything is held out for validation")
            if window is not None:
                self.source.check_window(window)
            return
        n = self.source.n_training
        if n < batch_size:
            raise HarkError(
                f"only {n} training examples of {','.join(self.params.labels)} in {self.root}, fewer than the "
                f"mini-batch of {batch_size}; lower the batch size or annotate more"
            )

    # -- reports ---------------------------------------------------------------------------

    def summary(self) -> dict:
        """Counts per label and split, and the recordings on each side."""
        summary = {
            "supervision": self.params.supervision,
            "samplerate": self.samplerate,
            "outputs": list(self.output_names),
            "split": self._split["method"],
            "recordings": {
                "training": self._split["training_recordings"],
                "validation": self._split["validation_recordings"],
                "test": self._split["test_recordings"],
            },
        }
        if self.supervision.dense:
            summary["annotations"] = self._split["annotation_counts"]
            summary["seconds"] = self.source.seconds(self.samplerate)
            summary["point_labels"] = self._split.get("point_labels", [])
        else:
            summary["examples"] = {**self.source.counts(), "test": count_labels(self._split["test_examples"])}
            if "point_labels" in self._split:  # sparse supervision's too (hark.infer.ethogram.point_labels_of)
                summary["point_labels"] = self._split["point_labels"]
        if self.superseded:
            summary["superseded"] = len(self.superseded)
        if self.notes:
            summary["notes"] = self.notes
        return summary

    @property
    def notes(self) -> list[str]:
        """What training should tell the user about its data (e.g. a default augmentation with nothing to draw on)."""
        return [augmentation.note for augmentation in self._augmentations if getattr(augmentation, "note", None)]

    def split_manifest(self) -> dict:
        """A JSON-serialisable record of what went to training, to validation and to testing."""
        p = self.params
        manifest = {
            "root": str(self.root),
            "supervision": p.supervision,
            "labels": list(p.labels),
            "kinds": list(p.kinds),
            "overlapped": p.overlapped,
            "method": self._split["method"],
            "validation_percent": p.validation_percent,
            "validation_split": p.validation_split,
            "validation_recordings": self._split["validation_recordings"] if self._split["method"] == "recordings" else None,
            "split_seed": p.split_seed,
            "folds": p.folds or None,
            "validation_fold": p.validation_fold if p.folds else None,
            "test_percent": p.test_percent,
            "test_recordings": self._split["test_recordings"] if p.test_recordings else None,
            **self.source.manifest(),
        }
        if self._split.get("validation_blocks"):
            manifest["validation_blocks"] = self._split["validation_blocks"]
        if "test" not in manifest:
            manifest["test"] = [e.as_dict() for e in self._split["test_examples"]]
        return manifest


def default_labels(root: str | Path, supervision: str) -> list[str]:
    """The labels to learn when none are given: with a clip-label table and a labelled
    supervision, every label of the table; otherwise none (the parameters' checks say so)."""
    if supervision not in supervisions or not supervision_of(supervision).labelled:
        return []
    return labels_of_data(root) or []


def split_examples(root: str | Path, params: DataParams) -> dict[str, list[Example]]:
    """The training, validation and test examples (sparse, clip or events) as training would
    split them, read from the annotations and the recordings' headers only, without their audio.

    Planning cross-validation folds checks each fold's labels with this before any training.
    """
    supervision = supervision_of(params.supervision)
    if not supervision.splits_examples:
        raise HarkError(f"{params.supervision} supervision does not split labelled examples")
    root = Path(root)
    kinds = sorted(k.value for k in check_kinds(params.kinds))
    contents = read_folder(root, kinds)
    if not contents.annotations:
        raise HarkError(f"{root}: no annotations of kinds {','.join(kinds)}")
    classes = classes_of(params)
    contents, _ = apply_precedence(contents, params.annotators, classes, every_label=supervision.denoises)
    if supervision.checks_labels_present:
        check_labels_present(contents, classes.annotation_labels, kinds, rejected_as(contents, classes))
    check_table_clips(contents, classes.annotation_labels)
    root = contents.root
    test_recordings = None
    validation_recordings = table_validation(contents)
    if params.validation_recordings:
        validation_recordings = resolve_validation_recordings(params.validation_recordings, root, contents.recordings)
    if params.test_recordings:
        test_recordings = resolve_validation_recordings(params.test_recordings, root, contents.recordings)
    examples, key, frames_of, guard, unit = supervision.split_items(contents, params, classes)
    training, validation, test, _, _ = split_items(examples, key, params, validation_recordings, test_recordings, frames_of, guard, unit)
    return {"training": training, "validation": validation, "test": test}

