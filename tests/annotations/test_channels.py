"""One channel's outputs among several: ``<rec>-ch<N>-...`` names and the CSV's ``channel`` column."""

from __future__ import annotations

import pytest

from hark.annotations.event import Event, Kind
from hark.annotations.folder import scan_folder
from hark.annotations.naming import annotation_csv_name, channel_stem, match_recording, parse_annotation_name, split_channel
from hark.annotations.songexplorer import read_csv, write_csv
from hark.audio.channels import chosen_channels, parse_channel_selection
from hark.errors import HarkError


def test_a_channel_goes_after_the_recordings_name_and_is_read_back():
    assert annotation_csv_name("song.wav", Kind.DETECTED, channel=1) == "song.wav-ch1-detected.csv"
    assert annotation_csv_name("song.wav", Kind.PREDICTED, ratio=1.0, channel=0) == "song.wav-ch0-predicted-1.0pr.csv"
    assert annotation_csv_name("song.wav", Kind.DETECTED) == "song.wav-detected.csv"  # no channel: as ever
    parsed = parse_annotation_name("song.wav-ch12-predicted-2.0pr.csv")
    assert (parsed.recording, parsed.channel, parsed.ratio, parsed.kind, parsed.stem) == ("song.wav", 12, "2.0", Kind.PREDICTED, "song.wav-ch12")
    assert parse_annotation_name("song.wav-detected.csv").channel is None
    assert match_recording("song.wav-ch1-detected.csv", ["song.wav", "other.wav"]) == "song.wav"


def test_a_name_without_an_audio_extension_before_ch_keeps_it_as_the_recordings_name():
    # SongExplorer's style drops the extension: take-ch1-detected.csv annotates take-ch1.wav
    parsed = parse_annotation_name("take-ch1-detected.csv")
    assert (parsed.recording, parsed.channel) == ("take-ch1", None)
    assert match_recording("take-ch1-detected.csv", ["take-ch1.wav", "take.wav"]) == "take-ch1.wav"
    assert split_channel("notes.txt-ch1") == ("notes.txt-ch1", None)  # not an audio file's extension
    assert split_channel(channel_stem("a-ch2.flac", 3)) == ("a-ch2.flac", 3)


def test_the_channel_column_is_written_only_when_set_and_read_back(tmp_path):
    plain = [Event("s.wav", 1, 5, Kind.DETECTED, "time"), Event("s.wav", 7, 9, Kind.DETECTED, "neither")]
    write_csv(tmp_path / "plain.csv", plain)
    assert (tmp_path / "plain.csv").read_text() == "s.wav,1,5,detected,time\ns.wav,7,9,detected,neither\n"  # unchanged
    channelled = [e.with_(channel=2) for e in plain]
    write_csv(tmp_path / "s.wav-ch2-detected.csv", channelled)
    assert (tmp_path / "s.wav-ch2-detected.csv").read_text() == "s.wav,1,5,detected,time,,,,,2\ns.wav,7,9,detected,neither,,,,,2\n"
    back = read_csv(tmp_path / "s.wav-ch2-detected.csv")
    assert back == channelled and [e.channel for e in back] == [2, 2]
    reviewed = [Event("s.wav", 1, 5, Kind.PREDICTED, "a", score=0.5, status="accepted", channel=0)]
    write_csv(tmp_path / "r.csv", reviewed)
    assert (tmp_path / "r.csv").read_text() == "s.wav,1,5,predicted,a,,,0.5,accepted,0\n"
    assert read_csv(tmp_path / "r.csv")[0].channel == 0
    with pytest.raises(ValueError, match="channel -1 is negative"):
        Event("s.wav", 1, 5, Kind.DETECTED, "time", channel=-1)


def test_each_channels_csv_belongs_to_its_recording_in_a_folder(tmp_path):
    (tmp_path / "s.wav").write_bytes(b"")  # scanning reads names only
    for channel in (0, 1):
        write_csv(tmp_path / annotation_csv_name("s.wav", Kind.DETECTED, channel=channel), [Event("s.wav", 1, 5, Kind.DETECTED, "time", channel=channel)])
    folder = scan_folder(tmp_path)
    [entry] = folder.entries
    assert [p.name for p in entry.csvs[Kind.DETECTED]] == ["s.wav-ch0-detected.csv", "s.wav-ch1-detected.csv"] and not folder.orphans


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", 1), (" all ", "all"), ("0,2", [0, 2]), ("3,", [3]), ([1, 0], [1, 0]), (2, 2)],
)
def test_a_channel_selection_as_typed(typed, expected):
    assert parse_channel_selection(typed) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("", "expected a channel number"), (",", "the list of channels is empty"), ([], "the list of channels is empty"),
     ("0,0", "channel 0 is listed twice"), ("0,-1", "channel -1 is negative"), ("left", "expected a channel number"), (True, "expected")],
)  # fmt: skip
def test_a_bad_channel_selection_says_what_is_wrong(typed, problem):
    with pytest.raises(ValueError, match=problem):
        parse_channel_selection(typed)


def test_chosen_channels_of_a_recording():
    assert chosen_channels(1, 2, "s.wav") == ([1], False)  # one channel: named as ever
    assert chosen_channels("all", 3, "s.wav") == ([0, 1, 2], True)
    assert chosen_channels("all", 1, "s.wav") == ([0], False)  # a mono file with all: as today
    assert chosen_channels([1], 2, "s.wav") == ([1], True)  # a list names its channels
    with pytest.raises(HarkError, match=r"^s.wav: channel 2 does not exist; the recording has 2 channel\(s\), numbered from 0$"):
        chosen_channels("0,2", 2, "s.wav")
