"""The peak F statistic of the windows of a chunk that the time-freq-threshold detector needs.

The detector keeps a window as tonal only inside a run of at least ``min_run`` consecutive
windows whose peak F statistic passes the threshold (``frequency_smooth`` drops shorter runs),
and the lower of its two thresholds (the ambient one) is passed by every window that passes the
higher. So the F-test is needed only on windows that lie in a run of at least ``min_run``
windows passing the lower threshold, and such a run always holds a window whose index is a
multiple of ``min_run`` (any ``min_run`` consecutive integers hold one). Hence, exactly:

1. compute the windows whose index is a multiple of ``min_run`` (the sampled ones);
2. from each sampled window that passes the lower threshold, compute its neighbours outwards,
   left and right, for as long as they pass, stopping at a window already computed.

Every run of passing windows that holds a sampled window is then computed whole; a run that
holds none is shorter than ``min_run`` and would be dropped anyway, for both thresholds. The
windows left out get 0, which passes neither threshold, and the detector's runs, after
``frequency_smooth``, are those of the full computation. On mostly quiet ultrasonic recordings
about half of the windows are computed at ``min_run`` 4 (the README's USV settings), since
noise alone passes the lenient ambient threshold in a third of the windows.

A chunk's windows are numbered from a multiple of ``min_run`` (the detector aligns its chunks),
and the chunk's overlap holds one window more, the next chunk's first (a sampled one): a run
crossing into the next chunk is followed left from there in this chunk, and right from it in the
next, so runs across chunk borders are computed whole too.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PeakTest = Callable[[np.ndarray], np.ndarray]
"""Peak F statistic of each row of a (n_windows, window) array."""


class ChunkPeaks:
    """Called on a chunk's samples, returns the peak F statistic of each window that starts in
    its new part: computed where detection needs it, 0 elsewhere (see the module's text).

    ``tests``: one peak test per thread (each keeps its own buffers); with several, every batch
    of windows is split among them and run at once (numpy and scipy release the GIL in the
    tapering, FFTs and sums); a window's value does not depend on the split.
    ``min_run`` 1 computes every window. Use as a context manager (it holds the threads).
    """

    def __init__(self, tests: list[PeakTest], window: int, hop: int, min_run: int, threshold: float):
        self.tests = tests
        self.window = window
        self.hop = hop
        self.min_run = max(int(min_run), 1)
        self.threshold = threshold
        self.computed = 0  # windows whose F statistic was computed, for the benchmark's report
        self._pool = ThreadPoolExecutor(len(tests)) if len(tests) > 1 else None

    def __enter__(self) -> "ChunkPeaks":
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def __call__(self, data: np.ndarray, n_new: int) -> np.ndarray:
        """Peaks of the windows starting at ``0, hop, ...`` in ``data``, the first ``n_new`` of them;
        window ``n_new`` (the next chunk's first), when ``data`` holds it, is looked at too. The
        screen is exact when the chunk's first window has an index that is a multiple of
        ``min_run`` and ``n_new`` is one too (as the detector's chunks are)."""
        whole = 0 if len(data) < self.window else (len(data) - self.window) // self.hop + 1
        n_new = min(n_new, whole)
        if self.min_run <= 1:
            return self._compute(data, np.arange(n_new))
        available = min(whole, n_new + 1)
        peak = np.zeros(available, dtype=np.float32)
        known = np.zeros(available, dtype=bool)

        def compute(index: np.ndarray) -> np.ndarray:
            peak[index] = self._compute(data, index)
            known[index] = True
            return index[peak[index] > self.threshold]

        passing = compute(np.arange(0, available, self.min_run))
        left, right = passing - 1, passing + 1
        while True:
            left = left[left >= 0]
            left = left[~known[left]]
            right = right[right < available]
            right = right[~known[right]]
            if len(left) == 0 and len(right) == 0:
                break
            compute(np.unique(np.concatenate([left, right])))
            left = left[peak[left] > self.threshold] - 1
            right = right[peak[right] > self.threshold] + 1
        return peak[:n_new]

    def _compute(self, data: np.ndarray, index: np.ndarray) -> np.ndarray:
        self.computed += len(index)
        if len(index) == 0:  # a chunk's end shorter than a window: no window starts there
            return np.zeros(0, dtype=np.float32)
        parts = np.array_split(index, len(self.tests)) if self._pool is not None and len(index) > 1 else [index]

        windows = sliding_window_view(data, self.window)[:: self.hop]  # a view: no index array per sample

        def peaks_of(part: int) -> np.ndarray:
            return self.tests[part](windows[parts[part]])

        if len(parts) == 1:
            return peaks_of(0)
        return np.concatenate(list(self._pool.map(peaks_of, range(len(parts)))))
