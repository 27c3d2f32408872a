"""Supervisions as plugins: what a model learns from a ground-truth folder, one object each.

A supervision (``hark train --supervision NAME``) carries everything that differs between
ways of training: how :class:`~hark.train.data.TrainingData` is assembled (:meth:`Supervision.build`),
the architecture used when none is named, the objective (exclusive or overlapped classes, or
reconstruction of the input), the model kind and windows it trains, and its checks of the
data parameters and of the model. Code elsewhere asks the plugin
(``supervision_of(name).dense``) rather than comparing names.

hark's own five (sparse, dense, clip, events, unsupervised) are registered through the entry
point group ``hark.supervisions``, as a third party's are::

    [project.entry-points."hark.supervisions"]
    centred = "my_package.centred:CENTRED"

where ``CENTRED`` is an instance of a subclass of :class:`Supervision` (see docs/architecture.md).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from hark.annotations.event import label_problem
from hark.errors import HarkError, ParameterError
from hark.models.resnet import WIDEBAND_CLIP_DEFAULTS, WIDEBAND_CLIP_SAMPLERATES
from hark.registry import Registry
from hark.train import data_builders
from hark.train.data_events import EVENTS_RESNET_DEFAULTS
from hark.train.data_unsupervised import unlabelled_data

OBJECTIVES = ("exclusive", "overlapped", "reconstruction")
"""What a model may learn: one softmax over exclusive classes, one sigmoid per overlapped class,
or its own input (an autoencoder)."""

ULTRASONIC_SAMPLERATE = 100_000
"""Dense supervision of recordings sampled above this (Hz) defaults to the ``calls`` architecture:
ultrasonic whistles and sweeps (USVs, bats), whose pitch varies too much for ``tcn``'s per-bin inputs."""


class Supervision:
    """One way of training; subclass it and override what differs (hark's five below)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    default_architecture: ClassVar[str] = "convnet"
    default_augmentations: ClassVar[tuple[str | dict[str, Any], ...]] = ()  # names, or {"name", "params"} specs
    default_lr_schedule: ClassVar[str] = "constant"
    """Augmentations applied when the user names none (``DataParams.augmentations`` None)."""
    model_kind: ClassVar[Literal["frame", "clip"]] = "frame"
    """frame models classify windows of audio; clip models whole clips (no window needed)."""
    objectives: ClassVar[tuple[str, ...]] = ("exclusive", "overlapped")
    """The objectives (of :data:`OBJECTIVES`) it trains; the parameter ``overlapped`` picks between the first two."""
    dense: ClassVar[bool] = False
    """Targets for every sample (frames of classes, background included), not one per example."""
    many_frames: ClassVar[bool] = False
    """Training windows of ``frames`` outputs each (else of one)."""
    whole_clips: ClassVar[bool] = False
    """An example is a whole recording (a clip), held out whole."""
    checks_labels_present: ClassVar[bool] = True
    """Every label must be annotated in the folder before anything is read."""
    denoises: ClassVar[bool] = False
    """Its models judge given events (accepted or rejected: ``hark denoise``)."""
    splits_examples: ClassVar[bool] = True
    """Splits labelled examples (:func:`~hark.train.data.split_examples`: folds are planned on them)."""
    demo: ClassVar[tuple[str, dict[str, Any]]] = ("fly", {"labels": "mel-pulse,mel-sine,ambient"})
    """A demo folder it trains on (``hark demo``'s ``fly`` or ``whale``) and the data parameters
    for it: the contract test (tests/train/test_supervisions.py) builds every supervision's data from it."""
    exclusive_because: ClassVar[str] = ""
    """Why it trains exclusive classes only, for its error (e.g. `` (a call or noise)``)."""

    @property
    def reconstructs(self) -> bool:
        """It learns the input itself (no labels, no thresholds)."""
        return "reconstruction" in self.objectives

    @property
    def labelled(self) -> bool:
        return not self.reconstructs

    def objective(self, overlapped: bool) -> str:
        """The objective a run with ``overlapped`` trains."""
        if self.reconstructs:
            return "reconstruction"
        return "overlapped" if overlapped else "exclusive"

    def architecture_for(self, samplerate: float | None) -> str:
        """The architecture used when none is named (``samplerate``: the recordings', None if unknown)."""
        return self.default_architecture

    needs_samplerate_for_architecture: ClassVar[bool] = False
    """:meth:`architecture_for` depends on the recordings' sample rate (read before training)."""

    def architecture_defaults(self, architecture: str, samplerate: float | None = None) -> dict[str, Any]:
        """Parameters of ``architecture`` that differ from its own defaults for this supervision
        (``samplerate``: the recordings', None before they are read)."""
        return {}

    def frames(self, frames: int) -> int:
        """Output frames per training window of a frame model, given the parameter ``frames``."""
        return frames if self.many_frames else 1

    def check_params(self, params) -> None:
        """A ValueError for data parameters (:class:`~hark.train.data.DataParams`) it cannot train with."""
        if self.labelled and not params.labels:
            raise ValueError("labels: give at least one label")
        if params.overlapped and "overlapped" not in self.objectives:
            raise ValueError(
                f"{self.name} supervision trains exclusive classes{self.exclusive_because}; overlapped classes work with sparse and clip supervision"
            )

    def check_kind(self, kind: str, name: str) -> None:
        """A HarkError when the architecture ``name`` builds models of another ``kind`` (frame or clip)."""
        if self.model_kind == "clip" and kind != "clip":
            raise ParameterError("supervision", f"{{param}} {self.name} needs a clip {{architecture}} (e.g. resnet); {name} classifies frames", others=("architecture",))
        if self.model_kind != "clip" and kind == "clip":
            raise ParameterError("supervision", f"architecture {name} classifies whole clips; use it with {{param}} clip or events")

    def check_objective(self, reconstructs: bool, name: str) -> None:
        """A HarkError when the architecture ``name`` learns another objective (reconstructs its input or not)."""
        if reconstructs and not self.reconstructs:
            raise ParameterError("supervision", f"architecture {name} learns from unlabelled audio; use it with {{param}} unsupervised")
        if self.reconstructs and not reconstructs:
            raise ParameterError("supervision", f"{{param}} {self.name} trains an autoencoder ({{architecture}} autoencoder); {name} learns labels", others=("architecture",))

    def check_model(self, module, data, data_params, architecture: str) -> None:
        """A HarkError when the built model cannot see the data (after both exist)."""

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        """The :class:`~hark.train.data.TrainingData` (``cls``) of the folder's ``contents``."""
        raise NotImplementedError

    def split_items(self, contents, params, classes):
        """The labelled examples without their audio: (examples, key, frames per recording, guard, unit)."""
        raise HarkError(f"{self.name} supervision does not split labelled examples")


class SparseSupervision(Supervision):
    name = "sparse"
    description = "labelled points and ranges"
    default_architecture = "convnet"
    # Fly pulse song trained on one annotated recording of ../shared/data/fly and scored on the
    # other, both ways, seeds 1-3 (docs/training-data.md): recall of the pulses 0.68 without,
    # 0.84 with carrier shifts of up to 20 Hz, false alarms under 1 % either way, 1.08x the training time.
    default_augmentations = ("carrier",)
    # The same benchmark (python -m benchmarks.generalize --only fly, 3 seeds, docs/training.md):
    # pulse recall on the other recording 0.860 (sd 0.061) constant, 0.919 (sd 0.003) cosine,
    # no false alarms; the same number of steps, so the same time.
    default_lr_schedule = "cosine"

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return data_builders.sparse_data(cls, contents, params, classes, validation_recordings, test_recordings)

    def split_items(self, contents, params, classes):
        return data_builders.sparse_split_items(contents, params, classes)


class DenseSupervision(Supervision):
    name = "dense"
    description = "every sample of annotated recordings"
    default_architecture = "tcn"
    # USV leave-one-recording-out (python -m benchmarks.generalize --only usv, docs/training.md):
    # F1 as is 0.975 -> 0.983, at -20 dB 0.400 -> 0.974, with another recording's background at
    # 6 dB SNR 0.837 -> 0.900; finch unchanged (on/offset F1 0.98-0.99, labels 1.0); time 0.95x.
    # Background skips (and says so) where fully annotated recordings leave nothing to mix in.
    default_augmentations = (
        {"name": "volume", "params": {"min_db": -20.0, "max_db": 20.0}},
        {"name": "background", "params": {"if_no_pool": "skip"}},
    )
    demo = ("fly", {"labels": "mel-pulse,mel-sine"})
    objectives = ("exclusive",)
    dense = True
    many_frames = True
    splits_examples = False
    needs_samplerate_for_architecture = True

    def architecture_for(self, samplerate: float | None) -> str:
        if samplerate is not None and samplerate > ULTRASONIC_SAMPLERATE:
            return "calls"
        return self.default_architecture

    def check_params(self, params) -> None:
        super().check_params(params)
        if params.background_label in params.labels:
            raise ValueError(f"the background label {params.background_label!r} is implicit in dense supervision; do not list it")

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return data_builders.dense_data(cls, contents, params, classes, validation_recordings, test_recordings)


class ClipSupervision(Supervision):
    name = "clip"
    description = "one label per file"
    default_architecture = "resnet"
    demo = ("whale", {"labels": "upcall,noise"})
    model_kind = "clip"
    whole_clips = True

    def architecture_defaults(self, architecture: str, samplerate: float | None = None) -> dict[str, Any]:
        # audible-band clips (birds, insects) train a mel front end and a deeper net (resnet.WIDEBAND_CLIP_DEFAULTS)
        low, high = WIDEBAND_CLIP_SAMPLERATES
        if architecture == "resnet" and samplerate is not None and low <= samplerate <= high:
            return dict(WIDEBAND_CLIP_DEFAULTS)
        return {}

    def check_model(self, module, data, data_params, architecture: str) -> None:
        window = data.clip_window or 0
        if getattr(module, "min_samples", 0) > window:
            # the window is at most the longest clip: say which of the two is too short
            what = f"clip_window_s {data_params.clip_window_s:g}" if window < data.clip_length else "the longest clip"
            raise HarkError(
                f"{what} ({window} samples) is shorter than one spectrogram window of {architecture} "
                f"({module.min_samples} samples); lengthen clip_window_s or shorten window_ms"
            )

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return data_builders.clip_data(cls, contents, params, classes, validation_recordings, test_recordings)

    def split_items(self, contents, params, classes):
        return data_builders.clip_split_items(contents, params, classes)


class EventsSupervision(Supervision):
    name = "events"
    description = "each reviewed event's crop (a denoiser)"
    default_architecture = "resnet"
    demo = ("fly", {"labels": "mel-pulse,ambient", "rejected_label": "ambient"})
    model_kind = "clip"
    objectives = ("exclusive",)
    checks_labels_present = False  # a rejected event counts as rejected_label: the builder checks
    denoises = True

    def architecture_defaults(self, architecture: str, samplerate: float | None = None) -> dict[str, Any]:
        # resnet's defaults are for clips of seconds; an event's crop needs shorter windows
        return dict(EVENTS_RESNET_DEFAULTS) if architecture == "resnet" else {}

    exclusive_because = " (a call or noise)"

    def check_params(self, params) -> None:
        super().check_params(params)
        problem = label_problem(params.rejected_label)
        if problem:
            raise ValueError(f"rejected_label: {problem}")

    def check_model(self, module, data, data_params, architecture: str) -> None:
        if getattr(module, "min_samples", 0) > data.source.longest:
            raise HarkError(
                f"crop_ms {data_params.crop_ms:g} is shorter than one spectrogram window of {architecture} "
                f"({module.min_samples} samples); lengthen crop_ms or shorten window_ms"
            )

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return data_builders.events_data(cls, contents, params, classes, validation_recordings, test_recordings)

    def split_items(self, contents, params, classes):
        return data_builders.events_split_items(contents, params, classes)


class UnsupervisedSupervision(Supervision):
    name = "unsupervised"
    description = "windows of every recording, no labels (an autoencoder)"
    default_architecture = "autoencoder"
    demo = ("fly", {})
    objectives = ("reconstruction",)
    many_frames = True
    checks_labels_present = False
    splits_examples = False

    def check_params(self, params) -> None:
        if params.labels or params.overlapped or params.folds:
            raise ValueError("unsupervised supervision learns from unlabelled audio: give no labels, overlapped or folds")

    def build(self, cls, contents, params, classes, validation_recordings, test_recordings):
        return unlabelled_data(cls, contents, params, classes, validation_recordings, test_recordings)


SPARSE = SparseSupervision()
DENSE = DenseSupervision()
CLIP = ClipSupervision()
EVENTS = EventsSupervision()
UNSUPERVISED = UnsupervisedSupervision()

supervisions: Registry[Supervision] = Registry("supervision", "hark.supervisions")


def supervision_of(name: str) -> Supervision:
    """The registered supervision ``name``; an unknown one is a HarkError listing the known."""
    return supervisions.get(name)
