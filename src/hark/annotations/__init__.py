"""Annotations: the :class:`Event` model and the files events live in.

- SongExplorer CSVs (:func:`read_csv`, :func:`write_csv`), named by SongExplorer's
  conventions (:func:`parse_annotation_name`, :func:`annotation_csv_name`);
- ground-truth folders of recordings and their CSVs (:func:`scan_folder`);
- Raven selection tables and Audacity label tracks (:func:`read_raven`, :func:`read_audacity`, ...);
- bird-song formats: evsonganaly ``.not.mat`` files (:func:`read_notmat`), Praat TextGrids
  (:func:`read_textgrid`) and crowsetta's generic-seq CSV (:func:`read_generic_csv`), with
  :func:`check_no_overlaps` for dense annotations;
- rodent-USV call tables of ``start_seconds,end_seconds`` rows (:func:`read_usv_table`,
  :func:`write_usv_table`) and soundevent/whombat annotation projects, with their annotated
  clips (:func:`read_soundevent_project`, :func:`read_soundevent_project_with_clips`);
- the formats as plugins of one registry (:data:`annotation_formats`, :class:`AnnotationFormat`),
  each able to sniff, read, write and name its files;
- conversion between them (:func:`convert_annotations`, :func:`convert_soundevent_project`)
  and counts per kind and label (:func:`count_by_kind_and_label`).

Every write replaces its file atomically; every malformed input raises a one-line
:class:`hark.errors.FileFormatError` naming the file and, where there is one, the line.
"""

from hark.annotations.audacity import read_audacity, write_audacity
from hark.annotations.convert import (
    convert_annotations,
    convert_soundevent_project,
    detect_format,
    find_recording_beside,
    target_formats,
)
from hark.annotations.event import KIND_NAMES, Event, Kind, label_problem
from hark.annotations.folder import (
    GroundTruthFolder,
    OrphanCSV,
    RecordingEntry,
    check_no_overlaps,
    read_annotation_file,
    scan_folder,
)
from hark.annotations.formats import AnnotationFormat, annotation_formats, get_format
from hark.annotations.generic_csv import looks_like_generic_csv, read_generic_csv, write_generic_csv
from hark.annotations.naming import (
    AnnotationFileName,
    annotation_csv_name,
    annotation_csv_path,
    match_recording,
    parse_annotation_name,
    parse_notmat_or_textgrid_name,
)
from hark.annotations.notmat import notmat_path_of, read_notmat, write_notmat
from hark.annotations.raven import read_raven, write_raven
from hark.annotations.selection import filter_events, single_recording
from hark.annotations.songexplorer import read_csv, write_csv
from hark.annotations.soundevent import (
    AnnotatedClip,
    SoundeventProject,
    SoundeventRecording,
    read_soundevent_project,
    read_soundevent_project_with_clips,
)
from hark.annotations.summary import count_by_kind_and_label, merge_counts
from hark.annotations.textgrid import read_textgrid, write_textgrid
from hark.annotations.timebase import seconds_to_tics, tics_to_seconds
from hark.annotations.usv_table import read_usv_table, write_usv_table

__all__ = [
    "KIND_NAMES",
    "AnnotatedClip",
    "AnnotationFormat",
    "AnnotationFileName",
    "Event",
    "annotation_formats",
    "GroundTruthFolder",
    "Kind",
    "OrphanCSV",
    "RecordingEntry",
    "SoundeventProject",
    "SoundeventRecording",
    "annotation_csv_name",
    "annotation_csv_path",
    "check_no_overlaps",
    "convert_annotations",
    "convert_soundevent_project",
    "count_by_kind_and_label",
    "detect_format",
    "filter_events",
    "get_format",
    "find_recording_beside",
    "label_problem",
    "looks_like_generic_csv",
    "match_recording",
    "merge_counts",
    "notmat_path_of",
    "parse_annotation_name",
    "parse_notmat_or_textgrid_name",
    "read_annotation_file",
    "read_audacity",
    "read_csv",
    "read_generic_csv",
    "read_notmat",
    "read_raven",
    "read_soundevent_project",
    "read_soundevent_project_with_clips",
    "read_textgrid",
    "read_usv_table",
    "scan_folder",
    "seconds_to_tics",
    "single_recording",
    "target_formats",
    "tics_to_seconds",
    "write_audacity",
    "write_csv",
    "write_generic_csv",
    "write_notmat",
    "write_raven",
    "write_textgrid",
    "write_usv_table",
]
