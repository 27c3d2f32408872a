"""The requests of hark's inference actions: every parameter of classify, ethogram and denoise,
declared once with its default, range and description.

The command line's options (:mod:`hark.cli.requests`), the GUI's forms (:mod:`hark.gui.forms`)
and the checks of their jobs are generated from these models, so a default is written in one
place and a bad value reads the same wherever it was typed. This module imports only pydantic:
building a command's options must not load torch (:mod:`hark.audio.channels` declares the
``channel`` fields' type).
"""

from __future__ import annotations

from copy import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic.fields import FieldInfo

from hark.audio.channels import CHANNEL_HELP, CHANNEL_METAVAR, ChannelSelection
from hark.params import Params

CHECKPOINT_HELP = "Checkpoint to use: a step, best, last or a ckpt-N.pt path (default: best, else last)."
DEVICE_HELP = "auto (a GPU when there is one), cpu, cuda or cuda:N."
SENSITIVITY_RATIOS = {"high-recall": 0.5, "balanced": 1.0, "high-precision": 2.0}
"""Sensitivity presets as precision/recall ratios of the accuracy thresholds."""
DEFAULT_RATIO = 1.0
"""The precision/recall ratio of hark ethogram when neither a ratio nor a sensitivity is given."""


def _flags(*names: str, **more: Any) -> dict[str, Any]:
    return {"flags": names, **more}


def _as_in(request: type[Params], name: str, **default: Any) -> Any:
    """A job record's field that is the request's ``name``: its default, range and description,
    declared once (a copy: pydantic reads a field's info as its model's own); ``default=VALUE``
    where the record always holds what the request's None stands for."""
    field = copy(request.model_fields[name])
    return FieldInfo.merge_field_infos(field, Field(default["default"])) if default else field


class ClassifyRequest(Params):
    """``hark classify``: every parameter of :func:`hark.infer.classify.classify_recordings`."""

    recordings: list[Path] = Field(description="Recordings, or folders of recordings, to classify.", json_schema_extra={"argument": True})
    model: Path = Field(description="Model folder (written by hark train).", json_schema_extra=_flags("--model", "-m"))
    out: Path = Field(description="Folder for the probabilities.", json_schema_extra=_flags("--out", "-o"))
    checkpoint: str | None = Field(None, description=CHECKPOINT_HELP)
    engine: Literal["auto", "torch", "onnx"] = Field(
        "auto", description="torch (a checkpoint), onnx (MODEL/frozen.onnx) or auto (the frozen model when up to date)."
    )
    device: str = Field("auto", description=DEVICE_HELP)
    chunk_seconds: float | None = Field(None, gt=0, description="Seconds of audio per chunk (default: 2^20 samples); bounds memory.")
    priors: dict[str, float] | None = Field(
        None, description="Prevalence of a label where the recordings come from, LABEL=P (repeatable).",
        json_schema_extra=_flags("--prior", pairs=True),
    )  # fmt: skip
    channel: ChannelSelection = Field(0, description=CHANNEL_HELP, json_schema_extra={"metavar": CHANNEL_METAVAR})
    reader: str = Field("auto", description="Audio reader plugin (auto: by file ending; highpass: filtered).")
    reader_params: dict[str, Any] | None = Field(
        None, description="The audio reader's parameters (default: its own defaults).",
        json_schema_extra=_flags("--reader-param", pairs=True, cli_help="Audio reader parameter NAME=VALUE (repeatable)."),
    )  # fmt: skip
    move_old: bool = Field(
        False, description="Move probabilities of another model or checkpoint in OUT into OUT/oldfiles-<time>/ (default: refuse to mix them)."
    )
    window_overlap: float | None = Field(
        None, description="Clip models: overlap of neighbouring windows, a fraction in [0, 1) (default: the model's clip_overlap)."
    )
    aggregation: str | None = Field(
        None, description="Clip models: a file's probability per label is the mean or max over its windows (default: the model's clip_aggregation)."
    )

    def arguments(self) -> dict[str, Any]:
        """The request as the keyword arguments of ``classify_recordings`` and ``plan_classification``."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values["out_dir"] = values.pop("out")
        return values


class EthogramRequest(Params):
    """``hark ethogram``: every parameter of :func:`hark.infer.ethogram.ethograms`."""

    recordings: list[Path] | None = Field(
        None, description="Recordings (paths or names) classified into OUT (default: all of them).", json_schema_extra={"argument": True}
    )
    model: Path = Field(description="Model folder whose hark accuracy thresholds to apply.", json_schema_extra=_flags("--model", "-m"))
    out: Path = Field(description="Folder holding hark classify's probabilities; the CSVs go there too.", json_schema_extra=_flags("--out", "-o"))
    probabilities: Path | None = Field(
        None, description="Folder of hark classify's probabilities when they are not in OUT (default: OUT)."
    )
    ratio: float | None = Field(
        None, gt=0, description="Precision-recall ratio whose thresholds to use (hark accuracy computed them; default 1.0)."
    )
    sensitivity: Literal["high-recall", "balanced", "high-precision"] | None = Field(
        None, description="A preset ratio instead of --ratio: high-recall (0.5), balanced (1.0) or high-precision (2.0)."
    )
    dense: bool = Field(False, description="Use the thresholds hark congruence chose (accuracy/thresholds-dense.csv).")
    threshold: float | None = Field(
        None, ge=0, le=1,
        description="Dense models: the probability of sound (1 - p(background)) that makes a frame part of a syllable, instead of the model's thresholds.",
    )  # fmt: skip
    min_duration_ms: float | None = Field(None, ge=0, description="Dense models: drop syllables shorter than this (default 10).")
    fill_gap_ms: float | None = Field(None, ge=0, description="Dense models: join syllables separated by less than this (default 5).")
    min_score: float | None = Field(None, ge=0, le=1, description="Drop events whose score (peak or mean probability) is below this.")
    low_hz: float | None = Field(None, ge=0, description="Lowest frequency of the events' boxes (Hz; default: the model's lowest).")
    high_hz: float | None = Field(None, gt=0, description="Highest frequency of the events' boxes (Hz; default: the model's highest).")
    boxes: bool | None = Field(
        None, description="Measure each event's frequency bounds (default: a dense model's events, when their audio is found).",
        json_schema_extra=_flags("--boxes/--no-boxes"),
    )  # fmt: skip
    box_params: dict[str, Any] | None = Field(
        None, description="Frequency-bounds parameter NAME=VALUE (repeatable): threshold_db, min_snr_db, window_ms, floor_ms.",
        json_schema_extra=_flags("--box-param", pairs=True),
    )  # fmt: skip

    def chosen_ratio(self) -> float:
        """The ratio asked for: ``ratio``, else the ``sensitivity`` preset's, else :data:`DEFAULT_RATIO`."""
        from hark.errors import ParameterError

        if self.sensitivity is None:
            return DEFAULT_RATIO if self.ratio is None else self.ratio
        preset = SENSITIVITY_RATIOS[self.sensitivity]
        if self.ratio is not None and self.ratio != preset:
            raise ParameterError(
                "sensitivity", f"{{param}} {self.sensitivity} is ratio {preset:g}; give it or {{ratio}} {self.ratio:g}, not both", others=("ratio",)
            )
        return preset


class DenoiseRequest(Params):
    """``hark denoise``: every parameter of :func:`hark.infer.denoise.denoise_recordings`."""

    recordings: list[Path] = Field(description="Recordings, or folders of recordings, whose events to judge.", json_schema_extra={"argument": True})
    model: Path = Field(description="Denoiser folder (hark train --supervision events).", json_schema_extra=_flags("--model", "-m"))
    out: Path = Field(
        description="Folder of the events (hark ethogram's or hark detect's --out); <rec>-denoised.csv goes there.",
        json_schema_extra=_flags("--out", "-o"),
    )  # fmt: skip
    events: list[Path] | None = Field(
        None, description="CSV of events to judge instead of those found in OUT (repeatable; rows matched to recordings by wavfile)."
    )
    threshold: float | None = Field(
        None, description="Reject an event when the probability of the rejected label reaches this (default: when it is the most probable)."
    )
    ratio: float | None = Field(
        None, gt=0,
        description="Reject at the rejected label's threshold for this precision-recall ratio (hark accuracy DENOISER); above 1 rejects fewer.",
    )  # fmt: skip
    relabel: bool = Field(False, description="Give accepted events the denoiser's most probable call label (denoisers of several call types).")
    checkpoint: str | None = Field(None, description=CHECKPOINT_HELP)
    device: str = Field("auto", description=DEVICE_HELP)
    batch_size: int = Field(64, ge=1, description="Events' crops per model call (memory: about 6 MB per 64 crops of 100 ms at 250 kHz).")

    @field_validator("threshold")
    @classmethod
    def _a_probability(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value <= 1:
            raise ValueError("must lie in (0, 1]: a probability of the rejected label")
        return value


class EthogramJobParams(Params):
    """``ethogram``: one recording's predicted events (a record planned by
    :func:`hark.infer.ethogram.plan_ethograms`, run by :func:`hark.infer.ethogram.run_ethogram_job`)."""

    recording: str = Field(description="The recording's name, as hark classify wrote its probabilities.")
    output: str = Field(description="The predicted CSV to write (<rec>-predicted-<ratio>pr.csv).")
    probabilities: str = Field(description="Folder of hark classify's probabilities.")
    model: str = Field(description="Model folder whose thresholds to apply.")
    ratio: float = _as_in(EthogramRequest, "ratio", default=DEFAULT_RATIO)
    dense: bool = _as_in(EthogramRequest, "dense")
    segmentation: dict[str, Any] | None = Field(None, description="Dense models: hark.evaluate.segments.SegmentationParams.")
    min_score: float | None = _as_in(EthogramRequest, "min_score")
    audio: str | None = Field(None, description="The recording whose spectrogram gives the events' frequency bounds (None: no bounds).")
    # the planned search range of the bounds: the request's, else the model's
    low_hz: float | None = _as_in(EthogramRequest, "low_hz")
    high_hz: float | None = _as_in(EthogramRequest, "high_hz")
    box_params: dict[str, Any] | None = Field(None, description="hark.infer.boxes.BoxParams of the bounds.")
    frames: int = Field(0, ge=0, description="Rows of probabilities (the job's share of the progress).")


class DenoiseJobParams(Params):
    """``denoise``: one recording's verdicts (a record planned by
    :func:`hark.infer.denoise.plan_denoise_request`, run by :func:`hark.infer.denoise.run_denoise_job`)."""

    recording: str = Field(description="The recording whose events to judge.")
    output: str = Field(description="The CSV to write (<rec>-denoised.csv).")
    events_csv: str = Field(description="The CSV the events come from (its rows of this recording).")
    model: str = Field(description="Denoiser folder.")
    checkpoint: str | None = _as_in(DenoiseRequest, "checkpoint")
    device: str = _as_in(DenoiseRequest, "device")
    threshold: float | None = Field(None, description="The rejected label wins at this probability (None: when it is the most probable).")
    relabel: bool = _as_in(DenoiseRequest, "relabel")
    batch_size: int = _as_in(DenoiseRequest, "batch_size")
    frames: int = Field(0, ge=0, description="Samples of the recording (the job's share of the progress).")
    threads: int = Field(0, ge=0, description="CPU threads of the model (0: its default); a job's are its cores.")
