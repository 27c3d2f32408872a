"""Training data of models that read several channels at once (``input_channels`` C > 1).

The recordings are read as ``(T, C)`` arrays (:func:`hark.train.data_load.read_audio` with
``channels``), so the sources cut windows ``(L, C)`` exactly as they cut one channel's ``(L,)``;
:func:`channels_first` turns a batch's ``(B, L, C)`` into the models' ``(B, C, L)``.

Augmentations are waveform-level: each channel goes through the same chain with **the same
random draws** (the generator is copied for each channel, and left where one pass leaves it), so
an example's channels get the same gain, the same filter, the same noise samples, the same
reversal or stretch, and what differs between the channels stays as it was. What an
augmentation measures in the audio (the signal's RMS that ``noise`` and ``background`` scale
to) is measured in each channel. ``background`` mixes in the same stretch of the same recording,
each channel's from that channel. Mixup mixes whole examples, all channels alike.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from hark.train.augment import Augmentation, augment_with_times, build_augmentations, prepare_augmentations
from hark.train.data_types import Batch


def channels_first(batch: Batch) -> Batch:
    """``batch`` with its audio ``(B, L, C)`` as ``(B, C, L)`` (one channel's ``(B, L)`` as it is)."""
    if batch.x.ndim == 3:
        batch.x = np.ascontiguousarray(batch.x.transpose(0, 2, 1))
    return batch


def channel_chains(specs, channels: int, training: Callable[[], object]) -> list[list[Augmentation]]:
    """One chain of the augmentations ``specs`` per channel, each prepared with that channel's
    training audio (``training`` makes the data's :class:`~hark.train.augment_background.TrainingAudio`
    of ``(T, C)`` arrays, once, when some augmentation needs it)."""
    chains = [build_augmentations(specs) for _ in range(channels)]
    made: list = []

    def audio_of(channel: int):
        if not made:
            made.append(training())
        whole = made[0]
        return dataclasses.replace(whole, audio={name: samples[:, channel] for name, samples in whole.audio.items()})

    for channel, chain in enumerate(chains):
        prepare_augmentations(chain, lambda channel=channel: audio_of(channel))
    return chains


def augment_channels(x: np.ndarray, chains: Sequence[Sequence[Augmentation]], rng: np.random.Generator):
    """:func:`~hark.train.augment.augment_with_times` of a batch ``(B, C, L)``, channel ``c`` through
    ``chains[c]`` with the same draws as every other channel; ``(B, L)`` through ``chains[0]`` as ever."""
    if x.ndim == 2:
        return augment_with_times(x, chains[0], rng)
    out = np.empty_like(x, dtype=np.float32)
    reversed_rows = moved = None
    state = rng.bit_generator.state
    for channel, chain in enumerate(chains):
        draws = copy.deepcopy(rng)
        draws.bit_generator.state = state
        out[:, channel], reversed_rows, moved = augment_with_times(x[:, channel], chain, draws)
    rng.bit_generator.state = draws.bit_generator.state
    return out, reversed_rows, moved
