"""evsonganaly's ``.not.mat`` annotations: a MATLAB file beside each song, one character per syllable.

evsonganaly (the MATLAB GUI used to label Bengalese and zebra finch song) saves ``X.cbin.not.mat``
beside ``X.cbin`` with the variables ``onsets`` and ``offsets`` (milliseconds from the start of
the recording), ``labels`` (a string, one character per syllable), ``Fs`` (the sample rate) and
its segmentation settings. hark reads them as ``annotated`` events of ``X.cbin`` whose times
are rounded to the nearest sample, with ``notmat`` as their annotator.

The file is read with ``scipy.io.loadmat`` rather than crowsetta's ``NotMat``: that one drops
``Fs`` (needed to turn milliseconds into samples exactly as evsonganaly did) and checks neither
that there is one label per syllable nor that offsets follow onsets. The tests check hark's
events against crowsetta's on the real files.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.io

from hark.annotations.event import Event, Kind
from hark.annotations.matfile import MatFileError, check_mat_v5
from hark.annotations.naming import NOTMAT_SUFFIX
from hark.annotations.selection import check_kind, single_recording
from hark.annotations.textfile import check_input_file
from hark.annotations.timebase import MAX_TICS, check_samplerate
from hark.errors import FileFormatError, HarkError, excerpt
from hark.fileio import atomic_path

ANNOTATOR = "notmat"


def notmat_path_of(recording: str | Path) -> Path:
    """Where evsonganaly keeps a recording's annotations: ``X.cbin`` -> ``X.cbin.not.mat``."""
    recording = Path(recording)
    return recording.with_name(recording.name + NOTMAT_SUFFIX)


def read_notmat(
    path: str | Path,
    samplerate: float | None = None,
    recording: str | None = None,
    *,
    kind: Kind | str = Kind.ANNOTATED,
) -> list[Event]:
    """The syllables of a ``.not.mat`` as events, in file order.

    ``samplerate`` is the recording's, when known: the file's ``Fs`` must agree with it, and
    it stands in for a missing ``Fs``. ``recording`` names the events' recording; by default
    the file name without ``.not.mat`` (``X.cbin``).
    """
    path = check_input_file(path)
    kind = check_kind(kind)
    if recording is None:
        if not path.name.lower().endswith(NOTMAT_SUFFIX) or len(path.name) == len(NOTMAT_SUFFIX):
            raise HarkError(f"{path}: cannot tell the recording from a name not ending in {NOTMAT_SUFFIX}; name the recording")
        recording = path.name[: -len(NOTMAT_SUFFIX)]
    variables = _load_mat(path)
    labels = _labels(path, variables)
    onsets = _times(path, variables, "onsets")
    offsets = _times(path, variables, "offsets")
    if len(labels) != len(onsets):
        raise FileFormatError(path, f"{len(labels)} labels but {len(onsets)} onsets")
    if len(onsets) != len(offsets):
        raise FileFormatError(path, f"{len(onsets)} onsets but {len(offsets)} offsets")
    rate = _samplerate(path, variables, samplerate, recording)

    events = []
    for number, (label, onset, offset) in enumerate(zip(labels, onsets, offsets), start=1):
        where = f"syllable {number} ({label!r} at {onset:g} ms)"
        if offset < onset:
            raise FileFormatError(path, f"{where}: offset {offset:g} ms is before its onset")
        try:
            events.append(
                Event(recording, _ms_to_tics(onset, rate), _ms_to_tics(offset, rate), kind, label, annotator=ANNOTATOR)
            )
        except ValueError as err:
            raise FileFormatError(path, f"{where}: {err}") from None
    return events


def _load_mat(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise HarkError(f"{path}: cannot read ({err.strerror or err})") from None
    if not data:
        raise FileFormatError(path, "file is empty")
    try:
        check_mat_v5(data)  # a corrupt file would crash scipy's parser, not raise
        return scipy.io.loadmat(io.BytesIO(data), squeeze_me=True)
    except MatFileError as err:
        raise FileFormatError(path, f"not a MATLAB .mat file ({err})") from None
    except OSError as err:
        raise HarkError(f"{path}: cannot read ({err.strerror or err})") from None
    except NotImplementedError:  # scipy's answer to MATLAB's HDF5-based v7.3 files
        raise FileFormatError(path, "a MATLAB v7.3 file, which hark cannot read; save it with -v7") from None
    except Exception as err:  # noqa: BLE001  (loadmat fails in many ways on a file that is no MAT file)
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FileFormatError(path, f"not a MATLAB .mat file ({detail})") from None


def _labels(path: Path, variables: dict) -> str:
    """The ``labels`` string, whether MATLAB saved it as a string, a char array or ``[]``."""
    if "labels" not in variables:
        raise FileFormatError(path, "no 'labels' variable; is this an evsonganaly .not.mat file?")
    value = variables["labels"]
    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.size == 0:  # evsonganaly saves a song without syllables as []
        return ""
    if array.dtype.kind == "U":
        return "".join(array.ravel().tolist())
    raise FileFormatError(
        path, f"'labels' is not text (it holds {array.dtype} numbers); evsonganaly saves one character per syllable"
    )


def _times(path: Path, variables: dict, name: str) -> np.ndarray:
    """``onsets`` or ``offsets`` in ms as a 1-D float array (``squeeze_me`` makes one syllable a scalar)."""
    if name not in variables:
        raise FileFormatError(path, f"no {name!r} variable; is this an evsonganaly .not.mat file?")
    try:
        times = np.atleast_1d(np.asarray(variables[name], dtype=float)).ravel()
    except (TypeError, ValueError):
        raise FileFormatError(path, f"{name!r} does not hold numbers (milliseconds)") from None
    bad = np.flatnonzero(~np.isfinite(times) | (times < 0))
    if len(bad):
        raise FileFormatError(path, f"{name} {bad[0] + 1} is {times[bad[0]]:g} ms, not a time in the recording")
    return times


def _samplerate(path: Path, variables: dict, samplerate: float | None, recording: str) -> float:
    """The rate that turns milliseconds into samples: the file's ``Fs``, checked against the recording's."""
    known = None if samplerate is None else check_samplerate(samplerate)
    if "Fs" not in variables:
        if known is None:
            raise FileFormatError(path, "no 'Fs' variable (the sample rate); give the recording's sample rate")
        return known
    try:
        fs = float(np.asarray(variables["Fs"]).ravel()[0])
    except (TypeError, ValueError, IndexError):
        raise FileFormatError(path, "'Fs' is not a number (the sample rate in Hz)") from None
    if not math.isfinite(fs) or fs <= 0:
        raise FileFormatError(path, f"Fs {fs:g} is not a sample rate")
    if known is not None and fs != known:
        raise FileFormatError(path, f"Fs is {fs:g} Hz but {recording} is sampled at {known:g} Hz")
    return fs


def _ms_to_tics(ms: float, rate: float) -> int:
    # ms * rate / 1000 rather than seconds_to_tics(ms / 1000): evsonganaly's times are whole
    # samples in ms, which this product keeps exact (1277.78125 ms at 32 kHz is sample 40889).
    tics = float(ms) * rate / 1000 + 0.5
    if not math.isfinite(tics) or tics > MAX_TICS:
        raise ValueError(f"time {ms:g} ms is not a time in a recording")
    return math.floor(tics)


def write_notmat(
    path: str | Path,
    events: Iterable[Event],
    samplerate: float,
    *,
    min_int_ms: float = 5.0,
    min_dur_ms: float = 20.0,
    threshold: float = 5000.0,
) -> int:
    """Write ``events`` (one recording, one-character labels) as a ``.not.mat``; returns the syllable count.

    Syllables are written in time order. ``min_int_ms``, ``min_dur_ms`` and ``threshold`` are
    evsonganaly's segmentation settings, stored because it reads them back when it opens the
    file; hark does not use them.
    """
    rate = check_samplerate(samplerate)
    events = sorted(events, key=lambda e: (e.start, e.stop))
    recording = single_recording(events, "a .not.mat file") or Path(path).name.removesuffix(NOTMAT_SUFFIX)
    for event in events:
        if len(event.label) != 1:
            raise HarkError(f"label {excerpt(event.label)} cannot be written to a .not.mat: evsonganaly labels are one character")
    variables = {
        "fname": recording,
        "Fs": rate,
        "labels": "".join(e.label for e in events),
        "onsets": np.array([e.start * 1000 / rate for e in events], dtype=float),
        "offsets": np.array([e.stop * 1000 / rate for e in events], dtype=float),
        "min_int": float(min_int_ms),
        "min_dur": float(min_dur_ms),
        "threshold": float(threshold),
        "sm_win": 2.0,  # evsonganaly's smoothing window; its GUI offers no other
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        # Column vectors, as evsonganaly saves them.
        scipy.io.savemat(out, variables, oned_as="column")
    return len(events)
