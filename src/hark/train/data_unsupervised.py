"""Unsupervised training data: windows of every recording of a folder, labels not needed.

``--supervision unsupervised`` (for the ``autoencoder`` architecture) reads every recording of
the folder, annotated or not, and ignores any annotations. The split is dense supervision's
(see :mod:`hark.train.data_dense_split`): whole recordings are held out for validation (and
testing) when there are enough of them, else blocks of each recording with a guard of one
window around them; ``validation_recordings`` and ``test_recordings`` name recordings to hold
out. Training windows are drawn uniformly from the training audio; validation windows tile the
validation audio once. The batches carry no targets (all zeros): the model's input is its target.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from hark.errors import HarkError
from hark.train.data_dense import DenseSource
from hark.train.data_dense_split import dense_regions
from hark.train.data_load import FolderContents, read_audio
from hark.train.data_types import Batch, Window

AUDIO_LABEL = "audio"
"""What the dataset summary calls the stretches of audio (there are no labels)."""


class UnlabelledSource:
    """Windows of audio for training and validation; a :class:`DenseSource` with a single class."""

    def __init__(self, audio: dict[str, np.ndarray], validation_regions, test_regions, guarded: bool):
        classes_of = {name: np.zeros(len(samples), dtype=np.int16) for name, samples in audio.items()}
        self.dense = DenseSource(classes_of, audio, validation_regions, guarded, [AUDIO_LABEL], False, test_regions)

    @property
    def n_training(self) -> int:
        """Training samples (before the guard)."""
        return self.dense.n_training

    def check_window(self, window: Window) -> None:
        self.dense.check_window(window)

    def training_batch(self, rng: np.random.Generator, batch_size: int, window: Window) -> Batch:
        return self.dense.training_batch(rng, batch_size, window)

    def validation_batches(self, batch_size: int, window: Window) -> Iterator[Batch]:
        return self.dense.validation_batches(batch_size, window)

    def _regions(self) -> dict[str, list[tuple[str, int, int]]]:
        dense = self.dense
        return {
            "training": dense.training_regions(),
            "validation": [(n, lo, hi) for n, rs in dense.validation_regions.items() for lo, hi in rs],
            "test": [(n, lo, hi) for n, rs in dense.test_regions.items() for lo, hi in rs],
        }

    def counts(self) -> dict[str, dict[str, int]]:
        """Stretches of audio per split."""
        regions = self._regions()
        return {split: {AUDIO_LABEL: len(regions[split])} for split in ("training", "validation")}

    def manifest(self) -> dict:
        return {
            split: [{"recording": n, "start": lo, "stop": hi, "label": AUDIO_LABEL} for n, lo, hi in regions]
            for split, regions in self._regions().items()
        }


def unlabelled_data(cls, contents: FolderContents, params, classes, validation_recordings, test_recordings):
    """The builder of ``TrainingData.from_folder`` for unsupervised training (``classes`` unused)."""
    names = list(contents.recordings)
    samplerate, audio = read_audio(contents.root, names, params.channel, params.reader, params.reader_params)
    lengths = {name: len(samples) for name, samples in audio.items()}
    method, guarded, regions, test_regions = dense_regions(names, lengths, params, validation_recordings, test_recordings)
    source = UnlabelledSource(audio, regions, test_regions, guarded)
    if source.n_training == 0:
        raise HarkError(f"no training audio in {contents.root}: everything is held out for validation or testing")
    split = {
        "method": method,
        "training_recordings": sorted({name for name, _, _ in source.dense.training_regions()}),
        "validation_recordings": sorted(name for name, rs in regions.items() if rs),
        "test_recordings": sorted(name for name, rs in test_regions.items() if rs),
        "test_examples": [],
    }
    return cls(contents.root, params, samplerate, [], source, split)
