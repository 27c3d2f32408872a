"""Call statistics: DeepSqueak's per-call table (frequencies, slope, sinuosity, power, tonality) in Python.

- :func:`call_statistics` measures events of one recording (:class:`CallStats`, one per call),
  reading only each call's samples;
- :func:`call_contour` gives a call's pitch contour (:class:`Contour`);
- :func:`write_call_statistics` is ``hark calls``: finds each recording's calls, writes
  ``<rec>-calls.csv`` per recording and ``calls.xlsx`` for them all.

The definitions are in docs/calls.md.
"""

from hark.calls.contour import Contour
from hark.calls.run import CallEvents, CallsWritten, calls_csv_name, find_call_events, write_call_statistics
from hark.calls.stats import CallStats, CallStatsParams, call_contour, call_statistics, contour_sinuosity, contour_slope
from hark.calls.tables import COLUMNS, write_calls_csv, write_calls_workbook

__all__ = [
    "COLUMNS",
    "CallEvents",
    "CallStats",
    "CallStatsParams",
    "CallsWritten",
    "Contour",
    "call_contour",
    "call_statistics",
    "calls_csv_name",
    "contour_sinuosity",
    "contour_slope",
    "find_call_events",
    "write_call_statistics",
    "write_calls_csv",
    "write_calls_workbook",
]
