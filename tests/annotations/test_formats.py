"""The annotation-format registry: a contract every registered format keeps.

Every format that can write: events -> write -> sniffing picks the format back -> read ->
the same events (to the sample, or within the format's ``resolution_s``); converting between
any two of them keeps the events too; a format found in ground-truth folders finds the file
it names. Formats that only read get a read test on a small file of known content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hark.annotations import Event, Kind, convert_annotations, read_csv, scan_folder
from hark.annotations.formats import AnnotationFormat, Source, annotation_formats, detect_format, get_format
from hark.errors import HarkError
from tests.annotations.helpers import write_wav

RATE = 22050
# One recording, one-character labels, no overlaps and no points: what every writable format can hold.
EVENTS = [
    Event("song.wav", 441, 2205, Kind.ANNOTATED, "a", low_hz=1000.0, high_hz=3000.0),
    Event("song.wav", 3000, 3001, Kind.ANNOTATED, "b"),
    Event("song.wav", 7777, 12345, Kind.ANNOTATED, "a", low_hz=250.5, high_hz=9000.0),
]
WRITABLE = [name for name, fmt in annotation_formats.items() if fmt.can_write]
READ_ONLY = [name for name, fmt in annotation_formats.items() if not fmt.can_write]


# The label given to the events of a format whose rows carry none (a call table's --label).
GIVEN_LABEL = "x"


def label_for(fmt: AnnotationFormat) -> str | None:
    return GIVEN_LABEL if fmt.takes_label else None


def assert_same_events(got: list[Event], fmt: AnnotationFormat, expected: list[Event] = EVENTS, *, relabelled: bool = False) -> None:
    """``got`` are ``expected`` (labels all ``GIVEN_LABEL`` if they went through a format without labels)."""
    got = sorted(got, key=lambda e: (e.start, e.stop))
    if relabelled or fmt.takes_label:
        expected = [e.with_(label=GIVEN_LABEL) for e in expected]
    if fmt.resolution_s == 0:
        assert got == expected
        return
    tolerance = fmt.resolution_s * RATE
    assert [e.with_(start=0, stop=0) for e in got] == [e.with_(start=0, stop=0) for e in expected]
    for g, e in zip(got, expected):
        assert abs(g.start - e.start) <= tolerance and abs(g.stop - e.stop) <= tolerance


def written(folder: Path, name: str) -> Path:
    """``EVENTS`` written in format ``name`` beside the 1 s recording they annotate, under the format's own file name."""
    write_wav(folder / "song.wav", samplerate=RATE, frames=RATE)
    fmt = annotation_formats.get(name)
    path = folder / fmt.file_name("song.wav", "tester")
    assert fmt.write(path, EVENTS, RATE) == len(EVENTS)
    return path


def test_the_shipped_formats_are_registered_under_their_own_names():
    shipped = {"songexplorer", "hark", "raven", "audacity", "usv", "generic", "notmat", "textgrid", "soundevent"}
    assert shipped <= set(annotation_formats.names())  # stale entry points: pip install -e . --no-deps
    for name, fmt in annotation_formats.items():
        assert fmt.name == name and isinstance(fmt, AnnotationFormat)


@pytest.mark.parametrize("name", WRITABLE)
def test_write_sniff_read_gives_back_the_events(tmp_path, name):
    fmt = annotation_formats.get(name)
    path = written(tmp_path, name)
    detected = detect_format(path)
    assert detected == (fmt.read_as or name)
    events, rate = get_format(detected).read(Source(path, label=label_for(fmt)))
    assert_same_events(events, fmt)
    assert rate in (None, RATE)


@pytest.mark.parametrize("target", WRITABLE)
@pytest.mark.parametrize("source", WRITABLE)
def test_converting_between_any_two_writable_formats_keeps_the_events(tmp_path, source, target):
    src = written(tmp_path, source)
    dst = tmp_path / "out" / annotation_formats.get(target).file_name("song.wav", "tester")
    dst.parent.mkdir()
    write_wav(dst.parent / "song.wav", samplerate=RATE, frames=RATE)
    source_format, target_format = annotation_formats.get(source), annotation_formats.get(target)
    assert convert_annotations(src, dst, target, label=label_for(source_format)) == len(EVENTS)
    events, _ = get_format(detect_format(dst)).read(Source(dst, label=label_for(target_format)))
    assert_same_events(events, target_format, relabelled=source_format.takes_label)


@pytest.mark.parametrize("name", [n for n, f in annotation_formats.items() if f.can_write and f.folder_file(f.file_name("song.wav", "x"))])
def test_a_folder_finds_the_file_a_format_names_after_its_recording(tmp_path, name):
    path = written(tmp_path / "session", name)
    folder = scan_folder(tmp_path)
    assert [e.recording for e in folder.entries] == [tmp_path / "session" / "song.wav"]
    assert folder.entries[0].annotation_paths() == [path]
    assert folder.orphans == ()
    in_folder = [e.with_(recording="session/song.wav") for e in EVENTS]
    assert_same_events(folder.load_events(), annotation_formats.get(name), in_folder)


def test_a_folders_csvs_are_read_without_opening_their_recordings(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"not audio")  # a recording hark cannot open
    (tmp_path / "broken.wav-annotated-a.csv").write_text("broken.wav,1,2,annotated,x\n")
    assert scan_folder(tmp_path).load_events() == [Event("broken.wav", 1, 2, Kind.ANNOTATED, "x")]


def tiny_soundevent_project(folder: Path) -> tuple[Path, list[Event]]:
    """A whombat export of one box (0.1-0.2 s, 1-3 kHz, 'Myotis', by 'ann') in a 2 s recording at 10 kHz."""
    data = {
        "uuid": "p",
        "collection_type": "annotation_project",
        "name": "tiny",
        "users": [{"uuid": "u1", "username": "ann"}],
        "tags": [{"id": 0, "key": "species", "value": "Myotis"}],
        "recordings": [{"uuid": "r1", "path": "/audio/a.wav", "duration": 2.0, "channels": 1, "samplerate": 10000}],
        "clips": [{"uuid": "c1", "recording": "r1", "start_time": 0, "end_time": 1}],
        "sound_events": [{"uuid": "e0", "recording": "r1", "geometry": {"type": "BoundingBox", "coordinates": [0.1, 1000.0, 0.2, 3000.0]}}],
        "sound_event_annotations": [{"uuid": "a0", "sound_event": "e0", "tags": [0], "created_by": "u1"}],
        "clip_annotations": [{"uuid": "ca1", "clip": "c1", "sound_events": ["a0"]}],
    }
    path = folder / "project.json"
    path.write_text(json.dumps({"version": "1.1.0", "created_on": "2024-10-06T18:22:30", "data": data}))
    return path, [Event("a.wav", 1000, 2000, Kind.ANNOTATED, "Myotis", low_hz=1000.0, high_hz=3000.0)]


def tiny_clip_table(folder: Path) -> tuple[Path, list[Event]]:
    """A clip-label table of two clips: one event each over its whole file."""
    write_wav(folder / "a.wav", samplerate=RATE, frames=1000)
    write_wav(folder / "sub" / "b c.wav", samplerate=RATE, frames=500)
    path = folder / "clips.csv"
    path.write_text("file,label\na.wav,upcall\nsub/b%20c.wav,noise\n")
    return path, [Event("a.wav", 0, 1000, Kind.ANNOTATED, "upcall"), Event("sub/b c.wav", 0, 500, Kind.ANNOTATED, "noise")]


# A small file of known content for every format that only reads.
READ_SAMPLES = {"soundevent": tiny_soundevent_project, "labeltable": tiny_clip_table}


def test_every_read_only_format_has_a_read_sample():
    assert set(READ_ONLY) <= set(READ_SAMPLES)


@pytest.mark.parametrize("name", READ_ONLY)
def test_a_read_only_format_reads_its_sample_and_refuses_to_write(tmp_path, name):
    path, expected = READ_SAMPLES[name](tmp_path)
    assert detect_format(path) == name
    events = annotation_formats.get(name).read(Source(path)).events
    assert events == expected
    assert [(e.low_hz, e.high_hz) for e in events] == [(e.low_hz, e.high_hz) for e in expected]
    (tmp_path / "in.csv").write_text("a.wav,1,2,annotated,x\n")
    with pytest.raises(HarkError, match=f"annotation format '{name}' can be read but not written; writable: "):
        convert_annotations(tmp_path / "in.csv", tmp_path / "out", name, samplerate=10000)


def test_format_names_are_looked_up_in_any_case_and_unknown_ones_list_the_known(tmp_path):
    assert get_format("RAVEN") is annotation_formats.get("raven")
    with pytest.raises(HarkError, match=r"unknown annotation format 'praat'; known: audacity, generic, hark, "):
        get_format("praat")


def test_hark_csv_keeps_frequencies_songexplorer_drops_them(tmp_path):
    for name, bounds in (("hark", [(1000.0, 3000.0), (None, None), (250.5, 9000.0)]), ("songexplorer", [(None, None)] * 3)):
        path = written(tmp_path / name, name)
        assert [(e.low_hz, e.high_hz) for e in read_csv(path)] == bounds
