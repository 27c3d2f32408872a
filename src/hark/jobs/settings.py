"""Where jobs run: one setting per data folder (``hark.toml``'s ``[cluster]`` table) and per
command (``--cluster``), the command's value on top of the file's.

``local`` runs on this machine, ``tcp://HOST:PORT`` on an existing Dask scheduler, and
``slurm``/``lsf``/``pbs``/``sge`` on workers that ``dask-jobqueue`` submits as batch jobs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from hark.errors import HarkError
from hark.params import Params, validate_params

SETTINGS_FILE = "hark.toml"
JOBQUEUE_KINDS = ("slurm", "lsf", "pbs", "sge")
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
    job_script_prologue: list[str] = Field(default_factory=list, description="jobqueue: shell lines run before the worker starts (e.g. module load, source .venv/bin/activate).")
    interface: str | None = Field(None, description="jobqueue: network interface of scheduler and workers (e.g. ib0).")
    log_directory: str | None = Field(None, description="jobqueue: folder for the batch jobs' own stdout/stderr.")
    local_directory: str | None = Field(None, description="jobqueue: workers' scratch folder on the nodes.")
    python: str | None = Field(None, description="jobqueue: Python on the nodes (default: the one running hark).")
    submit_command: str | None = Field(None, description="jobqueue: command that submits a job script (default: sbatch, bsub, qsub).")
    cancel_command: str | None = Field(None, description="jobqueue: command that cancels a job (default: scancel, bkill, qdel).")

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
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise HarkError(f"{path}: cannot read ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise HarkError(f"{path}: not valid TOML ({err})") from None
    table = values.get("cluster")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise HarkError(f"{path}: [cluster] must be a table")
    return validate_params(ClusterSettings, table, f"{path} [cluster]")


def find_settings_file(folders: Sequence[str | Path]) -> Path | None:
    """The nearest hark.toml in the folders' common folder or any folder above it."""
    folders = [Path(f).resolve() for f in folders]
    if not folders:
        return None
    common = folders[0]
    for folder in folders[1:]:
        while common not in (folder, *folder.parents):
            common = common.parent
    for folder in (common, *common.parents):
        candidate = folder / SETTINGS_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_cluster(
    cluster: str | ClusterSettings | Mapping[str, Any] | None, data_folders: Sequence[str | Path] = ()
) -> ClusterSettings | None:
    """The settings that apply: ``cluster`` (a --cluster value, settings or a table) over the
    nearest hark.toml of ``data_folders``, then the current folder's; None when nothing says."""
    if isinstance(cluster, ClusterSettings):
        return cluster
    if isinstance(cluster, Mapping):
        return validate_params(ClusterSettings, cluster, "cluster settings")
    settings_file = find_settings_file(data_folders) if data_folders else None
    if settings_file is None and (Path.cwd() / SETTINGS_FILE).is_file():
        settings_file = Path.cwd() / SETTINGS_FILE
    from_file = read_settings_file(settings_file) if settings_file is not None else None
    if cluster is None:
        return from_file
    return parse_cluster_option(str(cluster), from_file)
