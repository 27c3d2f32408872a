"""A reviewed folder of ../shared/data/usv for training denoisers, as a person reviewing detections would make it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.annotations.songexplorer import write_csv
from hark.annotations.usv_table import read_usv_table

RATE = 250_000
OTHER_TOOLS = ("deepsqueak", "mupet", "vocalmat", "msa1", "msa2")


def reviewed_usv_folder(shared: Path, folder: Path, numbers, rng: np.random.Generator) -> None:
    """The hand-marked calls of recordings ``numbers`` as ``usv``; as ``noise``, the other tools'
    detections that overlap no call, and random stretches of the calls' durations that overlap
    nothing, up to twice as many noise events as calls."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        name = f"rec_{n}.wav"
        (folder / name).symlink_to(shared / "usv" / str(n) / name)
        frames = sf.info(str(folder / name)).frames
        calls = [(e.start, e.stop) for e in read_usv_table(shared / "usv" / str(n) / f"gt_{n}.csv", RATE, name)]
        busy = list(calls)
        noise = []

        def free(a, b):
            return not any(a <= y and x <= b for x, y in busy)

        for tool in OTHER_TOOLS:
            for e in read_usv_table(shared / "usv" / str(n) / f"{tool}_{n}.csv", RATE, name, allow_empty=True):
                if free(e.start, e.stop):
                    noise.append((e.start, e.stop))
                    busy.append((e.start, e.stop))
        for _ in range(20_000):
            if len(noise) >= 2 * len(calls):
                break
            d = int(rng.choice([b - a for a, b in calls]))
            a = int(rng.integers(0, frames - d))
            if free(a - 2500, a + d + 2500):
                noise.append((a, a + d))
                busy.append((a, a + d))
        events = [Event(name, a, b, Kind.ANNOTATED, "usv") for a, b in calls] + [Event(name, a, b, Kind.ANNOTATED, "noise") for a, b in noise]
        write_csv(folder / f"{name}-annotated-review.csv", sorted(events))
