"""Where jobs run: your own config, one setting per data folder (``hark.toml``'s ``[cluster]``
table) and per command (``--cluster``), each on top of the one before.

``local`` runs on this machine, ``tcp://HOST:PORT`` on an existing Dask scheduler, and
``slurm``/``lsf``/``pbs``/``sge`` on workers that ``dask-jobqueue`` submits as batch jobs.
Settings are data, never code: which files are read, and what a file found beside the data
may not say, is settings_files' business (docs/security.md).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from hark.errors import HarkError, ParameterError
from hark.jobs.settings_files import (
    CONFIG_ENV, SETTINGS_FILE, SettingsSource, find_settings_file, settings_sources, user_config_path,
)
from hark.params import Params, validate_params

__all__ = [
    "ClusterSettings", "COMMAND_SETTINGS", "SETTINGS_FILE", "find_settings_file", "parse_cluster_option",
    "read_settings_file", "resolve_cluster",
]

JOBQUEUE_KINDS = ("slurm", "lsf", "pbs", "sge")
# settings that are commands (run here, or on the batch nodes): only from a file that is yours
COMMAND_SETTINGS = ("submit_command", "cancel_command", "python", "job_script_prologue")
# characters a prologue word given as one string may not hold: hark quotes every word, so a
# shell would not do what such a line seems to say (write the line as a list of words instead)
SHELL_SYNTAX = set(";&|<>$`(){}*?[]~!#\\'\"")
ClusterKind = Literal["local", "tcp", "slurm", "lsf", "pbs", "sge"]


class ClusterSettings(Params):
    """Where and how jobs run (the ``[cluster]`` table of hark.toml, or ``--cluster``)."""

    kind: ClusterKind = Field("local", description="local, tcp (an existing Dask scheduler), slurm, lsf, pbs or sge; tcp://HOST:PORT sets kind and address.")
    address: str | None = Field(None, description="tcp: the scheduler's address, tcp://HOST:PORT.")
    workers: int = Field(0, ge=0, description="local: worker processes (0: one per core, at most one per job); jobqueue: batch jobs to start (0: a core per job, at most maximum_jobs).")
    threads: int = Field(1, ge=1, description="local: jobs one worker runs at once (its resources permitting).")
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for a scheduler to answer (tcp) or to start.")
    retries: int = Field(1, ge=0, description="Times a job is run again after its worker died while running it.")
    # dask-jobqueue (slurm, lsf, pbs, sge): one batch job starts one worker per `processes`
    queue: str | None = Field(None, description="jobqueue: the queue (partition) to submit to.")
    account: str | None = Field(None, description="jobqueue: the account or project charged.")
    walltime: str = Field("01:00:00", description="jobqueue: how long each batch job may run, HH:MM:SS.")
    cores: int = Field(1, ge=1, description="jobqueue: cores per batch job.")
    memory: str = Field("4GB", description="jobqueue: memory per batch job, e.g. 16GB.")
    gpus: int = Field(0, ge=0, description="jobqueue: GPUs per batch job (request them in job_extra_directives too).")
    processes: int = Field(1, ge=1, description="jobqueue: worker processes per batch job (sharing its cores, memory and GPUs).")
    maximum_jobs: int = Field(16, ge=1, description="jobqueue: most batch jobs submitted at once.")
    job_extra_directives: list[str] = Field(default_factory=list, description="jobqueue: extra scheduler flags, one per header line (e.g. --gres=gpu:1).")
    job_script_prologue: list[list[str]] = Field(default_factory=list, description="jobqueue: commands the batch job runs before the worker starts, each a list of words (or a string of plain words), e.g. [\"module\", \"load\", \"cuda\"]; every word is quoted, nothing is run here.")
    interface: str | None = Field(None, description="jobqueue: network interface of scheduler and workers (e.g. ib0).")
    log_directory: str | None = Field(None, description="jobqueue: folder for the batch jobs' own stdout/stderr.")
    local_directory: str | None = Field(None, description="jobqueue: workers' scratch folder on the nodes.")
    python: str | None = Field(None, description="jobqueue: Python on the nodes (default: the one running hark).")
    submit_command: str | None = Field(None, description="jobqueue: command that submits a job script (default: sbatch, bsub, qsub).")
    cancel_command: str | None = Field(None, description="jobqueue: command that cancels a job (default: scancel, bkill, qdel).")

    @field_validator("job_script_prologue", mode="before")
    @classmethod
    def _prologue_as_words(cls, value: Any) -> Any:
        """``"module load cuda"`` is short for ``["module", "load", "cuda"]``; a string with shell
        syntax (``;``, ``$``, pipes, quotes...) is refused, since quoted words would not do what it says."""
        if not isinstance(value, list):
            return value
        commands = []
        for entry in value:
            if isinstance(entry, str):
                bad = sorted(SHELL_SYNTAX & set(entry))
                if bad:
                    raise ValueError(
                        f"{entry!r} holds shell syntax ({' '.join(bad)}); hark runs no shell lines from its settings: "
                        f"give each command as a list of words, e.g. [\"module\", \"load\", \"cuda\"]"
                    )
                entry = entry.split()
            commands.append(entry)
        return commands

    @model_validator(mode="after")
    def _no_control_characters(self) -> ClusterSettings:
        """A newline in a setting would start a new line of the batch job script."""
        for name, value in self:
            for text in _strings(value):
                if any(ord(c) < 32 or ord(c) == 127 for c in text):
                    raise ValueError(f"{name}: control characters (a newline?) are not allowed: {text[:60]!r}")
        return self

    def prologue_lines(self) -> list[str]:
        """The prologue as the batch job script's lines: every word quoted for the shell."""
        return [shlex.join(words) for words in self.job_script_prologue if words]

    @model_validator(mode="before")
    @classmethod
    def _address_as_kind(cls, values: Any) -> Any:
        """``kind = "tcp://host:port"`` is short for kind tcp at that address."""
        if isinstance(values, dict) and isinstance(values.get("kind"), str) and values["kind"].startswith("tcp://"):
            values = dict(values)
            values["address"] = values.pop("kind")
            values["kind"] = "tcp"
        return values

    @model_validator(mode="after")
    def _tcp_needs_address(self) -> ClusterSettings:
        if self.kind == "tcp":
            if not self.address:
                raise ValueError("kind tcp needs an address, tcp://HOST:PORT")
            host, _, port = self.address.removeprefix("tcp://").rpartition(":")
            if not self.address.startswith("tcp://") or not host or not port.isdigit():
                raise ValueError(f"address {self.address!r}: expected tcp://HOST:PORT")
        return self

    def describe(self) -> str:
        return self.address if self.kind == "tcp" and self.address else self.kind


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


def parse_cluster_option(value: str, base: ClusterSettings | None = None) -> ClusterSettings:
    """``--cluster local|slurm|...|tcp://HOST:PORT`` on top of the data folder's settings."""
    values: dict[str, Any] = base.model_dump() if base is not None else {}
    value = value.strip()
    values["kind"] = value
    if base is not None and not value.startswith("tcp://") and value != "tcp":
        values["address"] = None  # a file's scheduler address means nothing to another kind
    return validate_params(ClusterSettings, values, f"--cluster {value}")


def read_settings_file(path: Path) -> ClusterSettings | None:
    """The ``[cluster]`` table of one hark.toml (None when it has none)."""
    table = _cluster_table(path)
    return None if table is None else validate_params(ClusterSettings, table, f"{path} [cluster]")


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise HarkError(f"{path}: cannot read ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise HarkError(f"{path}: not valid TOML ({err})") from None


def _cluster_table(path: Path) -> dict[str, Any] | None:
    table = _read_toml(path).get("cluster")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise HarkError(f"{path}: [cluster] must be a table")
    return table


def _trusted_clusters(own: Path | None) -> set[str]:
    """Kinds and scheduler addresses your own config vouches for: its ``[cluster]`` kind (or
    address) and its ``[trust] clusters`` list."""
    if own is None:
        return set()
    values = _read_toml(own)
    trusted: set[str] = set()
    table = values.get("cluster")
    if isinstance(table, dict):
        trusted.update(str(table[key]) for key in ("kind", "address") if isinstance(table.get(key), str))
    trust = values.get("trust")
    if trust is not None:
        clusters = trust.get("clusters") if isinstance(trust, dict) else None
        unknown = sorted(set(trust) - {"clusters"}) if isinstance(trust, dict) else []
        if not isinstance(clusters, list) or not all(isinstance(c, str) for c in clusters) or unknown:
            raise HarkError(f"{own} [trust]: expected clusters = [\"slurm\", \"tcp://HOST:PORT\", ...] and nothing else")
        trusted.update(clusters)
    return trusted


def _check_no_commands(path: Path, table: dict[str, Any]) -> None:
    """A file found beside the data holds settings only."""
    commands = [name for name in COMMAND_SETTINGS if name in table]
    how = f"put it in your own {user_config_path()}, or name this file: {CONFIG_ENV}={path}"
    if commands:
        raise HarkError(f"{path}: [cluster] {', '.join(commands)} would run commands; hark takes none from a file found beside the data: {how}")


def _check_stays_here(path: Path, table: dict[str, Any], option: str | None, own: Path | None) -> None:
    """A file found beside the data sends no job away from this machine unconfirmed."""
    kind = str(table.get("kind", "local"))
    address = table.get("address") or (kind if kind.startswith("tcp://") else None)
    if option is not None:
        if option.strip() != "tcp" or address is None:
            return  # --cluster names the kind (and a tcp address) itself
        kind = "tcp"  # a bare --cluster tcp takes the file's address: that one needs confirming
    remote = kind.startswith("tcp") or kind in JOBQUEUE_KINDS
    if not remote:
        return
    target = kind if kind != "tcp" else str(address)
    trusted = _trusted_clusters(own)
    if target in trusted or (kind in JOBQUEUE_KINDS and kind in trusted):
        return
    raise ParameterError(
        "cluster",
        f"{path}: [cluster] kind {target} sends jobs (and data paths) away from this machine, and this file was found beside "
        f"the data: confirm with {{param}} {target}, or add {target!r} to [trust] clusters in {user_config_path()}, or name the file: {CONFIG_ENV}={path}",
    )


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def resolve_cluster(
    cluster: str | ClusterSettings | Mapping[str, Any] | None,
    data_folders: Sequence[str | Path] = (),
    report: Callable[[str], None] | None = _stderr_line,
    config: str | Path | None = None,
) -> ClusterSettings | None:
    """The settings that apply: ``cluster`` (a --cluster value, settings or a table) over the
    settings files in effect (your own config, then a named file or the nearest trusted hark.toml
    of ``data_folders``, else the current folder's); None when nothing says.

    ``report`` gets one line naming the files in effect, and one per hark.toml not read (and
    why); ``config``: a file the caller names (as ``HARK_CONFIG`` does)."""
    if isinstance(cluster, ClusterSettings):
        return cluster
    if isinstance(cluster, Mapping):
        return validate_params(ClusterSettings, cluster, "cluster settings")
    notices: list[str] = []
    sources = settings_sources([f for f in data_folders if f is not None], config, notices)
    own = next((source.path for source in sources if source.how == "own"), None)
    values: dict[str, Any] = {}
    used: list[SettingsSource] = []
    for source in sources:
        table = _cluster_table(source.path)
        if table is None:
            continue
        if not source.trusted:
            _check_no_commands(source.path, table)
        validate_params(ClusterSettings, table, f"{source.path} [cluster]")  # each file's mistakes named by it
        if not source.trusted:
            _check_stays_here(source.path, table, None if cluster is None else str(cluster), own)
        if "kind" in table and "address" not in table:
            values.pop("address", None)  # an address means nothing to another file's kind
        values.update(table)
        used.append(source)
    if report is not None:
        for line in notices:
            report(line)
        if used:
            report("hark: settings from " + ", over ".join(f"{s.path} ({s.describe()})" for s in reversed(used)))
    from_files = validate_params(ClusterSettings, values, f"{used[-1].path} [cluster]") if used else None
    if cluster is None:
        return from_files
    return parse_cluster_option(str(cluster), from_files)
