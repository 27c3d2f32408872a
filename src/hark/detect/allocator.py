"""glibc's allocator, told to keep the large blocks that detection frees for the next chunk.

Detection reads, filters and tests a recording in chunks of about a million samples, and every
chunk allocates and frees arrays of 4-10 MB (the samples, the filter's float64 copies, the
histogram's bins, the F-test's windows). By default glibc hands such blocks to the kernel on
``free`` (they are ``mmap``-ed above its threshold, or trimmed off the top of the heap), and the
next chunk page-faults every page of them again: an eighth of the CPU time of ``hark detect``
with the README's USV settings at 250 kHz was the kernel's (docs/performance.md). With blocks
up to ``MMAP_THRESHOLD`` served from the heap, and up to ``TRIM_THRESHOLD`` of free heap kept,
the same pages are reused. The process then keeps up to that much freed memory.

Only on Linux with glibc (``mallopt`` from the C library); elsewhere nothing is done. Setting
the same values again is harmless. An environment that sets glibc's ``MALLOC_*_`` variables
itself is respected (nothing is changed then).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

# mallopt's parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 2**20  # larger blocks are still mmap-ed (the most glibc accepts on 64-bit systems)
TRIM_THRESHOLD = 256 * 2**20  # free heap kept before any is given back
TOP_PAD = 64 * 2**20  # heap grown in steps of this much, not page by page


def keep_freed_blocks() -> bool:
    """Set glibc's thresholds as above; True where they were set (Linux with glibc, no ``MALLOC_*_``
    variable in the environment)."""
    if not sys.platform.startswith("linux") or any(name.startswith("MALLOC_") and name.endswith("_") for name in os.environ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(
        mallopt(parameter, value) == 1
        for parameter, value in ((_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_TOP_PAD, TOP_PAD))
    )
