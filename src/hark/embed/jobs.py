"""Job kinds ``activations`` and ``cluster``: hark activations and hark cluster as jobs (the GUI's actions).

Like the other kinds, each validates its parameters with the same models as the command
and calls the same library function. pyproject.toml's ``hark.jobs`` entry points register the
kinds; the libraries (torch, umap) load only when a job runs.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class ActivationsJobParams(Params):
    """``activations``: hark activations."""

    model: str = Field(description="Model folder written by hark train.")
    data_root: str = Field(description="Ground-truth folder whose events to embed.")
    out: str = Field(description="Folder for the activations.")
    checkpoint: str | None = Field(None, description="A step, best or last (default: best, else last).")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.embed.ActivationParams, as a table.")


class ClusterJobParams(Params):
    """``cluster``: hark cluster."""

    activations: str = Field(description="Folder written by hark activations.")
    out: str | None = Field(None, description="Folder for the map (default: the activations folder).")
    figure: bool = Field(True, description="Also draw the map as cluster-<layer>.png.")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.embed.ClusterParams, as a table.")


def activations_job(params: dict, context: JobContext) -> dict:
    from hark.embed.activations import ActivationParams, compute_activations

    checked = validate_params(ActivationsJobParams, params, "activations job")
    chosen = validate_params(ActivationParams, checked.params, "activations job params")
    result = compute_activations(checked.model, checked.data_root, chosen, checked.out, checked.checkpoint, context.progress)
    context.log(f"{len(result.sounds)} sounds of {result.meta['events_found']} found, in {result.folder}")
    return {"folder": str(result.folder), "sounds": len(result.sounds)}


def cluster_job(params: dict, context: JobContext) -> dict:
    from hark.embed.cluster import ClusterParams, cluster_activations

    checked = validate_params(ClusterJobParams, params, "cluster job")
    chosen = validate_params(ClusterParams, checked.params, "cluster job params")
    result = cluster_activations(checked.activations, chosen, checked.out, checked.figure, report=context.log)
    return {"map": str(result.csv_path), "sounds": len(result.sounds)}


# registered in pyproject.toml's hark.jobs entry points
ACTIVATIONS = JobKind(
    activations_job, Resources(cpus=1, memory_gb=2), "Hidden-layer activations of chosen sounds (hark activations).", params=ActivationsJobParams
)
CLUSTER = JobKind(cluster_job, Resources(cpus=1, memory_gb=2), "A 2-D or 3-D map of activations (hark cluster).", params=ClusterJobParams)
