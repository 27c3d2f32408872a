"""hark.toml is data, never code (issue 16, fault 1): a settings file found beside the data runs
nothing, is read only from folders that are yours alone, and sends no job elsewhere unconfirmed.

Real files in temporary folders, and the real ``hark`` command in a subprocess where it matters.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hark.errors import HarkError
from hark.jobs import ClusterSettings
from hark.jobs.settings import find_settings_file, resolve_cluster
from tests.infer.helpers import write_recording

HARK = str(Path(sys.executable).with_name("hark"))


def _planted(tmp_path: Path, text: str) -> tuple[Path, Path]:
    """A recording two folders below a planted hark.toml: (the recording, the planted file)."""
    data = tmp_path / "share" / "colleague" / "day1"
    data.mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "share", tmp_path / "share" / "colleague", data):
        folder.chmod(0o755)
    planted = tmp_path / "share" / "hark.toml"
    planted.write_text(text)
    planted.chmod(0o644)
    return write_recording(data / "a.wav", 0.5), planted


def _hark(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    return subprocess.run([HARK, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=240)


def _shell_lines(marker: Path) -> str:
    """Every way a [cluster] table could once run a shell line on this machine or a batch node."""
    return (
        "[cluster]\n"
        'kind = "slurm"\n'
        f'submit_command = "touch {marker}-submit"\n'
        f'cancel_command = "touch {marker}-cancel"\n'
        f'python = "touch {marker}-python"\n'
        f'job_script_prologue = ["touch {marker}-prologue"]\n'
        "timeout = 3\n"
    )


def test_a_planted_hark_toml_with_shell_lines_runs_nothing_and_is_reported(tmp_path):
    marker = tmp_path / "pwned"
    recording, planted = _planted(tmp_path, _shell_lines(marker))
    result = _hark(["detect", "--no-progress", recording.name], recording.parent)
    assert result.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pwned")) == []  # nothing was run
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"hark: error: {planted}: [cluster] submit_command, cancel_command, python, job_script_prologue would run commands")
    assert f"HARK_CONFIG={planted}" in line and "Traceback" not in result.stderr
    assert not list(recording.parent.glob("*-detected.csv"))


def test_a_world_writable_parent_stops_the_lookup_and_the_file_is_named(tmp_path):
    marker = tmp_path / "pwned"
    recording, planted = _planted(tmp_path, _shell_lines(marker))
    planted.parent.chmod(0o1777)  # like /tmp: sticky, and writable by everyone
    result = _hark(["detect", "--no-progress", recording.name], recording.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"hark: not reading {planted}: {planted.parent} is writable by others; to use it, name it: HARK_CONFIG={planted}"
    ]
    assert (recording.parent / "a.wav-detected.csv").is_file()  # ran here, as without any setting
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("pwned")]


def test_a_group_writable_file_is_not_read(tmp_path):
    recording, planted = _planted(tmp_path, '[cluster]\nkind = "local"\n')
    notices: list[str] = []
    assert find_settings_file([recording.parent], notices=notices) == planted
    planted.chmod(0o666)
    assert find_settings_file([recording.parent], notices=notices) is None
    assert notices == [f"hark: not reading {planted}: {planted} is writable by others; to use it, name it: HARK_CONFIG={planted}"]


def test_a_folder_of_another_user_stops_the_lookup_unless_it_is_inside_a_named_root(tmp_path, monkeypatch):
    recording, planted = _planted(tmp_path, '[cluster]\nkind = "tcp://127.0.0.1:9"\n')
    colleague = planted.parent
    try:
        os.chown(colleague, 65534, 65534)  # nobody's
    except (PermissionError, AttributeError):
        pytest.skip("cannot give a folder to another user here (needs root)")
    if os.getuid() == 65534:  # pragma: no cover
        pytest.skip("running as uid 65534 itself")
    lines: list[str] = []
    assert resolve_cluster(None, [recording.parent], lines.append) is None  # not read: nothing said
    assert lines == [
        f"hark: not reading {planted}: {colleague} is not owned by you (owner uid 65534); to use it, name it: HARK_CONFIG={planted}"
    ]
    # a project root you name vouches for its folders' owners; the file is still only data
    monkeypatch.setenv("HARK_PROJECT_ROOT", str(colleague))
    with pytest.raises(HarkError, match=f"^{planted}: \\[cluster\\] kind tcp://127.0.0.1:9 sends jobs"):
        resolve_cluster(None, [recording.parent], lines.append)
    # ... and a root below the file ends the lookup there
    monkeypatch.setenv("HARK_PROJECT_ROOT", str(recording.parent))
    assert resolve_cluster(None, [recording.parent], lines.append) is None


@pytest.mark.parametrize("kind", ["tcp://127.0.0.1:9", "slurm", "lsf", "pbs", "sge"])
def test_a_remote_kind_from_a_found_file_is_refused_unless_confirmed(tmp_path, monkeypatch, kind):
    recording, planted = _planted(tmp_path, f'[cluster]\nkind = "{kind}"\nqueue = "gpu"\n')
    with pytest.raises(HarkError) as err:
        resolve_cluster(None, [recording.parent], None)
    message = str(err.value)
    assert message.startswith(f"{planted}: [cluster] kind {kind} sends jobs (and data paths) away from this machine")
    assert f"confirm with cluster {kind}," in message and "\n" not in message  # the command line says --cluster
    # --cluster on the command line confirms it: the file's other settings then apply
    confirmed = resolve_cluster(kind, [recording.parent], None)
    assert (confirmed.describe(), confirmed.queue) == (kind, "gpu")
    if kind.startswith("tcp://"):  # a bare --cluster tcp would take the file's address: not a confirmation
        with pytest.raises(HarkError, match=f"kind {kind} sends jobs"):
            resolve_cluster("tcp", [recording.parent], None)
    # so does your own config, by its [trust] list or its own [cluster] kind
    own = tmp_path / "xdg-config" / "hark" / "hark.toml"
    own.parent.mkdir(parents=True)
    own.write_text(f'[trust]\nclusters = ["{kind}"]\n')
    assert resolve_cluster(None, [recording.parent], None).describe() == kind
    own.write_text(f'[cluster]\nkind = "{kind}"\nqueue = "cpu"\n')
    assert resolve_cluster(None, [recording.parent], None).queue == "gpu"  # the data folder's over yours
    own.write_text('[trust]\nclusters = ["tcp://elsewhere:1"]\n')
    with pytest.raises(HarkError, match="sends jobs"):
        resolve_cluster(None, [recording.parent], None)


def test_a_remote_kind_from_a_found_file_is_refused_on_the_command_line_and_confirmed_by_cluster(tmp_path):
    recording, planted = _planted(tmp_path, '[cluster]\nkind = "tcp://127.0.0.1:9"\ntimeout = 1\n')
    refused = _hark(["detect", "--no-progress", recording.name], recording.parent)
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"hark: error: {planted}: [cluster] kind tcp://127.0.0.1:9 sends jobs")
    assert "confirm with --cluster tcp://127.0.0.1:9," in line  # the library's parameter, as the flag
    confirmed = _hark(["detect", "--no-progress", "--cluster", "tcp://127.0.0.1:9", recording.name], recording.parent)
    lines = confirmed.stderr.strip().splitlines()
    assert lines[0] == f"hark: settings from {planted} (found beside the data)"
    assert lines[-1].startswith("hark: error: scheduler tcp://127.0.0.1:9 does not answer (after 1 s)")  # it tried: accepted


def test_the_file_in_effect_is_printed_when_a_command_starts(tmp_path):
    recording, planted = _planted(tmp_path, '[cluster]\nkind = "local"\nworkers = 1\n')
    result = _hark(["detect", "--no-progress", recording.name], recording.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"hark: settings from {planted} (found beside the data)"
    assert (recording.parent / "a.wav-detected.log").is_file()  # it ran as a job, as the file said
    # your own config under it, named too
    own = tmp_path / "xdg-config" / "hark" / "hark.toml"
    own.parent.mkdir(parents=True)
    own.write_text('[cluster]\nthreads = 1\n')
    result = _hark(["detect", "--no-progress", recording.name], recording.parent, XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    assert result.stderr.splitlines()[0] == f"hark: settings from {planted} (found beside the data), over {own} (your own)"


def test_a_named_file_may_hold_commands_which_go_to_the_scheduler_as_quoted_words(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    recording, planted = _planted(tmp_path, _shell_lines(marker))
    monkeypatch.setenv("HARK_CONFIG", str(planted))
    lines: list[str] = []
    settings = resolve_cluster(None, [recording.parent], lines.append)
    assert lines == [f"hark: settings from {planted} (named by HARK_CONFIG)"]
    assert settings.submit_command == f"touch {marker}-submit"
    assert settings.prologue_lines() == [f"touch {marker}-prologue"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("pwned")]  # reading settings runs nothing
    monkeypatch.setenv("HARK_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(HarkError, match="missing.toml: no such settings file"):
        resolve_cluster(None, [recording.parent], None)


def test_a_prologue_is_words_and_no_setting_can_start_a_new_script_line():
    settings = ClusterSettings(kind="slurm", job_script_prologue=["module load cuda", ["echo", "a;b $HOME"], []])
    assert settings.job_script_prologue == [["module", "load", "cuda"], ["echo", "a;b $HOME"], []]
    assert settings.prologue_lines() == ["module load cuda", "echo 'a;b $HOME'"]  # the shell sees words, not syntax
    for line in ("module load cuda; curl x | sh", "export PATH=$HOME/bin", "echo `id`"):
        with pytest.raises(ValueError, match="holds shell syntax"):
            ClusterSettings(kind="slurm", job_script_prologue=[line])
    for field, value in [("queue", "gpu\ntouch /tmp/x"), ("job_extra_directives", ["--gres=gpu:1\rtouch x"]), ("job_script_prologue", [["a\nb"]])]:
        with pytest.raises(ValueError, match=f"{field}: control characters"):
            ClusterSettings(kind="slurm", **{field: value})


def test_the_current_folder_file_is_read_only_when_the_folder_is_yours_alone(tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir(mode=0o755)
    (here / "hark.toml").write_text('[cluster]\nkind = "local"\nworkers = 3\n')
    monkeypatch.chdir(here)
    lines: list[str] = []
    assert resolve_cluster(None, [], lines.append).workers == 3
    assert lines == [f"hark: settings from {here / 'hark.toml'} (found beside the data)"]
    here.chmod(0o777)
    lines.clear()
    assert resolve_cluster(None, [], lines.append) is None
    assert lines == [f"hark: not reading {here / 'hark.toml'}: {here} is writable by others; to use it, name it: HARK_CONFIG={here / 'hark.toml'}"]


def test_your_own_config_is_not_read_when_others_can_write_it(tmp_path):
    own = tmp_path / "xdg-config" / "hark" / "hark.toml"
    own.parent.mkdir(parents=True, mode=0o755)
    own.write_text('[cluster]\nkind = "local"\nworkers = 2\n')
    own.chmod(0o644)
    assert resolve_cluster(None, [tmp_path], None).workers == 2
    own.chmod(0o646)
    lines: list[str] = []
    assert resolve_cluster(None, [tmp_path], lines.append) is None
    assert lines == [f"hark: not reading {own}: is writable by others"]
