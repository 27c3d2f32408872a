"""Which hark.toml files hark reads, and how far it trusts each.

A settings file is data, never code, and a file found beside the data may have been put there
by someone else (a colleague's folder, a shared drive, a world-writable ``/tmp``). So:

- the lookup climbs from the data folder only while each folder (and the file) is owned by
  you and not writable by others, or up to a project root you name (``HARK_PROJECT_ROOT``),
  inside which folders of other owners are passed but never ones writable by others;
- a file you name (``HARK_CONFIG=FILE``) and your own config (``$XDG_CONFIG_HOME/hark/hark.toml``,
  by default ``~/.config/hark/hark.toml``) are yours: they may hold everything;
- a file found beside the data may hold settings only: no command (``submit_command``,
  ``cancel_command``, ``python``, ``job_script_prologue``), and no ``tcp://`` or batch-queue
  kind unless ``--cluster`` or your own config confirms it (settings.resolve_cluster).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SETTINGS_FILE = "hark.toml"
CONFIG_ENV = "HARK_CONFIG"
PROJECT_ROOT_ENV = "HARK_PROJECT_ROOT"


@dataclass(frozen=True)
class SettingsSource:
    """One settings file and how hark came by it."""

    path: Path
    how: str  # "named" (HARK_CONFIG or a file the caller names), "own" (yours, in your home), "found" (beside the data)

    @property
    def trusted(self) -> bool:
        """Named and own files are the user's word; a found one is only data."""
        return self.how in ("named", "own")

    def describe(self) -> str:
        return {"named": f"named by {CONFIG_ENV}", "own": "your own", "found": "found beside the data"}.get(self.how, self.how)


def user_config_path() -> Path:
    """Your own settings file: ``$XDG_CONFIG_HOME/hark/hark.toml`` (``~/.config/hark/hark.toml``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hark" / SETTINGS_FILE


def _private_group(gid: int) -> bool:
    """Whether ``gid`` is the user's own primary group with no other members (user private groups)."""
    try:
        import grp
        import pwd

        group = grp.getgrgid(gid)
        me = pwd.getpwuid(os.getuid())
    except (ImportError, KeyError):  # pragma: no cover - no such group, or not POSIX
        return False
    return gid == me.pw_gid and group.gr_name == me.pw_name and not [m for m in group.gr_mem if m != me.pw_name]


def trust_problem(path: Path, others_may_own: bool = False) -> str | None:
    """Why ``path`` (a folder or a settings file) is not yours alone, or None when it is.

    Writable by others: world-writable (``/tmp`` too, sticky or not) or writable by a group
    that has other members than you. Not owned by you: another user's (passed when
    ``others_may_own``: inside a project root you named)."""
    try:
        info = path.stat()
    except OSError as err:
        return f"cannot be checked ({err.strerror or err})"
    if info.st_mode & stat.S_IWOTH:
        return "is writable by others"
    if info.st_mode & stat.S_IWGRP and not _private_group(info.st_gid):
        return "is writable by its group"
    if not others_may_own and hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"is not owned by you (owner uid {info.st_uid})"
    return None


def _common_folder(folders: list[Path]) -> Path:
    common = folders[0]
    for folder in folders[1:]:
        while common not in (folder, *folder.parents):
            common = common.parent
    return common


def project_root() -> Path | None:
    """The project root named by ``HARK_PROJECT_ROOT`` (None when unset)."""
    value = os.environ.get(PROJECT_ROOT_ENV)
    return Path(value).resolve() if value else None


def find_settings_file(
    folders, root: Path | None = None, notices: list[str] | None = None
) -> Path | None:
    """The nearest hark.toml in the folders' common folder or above it, climbing only through
    folders that are yours alone (or, inside ``root``, not writable by others) and no higher
    than ``root``. A hark.toml beyond where the climb stopped is not read: it is noted in
    ``notices`` (one line each), so the user learns of it."""
    resolved = [Path(f).resolve() for f in folders]
    if not resolved:
        return None
    common = _common_folder(resolved)
    if root is not None and root != common and root not in common.parents:
        root = None  # a project root elsewhere says nothing about this data
    chain = (common, *common.parents)
    for index, folder in enumerate(chain):
        if not folder.exists():
            continue  # a folder still to be made (an output folder): its parent is where to look
        inside_root = root is not None
        problem = trust_problem(folder, others_may_own=inside_root)
        candidate = folder / SETTINGS_FILE
        if problem is None and candidate.is_file():
            file_problem = trust_problem(candidate, others_may_own=inside_root)
            if file_problem is None:
                return candidate
            problem = f"{candidate} {file_problem}"
            _note(notices, candidate, problem)
            return None
        if problem is not None:
            for above in chain[index:]:
                if (above / SETTINGS_FILE).is_file():
                    _note(notices, above / SETTINGS_FILE, f"{folder} {problem}")
                    break
            return None
        if root is not None and folder == root:
            return None
    return None


def _note(notices: list[str] | None, path: Path, why: str) -> None:
    if notices is not None:
        notices.append(f"hark: not reading {path}: {why}; to use it, name it: {CONFIG_ENV}={path}")


def _current_folder_file(notices: list[str] | None) -> Path | None:
    """The current folder's hark.toml, when the folder and the file are yours alone."""
    folder = Path.cwd()
    candidate = folder / SETTINGS_FILE
    if not candidate.is_file():
        return None
    problem = trust_problem(folder)
    problem = f"{folder} {problem}" if problem else (f"{candidate} {trust_problem(candidate)}" if trust_problem(candidate) else None)
    if problem is None:
        return candidate.resolve()
    _note(notices, candidate, problem)
    return None


def settings_sources(data_folders, config: str | Path | None = None, notices: list[str] | None = None) -> list[SettingsSource]:
    """The settings files in effect, lowest first: your own config, then a named file (``config``,
    else ``HARK_CONFIG``) or, when none is named, the one found beside the data (else in the
    current folder)."""
    sources: list[SettingsSource] = []
    own = user_config_path()
    if own.is_file():
        problem = trust_problem(own) or trust_problem(own.parent)
        if problem is None:
            sources.append(SettingsSource(own, "own"))
        elif notices is not None:
            notices.append(f"hark: not reading {own}: {problem}")
    named = config if config is not None else os.environ.get(CONFIG_ENV) or None
    if named is not None:
        from hark.errors import HarkError

        path = Path(named).expanduser()
        if not path.is_file():
            raise HarkError(f"{path}: no such settings file (named by {CONFIG_ENV if config is None else 'the command'})")
        sources.append(SettingsSource(path.resolve(), "named"))
        return sources
    found = find_settings_file(data_folders, project_root(), notices) if data_folders else None
    if found is None:
        found = _current_folder_file(notices)
    if found is not None and all(found != source.path for source in sources):
        sources.append(SettingsSource(found, "found"))
    return sources
