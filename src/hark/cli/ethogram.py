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

A dense model's events are boxes in time and frequency (docs/ultrasonic.md): low_hz and
high_hz from the spectrogram energy inside each event, searched between --low-hz and
--high-hz (default: the model's band), in the columns after SongExplorer's five. The audio
is the recording given, else the file hark classify read.

  hark ethogram --model detector --sensitivity high-recall --out calls rec.wav
  hark ethogram --model detector --ratio 1.0 --low-hz 30000 --min-score 0.8 --out calls rec.wav
"""


def ethogram_command(
    recordings: list[Path] | None = typer.Argument(None, help="Recordings (paths or names) classified into OUT (default: all of them)."),
    model: Path = typer.Option(..., "--model", "-m", help="Model folder whose hark accuracy thresholds to apply."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder holding hark classify's probabilities; the CSVs go there too."),
    ratio: float | None = typer.Option(None, "--ratio", help="Precision-recall ratio whose thresholds to use (hark accuracy computed them; default 1.0)."),
    sensitivity: str | None = typer.Option(None, "--sensitivity", help="A preset ratio instead of --ratio: high-recall (0.5), balanced (1.0) or high-precision (2.0)."),
    dense: bool = typer.Option(False, "--dense", help="Use the thresholds hark congruence chose (accuracy/thresholds-dense.csv)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Dense models: the probability of sound (1 - p(background)) that makes a frame part of a syllable, instead of the model's thresholds."),
    min_duration_ms: float | None = typer.Option(None, "--min-duration-ms", help="Dense models: drop syllables shorter than this (default 10)."),
    fill_gap_ms: float | None = typer.Option(None, "--fill-gap-ms", help="Dense models: join syllables separated by less than this (default 5)."),
    min_score: float | None = typer.Option(None, "--min-score", help="Drop events whose score (peak or mean probability) is below this."),
    low_hz: float | None = typer.Option(None, "--low-hz", help="Lowest frequency of the events' boxes (Hz; default: the model's lowest)."),
    high_hz: float | None = typer.Option(None, "--high-hz", help="Highest frequency of the events' boxes (Hz; default: the model's highest)."),
    boxes: bool | None = typer.Option(None, "--boxes/--no-boxes", help="Measure each event's frequency bounds (default: a dense model's events, when their audio is found)."),
    box_param: list[str] = typer.Option([], "--box-param", help="Frequency-bounds parameter NAME=VALUE (repeatable): threshold_db, min_snr_db, window_ms, floor_ms."),
) -> None:
    """Turn probabilities into predicted events with per-label thresholds; writes <rec>-predicted-<ratio>pr.csv."""
    from hark.annotations.naming import parse_annotation_name
    from hark.annotations.songexplorer import read_csv
    from hark.evaluate.segments import SegmentationParams
    from hark.cli.common import plugin_values
    from hark.infer.boxes import BoxParams
    from hark.infer.ethogram import BoxSettings, sensitivity_ratio, write_ethograms
    from hark.infer.probabilities import read_meta
    from hark.models.store import best_step
    from hark.params import validate_params

    if sensitivity is not None:
        if ratio is not None and ratio != sensitivity_ratio(sensitivity):
            raise HarkError(f"--sensitivity {sensitivity} is ratio {sensitivity_ratio(sensitivity):g}; give it or --ratio {ratio:g}, not both")
        ratio = sensitivity_ratio(sensitivity)
    ratio = 1.0 if ratio is None else ratio
    if ratio <= 0:
        raise HarkError(f"--ratio {ratio:g} must be positive")
    if boxes is False and (low_hz is not None or high_hz is not None or box_param):
        raise HarkError("--low-hz, --high-hz and --box-param set the frequency bounds that --no-boxes turns off")
    box_settings = BoxSettings(boxes, low_hz, high_hz, validate_params(BoxParams, plugin_values(None, box_param, "--box-param"), "--box-param"))
    if not out.is_dir():
        raise HarkError(f"{out}: no such folder; run hark classify --model {model} --out {out} REC... first")
    given = {"threshold": threshold, "min_duration_ms": min_duration_ms, "fill_gap_ms": fill_gap_ms}
    given = {name: value for name, value in given.items() if value is not None}
    segmentation = validate_params(SegmentationParams, given, "segmentation") if given else None
    written = write_ethograms(model, recordings or None, out, out, ratio, dense, segmentation, boxes=box_settings, min_score=min_score)
    best = best_step(model)
    for path in written:
        events = read_csv(path, allow_empty=True)
        boxed = " with frequency bounds" if events and all(e.has_frequency for e in events) else ""
        typer.echo(f"{path}: {len(events)} events{boxed}")
    steps = {read_meta(parse_annotation_name(p).recording, out)[0].checkpoint_step for p in written}
    if best is not None and steps - {best}:
        typer.echo(
            f"hark: warning: the thresholds are those of checkpoint {best}, the probabilities come from "
            f"checkpoint {', '.join(map(str, sorted(steps - {best})))}", err=True,
        )


def register(app: typer.Typer) -> None:
    app.command("ethogram", epilog=EXAMPLE, help=ethogram_command.__doc__)(ethogram_command)
