"""Praat TextGrids: tiers of labelled intervals over a recording, times in seconds.

hark reads one interval tier (by name, or the first interval tier) of a text TextGrid, in
Praat's long or short format, UTF-8 or UTF-16 (Praat's choice when a label is not ASCII).
Intervals with empty text are the silences between sounds and are skipped; the others become
``annotated`` events of one recording, rounded to the nearest sample, with ``textgrid`` as
their annotator. Writing produces the long format with one interval tier, the gaps between
events filled with empty intervals as Praat requires.

Both formats are the same sequence of numbers, ``"strings"`` and ``<flags>``; the long one adds
field names (``xmin =``) and indexes (``item [1]:``), which Praat itself skips. hark reads the
file as that token sequence, so it reads either format without telling them apart and reports
the line of a malformed value. crowsetta's TextGrid parser is not used: it reads by line
position, misreads negative or exponent-written times, and fails with a bare AttributeError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.selection import check_kind, single_recording
from hark.annotations.textfile import check_input_file
from hark.annotations.timebase import check_samplerate, format_float, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError, HarkError, excerpt
from hark.fileio import atomic_write_text

ANNOTATOR = "textgrid"
INTERVAL_TIER, POINT_TIER = "IntervalTier", "TextTier"

_TOKEN = re.compile(
    r"""
      "(?P<string>(?:[^"]|"")*)"            # a string; "" inside is one quote
    | (?P<flag><[A-Za-z]+>)                 # <exists>, <absent>
    | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    | ![^\n]*                               # a comment, to the end of the line
    | \[[^\]\n]*\]                          # an index: item [1], intervals [2]
    | [A-Za-z_][\w?]*                       # a field name: xmin, class, tiers?
    | \s+ | .                               # '=', ':' and the rest: skipped
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "flag" or "number"
    text: str
    line: int


@dataclass
class _Tier:
    kind: str
    name: str
    intervals: list[tuple[float, float, str, int]] = field(default_factory=list)  # xmin, xmax, text, line


def read_textgrid(
    path: str | Path,
    samplerate: float,
    recording: str,
    *,
    tier: str | None = None,
    kind: Kind | str = Kind.ANNOTATED,
) -> list[Event]:
    """The labelled intervals of one tier (``tier`` by name, else the first interval tier) as events of ``recording``.

    Labels lose leading and trailing spaces, which Praat does not show.
    """
    path = check_input_file(path)
    rate = check_samplerate(samplerate)
    kind = check_kind(kind)
    tiers = _parse(path, _tokens(path, _decode(path)))
    chosen = _choose_tier(path, tiers, tier)
    events = []
    for xmin, xmax, text, line in chosen.intervals:
        label = text.strip()
        if not label:
            continue
        try:
            events.append(
                Event(recording, seconds_to_tics(xmin, rate), seconds_to_tics(xmax, rate), kind, label, annotator=ANNOTATOR)
            )
        except ValueError as err:
            raise FileFormatError(path, f"tier {chosen.name!r}: {err}", line=line) from None
    return events


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith(b"ooBinaryFile"):
        raise FileFormatError(path, "a binary TextGrid; save it from Praat as a text file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) > 1 and data[1:2] == b"\x00":  # UTF-16 without its byte-order mark
        encoding = "utf-16-le"
    elif data[:1] == b"\x00":
        encoding = "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise FileFormatError(path, "not UTF-8 or UTF-16 text; save the TextGrid as UTF-8", line=line) from None


def _tokens(path: Path, text: str) -> Iterator[_Token]:
    line = 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "string":
            yield _Token(kind, match["string"].replace('""', '"'), line)
        elif kind in ("flag", "number"):
            yield _Token(kind, match[kind], line)
        line += match.group().count("\n")


class _Reader:
    """The next value of the token stream, or a one-line error that says what was expected."""

    def __init__(self, path: Path, tokens: Iterator[_Token]):
        self.path = path
        self._tokens = tokens
        self.line = 1

    def take(self, kind: str, what: str) -> _Token:
        token = next(self._tokens, None)
        if token is None:
            raise FileFormatError(self.path, f"ends early: expected {what}", line=self.line)
        self.line = token.line
        if token.kind != kind:
            found = f'"{token.text}"' if token.kind == "string" else token.text
            raise FileFormatError(self.path, f"expected {what}, found {found}", line=token.line)
        return token

    def string(self, what: str) -> str:
        return self.take("string", what).text

    def number(self, what: str) -> float:
        return float(self.take("number", what).text)

    def count(self, what: str) -> int:
        token = self.take("number", what)
        value = float(token.text)
        if not value.is_integer() or value < 0:
            raise FileFormatError(self.path, f"{what} {token.text} is not a count", line=token.line)
        return int(value)


def _parse(path: Path, tokens: Iterator[_Token]) -> list[_Tier]:
    read = _Reader(path, tokens)
    if not read.string('the file type "ooTextFile"').startswith("ooTextFile"):
        raise FileFormatError(path, "not a Praat text file (its first string is not \"ooTextFile\")", line=read.line)
    object_class = read.string('the object class "TextGrid"')
    if object_class != "TextGrid":
        raise FileFormatError(path, f"a Praat {object_class}, not a TextGrid", line=read.line)
    read.number("the TextGrid's xmin")
    read.number("the TextGrid's xmax")
    if read.take("flag", "<exists> or <absent> (whether there are tiers)").text != "<exists>":
        return []
    tiers = []
    for _ in range(read.count("the number of tiers")):
        tier_class = read.string("a tier class (IntervalTier or TextTier)")
        if tier_class not in (INTERVAL_TIER, POINT_TIER):
            raise FileFormatError(path, f"unknown tier class {tier_class!r} (expected IntervalTier or TextTier)", line=read.line)
        tier = _Tier(tier_class, read.string("a tier name"))
        read.number(f"tier {tier.name!r}'s xmin")
        read.number(f"tier {tier.name!r}'s xmax")
        for _ in range(read.count(f"the number of entries of tier {tier.name!r}")):
            if tier.kind == INTERVAL_TIER:
                xmin = read.number(f"an interval's xmin in tier {tier.name!r}")
                xmax = read.number(f"an interval's xmax in tier {tier.name!r}")
                text = read.string(f"an interval's text in tier {tier.name!r}")
                tier.intervals.append((xmin, xmax, text, read.line))
            else:
                read.number(f"a point's time in tier {tier.name!r}")
                read.string(f"a point's mark in tier {tier.name!r}")
        tiers.append(tier)
    return tiers


def _choose_tier(path: Path, tiers: list[_Tier], name: str | None) -> _Tier:
    if name is None:
        interval_tiers = [t for t in tiers if t.kind == INTERVAL_TIER]
        if not interval_tiers:
            raise FileFormatError(path, "no interval tier (hark reads labelled intervals, not point tiers)")
        return interval_tiers[0]
    for tier in tiers:
        if tier.name == name:
            if tier.kind != INTERVAL_TIER:
                raise FileFormatError(path, f"tier {name!r} is a point tier (TextTier); hark reads interval tiers")
            return tier
    raise FileFormatError(path, f"no tier {name!r} (its tiers: {', '.join(repr(t.name) for t in tiers) or 'none'})")


def write_textgrid(
    path: str | Path,
    events: Iterable[Event],
    samplerate: float,
    *,
    frames: int | None = None,
    tier: str = "labels",
) -> int:
    """Write ``events`` (one recording, no overlaps, no points) as a one-tier TextGrid; returns the event count.

    ``frames``, the recording's length in samples, sets where the TextGrid ends; without it,
    it ends with the last event.
    """
    rate = check_samplerate(samplerate)
    events = sorted(events, key=lambda e: (e.start, e.stop))
    single_recording(events, "a TextGrid tier")
    intervals: list[tuple[int, int, str]] = []
    end = 0
    for event in events:
        if event.is_point:
            raise HarkError(f"a point event ({excerpt(event.label)} at sample {event.start}) cannot be written as a TextGrid interval")
        if event.start < end:
            raise HarkError(
                f"events overlap ({intervals[-1][2]!r} until sample {end}, {event.label!r} from {event.start}); "
                "one TextGrid tier cannot hold both"
            )
        if event.start > end:
            intervals.append((end, event.start, ""))
        intervals.append((event.start, event.stop, event.label))
        end = event.stop
    total = max(end, frames or 0)
    if total == 0:
        raise HarkError("nothing to write: no events and no recording length for an empty TextGrid")
    if total > end:
        intervals.append((end, total, ""))
    xmax = format_float(tics_to_seconds(total, rate))
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0.0",
        f"xmax = {xmax}",
        "tiers? <exists>",
        "size = 1",
        "item []:",
        "    item [1]:",
        f'        class = "{INTERVAL_TIER}"',
        f"        name = {_quoted(tier)}",
        "        xmin = 0.0",
        f"        xmax = {xmax}",
        f"        intervals: size = {len(intervals)}",
    ]
    for number, (start, stop, text) in enumerate(intervals, start=1):
        lines += [
            f"        intervals [{number}]:",
            f"            xmin = {format_float(tics_to_seconds(start, rate))}",
            f"            xmax = {format_float(tics_to_seconds(stop, rate))}",
            f"            text = {_quoted(text)}",
        ]
    atomic_write_text(path, "\n".join(lines) + "\n")
    return len(events)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
