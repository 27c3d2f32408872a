"""``hark cluster --assign`` as one library call and as the job kind ``cluster-ids`` (the GUI's action).

:class:`ClusterIdsRequest` says what to cluster (an activations folder, or ``hark calls``
tables with their recordings), how (:class:`AssignParams`) and where the files go;
:func:`run_cluster_ids` reads the features and writes the IDs
(:func:`hark.embed.cluster_assign.cluster_ids`). The command runs it here, or as a job where
``--cluster`` or a ``hark.toml`` says; pyproject.toml's ``hark.jobs`` entry points register it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from hark.jobs.spec import JobContext, JobKind, Resources
from hark.params import Params, validate_params


class ClusterIdsRequest(Params):
    """``cluster-ids``: hark cluster --assign."""

    input: str = Field(description="Folder written by hark activations, or (features contour) hark calls' folder or one <rec>-calls.csv.")
    features: Literal["activations", "contour"] = Field("activations", description="What is clustered: a layer's activations or hark calls' contour statistics.")
    recordings: str | None = Field(None, description="features contour: folder of the recordings (default: the calls folder).")
    layer: str | None = Field(None, description="features activations: layer (default: the last hidden layer before the output).")
    pca_dims: int = Field(0, ge=0, le=10_000, description="features activations: reduce to this many principal components first (0: no).")
    out: str | None = Field(None, description="Folder for every file (default: the IDs beside the recordings, the rest in the input folder).")
    figure: bool = Field(True, description="Also draw clusters/<id>.png.")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.embed.cluster_ids.AssignParams, as a table.")


def run_cluster_ids(request: ClusterIdsRequest, report: Callable[[str], None] = lambda message: None):
    """Cluster the request's sounds and write the IDs; returns :class:`hark.embed.cluster_assign.ClusterIds`."""
    from hark.embed.cluster_assign import cluster_ids
    from hark.embed.cluster_features import activation_input, calls_tables, contour_input
    from hark.embed.cluster_ids import AssignParams

    params = validate_params(AssignParams, request.params, "cluster --assign")
    source = Path(request.input)
    if request.features == "contour":
        tables = calls_tables(source)
        folder = source if source.is_dir() else source.parent
        data = contour_input(tables, request.recordings if request.recordings is not None else folder)
    else:
        folder = source
        data = activation_input(source, request.layer, request.pca_dims, params.seed)
    out = Path(request.out) if request.out is not None else None
    return cluster_ids(data, params, out or folder, beside_recordings=out is None, figures=request.figure, report=report)


def cluster_ids_job(params: dict, context: JobContext) -> dict:
    request = validate_params(ClusterIdsRequest, params, "cluster-ids job")
    result = run_cluster_ids(request, report=context.log)
    assignment = result.assignment
    return {"folder": str(result.folder), "sounds": len(result.sounds), "clusters": assignment.k, "outliers": assignment.outliers,
            "sizes": assignment.sizes(), "silhouettes": {str(k): v for k, v in assignment.silhouettes.items()}}  # fmt: skip


CLUSTER_IDS = JobKind(
    cluster_ids_job, Resources(cpus=1, memory_gb=2), "Cluster IDs (call types without labels) of activations or call contours (hark cluster --assign).",
    params=ClusterIdsRequest,
)  # fmt: skip
