"""Annotations: the :class:`Event` model and the files events live in.

- SongExplorer CSVs (:func:`read_csv`, :func:`write_csv`), named by SongExplorer's
  conventions (:func:`parse_annotation_name`, :func:`annotation_csv_name`);
- ground-truth folders of recordings and their CSVs (:func:`scan_folder`);
- Raven selection tables and Audacity label tracks (:func:`read_raven`, :func:`read_audacity`, ...);
- conversion between the three (:func:`convert_annotations`) and counts per kind and label
  (:func:`count_by_kind_and_label`).

Every write replaces its file atomically; every malformed input raises a one-line
:class:`hark.errors.FileFormatError` naming the file and, where there is one, the line.
"""

from hark.annotations.audacity import read_audacity, write_audacity
from hark.annotations.convert import FORMATS, convert_annotations, detect_format, find_recording_beside
from hark.annotations.event import KIND_NAMES, Event, Kind, label_problem
from hark.annotations.folder import GroundTruthFolder, OrphanCSV, RecordingEntry, scan_folder
from hark.annotations.naming import (
    AnnotationFileName,
    annotation_csv_name,
    annotation_csv_path,
    match_recording,
    parse_annotation_name,
)
from hark.annotations.raven import read_raven, write_raven
from hark.annotations.selection import filter_events, single_recording
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.summary import count_by_kind_and_label, merge_counts
from hark.annotations.timebase import seconds_to_tics, tics_to_seconds

__all__ = [
    "FORMATS",
    "KIND_NAMES",
    "AnnotationFileName",
    "Event",
    "GroundTruthFolder",
    "Kind",
    "OrphanCSV",
    "RecordingEntry",
    "annotation_csv_name",
    "annotation_csv_path",
    "convert_annotations",
    "count_by_kind_and_label",
    "detect_format",
    "filter_events",
    "find_recording_beside",
    "label_problem",
    "match_recording",
    "merge_counts",
    "parse_annotation_name",
    "read_audacity",
    "read_csv",
    "read_raven",
    "scan_folder",
    "seconds_to_tics",
    "single_recording",
    "tics_to_seconds",
    "write_audacity",
    "write_csv",
    "write_raven",
]
