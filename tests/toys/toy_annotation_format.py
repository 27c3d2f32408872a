"""A toy annotation format from outside hark, registered through the ``hark.annotation_formats`` entry point.

tests/plugins.py copies this file into a temporary folder beside a fake distribution whose
``entry_points.txt`` names ``TOY``, so that ``hark`` finds it as it would a third party's.

A ``.toy`` file is a ``toy annotations`` line, then one line per event: ``<label> <start_s> <stop_s>``
(times in seconds, so reading and writing need the recording's sample rate). It belongs to
the recording it is named after (``song.wav.toy``), in a ground-truth folder too.
"""

from __future__ import annotations

from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.annotations.formats import AnnotationFormat, Annotations, Source
from hark.annotations.selection import single_recording
from hark.annotations.timebase import format_float, seconds_to_tics, tics_to_seconds
from hark.errors import FileFormatError, HarkError
from hark.fileio import atomic_write_text

HEADER = "toy annotations"
SUFFIX = ".toy"


class ToyFormat(AnnotationFormat):
    name = "toy"
    description = "a toy .toy file"
    summary = "label start_s stop_s lines"
    claims = (SUFFIX,)
    folder_suffix = SUFFIX
    needs_samplerate = True
    one_recording = "a .toy file"

    def sniff(self, path: Path, lines: list[str] | None) -> bool:
        return bool(lines) and lines[0].strip() == HEADER

    def read(self, source: Source) -> Annotations:
        audio = source.audio_or_beside()
        rate = source.samplerate or (float(audio.samplerate) if audio else None)
        if rate is None:
            raise HarkError(f"{source.path}: no recording found beside it for its sample rate; pass --rate or --recording")
        recording = audio.name if audio else source.path.name.removesuffix(SUFFIX)
        events = []
        for number, line in enumerate(source.path.read_text(encoding="utf-8").splitlines()[1:], start=2):
            try:
                label, start, stop = line.split()
                events.append(Event(recording, seconds_to_tics(float(start), rate), seconds_to_tics(float(stop), rate), Kind.ANNOTATED, label))
            except ValueError as err:
                raise FileFormatError(source.path, f"expected '<label> <start_s> <stop_s>' ({err})", line=number) from None
        return Annotations(events, rate)

    def write(self, path: Path, events: list[Event], samplerate: float | None) -> int:
        single_recording(events, self.one_recording)
        rows = [f"{e.label} {format_float(tics_to_seconds(e.start, samplerate))} {format_float(tics_to_seconds(e.stop, samplerate))}" for e in events]
        atomic_write_text(path, "\n".join([HEADER, *rows]) + "\n")
        return len(rows)


TOY = ToyFormat()
