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


class EmbedJobParams(Params):
    """``embed``: hark embed --model MODEL --out INDEX REC..."""

    recordings: list[str] = Field(min_length=1, description="Recordings, or folders of recordings (searched recursively).")
    model: str = Field(description="Model folder (written by hark train): a frame model, e.g. a classifier or an autoencoder.")
    out: str = Field(description="Folder for the index.")
    checkpoint: str | None = Field(None, description="A step, best or last (default: best, else last).")
    params: dict[str, Any] = Field(default_factory=dict, description="hark.embed.index.EmbedParams, as a table.", json_schema_extra={"form": False})


class SearchJobParams(Params):
    """``search``: hark search INDEX --query REC:START-STOP --out CSV."""

    index: str = Field(description="Index folder written by hark embed.")
    recording: str = Field(description="Recording of the example sound (at the index's sample rate, indexed or not).")
    start_s: float = Field(ge=0, description="Start of the example sound (s).")
    stop_s: float = Field(gt=0, description="End of the example sound (s).")
    top: int = Field(10, ge=1, le=100_000, description="Number of distinct sounds to return, best first.")
    out: str = Field(description="CSV to write the hits to (kind found, the similarity as score).")
    label: str | None = Field(None, description="Label of the hits (default: the query's annotated label, else found).")
    model: str | None = Field(None, description="The model the index must have been built with (default: the index's).")


def embed_job(params: dict, context: JobContext) -> dict:
    from hark.embed.index import EmbedParams, embed_corpus

    checked = validate_params(EmbedJobParams, params, "embed job")
    chosen = validate_params(EmbedParams, checked.params, "embed job params")
    index = embed_corpus(checked.model, checked.recordings, checked.out, chosen, checked.checkpoint, context.progress, threads=context.cpus)
    manifest = index.manifest
    context.log(f"{manifest['rows']} rows from {len(manifest['recordings'])} recording(s) in {index.folder}")
    return {"index": str(index.folder), "rows": int(manifest["rows"])}


def search_job(params: dict, context: JobContext) -> dict:
    from hark.annotations.event import label_problem
    from hark.annotations.songexplorer import write_csv
    from hark.embed.search import SearchParams, query_label, search_index
    from hark.errors import ParameterError

    checked = validate_params(SearchJobParams, params, "search job")
    if checked.label is not None and label_problem(checked.label):
        raise ParameterError("label", f"{{param}} {checked.label!r}: {label_problem(checked.label)}")
    hits = search_index(checked.index, checked.recording, checked.start_s, checked.stop_s, SearchParams(top=checked.top), checked.model)
    for rank, hit in enumerate(hits, 1):
        context.log(f"{rank}: similarity {hit.similarity:.4f}, {hit.start / hit.samplerate:.3f}-{hit.stop / hit.samplerate:.3f} s of {hit.recording}")
    name = checked.label or query_label(checked.recording, checked.start_s, checked.stop_s)
    write_csv(checked.out, [hit.event(name) for hit in hits], extras=True)
    return {"hits": len(hits), "label": name, "out": checked.out}


EMBED = JobKind(embed_job, Resources(cpus=1, memory_gb=2), "Every stretch of recordings embedded into an index (hark embed).", params=EmbedJobParams)
SEARCH = JobKind(search_job, Resources(cpus=1, memory_gb=2), "The indexed sounds most like an example (hark search).", params=SearchJobParams)
