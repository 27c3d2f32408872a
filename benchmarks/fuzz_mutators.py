"""The seeded mutators of ``python -m benchmarks.fuzz``: each turns a valid file's bytes into a damaged one.

Each takes a ``random.Random`` (seeded per case, so a case is reproduced from its seed, target
and number), the seed file's bytes and its path, and returns the new bytes and a few words
saying what was done.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 8000  # of the seed recordings
HUGE_DIGITS = "9" * 5000  # past Python's int-from-text limit of 4,300 digits
NUMBERS = ("inf", "-inf", "nan", "1e999", "-1e999", "1" * 400, HUGE_DIGITS, "-0", "1e-400", "0x10", "١٢", "1_000", "-5", "4e9")
WEIRD_TEXT = ("\r", "\r\n", "\n\n", ",", "\t", ";", '"', "\x00", "\ufeff", "é", "<script>", "\\", "{", "[", "]")


def _flip_bytes(rng: random.Random, data: bytes, count: int, lo: int = 0, hi: int | None = None) -> bytes:
    out = bytearray(data)
    hi = len(out) if hi is None else min(hi, len(out))
    for _ in range(count):
        if hi > lo:
            out[rng.randrange(lo, hi)] = rng.randrange(256)
    return bytes(out)


def _replace_token(rng: random.Random, text: str, new: str) -> str:
    """``text`` with one of its numbers (or, failing that, one of its words) replaced by ``new``."""
    tokens = list(re.finditer(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)) or list(re.finditer(r"\w+", text))
    if not tokens:
        return text + new
    token = rng.choice(tokens)
    return text[: token.start()] + new + text[token.end() :]


def mutate_text(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """One seeded mutation of a text file; returns the bytes and what was done."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    choice = rng.randrange(14)
    if choice == 0:
        n = rng.randint(1, 8)
        return _flip_bytes(rng, data, n), f"flip {n} bytes"
    if choice == 1:
        cut = rng.randrange(len(data) + 1)
        return data[:cut], f"truncate at {cut}"
    if choice == 2:
        number = rng.choice(NUMBERS)
        return _replace_token(rng, text, number).encode(), f"number -> {number[:20]}"
    if choice == 3:
        return text.replace("\n", "\r").encode(), "CR-only line ends"
    if choice == 4:
        return text.replace("\n", "\r\n").encode(), "CRLF line ends"
    if choice == 5:
        size = rng.choice((130_000, 300_000, 1_000_000))
        at = rng.randrange(len(lines) + 1)
        return "\n".join(lines[:at] + ["a" * size] + lines[at:]).encode(), f"line of {size} chars at {at + 1}"
    if choice == 6:
        at = rng.randrange(len(text) + 1)
        weird = rng.choice(WEIRD_TEXT)
        return (text[:at] + weird + text[at:]).encode(), f"insert {weird!r} at {at}"
    if choice == 7:
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\xff\xfe\x80" + data[at:], f"non-UTF-8 bytes at {at}"
    if choice == 8:
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
        return "\n".join(lines).encode(), "delete a line"
    if choice == 9:
        at = rng.randrange(len(lines))
        return "\n".join(lines[: at + 1] + lines[at:] * rng.randint(1, 3)).encode(), f"repeat lines from {at + 1}"
    if choice == 10:
        label = "x" * rng.choice((300, 1_000_000))
        return _replace_token(rng, text, label).encode(), f"token of {len(label)} chars"
    if choice == 11:
        return b"", "empty file"
    if choice == 12:
        text = _replace_token(rng, text, rng.choice(NUMBERS))
        text = _replace_token(rng, text, rng.choice(NUMBERS))
        return text.replace("\n", rng.choice(("\r", "\r\n", "\n"))).encode(), "two numbers and line ends"
    # several of the above at once
    out, done = data, []
    for _ in range(rng.randint(2, 4)):
        out, what = mutate_text(rng, out, path)
        done.append(what)
    return out, " + ".join(done)


_JSON_VALUES = (None, True, 0, -1, 1e308, "", "x", [], {}, [1, 2], {"a": 1}, "nan", 10**5000, float("inf"), float("nan"), "9" * 400, [[0.1, 0.2]] * 3)


def _json_nodes(value, path=()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_nodes(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_nodes(item, path + (index,))


def mutate_json(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """A wrong type or value at one place of a JSON document (else a text mutation)."""
    if rng.random() < 0.35:
        return mutate_text(rng, data, path)
    document = json.loads(data)
    nodes = [node for node in _json_nodes(document) if node]
    where = rng.choice(nodes)
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    if rng.random() < 0.15 and isinstance(parent, dict):
        del parent[where[-1]]
        what = f"delete {'/'.join(map(str, where))}"
    else:
        value = rng.choice(_JSON_VALUES)
        parent[where[-1]] = value
        shown = f"an integer of {len(str(value // 10**4000)) + 4000} digits" if isinstance(value, int) and value > 10**4000 else str(value)[:20]
        what = f"{'/'.join(map(str, where))} -> {shown}"
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if limit:
        sys.set_int_max_str_digits(0)  # to write the 5,000-digit integer that reading must refuse
    try:
        text = json.dumps(document)
    finally:
        if limit:
            sys.set_int_max_str_digits(limit)
    return text.encode(), what


_MAT_VALUES = (
    np.array([np.inf]),
    np.array([np.nan, 1.0]),
    np.array([-1.0, 2.0]),
    np.array([1e300, 1e301, 1e302]),
    "abc",
    "",
    np.array([]),
    np.array([[1.0, 2.0], [3.0, 4.0]]),
    np.array([1, 2, 3], dtype=np.int64),
    np.array(["a", "b"], dtype=object),
    0.0,
    -8000.0,
    np.array([1e20]),
)


def mutate_mat(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """A wrong value of one of evsonganaly's variables, or a byte mutation of the MAT file."""
    import io

    import scipy.io

    choice = rng.randrange(4)
    if choice == 0:
        n = rng.randint(1, 16)
        return _flip_bytes(rng, data, n, lo=0 if rng.random() < 0.3 else 128), f"flip {n} bytes"
    if choice == 1:
        cut = rng.randrange(len(data) + 1)
        return data[:cut], f"truncate at {cut}"
    variables = scipy.io.loadmat(io.BytesIO(data), squeeze_me=True)
    variables = {k: v for k, v in variables.items() if not k.startswith("__")}
    key = rng.choice(["onsets", "offsets", "labels", "Fs"])
    if rng.random() < 0.2:
        variables.pop(key, None)
        what = f"drop {key}"
    else:
        value = _MAT_VALUES[rng.randrange(len(_MAT_VALUES))]
        variables[key] = value
        what = f"{key} -> {str(value)[:30]}"
    out = io.BytesIO()
    scipy.io.savemat(out, variables, oned_as="column")
    return out.getvalue(), what


def mutate_audio(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """Header or body corruption, truncation, junk, or a changed rate field of a recording."""
    choice = rng.randrange(8)
    if choice == 0:
        n = rng.randint(1, 6)
        return _flip_bytes(rng, data, n, hi=64), f"flip {n} header bytes"
    if choice == 1:
        n = rng.randint(1, 32)
        return _flip_bytes(rng, data, n, lo=64), f"flip {n} body bytes"
    if choice in (2, 3):
        cut = rng.randrange(len(data)) if choice == 2 else rng.randrange(len(data) // 2, len(data))
        return data[:cut], f"truncate at {cut} of {len(data)}"
    if choice == 4:
        junk = rng.randbytes(rng.randint(1, 4096))
        return data + junk, f"append {len(junk)} bytes"
    if choice == 5:
        at = rng.randrange(len(data))
        return data[:at] + data[at + rng.randint(1, 512) :], f"cut bytes at {at}"
    if choice == 6:
        at = rng.randrange(12, min(64, len(data) - 4))
        value = rng.choice((0, 1, 2, 0xFFFFFFFF, 0x7FFFFFFF, 3))
        return data[:at] + value.to_bytes(4, "little") + data[at + 4 :], f"u32 {value} at {at}"
    cut = rng.randrange(len(data) // 4, len(data))
    return _flip_bytes(rng, data[:cut], 4), f"truncate at {cut} and flip"


def _float_samples(rng: random.Random) -> tuple[np.ndarray, str]:
    samples = (0.1 * np.random.default_rng(rng.randrange(2**32)).standard_normal(RATE // 4)).astype(np.float32)
    choice = rng.randrange(4)
    at = rng.randrange(len(samples))
    if choice == 0:
        samples[at] = np.nan
        return samples, f"NaN at {at}"
    if choice == 1:
        samples[at] = rng.choice((np.inf, -np.inf))
        return samples, f"inf at {at}"
    if choice == 2:
        samples *= rng.choice((3, 30, 32768))
        return samples, "peaks beyond ±1"
    return samples, "valid float"


def mutate_float_wav(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """A float WAV with NaN, infinite or over-range samples (or a byte mutation)."""
    if rng.random() < 0.3:
        return mutate_audio(rng, data, path)
    import io

    samples, what = _float_samples(rng)
    out = io.BytesIO()
    sf.write(out, samples, RATE, subtype="FLOAT", format="WAV")
    return out.getvalue(), what


def mutate_rate_field(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """A WAV whose sample-rate field (bytes 24-27) is 1 Hz, or another odd rate (or a byte mutation)."""
    if rng.random() < 0.5 or len(data) < 28:
        return mutate_audio(rng, data, path)
    rate = rng.choice((1, 2, 7, 100, 2**31 - 1))
    return data[:24] + rate.to_bytes(4, "little") + data[28:], f"samplerate field {rate}"


def mutate_rec(rng: random.Random, data: bytes, path: Path) -> tuple[bytes, str]:
    """The ``.cbin`` body (byte mutations) or its ``.rec`` header (text mutations)."""
    if rng.random() < 0.5:
        return mutate_audio(rng, data, path)
    rec = path.with_suffix(".rec")
    new, what = mutate_text(rng, rec.read_bytes(), rec)
    rec.write_bytes(new)
    return data, f".rec: {what}"
