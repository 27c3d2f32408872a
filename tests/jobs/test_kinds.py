"""hark's own job kinds come through the ``hark.jobs`` entry points, as a third party's do, and a
worker loads only the kind it runs."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from hark.jobs import JobKind, job_kinds
from tests.conftest import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def declared_kinds() -> dict[str, str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return project["entry-points"]["hark.jobs"]


def test_every_kind_of_pyproject_is_installed_and_is_a_job_kind_declared_in_its_stage():
    installed = {entry.name: entry.value for entry in entry_points(group="hark.jobs")}
    declared = declared_kinds()
    assert {"detect", "classify", "train", "accuracy", "freeze", "ethogram", "misses", "congruence"} <= set(declared)
    stale = {name: value for name, value in declared.items() if installed.get(name) != value}
    assert stale == {}, "the installed entry points are stale: pip install -e ."
    for name, value in declared.items():
        module = value.partition(":")[0]
        assert module.startswith("hark.") and not module.startswith("hark.jobs"), f"{name}: hark.jobs declares no stage's kind"
        kind = job_kinds.get(name)
        assert isinstance(kind, JobKind) and kind.description and kind.function.__module__ == module


def test_a_worker_asking_for_the_detect_kind_does_not_load_torch():
    code = (
        "import sys\nfrom hark.jobs import job_kinds\nkind = job_kinds.get('detect')\n"
        "print(kind.function.__module__, 'torch' in sys.modules)"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout.split()
    assert printed == ["hark.detect.jobs", "False"]
