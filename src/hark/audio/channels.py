"""Which channels of a multi-channel recording an action reads: one, a list, or all.

A request's ``channel`` is one of

- a number ``N`` (from 0): that channel alone, its outputs named as ever (``rec.wav-detected.csv``);
- a list ``[0, 2]`` (typed ``0,2``): each channel on its own, its outputs named after the
  channel too (``rec.wav-ch0-detected.csv``, ``rec.wav-ch2-detected.csv``) and their rows
  carrying it in a ``channel`` column, so that one channel's results never replace another's;
- ``all``: every channel of each recording, named as a list names them, except that a
  recording with a single channel is read as ``0`` (its outputs keep today's names).

docs/channels.md describes the naming (:func:`hark.annotations.naming.channel_stem`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from hark.errors import HarkError, excerpt

ALL_CHANNELS = "all"
CHANNEL_HELP = (
    "Channel of multi-channel recordings, from 0 (outputs named as usual); or a list 0,2, or all: "
    "each channel on its own, its outputs named <rec>-chN-... and their rows carrying the channel."
)
CHANNEL_METAVAR = "N|N,M,...|all"


def parse_channel_selection(value: Any) -> Any:
    """A request's ``channel`` as typed (``"1"``, ``"0,2"``, ``"all"``, ``[0, 2]``) in its checked
    form: an int (its range left to the field's bound, so ``-1`` reads alike typed or given), a
    list of distinct channels, or ``"all"``. A ValueError says what is wrong."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == ALL_CHANNELS:
            return ALL_CHANNELS
        if "," not in text:
            try:
                return int(text)
            except ValueError:
                raise ValueError("expected a channel number (from 0), a list such as 0,2, or all") from None
        value = [part.strip() for part in text.split(",")]
        if not any(value):
            value = []
        elif value[-1] == "":  # "1,": a list of one
            value = value[:-1]
    if isinstance(value, (list, tuple)):
        channels = []
        for item in value:
            number = _channel_number(item)
            if number in channels:
                raise ValueError(f"channel {number} is listed twice")
            channels.append(number)
        if not channels:
            raise ValueError("the list of channels is empty")
        return channels
    if isinstance(value, bool):
        raise ValueError("expected a channel number (from 0), a list such as 0,2, or all")
    return value


def _channel_number(item: Any) -> int:
    if isinstance(item, bool):
        raise ValueError(f"{excerpt(item)} is not a channel number")
    if isinstance(item, int):
        number = item
    else:
        try:
            number = int(str(item).strip())
        except ValueError:
            raise ValueError(f"{excerpt(item)} is not a channel number (from 0)") from None
    if number < 0:
        raise ValueError(f"channel {number} is negative; channels are numbered from 0")
    return number


def chosen_channels(selection: int | list[int] | str, channels: int, path: str | Path) -> tuple[list[int], bool]:
    """``(channels to read, whether outputs are named per channel)`` of a recording with
    ``channels`` channels; a channel it lacks is a one-line HarkError naming ``path``."""
    try:
        selection = parse_channel_selection(selection)  # a library caller's "0,2" as the request's
    except ValueError as err:
        raise HarkError(f"channel {excerpt(selection)}: {err}") from None
    if isinstance(selection, int) and selection < 0:
        raise HarkError(f"channel {selection} is negative; channels are numbered from 0")
    if selection == ALL_CHANNELS:
        return list(range(channels)), channels > 1
    wanted = [selection] if isinstance(selection, int) else list(selection)
    missing = [c for c in wanted if not 0 <= c < channels]
    if missing:
        raise HarkError(f"{path}: channel {missing[0]} does not exist; the recording has {channels} channel(s), numbered from 0")
    return wanted, not isinstance(selection, int)


ChannelSelection = Annotated[Annotated[int, Field(ge=0)] | list[int] | Literal["all"], BeforeValidator(parse_channel_selection)]
"""A request field's type: one channel, a list of distinct channels, or ``all`` (text parsed)."""
