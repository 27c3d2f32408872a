"""Writes that never leave a half-written file: a temporary file in the same folder, then rename.

A temporary file is named ``.<name>.<host>-<pid>.<random>.tmp``, so that a later run can tell
the leftovers of a process that died (``kill -9``, a power cut) from the files of one still
writing, and sweep only the former (:func:`sweep_stale_temporaries`). A full disk (``ENOSPC``,
or a quota's ``EDQUOT``) becomes one line naming the folder and the space needed
(:func:`disk_full_error`), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hark.errors import HarkError

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_TEMPORARY = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create ``folder`` if needed and check that files can be written in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise HarkError(f"{folder}: cannot create output folder ({err.strerror or err})") from None
    if not folder.is_dir():
        raise HarkError(f"{folder}: output path exists and is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise HarkError(f"{folder}: output folder is not writable")
    return folder


def human_bytes(count: float) -> str:
    """``1.5 GB``: a size as people read it (powers of 1000, as ``df -H`` prints)."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def free_bytes(folder: str | Path) -> int:
    return shutil.disk_usage(folder).free


def is_disk_full(err: BaseException) -> bool:
    return isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS


def disk_full_error(folder: str | Path, needed: int | None = None, writing: str | None = None) -> HarkError:
    """The one-line error for a full disk in ``folder``: how much is free and, when known, needed."""
    try:
        free = human_bytes(free_bytes(folder))
    except OSError:
        free = "unknown"
    what = f" writing {writing}" if writing else ""
    need = f"; about {human_bytes(needed)} needed" if needed else ""
    return HarkError(f"{folder}: disk full{what} ({free} free{need}); free some space or write elsewhere")


def disk_full_line(err: OSError) -> str:
    """A full disk met outside any :func:`atomic_path` (a library writing on its own), in one line."""
    if err.filename:
        return str(disk_full_error(Path(err.filename).parent, writing=Path(err.filename).name))
    return f"disk full ({err.strerror or 'no space left on device'}); free some space or write elsewhere"


def os_error_line(err: OSError) -> str:
    """Any failure of the operating system (a full disk, EIO, no permission) as one line naming the file."""
    if is_disk_full(err):
        return disk_full_line(err)
    what = err.strerror or " ".join(str(err).split()) or type(err).__name__
    if err.filename is None:
        return what
    other = f" -> {err.filename2}" if err.filename2 is not None else ""
    return f"{err.filename}{other}: {what}"


def check_free_space(folder: str | Path, needed: int, what: str) -> None:
    """Refuse before any work when ``folder`` clearly cannot hold ``needed`` bytes of ``what``."""
    free = free_bytes(folder)
    if needed > free:
        raise HarkError(
            f"{folder}: {human_bytes(free)} free, but {what} needs about {human_bytes(needed)}; "
            "free some space or write elsewhere"
        )


@contextlib.contextmanager
def reporting_disk_full(folder: str | Path, needed: int | None = None, writing: str | None = None) -> Iterator[None]:
    """Turn ``ENOSPC``/``EDQUOT`` raised by the body into :func:`disk_full_error`."""
    try:
        yield
    except OSError as err:
        if is_disk_full(err):
            raise disk_full_error(folder, needed, writing) from None
        raise


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def temporary_prefix(path: Path) -> str:
    return f".{path.name}.{_host()}-{os.getpid()}."


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def sweep_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove temporary files in ``folder`` left by processes of this machine that are gone.

    Only files named by :func:`atomic_path` are touched, and only when the process that
    made them no longer runs: a concurrent writer's file (same machine, or another machine
    sharing the folder) is left alone. Returns the files removed.
    """
    removed = []
    host = _host()
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _TEMPORARY.match(path.name)
        if match and match["host"] == host and _process_is_gone(int(match["pid"])):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    If the body raises, the temporary file is removed and ``path`` is left as it was; a full
    disk becomes a one-line HarkError naming the folder.
    """
    path = Path(path)
    ensure_writable_dir(path.parent)
    with reporting_disk_full(path.parent, writing=path.name):
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
        except OSError as err:
            if is_disk_full(err):
                raise
            # the error names the hidden temporary file; the user asked for ``path``
            raise HarkError(f"{path}: cannot write it ({err.strerror or err})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # mkstemp makes owner-only files; keep the mode of the file replaced, else rw-r--r--.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        # judged before the unlink, which frees the space the write took
        disk_full = is_disk_full(err) or _library_write_failed_on_full_disk(err, path.parent)
        written = tmp.stat().st_size if disk_full and tmp.exists() else 0
        tmp.unlink(missing_ok=True)
        if disk_full:
            raise disk_full_error(path.parent, None, f"{path.name} (full after {human_bytes(written)})") from None
        if isinstance(err, OSError) and err.filename is not None and Path(err.filename) == tmp:
            raise HarkError(f"{path}: cannot write it ({err.strerror or err})") from None
        raise


def _library_write_failed_on_full_disk(err: BaseException, folder: Path) -> bool:
    """Some writers hide ENOSPC (``torch.save`` raises RuntimeError "file write failed" or
    "unexpected pos"): a RuntimeError while the folder's disk has (all but) no space left is
    taken for one."""
    if not isinstance(err, RuntimeError):
        return False
    try:
        return free_bytes(folder) < 64 << 10
    except OSError:
        return False


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
