"""Plugins from outside hark, for tests: a fake installed distribution whose entry points name toy modules.

``importlib.metadata`` finds every ``*.dist-info`` folder on ``sys.path``, so a folder that
holds one (with its ``METADATA`` and ``entry_points.txt``) and the plugin's module, put on
the ``PYTHONPATH`` of a ``hark`` subprocess, registers the plugin exactly as ``pip install``
of a third-party package would, without installing anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

TOYS = Path(__file__).resolve().parent / "toys"


def fake_distribution(
    root: Path,
    name: str,
    entry_points: Mapping[str, Mapping[str, str]],
    modules: Iterable[Path] = (),
) -> Path:
    """A folder under ``root`` holding distribution ``name`` (entry points by group) and copies of ``modules``.

    ``entry_points`` maps a group (``hark.annotation_formats``) to ``{plugin name: "module:object"}``;
    ``modules`` are the Python files the entry points import, copied beside the dist-info so that
    they are imported from there, outside hark. Returns the folder to put on ``sys.path``.
    """
    site = root / f"{name}-site"
    dist_info = site / f"{name}-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    sections = []
    for group, entries in entry_points.items():
        sections.append(f"[{group}]\n" + "".join(f"{plugin} = {target}\n" for plugin, target in entries.items()))
    (dist_info / "entry_points.txt").write_text("\n".join(sections), encoding="utf-8")
    for module in modules:
        shutil.copy(module, site / Path(module).name)
    return site


def run_hark(*args: object, path: Iterable[Path] = (), cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``hark ARGS`` as a user runs it (the venv's console script), with ``path`` put first on its PYTHONPATH."""
    hark = Path(sys.executable).with_name("hark")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run([str(hark), *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False)
