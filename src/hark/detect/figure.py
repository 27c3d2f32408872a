"""A picture of what a detector found in a stretch of a recording, beside what people marked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hark.annotations.event import Event
from hark.audio.recording import Recording
from hark.fileio import atomic_path

LABEL_COLOURS = {"time": "tab:red", "frequency": "tab:blue", "neither": "0.85"}


def plot_detections(
    recording: Recording,
    detected: Sequence[Event],
    path: str | Path,
    reference: Sequence[Event] = (),
    start_s: float = 0.0,
    stop_s: float | None = None,
) -> Path:
    """Waveform and spectrogram of ``[start_s, stop_s)`` with detected intervals shaded and
    reference events (e.g. annotations) drawn above; saved as PNG (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate = recording.samplerate
    start = int(start_s * rate)
    stop = min(recording.frames, int(stop_s * rate) if stop_s is not None else recording.frames)
    samples = recording.read(start, stop)
    time = (start + np.arange(len(samples))) / rate
    fig, (wave, spec) = plt.subplots(2, 1, figsize=(12, 5.5), sharex=True, constrained_layout=True)
    wave.plot(time, samples, lw=0.4, color="k")
    shown = set()
    for event in detected:
        if event.stop < start or event.start > stop:
            continue
        colour = LABEL_COLOURS.get(event.label, "tab:green")
        label = None if event.label in shown else f"detected: {event.label}"
        shown.add(event.label)
        left, right = max(event.start, start), min(max(event.stop, event.start + 1), stop)
        wave.axvspan(left / rate, right / rate, color=colour, alpha=0.35, lw=0, label=label)
    top = float(np.max(np.abs(samples))) if len(samples) else 1.0
    labels = sorted({e.label for e in reference})
    for row, name in enumerate(labels):
        y = top * (1.1 + 0.12 * row)
        marks = [e for e in reference if e.label == name and e.stop >= start and e.start <= stop]
        for event in marks:
            if event.is_point:
                wave.plot(event.start / rate, y, "v", ms=4, color=f"C{row}")
            else:
                wave.plot([event.start / rate, event.stop / rate], [y, y], lw=3, color=f"C{row}")
        wave.plot([], [], lw=3, color=f"C{row}", label=f"annotated: {name}")
    wave.set_ylabel("amplitude")
    wave.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=7, ncols=4, frameon=False)
    wave.set_title(f"{recording.name}: {start / rate:.1f}-{stop / rate:.1f} s", loc="right", fontsize=9)
    nfft = int(2 ** np.ceil(np.log2(max(rate * 0.0256, 16))))
    spec.specgram(samples, NFFT=nfft, Fs=rate, noverlap=nfft // 2, xextent=(time[0], time[-1]), cmap="magma")
    spec.set_xlim(start / rate, stop / rate)
    spec.set_ylabel("frequency (Hz)")
    spec.set_xlabel("time (s)")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
