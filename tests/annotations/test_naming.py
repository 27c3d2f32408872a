"""SongExplorer's CSV names: both styles parsed, one style written, CSVs matched to recordings."""

from __future__ import annotations

from pathlib import Path

import pytest

from hark.annotations import (
    AnnotationFileName,
    Kind,
    annotation_csv_name,
    annotation_csv_path,
    match_recording,
    parse_annotation_name,
)
from hark.errors import HarkError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PS_20130625111709_ch3.wav-annotated-person1.csv", AnnotationFileName("PS_20130625111709_ch3.wav", Kind.ANNOTATED, "person1")),
        ("PS_20130625111709_ch3-annotated-person1.csv", AnnotationFileName("PS_20130625111709_ch3", Kind.ANNOTATED, "person1")),
        ("rec-annotated-20230102T030405.csv", AnnotationFileName("rec", Kind.ANNOTATED, "20230102T030405")),
        ("my-rec.wav-annotated-jane-doe.csv", AnnotationFileName("my-rec.wav", Kind.ANNOTATED, "jane-doe")),
        ("20161207T102314_ch1_p1-detected.csv", AnnotationFileName("20161207T102314_ch1_p1", Kind.DETECTED)),
        ("song.wav-detected.csv", AnnotationFileName("song.wav", Kind.DETECTED)),
        ("20161207T102314_ch1_p1-predicted-2.0pr.csv", AnnotationFileName("20161207T102314_ch1_p1", Kind.PREDICTED, ratio="2.0")),
        ("song.wav-predicted-1.0pr.csv", AnnotationFileName("song.wav", Kind.PREDICTED, ratio="1.0")),
        ("song-missed.csv", AnnotationFileName("song", Kind.MISSED)),
        ("PS_20130625111709_ch3-mistakes.csv", AnnotationFileName("PS_20130625111709_ch3", Kind.MISTAKEN)),
        ("x-annotated-y-detected.csv", AnnotationFileName("x-annotated-y", Kind.DETECTED)),
        ("/some/folder/song.wav-missed.csv", AnnotationFileName("song.wav", Kind.MISSED)),
    ],
)
def test_parses_songexplorer_names(name, expected):
    assert parse_annotation_name(name) == expected


@pytest.mark.parametrize(
    "name",
    ["notes.csv", "song.wav", "song-annotated-.csv", "-detected.csv", "song-predicted-pr.csv", "song-predicted-1.0.csv", "song-detected.txt", "song-disjoint-everyone.csv"],
)
def test_other_files_are_not_annotation_files(name):
    assert parse_annotation_name(name) is None


def test_mistakes_files_hold_mistaken_and_correct_rows():
    assert parse_annotation_name("a-mistakes.csv").row_kinds == (Kind.MISTAKEN, Kind.CORRECT)
    assert parse_annotation_name("a-detected.csv").row_kinds == (Kind.DETECTED,)


def test_builders_keep_the_audio_extension_and_parse_back():
    assert annotation_csv_name("song.wav", Kind.ANNOTATED, annotator="ann") == "song.wav-annotated-ann.csv"
    assert annotation_csv_name("dir/song.flac", "detected") == "song.flac-detected.csv"
    assert annotation_csv_name("song.wav", Kind.PREDICTED, ratio=1) == "song.wav-predicted-1.0pr.csv"
    assert annotation_csv_name("song.wav", Kind.PREDICTED, ratio="0.5") == "song.wav-predicted-0.5pr.csv"
    assert annotation_csv_name("song.wav", Kind.MISSED) == "song.wav-missed.csv"
    assert annotation_csv_name("song.wav", Kind.MISTAKEN) == "song.wav-mistakes.csv"
    assert annotation_csv_name("song.wav", Kind.CORRECT) == "song.wav-mistakes.csv"
    assert annotation_csv_path(Path("/d/song.wav"), "annotated", annotator="a") == Path("/d/song.wav-annotated-a.csv")
    for kind, extra in [(Kind.ANNOTATED, {"annotator": "x"}), (Kind.DETECTED, {}), (Kind.PREDICTED, {"ratio": 2.0}), (Kind.MISSED, {})]:
        parsed = parse_annotation_name(annotation_csv_name("r.wav", kind, **extra))
        assert (parsed.recording, parsed.kind) == ("r.wav", kind)


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        (Kind.ANNOTATED, {}, "annotator name None"),
        (Kind.ANNOTATED, {"annotator": "two words"}, "without spaces"),
        (Kind.PREDICTED, {}, "precision-recall ratio"),
        (Kind.PREDICTED, {"ratio": "-1"}, "non-negative number"),
        ("guessed", {}, "unknown kind 'guessed'"),
    ],
)
def test_builders_reject_what_could_not_be_parsed_back(kind, extra, message):
    with pytest.raises(HarkError, match=message):
        annotation_csv_name("r.wav", kind, **extra)


def test_matches_csvs_of_both_styles_to_their_recording():
    audio = ["PS_ch3.wav", "other.wav", "rec.2013.flac"]
    assert match_recording("PS_ch3.wav-annotated-p1.csv", audio) == "PS_ch3.wav"
    assert match_recording("PS_ch3-annotated-p1.csv", audio) == "PS_ch3.wav"
    assert match_recording("rec.2013-detected.csv", audio) == "rec.2013.flac"
    assert match_recording("missing-detected.csv", audio) is None
    assert match_recording("notes.csv", audio) is None


def test_an_extensionless_name_matching_two_recordings_is_ambiguous():
    assert match_recording("song-detected.csv", ["song.wav", "song.flac"]) is None
    # With the extension kept, there is no doubt.
    assert match_recording("song.flac-detected.csv", ["song.wav", "song.flac"]) == "song.flac"
