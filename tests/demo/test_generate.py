"""Writing the demo folders: layout, WAV format, CSV rows, determinism, atomicity."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.event import Event, Kind
from hark.audio import open_recording
from hark.demo import (
    CSV_SUFFIX,
    FlySongParams,
    generate_all,
    generate_fly,
    generate_usv,
    generate_whale,
    write_demo_csv,
    write_wav,
)
from hark.errors import HarkError


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_fly_folder_layout_and_wav_format(tmp_path):
    recordings = generate_fly(tmp_path / "fly", n_recordings=2, duration_s=4.0, seed=1)
    assert [r.name for r in recordings] == ["fly-01.wav", "fly-02.wav"]
    expected = {"fly-01.wav", "fly-02.wav", "fly-01.wav" + CSV_SUFFIX, "fly-02.wav" + CSV_SUFFIX}
    assert {p.name for p in (tmp_path / "fly").iterdir()} == expected  # and no temporary files left
    for r in recordings:
        assert r.csv == r.wav.with_name(r.wav.name + "-annotated-demo.csv")
        info = sf.info(r.wav)
        assert (info.samplerate, info.channels, info.subtype, info.frames) == (2500, 1, "PCM_16", r.frames) == (2500, 1, "PCM_16", 10_000)
        recording = open_recording(r.wav)
        assert recording.samplerate == r.samplerate == 2500 and recording.frames == r.frames
        assert np.abs(recording.read()).max() > 0


def test_fly_csv_has_songexplorer_rows_matching_the_events(tmp_path):
    (recording,) = generate_fly(tmp_path, n_recordings=1, duration_s=20.0, seed=2)
    rows = _rows(recording.csv)
    assert rows and all(len(row) == 5 for row in rows)
    assert rows == [[e.recording, str(e.start), str(e.stop), e.kind.value, e.label] for e in recording.events]
    assert {row[0] for row in rows} == {"fly-01.wav"} and {row[3] for row in rows} == {"annotated"}
    assert {row[4] for row in rows} == {"mel-pulse", "mel-sine", "ambient"}
    assert all(row[1] == row[2] for row in rows if row[4] == "mel-pulse")


def test_usv_csv_adds_frequency_columns_with_an_empty_score(tmp_path):
    (recording,) = generate_usv(tmp_path, n_recordings=1, duration_s=1.0, seed=0)
    assert sf.info(recording.wav).samplerate == 250_000
    rows = _rows(recording.csv)
    assert rows and all(len(row) == 8 for row in rows)
    for row, event in zip(rows, recording.events, strict=True):
        assert row[:5] == ["usv-01.wav", str(event.start), str(event.stop), "annotated", "usv"]
        assert (float(row[5]), float(row[6]), row[7]) == (event.low_hz, event.high_hz, "")


def test_whale_clips_are_half_upcalls_in_shuffled_order(tmp_path):
    clips = generate_whale(tmp_path, n_clips=10, seed=0)
    assert [c.name for c in clips] == [f"whale-{i:03d}.wav" for i in range(1, 11)]
    labels = [_rows(c.csv) for c in clips]
    assert all(rows == [[c.name, "0", "4000", "annotated", rows[0][4]]] for c, rows in zip(clips, labels))
    upcall = [rows[0][4] == "upcall" for rows in labels]
    assert sum(upcall) == 5 and upcall != [True] * 5 + [False] * 5
    for clip, is_upcall in zip(clips, upcall):
        assert sf.info(clip.wav).samplerate == 2000 and clip.frames == 4000
        assert bool(clip.metadata) == is_upcall
        if is_upcall:
            assert 0 < clip.metadata["call_start"] < clip.metadata["call_stop"] < 4000


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_fly(tmp_path / name / "fly", n_recordings=1, duration_s=3.0, seed=seed)
        generate_usv(tmp_path / name / "usv", n_recordings=1, duration_s=0.3, seed=seed)
        generate_whale(tmp_path / name / "whale", n_clips=4, seed=seed)
    for species in ("fly", "usv", "whale"):
        a, b, c = (_folder_bytes(tmp_path / name / species) for name in "abc")
        assert a == b
        assert a.keys() == c.keys() and all(a[k] != c[k] for k in a if k.endswith(".wav"))


def test_asking_for_more_recordings_keeps_the_earlier_ones(tmp_path):
    one = generate_fly(tmp_path / "one", n_recordings=1, duration_s=3.0, seed=5)
    three = generate_fly(tmp_path / "three", n_recordings=3, duration_s=3.0, seed=5)
    assert one[0].wav.read_bytes() == three[0].wav.read_bytes()
    assert three[1].wav.read_bytes() != three[2].wav.read_bytes()


def test_species_with_the_same_seed_are_unrelated(tmp_path):
    fly = generate_fly(tmp_path / "fly", n_recordings=1, duration_s=2.0, seed=0)[0]
    whale = generate_whale(tmp_path / "whale", n_clips=2, seed=0)
    assert len({tuple(c.metadata.items()) for c in whale}) == 2
    assert fly.events != whale[0].events


def test_parameters_reach_the_generator(tmp_path):
    (recording,) = generate_fly(tmp_path, 1, 20.0, 0, FlySongParams(sine_duration_s_min=0.9, sine_duration_s_max=0.9))
    sines = [e for e in recording.events if e.label == "mel-sine"]
    assert sines and all(e.stop - e.start == 2250 for e in sines)


def test_generate_all_writes_three_species_folders(tmp_path):
    written = generate_all(tmp_path, seed=0)
    assert set(written) == {"fly", "usv", "whale"}
    assert [len(written[k]) for k in ("fly", "usv", "whale")] == [2, 2, 40]
    for species, recordings in written.items():
        assert all(r.wav.parent == tmp_path / species and r.csv.exists() for r in recordings)
    assert written["fly"][0].frames == 60 * 2500 and written["usv"][0].frames == 10 * 250_000


def test_write_demo_csv_formats_numbers_plainly(tmp_path):
    events = [
        Event("a.wav", 10, 20, Kind.ANNOTATED, "usv", low_hz=40000.0, high_hz=123456.7),
        Event("a.wav", 30, 30, Kind.DETECTED, "time", score=0.25),
    ]
    write_demo_csv(tmp_path / "x.csv", events)
    assert (tmp_path / "x.csv").read_text() == "a.wav,10,20,annotated,usv,40000,123456.7,\na.wav,30,30,detected,time,,,0.25\n"
    write_demo_csv(tmp_path / "y.csv", [Event("a.wav", 1, 2, Kind.ANNOTATED, "x")])
    assert (tmp_path / "y.csv").read_text() == "a.wav,1,2,annotated,x\n"


def test_mistakes_are_one_line_errors_and_leave_nothing_behind(tmp_path):
    with pytest.raises(HarkError, match="clip"):
        write_wav(tmp_path / "loud.wav", np.array([0.0, 1.5], dtype=np.float32), 2500)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(HarkError, match="seed"):
        generate_fly(tmp_path, 1, 1.0, seed=-1)
    with pytest.raises(HarkError, match="recordings"):
        generate_usv(tmp_path, n_recordings=-1)
    (tmp_path / "file").write_text("")
    with pytest.raises(HarkError):
        generate_whale(tmp_path / "file", n_clips=1)


def test_hark_reads_the_demo_folder_back(tmp_path):
    from hark.annotations import read_csv, scan_folder

    fly = generate_fly(tmp_path / "fly", n_recordings=1, duration_s=10.0, seed=0)
    usv = generate_usv(tmp_path / "usv", n_recordings=1, duration_s=0.5, seed=0)
    for recording in fly + usv:
        events = read_csv(recording.csv)
        assert events == list(recording.events)
        assert [(e.low_hz, e.high_hz, e.annotator) for e in events] == [(e.low_hz, e.high_hz, "demo") for e in recording.events]
    assert scan_folder(tmp_path) is not None
