"""A corpus for search by example: background noise with one fly sine bout planted twice.

``planted_corpus`` cuts the longest ``mel-sine`` bout of a generated fly recording and adds it
to three minutes of noise at ``ORIGINAL_S`` and again at ``COPY_S`` (off the index's grid of
rows), with a stretch of pulse song at ``DISTRACTOR_S`` as a different sound, so a search for
the bout must return the bout itself first and its copy second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.folder import scan_folder
from hark.audio import open_recording
from hark.demo.generate import write_wav

ORIGINAL_S, COPY_S, DISTRACTOR_S = 40.0, 131.37, 90.0
BACKGROUND_S = 180.0


@dataclass(frozen=True)
class PlantedCorpus:
    folder: Path  # holds background.wav only
    background: Path
    source: Path  # the fly recording the bout comes from (not in the corpus)
    bout_start_s: float  # the bout in ``source``
    bout_s: float  # its duration
    samplerate: int


def planted_corpus(fly_data: Path, out: Path, seed: int = 5) -> PlantedCorpus:
    source = open_recording(fly_data / "fly-01.wav")
    rate = source.samplerate
    events = [e for e in scan_folder(fly_data).load_events(["annotated"], None) if e.recording == "fly-01.wav"]
    bout = max((e for e in events if e.label == "mel-sine"), key=lambda e: e.stop - e.start)
    pulse = next(e for e in events if e.label == "mel-pulse" and e.start > rate)
    audio = source.read()
    rng = np.random.default_rng(seed)
    noise_level = 1.4826 * np.median(np.abs(audio - np.median(audio)))
    background = (rng.normal(0.0, noise_level, round(BACKGROUND_S * rate))).astype(np.float32)
    sound = audio[bout.start : bout.stop]
    for at in (ORIGINAL_S, COPY_S):
        first = round(at * rate)
        background[first : first + len(sound)] += sound
    pulses = audio[pulse.start - rate // 4 : pulse.start + rate // 4]
    first = round(DISTRACTOR_S * rate)
    background[first : first + len(pulses)] += pulses
    folder = out / "corpus"
    folder.mkdir(parents=True)
    write_wav(folder / "background.wav", background, rate)
    return PlantedCorpus(folder, folder / "background.wav", source.path, bout.start / rate, (bout.stop - bout.start) / rate, rate)
