"""Heuristic detection of candidate sounds: no training, thresholds in time and frequency.

>>> from hark.detect import detect_files
>>> results = detect_files(["song.wav"], out_dir="detections")

Detectors are plugins (:data:`detectors`); ``time-freq-threshold`` (SongExplorer's) ships
with hark. A third-party detector subclasses :class:`Detector` and registers itself with
:func:`register_detector` or through the ``hark.detectors`` entry point group.
"""

from hark.detect import timefreq as _timefreq  # noqa: F401  (registers the plugin)
from hark.detect.base import Detector, ProgressCallback, detectors, register_detector
from hark.detect.timefreq import TimeFreqThresholdDetector, TimeFreqThresholdParams

__all__ = [
    "Detector",
    "ProgressCallback",
    "TimeFreqThresholdDetector",
    "TimeFreqThresholdParams",
    "detectors",
    "register_detector",
]
