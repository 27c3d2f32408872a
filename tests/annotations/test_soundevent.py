"""soundevent/whombat projects: the real bat project, clips, geometries, bad projects, conversion to a folder."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from hark.annotations import (
    Kind,
    convert_soundevent_project,
    read_csv,
    read_raven,
    read_soundevent_project,
    read_soundevent_project_with_clips,
)
from hark.errors import FileFormatError, HarkError
from tests.annotations.helpers import snapshot, write_wav

BAT_SPECIES = {
    "Rhynchonycteris naso": 74,
    "Pteronotus mesoamericanus": 64,
    "Centronycteris centralis": 59,
    "Noctilio leporinus": 59,
    "Desmodus rotundus": 53,
    "Lasiurus blossevillii": 41,
    "Carollia perspicillata": 30,
    "Carollia castanea": 20,
    "Carollia sowelli": 17,
    "Diclidurus albus": 16,
}
NOCTILIO = "XC820302-Noctilio_leporinus-2013.01.08-CL00088_A_15.wav"


def project(events=(((0.1, 1000.0, 0.2, 3000.0), "Myotis"),), **changes) -> dict:
    """A tiny valid project: one 2 s recording at 10 kHz, one clip [0, 1] s, the given boxes."""
    data = {
        "uuid": "p",
        "collection_type": "annotation_project",
        "name": "tiny",
        "users": [{"uuid": "u1", "username": "ann"}],
        "tags": [{"id": 0, "key": "species", "value": "Myotis"}, {"id": 1, "key": "species", "value": "Eptesicus"}],
        "recordings": [{"uuid": "r1", "path": "/audio/a.wav", "duration": 2.0, "channels": 1, "samplerate": 10000}],
        "clips": [{"uuid": "c1", "recording": "r1", "start_time": 0, "end_time": 1}],
        "sound_events": [],
        "sound_event_annotations": [],
        "clip_annotations": [{"uuid": "ca1", "clip": "c1", "sound_events": []}],
    }
    tag_of = {"Myotis": 0, "Eptesicus": 1}
    for i, (coordinates, label) in enumerate(events):
        geometry = coordinates if isinstance(coordinates, dict) else {"type": "BoundingBox", "coordinates": list(coordinates)}
        data["sound_events"].append({"uuid": f"e{i}", "recording": "r1", "geometry": geometry})
        data["sound_event_annotations"].append({"uuid": f"a{i}", "sound_event": f"e{i}", "tags": [tag_of[label]], "created_by": "u1"})
        data["clip_annotations"][0]["sound_events"].append(f"a{i}")
    data.update(changes)
    return {"version": "1.1.0", "created_on": "2024-10-06T18:22:30", "data": data}


def write(tmp_path, document, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.mark.shared_data
def test_reads_the_real_bat_project(shared_data):
    path = shared_data / "bat" / "example_annotation_project.json"
    events_of = read_soundevent_project(path)
    assert len(events_of) == 10 and all(name.endswith(".wav") and (path.parent / name).is_file() for name in events_of)
    events = [e for events in events_of.values() for e in events]
    assert len(events) == 433
    assert Counter(e.label for e in events) == BAT_SPECIES
    assert all(e.kind is Kind.ANNOTATED and e.annotator == "mbsantiago" for e in events)
    assert all(e.has_frequency and 0 < e.low_hz < e.high_hz for e in events)
    assert all(len({e.label for e in recording_events}) == 1 for recording_events in events_of.values())


@pytest.mark.shared_data
def test_real_times_are_within_the_recording_not_the_clip(shared_data):
    project_ = read_soundevent_project_with_clips(shared_data / "bat" / "example_annotation_project.json")
    noctilio = project_.recordings[NOCTILIO]
    assert (noctilio.samplerate, noctilio.frames) == (384000, 1376272)
    first = noctilio.events[0]
    # The JSON's first box of this recording: [0.13796875..., 27840, 0.14084..., 48480] at 384 kHz.
    assert (first.start, first.stop, first.low_hz, first.high_hz) == (52980, 54086, 27840.0, 48480.0)
    # Events of the clip [3, 4) s have times past 3 s: times count from the recording's start.
    assert max(e.stop for e in noctilio.events) > 3 * 384000
    assert all(e.stop <= noctilio.frames for e in noctilio.events)


@pytest.mark.shared_data
def test_real_clips_cover_every_recording_and_stop_at_its_end(shared_data):
    project_ = read_soundevent_project_with_clips(shared_data / "bat" / "example_annotation_project.json")
    clips = project_.clips
    assert sum(len(c) for c in clips.values()) == 33
    for name, recording_clips in clips.items():
        frames = project_.recordings[name].frames
        assert recording_clips[0].start == 0 and recording_clips[-1].stop == frames
        assert all(a.stop == b.start for a, b in zip(recording_clips, recording_clips[1:]))  # one-second clips, end to end
        assert all(c.state == "completed" for c in recording_clips)
    assert [c.stop - c.start for c in clips[NOCTILIO]] == [384000, 384000, 384000, 1376272 - 3 * 384000]
    castanea = next(name for name in clips if "Carollia_castanea" in name)
    assert clips[castanea][1].notes == ("Is a very short clip, do not include",)


def test_tiny_project_events_clips_and_rate(tmp_path):
    path = write(tmp_path, project([((0.1, 1000.0, 0.2, 3000.0), "Myotis"), ((0.5, 2000, 0.55, 2500), "Eptesicus")]))
    read = read_soundevent_project_with_clips(path)
    assert read.name == "tiny" and read.samplerates == {"a.wav": 10000}
    (recording,) = read.recordings.values()
    assert recording.audio_path is None and recording.frames == 20000
    assert [(e.start, e.stop, e.label, e.low_hz, e.high_hz, e.annotator) for e in recording.events] == [
        (1000, 2000, "Myotis", 1000.0, 3000.0, "ann"),
        (5000, 5500, "Eptesicus", 2000.0, 2500.0, "ann"),
    ]
    assert [(c.start, c.stop) for c in recording.clips] == [(0, 10000)]


def test_other_geometries(tmp_path):
    geometries = [
        {"type": "TimeInterval", "coordinates": [0.1, 0.3]},
        {"type": "TimeStamp", "coordinates": [0.4]},
        {"type": "LineString", "coordinates": [[0.5, 3000], [0.6, 1000], [0.7, 2000]]},
        {"type": "Polygon", "coordinates": [[[0.8, 100], [0.9, 400], [0.85, 900], [0.8, 100]]]},
    ]
    events = read_soundevent_project(write(tmp_path, project([(g, "Myotis") for g in geometries])))["a.wav"]
    assert [(e.start, e.stop, e.low_hz, e.high_hz) for e in events] == [
        (1000, 3000, None, None),
        (4000, 4000, None, None),
        (5000, 7000, 1000.0, 3000.0),
        (8000, 9000, 100.0, 900.0),
    ]


def test_audio_beside_the_project_must_agree_on_the_rate(tmp_path):
    write_wav(tmp_path / "a.wav", samplerate=8000, frames=100)
    with pytest.raises(FileFormatError, match=r"p.json: a.wav: samplerate 10000 Hz in the project, but .*a.wav is sampled at 8000 Hz"):
        read_soundevent_project(write(tmp_path, project()))
    write_wav(tmp_path / "a.wav", samplerate=10000, frames=15000)
    (recording,) = read_soundevent_project_with_clips(tmp_path / "p.json").recordings.values()
    assert recording.audio_path == tmp_path / "a.wav" and recording.frames == 15000


def test_another_schema_version_is_one_clear_line(tmp_path):
    document = project()
    document["version"] = "2.0.0"
    path = write(tmp_path, document)
    before = snapshot(tmp_path)
    with pytest.raises(FileFormatError) as caught:
        read_soundevent_project(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: soundevent format version '2.0.0' is not supported (supported: 1.1.0)")
    assert snapshot(tmp_path) == before


def bad(mutate):
    document = project()
    mutate(document["data"])
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (project([((0.1, 3000.0, 0.2, 1000.0), "Myotis")]), r"sound event e0 \(in a.wav\): the box's low frequency 3000 Hz is above its high frequency 1000 Hz"),
        (project([((0.3, 1000.0, 0.2, 3000.0), "Myotis")]), r"sound event e0 \(in a.wav\): the box ends \(0.2 s\) before it starts \(0.3 s\)"),
        (project([((0.1, 1000.0, 0.2), "Myotis")]), r"a BoundingBox needs coordinates \[t_start, f_low, t_end, f_high\], got \[0.1, 1000.0, 0.2\]"),
        (project([((0.1, "x", 0.2, 3.0), "Myotis")]), r"the coordinates of its BoundingBox are not all finite numbers"),
        (project([((-0.1, 1000.0, 0.2, 3000.0), "Myotis")]), r"sound event e0 \(in a.wav\): start -1000 is negative"),
        ({"version": "1.1.0"}, r"not a soundevent \(AOEF\) file"),
        ({**project(), "data": {**project()["data"], "collection_type": "dataset"}}, r"collection_type 'dataset' is not supported"),
        (bad(lambda d: d["sound_event_annotations"][0].update(tags=[])), r"sound event annotation a0 has no 'species' tag \(its tags: none\)"),
        (bad(lambda d: d["sound_event_annotations"][0].update(tags=[0, 1])), r"sound event annotation a0 has 2 'species' tags"),
        (bad(lambda d: d["sound_event_annotations"][0].update(tags=[7])), r"sound event annotation a0 has tag 7, which is not in 'tags'"),
        (bad(lambda d: d["sound_event_annotations"][0].update(sound_event="zz")), r"refers to sound event zz, which is not in 'sound_events'"),
        (bad(lambda d: d["clips"][0].update(recording="zz")), r"clip c1 refers to recording zz, which is not in 'recordings'"),
        (bad(lambda d: d["recordings"][0].pop("samplerate")), r"recording r1 has no 'samplerate'"),
        (bad(lambda d: d["recordings"][0].update(samplerate="fast")), r"recording r1: 'samplerate' is 'fast', not a number"),
        (bad(lambda d: d["recordings"][0].update(time_expansion=10)), r"a.wav: time-expanded recordings \(time_expansion 10\) are not supported"),
        (bad(lambda d: d.pop("sound_events")), r"no 'sound_events' list in 'data'"),
        (bad(lambda d: d["recordings"].append(dict(d["recordings"][0], uuid="r2"))), r"two recordings have the file name a.wav"),
    ],
)
def test_malformed_projects_name_the_piece_at_fault(tmp_path, document, expected):
    path = write(tmp_path, copy.deepcopy(document))
    with pytest.raises(FileFormatError, match=expected) as caught:
        read_soundevent_project(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_invalid_json_names_the_line(tmp_path):
    (tmp_path / "p.json").write_text('{"version": "1.1.0",\n "data": {,}}')
    with pytest.raises(FileFormatError, match=r"p.json:2: not valid JSON"):
        read_soundevent_project(tmp_path / "p.json")


@pytest.mark.shared_data
def test_converts_the_real_project_into_a_ground_truth_folder(shared_data, tmp_path):
    source = shared_data / "bat" / "example_annotation_project.json"
    written = convert_soundevent_project(source, tmp_path / "truth", "hark")
    assert len(written) == 10 and sum(count for _, count in written) == 433
    path = tmp_path / "truth" / f"{NOCTILIO}-annotated-mbsantiago.csv"
    assert (path, 59) in written
    events = read_csv(path)
    assert events == list(read_soundevent_project(source)[NOCTILIO])
    assert all(e.has_frequency for e in events)
    assert path.read_text().splitlines()[0] == f"{NOCTILIO},52980,54086,annotated,Noctilio leporinus,27840,48480,"


@pytest.mark.shared_data
def test_bat_boxes_become_raven_tables_with_frequency_columns(shared_data, tmp_path):
    source = shared_data / "bat" / "example_annotation_project.json"
    written = convert_soundevent_project(source, tmp_path, "raven")
    path = tmp_path / f"{NOCTILIO[:-4]}.Table.1.selections.txt"
    assert (path, 59) in written and len(written) == 10
    header, first = path.read_text().splitlines()[:2]
    assert header.split("\t")[5:7] == ["Low Freq (Hz)", "High Freq (Hz)"]
    assert first.split("\t")[5:] == ["27840.0", "48480.0", "Noctilio leporinus"]
    assert read_raven(path, 384000, NOCTILIO) == read_soundevent_project(source)[NOCTILIO]


def test_convert_folder_annotator_override_and_bad_name(tmp_path):
    path = write(tmp_path, project())
    assert convert_soundevent_project(path, tmp_path / "out", "songexplorer", annotator="me") == [(tmp_path / "out" / "a.wav-annotated-me.csv", 1)]
    assert (tmp_path / "out" / "a.wav-annotated-me.csv").read_text() == "a.wav,1000,2000,annotated,Myotis\n"
    with pytest.raises(HarkError, match="annotator name 'a b' must be non-empty, without spaces or slashes"):
        convert_soundevent_project(path, tmp_path / "out2", "hark", annotator="a b")
    assert not (tmp_path / "out2").exists()
