"""How :class:`~hark.train.data.TrainingData` is assembled for each of hark's supervisions.

Each supervision plugin (:mod:`hark.train.supervisions`) names one of these builders; a builder
gets the class to build (``TrainingData``, passed in so that this module does not import it),
the folder's contents, the parameters, the classes and the recordings held out whole, and
returns the split data.
"""

from __future__ import annotations

import numpy as np

from hark.annotations.event import Status
from hark.annotations.selection import check_kinds
from hark.audio import open_recording
from hark.train import data_events
from hark.train.data_clip import ClipSource, ClipWindows, clip_examples, clip_key, clip_window_samples
from hark.train.data_dense import DenseSource, dense_labels
from hark.train.data_dense_split import dense_annotation_counts, dense_regions
from hark.train.data_item_split import split_items
from hark.train.data_load import FolderContents, read_audio
from hark.train.data_targets import gaussian_targets
from hark.train.examples import Classes, Example, SparseSource, sparse_examples


def recordings_split(method: str, training: list[Example], validation: list[Example], test: list[Example], blocks=None) -> dict:
    return {
        "method": method,
        "validation_blocks": {name: [list(b) for b in regions] for name, regions in (blocks or {}).items() if regions},
        "training_recordings": sorted({e.recording for e in training}),
        "validation_recordings": sorted({e.recording for e in validation}),
        "test_recordings": sorted({e.recording for e in test}),
        "test_examples": test,
    }


def used_recordings(contents: FolderContents, classes: Classes) -> list[str]:
    wanted = set(classes.annotation_labels)
    return sorted({a.event.recording for a in contents.annotations if a.event.label in wanted})


def sparse_data(cls, contents: FolderContents, params, classes: Classes, validation_recordings, test_recordings):
    samplerate, audio = read_audio(contents.root, used_recordings(contents, classes), params.channel, params.reader, params.reader_params, params.channels)
    frames_of = {name: len(x) for name, x in audio.items()}
    examples = sparse_examples(contents.annotations, classes, frames_of)
    training, validation, test, method, blocks = split_items(examples, Example.key, params, validation_recordings, test_recordings, frames_of)
    source = SparseSource(training, validation, audio, classes, params.equalize, blocks)
    split = recordings_split(method, training, validation, test, blocks)
    split["point_labels"] = point_labels([contents.annotations], classes.labels)  # as dense_data: the ethogram gives them as points
    return cls(contents.root, params, samplerate, list(classes.labels), source, split)


def events_data(cls, contents: FolderContents, params, classes: Classes, validation_recordings, test_recordings):
    """Events supervision: see :mod:`hark.train.data_events` (only the events' samples are read)."""
    kinds = sorted(k.value for k in check_kinds(params.kinds))
    used = sorted({a.event.recording for a in contents.annotations})
    samplerate, recordings = data_events.open_recordings(contents.root, used, params.channel, params.reader, params.reader_params)
    frames_of = {name: recording.frames for name, recording in recordings.items()}
    examples = data_events.event_examples(contents.annotations, classes, params.rejected_label, frames_of)
    data_events.check_examples_cover_labels(examples, classes, contents.root, kinds, params.rejected_label)
    cropper = data_events.EventCropper.from_ms(params.crop_ms, params.margin_ms, samplerate)
    training, validation, test, method, blocks = split_items(
        examples, Example.key, params, validation_recordings, test_recordings, frames_of, cropper.margin + 1, "event"
    )
    regions = data_events.read_regions([*training, *validation], recordings, cropper)
    source = data_events.EventSource(training, validation, regions, cropper, params.equalize)
    return cls(contents.root, params, samplerate, list(classes.labels), source, recordings_split(method, training, validation, test, blocks))


def clip_data(cls, contents: FolderContents, params, classes: Classes, validation_recordings, test_recordings):
    samplerate, audio = read_audio(contents.root, used_recordings(contents, classes), params.channel, params.reader, params.reader_params)
    examples, targets = clip_examples(contents.annotations, classes, {name: len(x) for name, x in audio.items()})
    # Keyed by the clip (or its group), so that all labels and windows of one clip go the same way.
    training, validation, test, method, _ = split_items(
        examples, clip_key(clip_groups(contents)), params, validation_recordings, test_recordings, unit="clip"
    )
    longest = max((len(audio[e.recording]) for e in [*training, *validation]), default=0)
    windows = ClipWindows(clip_window_samples(params.clip_window_s, samplerate, longest), params.clip_overlap, params.clip_padding)
    source = ClipSource(training, validation, targets, audio, classes, params.equalize, windows)
    return cls(contents.root, params, samplerate, list(classes.labels), source, recordings_split(method, training, validation, test))


def dense_data(cls, contents: FolderContents, params, classes: Classes, validation_recordings, test_recordings):
    stretches = list(contents.annotated)
    samplerate, audio = read_audio(contents.root, stretches, params.channel, params.reader, params.reader_params, params.channels)
    wanted = set(classes.labels)
    by_recording: dict[str, list] = {name: [] for name in stretches}
    for annotation in contents.annotations:
        # a rejected event is not its label: left unpainted, its samples are background like any unannotated ones
        rejected = annotation.event.status is Status.REJECTED
        if annotation.event.label in wanted and not rejected and annotation.event.recording in by_recording:
            by_recording[annotation.event.recording].append(annotation)
    gap = int(round(params.segment_gap_ms / 1000 * samplerate))
    soft_of = None
    if params.point_shape == "gaussian":
        sigma = params.point_width_ms / 2 / 1000 * samplerate
        soft_of = {name: gaussian_targets(by_recording[name], len(audio[name]), classes.labels, sigma, gap) for name in stretches}
        classes_of = {name: soft.argmax(axis=0).astype(np.int16) for name, soft in soft_of.items()}
    else:
        half_width = int(round(params.point_width_ms / 1000 * samplerate / 2))
        classes_of = {name: dense_labels(by_recording[name], len(audio[name]), classes.labels, half_width, gap) for name in stretches}

    lengths = {name: len(audio[name]) for name in stretches}
    method, guarded, regions, test_regions = dense_regions(stretches, lengths, params, validation_recordings, test_recordings)
    output_names = [params.background_label, *classes.labels]
    source = DenseSource(classes_of, audio, regions, guarded, output_names, params.equalize, test_regions, soft_of)
    split = {
        "method": method,
        "training_recordings": sorted({name for name, _, _ in source.training_regions()}),
        "validation_recordings": sorted(name for name, rs in regions.items() if rs),
        "test_recordings": sorted(name for name, rs in test_regions.items() if rs),
        "annotation_counts": dense_annotation_counts(by_recording, regions, test_regions),
        "point_labels": point_labels(by_recording.values(), classes.labels),
    }
    return cls(contents.root, params, samplerate, output_names, source, split)


def point_labels(annotations_by_recording, labels) -> list[str]:
    """The labels annotated only as points (fly pulses): ``hark ethogram`` gives their events as
    points at the probability's peaks, DAS's "events", rather than as ranges."""
    shapes: dict[str, set[bool]] = {}
    for annotations in annotations_by_recording:
        for annotation in annotations:
            shapes.setdefault(annotation.event.label, set()).add(annotation.event.is_point)
    return [label for label in labels if shapes.get(label) == {True}]


# -- the labelled examples alone, from the recordings' headers (hark.train.data.split_examples) --


def sparse_split_items(contents: FolderContents, params, classes: Classes):
    """Sparse supervision's examples, how they are keyed, the recordings' lengths, the guard and the unit."""
    frames_of = _frames_of(contents, params, used_recordings(contents, classes))
    return sparse_examples(contents.annotations, classes, frames_of), Example.key, frames_of, None, "annotation"


def clip_split_items(contents: FolderContents, params, classes: Classes):
    frames_of = _frames_of(contents, params, used_recordings(contents, classes))
    return clip_examples(contents.annotations, classes, frames_of)[0], clip_key(clip_groups(contents)), frames_of, None, "clip"


def clip_groups(contents: FolderContents) -> dict[str, str]:
    """Recording -> its group, where the ground truth names one (a clip table's ``group`` column):
    clips of one group are held out together."""
    return dict(getattr(contents, "groups", None) or {})


def events_split_items(contents: FolderContents, params, classes: Classes):
    used = sorted({a.event.recording for a in contents.annotations})
    samplerate, recordings = data_events.open_recordings(contents.root, used, params.channel, params.reader, params.reader_params)
    frames_of = {name: recording.frames for name, recording in recordings.items()}
    examples = data_events.event_examples(contents.annotations, classes, params.rejected_label, frames_of)
    guard = data_events.EventCropper.from_ms(params.crop_ms, params.margin_ms, samplerate).margin + 1
    return examples, Example.key, frames_of, guard, "event"


def _frames_of(contents: FolderContents, params, names: list[str]) -> dict[str, int]:
    return {
        name: open_recording(contents.root / name, channel=params.channel, reader=params.reader, reader_params=params.reader_params).frames
        for name in names
    }
