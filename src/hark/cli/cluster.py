"""``hark cluster``: 2-D or 3-D maps of sounds from their activations (UMAP, t-SNE, PCA)."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import JOB_CLUSTER_HELP, folder_cluster_settings, lazy_epilog, params_help, plugin_values, run_jobs_or_exit

EXAMPLE = """Example:

  hark cluster activations                                   # UMAP of the last hidden layer
  hark cluster activations --method tsne --param perplexity=50 --pca-dims 50
  hark cluster activations --method pca --dims 3 --layer front_end

Writes cluster-<layer>.csv (wavfile,start,stop,kind,label,x,y[,z]), .json and .png into
the activations folder (or --out); hark gui shows the map and the sounds behind each spot.
"""


def _clusterer_listing() -> str:
    from hark.embed import clusterers

    return "\n\n".join(params_help(f"Clusterer {name}: {cls.__doc__.splitlines()[0]}", cls.Params) for name, cls in clusterers.items())


def cluster_command(
    activations: Path = typer.Argument(..., help="Folder written by hark activations."),
    method: str = typer.Option("umap", "--method", help="Clusterer: umap, tsne or pca (their parameters are listed below)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Clusterer parameter NAME=VALUE (repeatable)."),
    dims: int = typer.Option(2, "--dims", help="Dimensions of the map: 2 or 3."),
    layer: str | None = typer.Option(None, "--layer", help="Layer to map (default: the last hidden layer before the output)."),
    pca_dims: int = typer.Option(0, "--pca-dims", help="Reduce to this many principal components first (0: no)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the clusterer."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the map (default: the activations folder)."),
    figure: bool = typer.Option(True, "--figure/--no-figure", help="Also draw the map as cluster-<layer>.png."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
) -> None:
    """Map each sound's activations to a point in 2-D or 3-D, coloured by label in a figure."""
    from hark.embed import ClusterParams, cluster_activations
    from hark.params import validate_params

    values = {"method": method, "method_params": plugin_values(None, param), "dims": dims, "layer": layer,
              "pca_dims": pca_dims, "seed": seed}  # fmt: skip
    params = validate_params(ClusterParams, values, "cluster")
    settings = folder_cluster_settings(cluster, activations)
    if settings is not None:
        from hark.jobs import Job

        job_params = {"activations": str(activations.resolve()), "out": str(out.resolve()) if out else None, "figure": figure,
                      "params": params.model_dump(mode="json")}  # fmt: skip
        log = (out or activations).resolve() / "cluster.log"
        outcome = run_jobs_or_exit([Job("cluster", job_params, f"cluster {activations}", log)], settings)[0]
        typer.echo(f"{outcome.result['sounds']} sounds mapped: {outcome.result['map']}")
        return
    result = cluster_activations(activations, params, out, figure, report=typer.echo)
    typer.echo(f"{len(result.sounds)} sounds mapped: {result.csv_path}")


def register(app: typer.Typer) -> None:
    app.command("cluster", cls=lazy_epilog(EXAMPLE, _clusterer_listing), help=cluster_command.__doc__)(cluster_command)
