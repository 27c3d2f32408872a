"""`write_call_statistics`: which events are a recording's calls, and the CSV and workbook written."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pytest

from hark.annotations import Event, Kind, write_csv
from hark.annotations.event import Status
from hark.calls import COLUMNS, CallStatsParams, find_call_events, write_call_statistics
from hark.errors import HarkError
from tests.annotations.helpers import snapshot
from tests.calls.helpers import add_call, background, sweep_hz, write

PARAMS = CallStatsParams(min_hz=20_000)


@pytest.fixture
def folder(tmp_path):
    """rec.wav with two sweeps, and an empty out folder beside it."""
    samples = background(0.5)
    first = add_call(samples, 0.05, sweep_hz(40_000, 60_000, 0.040))
    second = add_call(samples, 0.25, sweep_hz(70_000, 50_000, 0.060))
    write(tmp_path / "rec.wav", samples)
    (tmp_path / "out").mkdir()
    events = [Event("rec.wav", *first, Kind.PREDICTED, "usv", score=0.9), Event("rec.wav", *second, Kind.PREDICTED, "usv", score=0.6)]
    return tmp_path, events


def test_denoised_beats_predicted_beats_annotated(folder):
    root, events = folder
    rec, out = root / "rec.wav", root / "out"
    write_csv(root / "rec.wav-annotated-ann.csv", [e.with_(kind=Kind.ANNOTATED, score=None) for e in events])
    assert find_call_events(rec, out).source == root / "rec.wav-annotated-ann.csv"
    write_csv(out / "rec.wav-predicted-1.0pr.csv", events)
    assert find_call_events(rec, out).source == out / "rec.wav-predicted-1.0pr.csv"
    write_csv(out / "rec.wav-denoised.csv", [events[0].with_(status=Status.ACCEPTED), events[1].with_(status=Status.REJECTED)])
    found = find_call_events(rec, out)
    assert found.source == out / "rec.wav-denoised.csv"
    assert found.events == [events[0]]  # the rejected one is not a call


def test_ambiguous_or_missing_sources_ask_for_events(folder):
    root, events = folder
    rec, out = root / "rec.wav", root / "out"
    with pytest.raises(HarkError, match=r"rec.wav: no calls found: no rec.wav-denoised.csv or rec.wav-predicted-<ratio>pr.csv in .*out, and no rec.wav-annotated-<who>.csv beside the recording; name an event CSV with events"):
        find_call_events(rec, out)
    write_csv(out / "rec-predicted-1.0pr.csv", events)
    write_csv(out / "rec.wav-predicted-2.0pr.csv", events)
    with pytest.raises(HarkError, match=r"rec.wav: 2 predicted CSVs in .*out \(rec-predicted-1.0pr.csv, rec.wav-predicted-2.0pr.csv\); choose one with events"):
        find_call_events(rec, out)
    assert find_call_events(rec, out, root / "out" / "rec-predicted-1.0pr.csv").events == events


def test_an_events_file_of_several_recordings_gives_each_its_own(folder):
    root, events = folder
    other = Event("other.wav", 10, 20, Kind.ANNOTATED, "usv")
    write_csv(root / "all.csv", [*events, other])
    assert find_call_events(root / "rec.wav", root / "out", root / "all.csv").events == events
    write_csv(root / "others.csv", [other])
    with pytest.raises(HarkError, match=r"others.csv has no events of rec.wav \(it has events of other.wav\)"):
        find_call_events(root / "rec.wav", root / "out", root / "others.csv")
    # The run's only recording takes a one-recording file whatever its name.
    assert find_call_events(root / "rec.wav", root / "out", root / "others.csv", only_recording=True).events == [other]


def test_writes_a_csv_per_recording_and_one_workbook(folder):
    root, events = folder
    write_csv(root / "out" / "rec.wav-predicted-1.0pr.csv", events)
    (written,) = write_call_statistics([root / "rec.wav"], root / "out", PARAMS)
    assert (written.table, written.calls, written.source.name) == (root / "out" / "rec.wav-calls.csv", 2, "rec.wav-predicted-1.0pr.csv")
    with open(written.table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [name for name, _ in COLUMNS]
    assert [r["call"] for r in rows] == ["1", "2"]
    assert [r["start_s"] for r in rows] == ["0.05", "0.25"] and rows[0]["score"] == "0.9"
    assert float(rows[0]["slope_hz_per_s"]) == pytest.approx(20_000 / 0.040, rel=0.02)
    assert float(rows[1]["slope_hz_per_s"]) == pytest.approx(-20_000 / 0.060, rel=0.02)
    assert rows[0]["frequency_bounds"] == "contour"

    book = openpyxl.load_workbook(root / "out" / "calls.xlsx")
    assert book.sheetnames == ["calls", "columns"]
    sheet_rows = list(book["calls"].iter_rows(values_only=True))
    assert sheet_rows[0] == tuple(name for name, _ in COLUMNS)
    assert [r[:4] for r in sheet_rows[1:]] == [(1, "rec.wav", "usv", 0.05), (2, "rec.wav", "usv", 0.25)]
    slope_column = sheet_rows[0].index("slope_hz_per_s")
    assert np.isclose(sheet_rows[1][slope_column], float(rows[0]["slope_hz_per_s"]), rtol=1e-6)
    assert len(list(book["columns"].iter_rows())) == len(COLUMNS) + 1


def test_a_mistake_in_one_recording_writes_nothing(folder):
    root, events = folder
    write_csv(root / "out" / "rec.wav-predicted-1.0pr.csv", events)
    (root / "sub").mkdir()
    write(root / "sub" / "b.wav", background(0.1))
    before = snapshot(root / "out")
    with pytest.raises(HarkError, match="b.wav: no calls found"):
        write_call_statistics([root / "rec.wav", root / "sub" / "b.wav"], root / "out", PARAMS)
    with pytest.raises(HarkError, match="two recordings are named rec.wav"):
        write_call_statistics([root / "rec.wav", root / "rec.wav"], root / "out", PARAMS)
    assert snapshot(root / "out") == before
