"""``hark cluster``: 2-D or 3-D maps of sounds from their activations (UMAP, t-SNE, PCA), and cluster IDs."""

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

Cluster IDs (call types without labels):

  hark cluster activations --method pca --assign kmeans --k auto
  hark calls --out calls recordings/*.wav
  hark cluster calls --features contour --recordings recordings --assign hdbscan --min-cluster-size 10
  hark cluster calls --rename c3=flat,c1=upsweep

--assign writes <rec>-clustered.csv (kind clustered, labels c1, c2, ... by size) beside each
recording (or under --out), and assignments.csv, silhouette.csv (k auto), clusters.json and
clusters/<id>.png into the input folder (or --out). --rename renames clusters in all of them.
"""


def _clusterer_listing() -> str:
    from hark.embed import clusterers

    return "\n\n".join(params_help(f"Clusterer {name}: {cls.__doc__.splitlines()[0]}", cls.Params) for name, cls in clusterers.items())


def cluster_command(
    activations: Path = typer.Argument(..., metavar="INPUT", help="Folder written by hark activations; with --features contour, of hark calls (or one <rec>-calls.csv); with --rename, the folder of clusters.json."),
    method: str = typer.Option("umap", "--method", help="Clusterer: umap, tsne or pca (their parameters are listed below)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Clusterer parameter NAME=VALUE (repeatable)."),
    dims: int = typer.Option(2, "--dims", help="Dimensions of the map: 2 or 3."),
    layer: str | None = typer.Option(None, "--layer", help="Layer to map (default: the last hidden layer before the output)."),
    pca_dims: int = typer.Option(0, "--pca-dims", help="Reduce to this many principal components first (0: no)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the clusterer."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for the map (default: the activations folder)."),
    figure: bool = typer.Option(True, "--figure/--no-figure", help="Also draw the map as cluster-<layer>.png."),
    cluster: str | None = typer.Option(None, "--cluster", help=JOB_CLUSTER_HELP),
    assign: str | None = typer.Option(None, "--assign", help="Also give each sound a cluster ID: kmeans or hdbscan (outliers left unassigned)."),
    k: str = typer.Option("auto", "--k", help="kmeans: number of clusters, or auto (the best silhouette from --k-min to --k-max)."),
    k_min: int = typer.Option(2, "--k-min", help="kmeans, --k auto: smallest k tried."),
    k_max: int = typer.Option(12, "--k-max", help="kmeans, --k auto: largest k tried (at most sounds - 1)."),
    min_silhouette: float = typer.Option(0.25, "--min-silhouette", help="kmeans, --k auto: refuse below this best silhouette (no cluster structure)."),
    min_cluster_size: int = typer.Option(5, "--min-cluster-size", help="hdbscan: fewest sounds that make a cluster."),
    features: str = typer.Option("activations", "--features", help="What --assign clusters: activations (a layer) or contour (hark calls' statistics)."),
    recordings: Path | None = typer.Option(None, "--recordings", help="--features contour: folder of the recordings (default: the calls folder)."),
    rename: str | None = typer.Option(None, "--rename", help="Rename clusters of an --assign folder: OLD=NEW,... (e.g. c3=flat,c1=upsweep)."),
) -> None:
    """Map each sound's activations to a point in 2-D or 3-D, coloured by label in a figure; --assign gives cluster IDs."""
    from hark.embed import ClusterParams, cluster_activations
    from hark.errors import HarkError
    from hark.params import validate_params

    if rename is not None:
        from hark.embed.cluster_assign import parse_renames, rename_clusters

        written = rename_clusters(activations, parse_renames(rename))
        typer.echo(f"renamed {rename} in {len(written)} files")
        return
    if features not in ("activations", "contour"):
        raise HarkError(f"--features {features!r}: must be activations or contour")
    request = None
    if assign is not None:
        from hark.embed.cluster_ids import AssignParams
        from hark.embed.cluster_jobs import ClusterIdsRequest

        assign_values = {"method": assign, "k": k if k == "auto" else _whole(k, "--k"), "k_min": k_min, "k_max": k_max,
                         "min_silhouette": min_silhouette, "min_cluster_size": min_cluster_size, "seed": seed}  # fmt: skip
        assign_params = validate_params(AssignParams, assign_values, "cluster --assign")
        request = ClusterIdsRequest(
            input=str(activations.resolve()), features=features, recordings=str(recordings.resolve()) if recordings else None, layer=layer,
            pca_dims=pca_dims, out=str(out.resolve()) if out else None, figure=figure, params=assign_params.model_dump(mode="json"),
        )  # fmt: skip
    elif features == "contour":
        raise HarkError("--features contour clusters calls into IDs: give --assign kmeans or --assign hdbscan")
    settings = folder_cluster_settings(cluster, activations if activations.is_dir() else activations.parent)
    if features == "activations":
        values = {"method": method, "method_params": plugin_values(None, param), "dims": dims, "layer": layer,
                  "pca_dims": pca_dims, "seed": seed}  # fmt: skip
        params = validate_params(ClusterParams, values, "cluster")
        if settings is not None:
            from hark.jobs import Job

            job_params = {"activations": str(activations.resolve()), "out": str(out.resolve()) if out else None, "figure": figure,
                          "params": params.model_dump(mode="json")}  # fmt: skip
            log = (out or activations).resolve() / "cluster.log"
            outcome = run_jobs_or_exit([Job("cluster", job_params, f"cluster {activations}", log)], settings)[0]
            typer.echo(f"{outcome.result['sounds']} sounds mapped: {outcome.result['map']}")
        else:
            result = cluster_activations(activations, params, out, figure, report=typer.echo)
            typer.echo(f"{len(result.sounds)} sounds mapped: {result.csv_path}")
            if request is not None:
                request = request.model_copy(update={"layer": result.layer})
    if request is not None:
        _assign(request, settings)


def _whole(text: str, option: str) -> int:
    from hark.errors import HarkError

    try:
        return int(text)
    except ValueError:
        raise HarkError(f"{option} {text!r}: a whole number or auto") from None


def _assign(request, settings) -> None:
    """Cluster IDs here, or as a ``cluster-ids`` job where settings say; prints the silhouettes and sizes."""
    if settings is not None:
        from hark.jobs import Job

        log = Path(request.out or (request.input if Path(request.input).is_dir() else Path(request.input).parent)) / "cluster-ids.log"
        job = Job("cluster-ids", request.model_dump(mode="json"), f"cluster --assign {request.input}", log)
        result = run_jobs_or_exit([job], settings)[0].result
        silhouettes = {int(k): v for k, v in result["silhouettes"].items()}
        k, sizes, outliers, sounds, folder = result["clusters"], result["sizes"], result["outliers"], result["sounds"], Path(result["folder"])
    else:
        from hark.embed.cluster_jobs import run_cluster_ids

        written = run_cluster_ids(request, report=typer.echo)
        assignment = written.assignment
        silhouettes, k, sizes, outliers = assignment.silhouettes, assignment.k, assignment.sizes(), assignment.outliers
        sounds, folder = len(written.sounds), written.folder
    if silhouettes:
        typer.echo("k  silhouette")
        for number, value in sorted(silhouettes.items()):
            typer.echo(f"{number:<2} {value:.3f}{'  <- chosen' if number == k else ''}")
    text = ", ".join(f"{cid} {n}" for cid, n in sizes.items() if cid != "noise")
    if outliers:
        text += f"; {outliers} outliers left unassigned (noise)"
    where = "beside the recordings" if request.out is None else f"under {request.out}"
    typer.echo(f"{sounds} sounds in {k} clusters ({text}); IDs in <rec>-clustered.csv {where}, table {folder / 'assignments.csv'}")

def register(app: typer.Typer) -> None:
    app.command("cluster", cls=lazy_epilog(EXAMPLE, _clusterer_listing), help=cluster_command.__doc__)(cluster_command)
