"""Suggested sounds (``hark suggest``'s ``<rec>-suggested.csv``) and search hits as events the GUI shows and reviews.

A suggestions file holds hark CSV rows ``wav,start,stop,suggested,label,low_hz,high_hz,score,reason``
in the order they were picked. Here each row becomes an :class:`~hark.annotations.event.Event` of
kind ``suggested`` (the label the model gives it, the score), shown in a lane of its own and
reviewed in the Suggestions queue. The file is only ever read: a verdict on a suggestion
writes the annotator's own row, as a verdict on a detected sound does. The folder scan does not
claim ``-suggested.csv`` files (:mod:`hark.annotations.naming` has no pattern for them), so no
training, ``hark info`` or precedence reader ever sees a suggestion: suggestions are never
training data.

Hits of "find more like this" (kind ``found``) live only in the page; :func:`with_extra_events`
puts both into an opened recording's events.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from pathlib import Path

from hark.annotations.event import Event, Kind
from hark.errors import FileFormatError
from hark.gui.loaded import LoadedRecording

SUGGESTED_COLUMNS = "wav,start,stop,suggested,label,low_hz,high_hz,score[,reason]"


def read_suggested_events(path: Path, recording_name: str) -> list[Event]:
    """The rows of a suggestions file as ``suggested`` events of ``recording_name``, in file order.

    A malformed row is a :class:`FileFormatError` naming ``file:line`` and what is wrong.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise FileFormatError(path, f"cannot be read ({err})") from None
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) not in (8, 9) or cells[3] != Kind.SUGGESTED.value:
            raise FileFormatError(path, f"expected {SUGGESTED_COLUMNS}", number)
        try:
            low, high = (float(cell) if cell.strip() else None for cell in cells[5:7])
            score = float(cells[7])
            if not math.isfinite(score):
                raise ValueError(f"score {cells[7]} is not a finite number")
            events.append(Event(recording_name, cells[1], cells[2], Kind.SUGGESTED, cells[4], low_hz=low, high_hz=high, score=score))
        except ValueError as err:
            raise FileFormatError(path, str(err), number) from None
    return events


def with_extra_events(loaded: LoadedRecording, extra: Iterable[Event]) -> LoadedRecording:
    """``loaded`` with ``extra`` (suggestions, search hits) among the others' events, named after its recording."""
    extra = [e.with_(recording=loaded.path.name) for e in extra]
    if not extra:
        return loaded
    return dataclasses.replace(loaded, others=[*loaded.others, *extra])
