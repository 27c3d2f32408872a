"""``hark embed``: every stretch of a corpus embedded once, into an index for hark search."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.cli.common import progress_bar

EXAMPLE = """Example:

  hark embed --model model --out index recordings/
  hark embed --model model --out index --hop 0.01 --window 0.02 a.wav b.wav
  hark search index --query recordings/a.wav:12.5-12.6 --top 20

Writes INDEX/vectors.npy (one centred, L2-normalised row per hop), INDEX/rows.npy (recording,
start sample), INDEX/index.json (the model's fingerprint, the settings, the recordings) and
INDEX/embed.log. A row is the mean of the model's hidden layer over --window seconds of
frames. Run again after a kill: recordings already embedded are skipped.
"""


def embed_command(
    recordings: list[Path] = typer.Argument(..., help="Recordings, or folders of recordings (searched recursively)."),
    model: Path = typer.Option(..., "--model", "-m", help="Model folder (written by hark train): a frame model, e.g. a classifier or an autoencoder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the index."),
    hop_s: float | None = typer.Option(None, "--hop", help="Seconds between rows (default: a quarter of the model's context, in whole frames)."),
    window_s: float | None = typer.Option(None, "--window", help="Seconds of model frames averaged into one row (default: the hop)."),
    layer: str | None = typer.Option(None, "--layer", help="Hidden layer to embed (default: the last one at the output's frame rate, before the output)."),
    dtype: str = typer.Option("float16", "--dtype", help="Precision of the stored vectors: float16 or float32."),
    memory_mb: int = typer.Option(256, "--memory-mb", help="Memory the model's activations of one chunk of audio may take (MB; each chunk in flight takes its own)."),
    engine: str = typer.Option("auto", "--engine", help="torch (the checkpoint), onnx (the layer exported to MODEL/embedding-<layer>.onnx) or auto (onnx where measured faster)."),
    in_flight: int = typer.Option(0, "--in-flight", help="Chunks of a recording in the model at once (0: one per core, at most 2; 1: one at a time)."),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Checkpoint: a step, best or last (default: best, else last)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show a progress bar (default: on a terminal)."),
) -> None:
    """Embed every stretch of recordings with a model's hidden layer, into an index to search by example."""
    from hark.embed.index import EmbedParams, embed_corpus
    from hark.params import validate_request

    values = {"hop_s": hop_s, "window_s": window_s, "layer": layer, "dtype": dtype, "memory_mb": memory_mb, "engine": engine, "in_flight": in_flight}
    params = validate_request(EmbedParams, values)
    with progress_bar("embedding", progress) as on_progress:
        index = embed_corpus(model, recordings, out, params, checkpoint, on_progress)
    manifest = index.manifest
    rate = manifest["settings"]["samplerate"]
    typer.echo(f"{manifest['rows']} rows of {manifest['settings']['dims']} dimensions from {len(manifest['recordings'])} recording(s), "
               f"one every {manifest['hop'] / rate:g} s (layer {manifest['settings']['layer']})")  # fmt: skip
    typer.echo(f"index in {index.folder}; search it with: hark search {index.folder} --query REC:START-STOP")


def register(app: typer.Typer) -> None:
    app.command("embed", epilog=EXAMPLE, help=embed_command.__doc__)(embed_command)
