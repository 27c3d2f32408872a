"""Praat TextGrids: crowsetta's example, long and short formats, UTF-16, round trips, bad files."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import pytest

from hark.annotations import Event, Kind, read_textgrid, write_textgrid
from hark.errors import FileFormatError, HarkError

CROWSETTA_TEXTGRID = Path(crowsetta.__file__).parent / "examples" / "AVO-maea-basic.TextGrid"

SHORT_FORMAT = """File type = "ooTextFile"
Object class = "TextGrid"

0
1.5
<exists>
2
"TextTier"
"clicks"
0
1.5
1
0.7
"click"
"IntervalTier"
"syllables"
0
1.5
4
0
0.25
""
0.25
0.5
"a"
0.5
1.0
"  say ""hi""  "
1.0
1.5
""
"""


def test_reads_crowsettas_example_first_interval_tier_by_default():
    events = read_textgrid(CROWSETTA_TEXTGRID, 16000, "AVO-maea-basic.wav")
    reference = crowsetta.formats.seq.TextGrid.from_file(CROWSETTA_TEXTGRID)
    samoan = next(t for t in reference.tiers if t.name == "Samoan")  # the first tier is a point tier
    expected = [i for i in samoan.intervals if i.text.strip()]
    assert [e.label for e in events] == [i.text for i in expected]
    assert [(e.start, e.stop) for e in events] == [(round(i.xmin * 16000), round(i.xmax * 16000)) for i in expected]
    assert {(e.recording, e.kind, e.annotator) for e in events} == {("AVO-maea-basic.wav", Kind.ANNOTATED, "textgrid")}


def test_chooses_a_tier_by_name_and_refuses_point_tiers_and_unknown_names():
    gloss = read_textgrid(CROWSETTA_TEXTGRID, 16000, "x.wav", tier="Gloss")
    assert gloss[0].label == "PRES"
    with pytest.raises(FileFormatError, match="tier 'Tones' is a point tier \\(TextTier\\); hark reads interval tiers"):
        read_textgrid(CROWSETTA_TEXTGRID, 16000, "x.wav", tier="Tones")
    with pytest.raises(FileFormatError, match="no tier 'words' \\(its tiers: 'Tones', 'Samoan', 'Gloss'\\)"):
        read_textgrid(CROWSETTA_TEXTGRID, 16000, "x.wav", tier="words")


def test_short_format_skips_silences_and_unescapes_quotes(tmp_path):
    path = tmp_path / "song.TextGrid"
    path.write_text(SHORT_FORMAT)
    assert read_textgrid(path, 1000, "song.wav") == [
        Event("song.wav", 250, 500, Kind.ANNOTATED, "a"),
        Event("song.wav", 500, 1000, Kind.ANNOTATED, 'say "hi"'),
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_reads_utf16_as_praat_writes_non_ascii_labels(tmp_path, encoding):
    path = tmp_path / "song.TextGrid"
    path.write_bytes(SHORT_FORMAT.replace('"a"', '"ä"').encode(encoding))
    assert read_textgrid(path, 1000, "song.wav")[0].label == "ä"


def test_write_fills_gaps_and_round_trips_and_crowsetta_reads_it(tmp_path):
    events = [
        Event("song.wav", 8000, 12000, Kind.ANNOTATED, "b"),
        Event("song.wav", 1000, 4000, Kind.ANNOTATED, 'a "quoted"'),
        Event("song.wav", 4000, 6000, Kind.ANNOTATED, "c"),
    ]
    path = tmp_path / "song.TextGrid"
    assert write_textgrid(path, events, 32000, frames=64000, tier="syllables") == 3
    assert read_textgrid(path, 32000, "song.wav") == sorted(events)
    tier = crowsetta.formats.seq.TextGrid.from_file(path).tiers[0]
    assert tier.name == "syllables"
    assert [(i.xmin, i.xmax, i.text) for i in tier.intervals] == [
        (0.03125, 0.125, 'a ""quoted""'),  # crowsetta does not undo Praat's doubled quotes
        (0.125, 0.1875, "c"),
        (0.25, 0.375, "b"),
    ]
    text = path.read_text()
    assert "intervals: size = 6" in text and "xmax = 2.0" in text  # silences before, between and after


def test_write_refuses_overlaps_points_and_nothing(tmp_path):
    path = tmp_path / "song.TextGrid"
    overlapping = [Event("s.wav", 0, 100, Kind.ANNOTATED, "a"), Event("s.wav", 50, 150, Kind.ANNOTATED, "b")]
    with pytest.raises(HarkError, match=r"events overlap \('a' until sample 100, 'b' from 50\)"):
        write_textgrid(path, overlapping, 1000)
    with pytest.raises(HarkError, match="a point event"):
        write_textgrid(path, [Event("s.wav", 5, 5, Kind.ANNOTATED, "p")], 1000)
    with pytest.raises(HarkError, match="nothing to write"):
        write_textgrid(path, [], 1000)
    assert not path.exists()
    write_textgrid(path, [], 1000, frames=500)  # an empty recording's TextGrid: one silent interval
    assert read_textgrid(path, 1000, "s.wav") == []


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        ("", 1, 'ends early: expected the file type "ooTextFile"'),
        ('File type = "ooTextFile"\nObject class = "Pitch 1"\n', 2, "a Praat Pitch 1, not a TextGrid"),
        ('File type = "ooTextFile"\nObject class = "TextGrid"\nxmin = 0\nxmax = "one"\n', 4, 'expected the TextGrid\'s xmax, found "one"'),
        (SHORT_FORMAT.replace("0.25\n0.5\n", "0.25\nhalf\n"), 25, "expected an interval's xmax in tier 'syllables', found \"a\""),
        (SHORT_FORMAT.replace('"IntervalTier"', '"Tier"'), 15, "unknown tier class 'Tier' (expected IntervalTier or TextTier)"),
        (SHORT_FORMAT.replace("0.5\n1.0\n", "1.0\n0.5\n"), 28, "tier 'syllables': start 1000 is after stop 500"),
        (SHORT_FORMAT.replace('"a"', '"a,b"'), 25, "tier 'syllables': the label 'a,b' contains a comma"),
    ],
)
def test_malformed_textgrids_name_the_line(tmp_path, content, line, reason):
    path = tmp_path / "bad.TextGrid"
    path.write_text(content)
    with pytest.raises(FileFormatError) as err:
        read_textgrid(path, 1000, "bad.wav")
    assert str(err.value) == f"{path}:{line}: {reason}"


def test_binary_and_other_files(tmp_path):
    binary = tmp_path / "b.TextGrid"
    binary.write_bytes(b"ooBinaryFile\x08TextGrid\x00\x01")
    with pytest.raises(FileFormatError, match="a binary TextGrid; save it from Praat as a text file"):
        read_textgrid(binary, 1000, "b.wav")
    latin1 = tmp_path / "l.TextGrid"
    latin1.write_bytes(SHORT_FORMAT.replace('"a"', '"\xe4"').encode("latin-1"))
    with pytest.raises(FileFormatError, match=r"l\.TextGrid:25: not UTF-8 or UTF-16 text"):
        read_textgrid(latin1, 1000, "l.wav")
    no_interval_tier = tmp_path / "p.TextGrid"
    no_interval_tier.write_text(SHORT_FORMAT.split('"IntervalTier"')[0].replace("\n2\n", "\n1\n", 1))
    with pytest.raises(FileFormatError, match="no interval tier"):
        read_textgrid(no_interval_tier, 1000, "p.wav")
