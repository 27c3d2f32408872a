"""``hark ethogram``: predicted events from classify's probabilities, at a chosen precision-recall ratio."""

from __future__ import annotations

from pathlib import Path

import typer

from hark.errors import HarkError

EXAMPLE = """Example:

  hark classify --model model --out predictions recordings/*.wav
  hark ethogram --model model --ratio 1.0 --out predictions        # every recording classified there
  hark ethogram --model model --ratio 2.0 --out predictions song.wav

Writes DIR/<rec>-predicted-<ratio>pr.csv (kind predicted, the run's peak probability as score).
The thresholds come from MODEL/accuracy/thresholds.csv, written by hark accuracy.

A dense model's probabilities become one event per syllable (docs/segmentation.md).
Sound is where 1 - p(background) reaches the sound threshold: 1 minus the background's
threshold at ratio 1/RATIO, or --threshold. Gaps under --fill-gap-ms are filled,
syllables under --min-duration-ms dropped, and each is labelled by its frames' majority.

  hark ethogram --model tcn --ratio 1.0 --out predictions --min-duration-ms 20
"""


def ethogram_command(
    recordings: list[Path] | None = typer.Argument(None, help="Recordings (paths or names) classified into OUT (default: all of them)."),
    model: Path = typer.Option(..., "--model", "-m", help="Model folder whose hark accuracy thresholds to apply."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder holding hark classify's probabilities; the CSVs go there too."),
    ratio: float = typer.Option(1.0, "--ratio", help="Precision-recall ratio whose thresholds to use (hark accuracy computed them)."),
    dense: bool = typer.Option(False, "--dense", help="Use the thresholds hark congruence chose (accuracy/thresholds-dense.csv)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Dense models: the probability of sound (1 - p(background)) that makes a frame part of a syllable, instead of the model's thresholds."),
    min_duration_ms: float | None = typer.Option(None, "--min-duration-ms", help="Dense models: drop syllables shorter than this (default 10)."),
    fill_gap_ms: float | None = typer.Option(None, "--fill-gap-ms", help="Dense models: join syllables separated by less than this (default 5)."),
) -> None:
    """Turn probabilities into predicted events with per-label thresholds; writes <rec>-predicted-<ratio>pr.csv."""
    from hark.annotations.naming import parse_annotation_name
    from hark.annotations.songexplorer import read_csv
    from hark.evaluate.segments import SegmentationParams
    from hark.infer.ethogram import write_ethograms
    from hark.infer.probabilities import read_meta
    from hark.models.store import best_step
    from hark.params import validate_params

    if ratio <= 0:
        raise HarkError(f"--ratio {ratio:g} must be positive")
    if not out.is_dir():
        raise HarkError(f"{out}: no such folder; run hark classify --model {model} --out {out} REC... first")
    given = {"threshold": threshold, "min_duration_ms": min_duration_ms, "fill_gap_ms": fill_gap_ms}
    given = {name: value for name, value in given.items() if value is not None}
    segmentation = validate_params(SegmentationParams, given, "segmentation") if given else None
    written = write_ethograms(model, recordings or None, out, out, ratio, dense, segmentation)
    best = best_step(model)
    for path in written:
        events = read_csv(path, allow_empty=True)
        typer.echo(f"{path}: {len(events)} events")
    steps = {read_meta(parse_annotation_name(p).recording, out)[0].checkpoint_step for p in written}
    if best is not None and steps - {best}:
        typer.echo(
            f"hark: warning: the thresholds are those of checkpoint {best}, the probabilities come from "
            f"checkpoint {', '.join(map(str, sorted(steps - {best})))}", err=True,
        )


def register(app: typer.Typer) -> None:
    app.command("ethogram", epilog=EXAMPLE, help=ethogram_command.__doc__)(ethogram_command)
