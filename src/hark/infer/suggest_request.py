"""The request of ``hark suggest``: every parameter, declared once with its default, range and description.

The command's options (:mod:`hark.cli.requests`) are generated from :class:`SuggestRequest`;
:class:`SuggestParams` is its part that says how candidates are found and ranked (what
:func:`hark.infer.suggest.suggest_sounds` takes besides the model, the recordings and the
output folder). This module imports only pydantic: building ``hark --help`` must not load torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from hark.params import Params


class SuggestParams(Params):
    """How ``hark suggest`` finds candidate sounds and ranks them (docs/annotate-less.md)."""

    budget: int = Field(20, ge=1, le=1_000_000, description="Sounds to suggest, over all the recordings.")
    seed: int = Field(1, ge=0, description="Seed of the tie-breaking order and of the annotated sounds drawn for novelty.")
    ratio: float = Field(1.0, gt=0, le=100, description="Precision/recall ratio of the model's thresholds (0.5, 1 or 2 after hark train).")
    candidate_fraction: float = Field(
        0.5, gt=0, le=1, description="Candidates: stretches where a label's probability exceeds this fraction of its threshold."
    )
    near_threshold_weight: float = Field(1.0, ge=0, description="Weight of closeness to the threshold.")
    disagreement_weight: float = Field(1.0, ge=0, description="Weight of disagreement between replicates.")
    novelty_weight: float = Field(0.5, ge=0, description="Weight of distance in embedding space to the annotated sounds.")
    diversity: float = Field(0.5, ge=0, le=10, description="Penalty on a candidate's similarity to those already picked (0: none).")
    labels: list[str] | None = Field(
        None,
        description="Labels to suggest sounds of, comma-separated (default: every output but a dense model's background).",
        json_schema_extra={"commas": True},
    )
    detected: bool = Field(
        True, description="Also rank the sounds of <rec>-detected.csv files beside the recordings.", json_schema_extra={"flags": ("--detected/--no-detected",)}
    )
    detector: str | None = Field(
        None, description="Also rank the sounds this detector plugin finds in the recordings (as hark detect --detector; default: none run).",
        json_schema_extra={"flags": ("--detector", "-d")},
    )  # fmt: skip
    detector_params: dict[str, Any] = Field(
        default_factory=dict, description="The detector's parameters (default: its own defaults).",
        json_schema_extra={"flags": ("--detector-param", "-p"), "pairs": True, "cli_help": "Detector parameter NAME=VALUE (repeatable)."},
    )  # fmt: skip
    max_annotated: int = Field(2000, ge=1, le=1_000_000, description="Annotated sounds embedded for novelty at most (drawn with the seed).")
    checkpoint: str | None = Field(None, description="Checkpoint: a step, best or last (default: best, else last).")
    device: str = Field("auto", description="auto (a GPU when there is one), cpu, cuda or cuda:N.")

    @field_validator("labels", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()] or None
        return value


class SuggestRequest(SuggestParams):
    """``hark suggest``: every parameter of :func:`hark.infer.suggest.suggest`."""

    recordings: list[Path] = Field(description="Recordings, or folders of recordings (searched recursively).", json_schema_extra={"argument": True})
    model: Path = Field(
        description="Model folder (hark train; thresholds from hark train or hark accuracy), or a folder of its replicates (hark train --replicates).",
        json_schema_extra={"flags": ("--model", "-m")},
    )
    out: Path = Field(
        description="Folder for the <rec>-suggested.csv files (the recordings' folder: the GUI's review reads them).",
        json_schema_extra={"flags": ("--out", "-o")},
    )

    def params(self) -> SuggestParams:
        """The part that says how to find and rank candidates."""
        return SuggestParams.model_validate({name: getattr(self, name) for name in SuggestParams.model_fields})
