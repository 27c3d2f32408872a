"""Measuring how well detections and predictions agree with people's annotations.

- :mod:`~hark.evaluate.metrics`: confusion matrix, precision, recall, F1, ratio thresholds,
  curves and probability densities of validation results (``hark accuracy``);
- :mod:`~hark.evaluate.report`: their tables and figures, mistakes lists, the best checkpoint;
- :mod:`~hark.evaluate.events`: per-frame probabilities to predicted events (``hark ethogram``)
  and misses;
- :mod:`~hark.evaluate.congruence`: agreement with dense annotations (``hark congruence``),
  written by :mod:`~hark.evaluate.congruence_report`;
- :mod:`~hark.evaluate.matching`: one-to-one event matching with a tolerance (event F1).

The submodules that draw or use scikit-learn import matplotlib and scikit-learn only when
they need them, so importing this package stays cheap.
"""

from hark.evaluate.congruence import (
    HARK,
    INTERSECTION,
    UNION,
    Agreement,
    Congruence,
    DenseFiles,
    FrameProbabilities,
    Regions,
    SweepPoint,
    ThresholdSweep,
    congruence,
    find_dense_files,
    read_events,
    threshold_sweep,
)
from hark.evaluate.congruence_report import write_congruence_report
from hark.evaluate.events import LabelRuns, frames_to_samples, misses, probabilities_to_events, probability_runs
from hark.evaluate.matching import match_events, match_one_to_one, tolerance_tics
from hark.evaluate.metrics import (
    Counts,
    Curves,
    Density,
    Evaluation,
    LabelMetrics,
    Metrics,
    ThresholdRow,
    compute_metrics,
    evaluate,
    operating_points,
    ratio_thresholds,
    threshold_for_ratio,
)
from hark.evaluate.overlap import OverlapScore, overlap_score, overlapped
from hark.evaluate.report import (
    best_checkpoint,
    read_thresholds,
    read_training_log,
    thresholds_at_ratio,
    write_accuracy_report,
    write_mistakes,
    write_thresholds,
)

__all__ = [
    "HARK",
    "INTERSECTION",
    "UNION",
    "Agreement",
    "Congruence",
    "Counts",
    "Curves",
    "DenseFiles",
    "Density",
    "Evaluation",
    "FrameProbabilities",
    "LabelMetrics",
    "LabelRuns",
    "Metrics",
    "OverlapScore",
    "Regions",
    "SweepPoint",
    "ThresholdRow",
    "ThresholdSweep",
    "best_checkpoint",
    "compute_metrics",
    "congruence",
    "evaluate",
    "find_dense_files",
    "frames_to_samples",
    "match_events",
    "match_one_to_one",
    "misses",
    "operating_points",
    "overlap_score",
    "overlapped",
    "probabilities_to_events",
    "probability_runs",
    "ratio_thresholds",
    "read_events",
    "read_thresholds",
    "read_training_log",
    "thresholds_at_ratio",
    "threshold_for_ratio",
    "threshold_sweep",
    "tolerance_tics",
    "write_accuracy_report",
    "write_congruence_report",
    "write_mistakes",
    "write_thresholds",
]
