"""Measuring how well detections and predictions agree with people's annotations."""

from hark.evaluate.overlap import OverlapScore, overlap_score

__all__ = ["OverlapScore", "overlap_score"]
