"""A structural check of MATLAB v5 ``.mat`` files before scipy parses them.

``scipy.io.loadmat`` trusts the sizes a file states: a corrupt ``.not.mat`` whose element
claims more bytes than it has makes it read past its buffer and kill the process with a
segmentation fault (scipy 1.17), which no ``except`` can catch. :func:`check_mat_v5` walks
the file's data elements (the format of MathWorks' "MAT-File Format", 2021) and checks that
each element lies inside its parent, that each matrix has flags and whole dimensions and
that its data are as many bytes as its dimensions say, so that only well-formed files reach
scipy. Compressed elements (``-v7``, MATLAB's default) are inflated, up to a size limit, and
checked the same way.
"""

from __future__ import annotations

import struct
import zlib

MI_MATRIX, MI_COMPRESSED, MI_UTF8, MI_UTF16, MI_UTF32 = 14, 15, 16, 17, 18
# bytes per value of each data type (miINT8 ... miUINT64, miSINGLE, miDOUBLE, miUTF8/16/32)
_SIZES = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}
_SPARSE, _MAX_CLASS = 5, 15
_OPAQUE = (16, 17)  # MATLAB's function handles and opaque objects (string, datetime, ...)
MAX_INFLATED = 64 << 20  # bytes: a .not.mat holds kilobytes; more than this is no evsonganaly file


class MatFileError(ValueError):
    """Why a file is no well-formed MATLAB v5 file."""


def check_mat_v5(data: bytes) -> None:
    """MatFileError unless ``data`` is a structurally sound MATLAB v5 file (v7.3 is HDF5: NotImplementedError)."""
    if data[:19] == b"MATLAB 7.3 MAT-file":
        raise NotImplementedError("MATLAB v7.3")
    if len(data) < 128:
        raise MatFileError(f"{len(data)} bytes, shorter than the 128-byte header of a MAT file")
    endian = data[126:128]
    if endian not in (b"IM", b"MI") or data[124:126] not in (b"\x00\x01", b"\x01\x00"):
        raise MatFileError("no MATLAB version 5 header")
    order = "<" if endian == b"IM" else ">"
    _check_elements(data, 128, len(data), order, top=True)


def _tag(data: bytes, pos: int, end: int, order: str) -> tuple[int, int, int, int]:
    """(type, nbytes, start of the data, end of the element with its padding) of the element at ``pos``."""
    if pos + 8 > end:
        raise MatFileError(f"an element's tag at byte {pos} runs past the end of its container")
    word, nbytes = struct.unpack_from(order + "II", data, pos)
    if word >> 16:  # small data element: the size in the upper half, the data in the tag's second word
        small = word >> 16
        if small > 4:
            raise MatFileError(f"a small element at byte {pos} claims {small} bytes")
        return word & 0xFFFF, small, pos + 4, pos + 8
    start = pos + 8
    if start + nbytes > end:
        raise MatFileError(f"an element at byte {pos} claims {nbytes} bytes, past the end of its container")
    padded = start + nbytes if word == MI_COMPRESSED else start + nbytes + (-nbytes) % 8
    return word, nbytes, start, min(padded, end)


def _check_elements(data: bytes, pos: int, end: int, order: str, top: bool = False) -> None:
    while pos < end:
        if top and end - pos < 8 and not data[pos:end].strip(b"\x00"):
            return  # trailing padding
        kind, nbytes, start, after = _tag(data, pos, end, order)
        if kind == MI_COMPRESSED and top:
            inflater = zlib.decompressobj()
            try:
                inner = inflater.decompress(data[start : start + nbytes], MAX_INFLATED)
            except zlib.error as err:
                raise MatFileError(f"a compressed element at byte {pos} does not inflate ({err})") from None
            if inflater.unconsumed_tail:
                raise MatFileError(f"a compressed element at byte {pos} inflates to more than {MAX_INFLATED >> 20} MB")
            _check_elements(inner, 0, len(inner), order)
        elif kind == MI_MATRIX:
            _check_matrix(data, start, start + nbytes, order)
        elif kind not in _SIZES:
            raise MatFileError(f"an element at byte {pos} has unknown type {kind}")
        pos = after


def _check_matrix(data: bytes, pos: int, end: int, order: str) -> None:
    if pos == end:
        return  # an empty matrix element (MATLAB writes one for an empty cell)
    parts = []
    while pos < end:
        kind, nbytes, start, after = _tag(data, pos, end, order)
        parts.append((kind, nbytes, start))
        pos = after
    if len(parts) < 3 or parts[0][:2] != (6, 8):
        raise MatFileError("a matrix without array flags")
    for kind, nbytes, start in parts[1:]:
        if kind == MI_MATRIX:
            _check_matrix(data, start, start + nbytes, order)
        elif kind not in _SIZES:
            raise MatFileError(f"a matrix element of unknown type {kind}")
    array_class = struct.unpack_from(order + "I", data, parts[0][2])[0] & 0xFF
    if array_class in _OPAQUE:
        return  # function handles and objects (a string): no dimensions; their parts were checked above
    if not 1 <= array_class <= _MAX_CLASS:
        raise MatFileError(f"a matrix of unknown class {array_class}")
    if parts[1][0] != 5 or parts[1][1] % 4:
        raise MatFileError("a matrix without dimensions")
    dims = struct.unpack_from(order + f"{parts[1][1] // 4}i", data, parts[1][2])
    if len(dims) < 2 or min(dims) < 0:
        raise MatFileError(f"a matrix of dimensions {dims}")
    count = 1
    for size in dims:
        count *= size
    numeric = array_class == 4 or array_class >= 6  # char, or a numeric class
    if numeric and array_class != _SPARSE:
        for kind, nbytes, _ in parts[3:5]:  # the real part, and the imaginary part if any
            if kind in (MI_UTF8, MI_UTF16):
                continue  # variable-width characters: no fixed size to check
            if kind != MI_MATRIX and nbytes != count * _SIZES[kind]:
                raise MatFileError(f"a matrix of {count} values holds {nbytes} bytes of {_SIZES[kind]}-byte values")
