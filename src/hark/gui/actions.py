"""The GUI's actions: which declared parameter models make up each form, and the jobs they start.

An action's form has one section per parameter model: the request models from which the
commands' options are generated too (``DetectRequest``, ``ClassifyRequest``, ``EthogramRequest``,
``DenoiseRequest``), the models the command line and job kinds already declare
(``DataParams``, ``TrainParams``, a detector's ``Params``, ``AccuracyJobParams``, ...), plus,
where a command takes files, a small model of those files. :func:`plan_action` validates every
section, resolves every path inside the data folder (:meth:`hark.gui.paths.DataFolder.resolve`)
and plans the jobs with the same library functions as the commands (``plan_detection``,
``plan_classification``, ``plan_ethogram_request``, ``plan_denoise_request``, then
:func:`hark.jobs.recording_jobs`; ``train_job_spec``), so a mistake is reported before
anything starts and the GUI submits the very jobs that ``--cluster`` submits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo

from hark.errors import HarkError, ParameterError
from hark.gui.forms import parse_form
from hark.gui.paths import DataFolder, confine_nested_paths
from hark.jobs.per_recording import recording_jobs
from hark.jobs.spec import Job, job_kinds
from hark.params import Params, validate_request
from hark.train.jobs import TrainJobParams


class TrainFolders(Params):
    """Folders for hark train: the train job's own fields (declared once, in hark.train.jobs), the
    ground truth defaulting to the data folder itself."""

    data_root: str = FieldInfo.merge_field_infos(
        copy(TrainJobParams.model_fields["data_root"]), Field(default=".", description="Ground-truth folder (inside the data folder).")
    )
    out: str = copy(TrainJobParams.model_fields["out"])
    restore: str | None = copy(TrainJobParams.model_fields["restore"])


class ActivationFolders(Params):
    """Folders for hark activations."""

    model: str = Field(description="Model folder written by hark train.")
    data_root: str = Field(".", description="Ground-truth folder whose events to embed.")
    out: str = Field("activations", description="Folder for the activations.")
    checkpoint: str | None = Field(None, description="A step, best or last (default: best, else last).")


class ClusterFolders(Params):
    """Folders for hark cluster."""

    activations: str = Field("activations", description="Folder written by hark activations.")
    out: str | None = Field(None, description="Folder for the map (default: the activations folder).")
    figure: bool = Field(True, description="Also draw the map as cluster-<layer>.png.")


@dataclass(frozen=True)
class Section:
    """One part of a form: a parameter model, and which of its fields are paths in the data folder."""

    key: str
    title: str
    model: type[Params]
    paths: tuple[str, ...] = ()
    # named groups of fields shown open, in this order; the fields no group names follow in a
    # collapsed "advanced" group (no groups: every field shown open)
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # list fields whose entries hold commas themselves (a grid's NAME=V1,V2): entries are separated by ";"
    semicolon_lists: tuple[str, ...] = ()

    def split_entries(self, texts: dict[str, Any]) -> dict[str, Any]:
        """``texts`` with each semicolon list given as JSON (``a=1,2; b=3`` -> ``["a=1,2", "b=3"]``)."""
        out = dict(texts)
        for name in self.semicolon_lists:
            text = out.get(name)
            if isinstance(text, str) and text.strip() and not text.strip().startswith("["):
                out[name] = json.dumps([entry.strip() for entry in text.split(";") if entry.strip()])
        return out

    def grouped(self, names: list[str]) -> list[tuple[str, list[str], bool]]:
        """``names`` (the form's fields, in order) as (group title, field names, open) triples."""
        if not self.groups:
            return [(self.title, names, True)]
        listed = {name for _, members in self.groups for name in members}
        out = [(title, [n for n in names if n in members or n.partition(".")[0] in members], True) for title, members in self.groups]
        rest = [n for n in names if n not in listed and n.partition(".")[0] not in listed]
        if rest:
            out.append((f"advanced: {self.title.lower()}", rest, False))
        return [group for group in out if group[1]]


JobMaker = Callable[[dict[str, Any], DataFolder, Callable[[str], Path]], list[Job]]


@dataclass(frozen=True)
class Action:
    """A button of the Actions tab; ``sections()`` imports the models only when the form is opened."""

    name: str
    description: str
    sections: Callable[[], tuple[Section, ...]]
    make_jobs: JobMaker


def resolve_paths(section: Section, params: Params, folder: DataFolder) -> dict[str, Any]:
    """``params`` as a table, each path field made absolute and checked to lie inside the data folder."""
    values = params.model_dump(mode="json")
    for name in section.paths:
        value = values.get(name)
        what = f"{section.key}.{name}"
        if isinstance(value, list):
            values[name] = [str(folder.resolve(v, what=what)) for v in value]
        elif value is not None:
            values[name] = str(folder.resolve(value, what=what))
    return values


def plan_action(action: Action, texts: dict[str, dict[str, Any]], folder: DataFolder, log_for: Callable[[str], Path]) -> list[Job]:
    """Validate every section's texts and plan the jobs; any mistake is one HarkError, before anything runs."""
    sections = action.sections()
    checked = {section.key: parse_form(section.model, section.split_entries(texts.get(section.key, {})), f"{action.name} {section.key}")
               for section in sections}  # fmt: skip
    # paths inside the models (a .pt checkpoint, transfer.models) are kept in the data folder too
    checked = {key: confine_nested_paths(model, folder, key) for key, model in checked.items()}
    # "key" holds a section's checked model, "key@" its values with absolute paths
    resolved = {f"{section.key}@": resolve_paths(section, checked[section.key], folder) for section in sections}
    try:
        jobs = action.make_jobs({**checked, **resolved}, folder, log_for)
    except ParameterError as err:
        raise HarkError(in_form_terms(err, sections), param=err.param) from None
    if not jobs:
        raise HarkError(f"{action.name}: nothing to do")
    return jobs


# library parameters that the forms' fields spell otherwise (the function's name -> the field's)
FIELD_NAMES = {"out_dir": "out"}


def in_form_terms(error: ParameterError, sections: tuple[Section, ...]) -> str:
    """``error``'s message with each parameter named as the form's field (``files.device``)."""
    fields = {name: f"{section.key}.{name}" for section in sections for name in section.model.model_fields}
    return error.phrased(lambda name: fields.get(name) or fields.get(FIELD_NAMES.get(name, ""), name))


def _recordings_in(paths: list[str], folder: DataFolder) -> list[Path]:
    """Recordings named directly, and every recording inside a named folder (recursively)."""
    from hark.audio import find_recordings

    # a recording reached through a link out of the data folder is refused by folder.resolve
    return [folder.resolve(p) for p in find_recordings(paths, folder.relative)]


def _detect_jobs(checked, folder, log_for) -> list[Job]:
    from hark.detect.run import DetectRequest, plan_detection

    files = checked["files@"]
    request = {**files, "recordings": _recordings_in(files["recordings"], folder), "params": checked["detector"].model_dump(mode="json")}
    planned = plan_detection(validate_request(DetectRequest, request))
    return recording_jobs("detect", planned, lambda job: f"detect {folder.relative(job.recording)}", lambda job: log_for("detect"))


def _train_jobs(checked, folder, log_for) -> list[Job]:
    from hark.train.jobs import train_job_spec

    folders = checked["folders@"]
    return [train_job_spec(folders["data_root"], checked["data"], checked["training"], folders["out"], folders["restore"],
                           name=f"train {folder.relative(folders['out'])}", log=log_for("train"))]  # fmt: skip


def _classify_jobs(checked, folder, log_for) -> list[Job]:
    from hark.infer.classify import for_workers, plan_classification
    from hark.infer.requests import ClassifyRequest

    files = checked["files@"]
    request = validate_request(ClassifyRequest, {**files, "recordings": _recordings_in(files["recordings"], folder)})
    planned, opened = plan_classification(**request.arguments())
    del opened
    return recording_jobs("classify", for_workers(planned, request.device), lambda job: f"classify {folder.relative(job.recording)}",
                          lambda job: log_for("classify"))  # fmt: skip


def _classify_sections() -> tuple[Section, ...]:
    from hark.infer.requests import ClassifyRequest

    return (Section("files", "Model and recordings", ClassifyRequest, ("model", "recordings", "out")),)


def _denoise_sections() -> tuple[Section, ...]:
    from hark.infer.requests import DenoiseRequest

    return (Section("denoise", "Denoiser and recordings", DenoiseRequest, ("model", "recordings", "out", "events")),)


def _denoise_jobs(checked, folder, log_for) -> list[Job]:
    from hark.infer.denoise import plan_denoise_request
    from hark.infer.requests import DenoiseRequest

    values = checked["denoise@"]
    planned, opened = plan_denoise_request(validate_request(DenoiseRequest, {**values, "recordings": _recordings_in(values["recordings"], folder)}))
    del opened
    return recording_jobs("denoise", planned, lambda job: f"denoise {folder.relative(job.recording)}", lambda job: log_for("denoise"))


def _ethogram_sections() -> tuple[Section, ...]:
    from hark.infer.requests import EthogramRequest

    return (Section("ethogram", "Ethogram", EthogramRequest, ("model", "out", "probabilities", "recordings")),)


def _ethogram_jobs(checked, folder, log_for) -> list[Job]:
    from hark.infer.ethogram import plan_ethogram_request
    from hark.infer.requests import EthogramRequest

    planned = plan_ethogram_request(validate_request(EthogramRequest, checked["ethogram@"]))
    return recording_jobs("ethogram", planned, lambda job: f"ethogram {job.recording}", lambda job: log_for("ethogram"))


def _single(kind: str, section: str, name_field: str) -> JobMaker:
    """An action whose one section is its job kind's own parameter model."""

    def make(checked, folder, log_for) -> list[Job]:
        params = checked[f"{section}@"]
        return [Job(kind, dict(params), f"{kind} {folder.relative(params[name_field])}", log_for(kind))]

    return make


def _activations_jobs(checked, folder, log_for) -> list[Job]:
    folders = checked["folders@"]
    params = {**folders, "params": checked["activations"].model_dump(mode="json")}
    return [Job("activations", params, f"activations {folder.relative(folders['out'])}", log_for("activations"))]


def _cluster_jobs(checked, folder, log_for) -> list[Job]:
    folders = checked["folders@"]
    params = {**folders, "params": checked["cluster"].model_dump(mode="json")}
    return [Job("cluster", params, f"cluster {folder.relative(folders['activations'])}", log_for("cluster"))]


def _detect_sections() -> tuple[Section, ...]:
    from hark.detect import detectors
    from hark.detect.run import DetectRequest

    return (Section("files", "Recordings", DetectRequest, ("recordings", "out")),
            Section("detector", "Detector (time-freq-threshold)", detectors.get("time-freq-threshold").Params))  # fmt: skip


def _train_sections() -> tuple[Section, ...]:
    from hark.train.data import DataParams
    from hark.train.params import TrainParams

    return (Section("folders", "Folders", TrainFolders, ("data_root", "out", "restore")),
            Section("data", "Training data", DataParams, groups=(("data", TRAIN_DATA_FIELDS),)),
            Section("training", "Training", TrainParams, groups=(("model", TRAIN_MODEL_FIELDS), ("training", TRAIN_STEP_FIELDS))))  # fmt: skip


# the train form's open groups; every other field of DataParams and TrainParams is under "advanced"
TRAIN_DATA_FIELDS = ("labels", "kinds", "supervision", "overlapped", "validation_percent", "annotators", "augmentations")
TRAIN_MODEL_FIELDS = ("architecture", "architecture_params", "transfer")
TRAIN_STEP_FIELDS = ("steps", "learning_rate", "batch_size", "validation_period", "device")


def _job_section(kind: str, paths: tuple[str, ...]) -> Callable[[], tuple[Section, ...]]:
    """The form of an action that is one job of ``kind``: its kind's parameter model."""

    def sections() -> tuple[Section, ...]:
        return (Section(kind, kind.capitalize(), job_kinds.get(kind).params, paths),)

    return sections


def _activations_sections() -> tuple[Section, ...]:
    from hark.embed.activations import ActivationParams  # loads torch: only when this form is opened

    return (Section("folders", "Folders", ActivationFolders, ("model", "data_root", "out")), Section("activations", "Sounds", ActivationParams))


def _cluster_sections() -> tuple[Section, ...]:
    from hark.embed.cluster import ClusterParams

    return (Section("folders", "Folders", ClusterFolders, ("activations", "out")), Section("cluster", "Map", ClusterParams))


def _with_params(kind: str, files_title: str, paths: tuple[str, ...], params_section: tuple[str, str, Callable[[], type[Params]]],
                 listed: tuple[str, ...] = ()) -> tuple[Callable[[], tuple[Section, ...]], JobMaker]:  # fmt: skip
    """An action that is one job of ``kind`` whose model holds files and a ``params`` table of the
    stage's own parameter model (``CallStatsParams``, ...): a form section for each.
    ``listed``: path fields that may name folders of recordings (expanded to the recordings)."""
    key, title, model_of = params_section

    def sections() -> tuple[Section, ...]:
        return (Section("files", files_title, job_kinds.get(kind).params, paths), Section(key, title, model_of()))

    def make(checked, folder, log_for) -> list[Job]:
        files = dict(checked["files@"])
        for name in listed:
            files[name] = [str(p) for p in _recordings_in(files[name], folder)]
        params = {**files, "params": checked[key].model_dump(mode="json")}
        return [Job(kind, params, f"{kind} {folder.relative(files['out'])}", log_for(kind))]

    return sections, make


def _named_by_list(kind: str, list_field: str) -> JobMaker:
    """An action that is one job of ``kind`` named by the first entry of a list field (``compare RUN``)."""

    def make(checked, folder, log_for) -> list[Job]:
        params = checked[f"{kind}@"]
        first = params[list_field][0]
        more = f" (+{len(params[list_field]) - 1})" if len(params[list_field]) > 1 else ""
        return [Job(kind, dict(params), f"{kind} {folder.relative(first)}{more}", log_for(kind))]

    return make


def _calls_model():
    from hark.calls.stats import CallStatsParams

    return CallStatsParams


def _syntax_model():
    from hark.calls.syntax import SyntaxParams

    return SyntaxParams


def _embed_model():
    from hark.embed.index import EmbedParams

    return EmbedParams


_CALLS = _with_params("calls", "Recordings", ("recordings", "out", "events"), ("measure", "Measurement", _calls_model), ("recordings",))
_SYNTAX = _with_params("syntax", "Inputs", ("inputs", "out"), ("bouts", "Bouts", _syntax_model))
_EMBED = _with_params("embed", "Model and recordings", ("recordings", "model", "out"), ("embedding", "Embedding", _embed_model))


# the validation forms' open groups; every other option of the request is under "advanced"
VALIDATION_GROUPS = (
    ("data", ("data", "labels", "out", "kinds", "supervision", "folds", "omit", "recordings", "partitions", "replicates", "grid")),
    ("training", ("architecture", "architecture_params", "steps", "batch_size", "validation_period", "learning_rate", "device", "checkpoint")),
)


def _validation(kind: str) -> tuple[Callable[[], tuple[Section, ...]], JobMaker]:
    """hark xvalidate or hark generalize: a form of the command's request, one job that trains and sums up its models."""

    def sections() -> tuple[Section, ...]:
        from hark.train import requests

        model = requests.XValidateRequest if kind == "xvalidate" else requests.GeneralizeRequest
        return (Section(kind, "Validation", model, ("data", "out"), groups=VALIDATION_GROUPS, semicolon_lists=("grid",)),)

    def make(checked, folder, log_for) -> list[Job]:
        values = checked[f"{kind}@"]
        return [Job(kind, {"request": values}, f"{kind} {folder.relative(values['out'])}", log_for(kind))]

    return sections, make


def _suggest_sections() -> tuple[Section, ...]:
    from hark.infer.suggest_request import SuggestRequest

    return (Section("suggest", "Model and recordings", SuggestRequest, ("recordings", "model", "out")),)


def _suggest_jobs(checked, folder, log_for) -> list[Job]:
    values = checked["suggest@"]
    return [Job("suggest", {"request": values}, f"suggest {folder.relative(values['out'])}", log_for("suggest"))]


# name, what it does, its form's sections (imported only when the form is opened), its jobs
ACTIONS: tuple[Action, ...] = (
    Action("detect", "Find candidate sounds with time and frequency thresholds.", _detect_sections, _detect_jobs),
    Action("train", "Train a model on the annotations of a ground-truth folder.", _train_sections, _train_jobs),
    Action("accuracy", "Evaluate a model's checkpoints on its validation sounds.",
           _job_section("accuracy", ("model",)), _single("accuracy", "accuracy", "model")),
    Action("freeze", "Export a model to ONNX.", _job_section("freeze", ("model",)), _single("freeze", "freeze", "model")),
    Action("classify", "Run a model over recordings: probabilities per frame.", _classify_sections, _classify_jobs),
    Action("ethogram", "Turn probabilities into predicted events.", _ethogram_sections, _ethogram_jobs),
    Action("denoise", "Mark detected or predicted events accepted or rejected with a denoiser.", _denoise_sections, _denoise_jobs),
    Action("suggest", "Which sounds to annotate next, most useful first (the review can order by it).", _suggest_sections, _suggest_jobs),
    Action("misses", "Detected sounds that no prediction covers.",
           _job_section("misses", ("recordings", "out")), _single("misses", "misses", "out")),
    Action("activations", "Hidden-layer activations of chosen sounds, for the cluster view.", _activations_sections, _activations_jobs),
    Action("cluster", "Map activations to 2-D or 3-D (UMAP, t-SNE, PCA).", _cluster_sections, _cluster_jobs),
    Action("congruence", "Agreement between annotators and a model.",
           _job_section("congruence", ("truth", "predictions", "out")), _single("congruence", "congruence", "predictions")),
    Action("xvalidate", "k-fold cross-validation: a model per fold, scored on its fold, summed up.", *_validation("xvalidate")),
    Action("generalize", "Models that each withhold whole recordings, scored on what they withheld.", *_validation("generalize")),
    Action("compare", "Cross-validation runs side by side: accuracy against parameters.",
           _job_section("compare", ("runs", "out")), _named_by_list("compare", "runs")),
    Action("ensemble", "Average several models into one model folder.", _job_section("ensemble", ("models", "out")),
           _single("ensemble", "ensemble", "out")),
    Action("calls", "Call statistics per recording: duration, frequencies, slope, ... (DeepSqueak's).", *_CALLS),
    Action("syntax", "Bouts and first-order transitions of call types.", *_SYNTAX),
    Action("resample", "Recordings at one sample rate, their CSVs' times scaled.", _job_section("resample", ("paths", "out")),
           _single("resample", "resample", "out")),
    Action("embed", "Embed every stretch of recordings into an index to search by example.", *_EMBED),
    Action("search", "The indexed sounds most like an example sound, as a CSV of found events.",
           _job_section("search", ("index", "recording", "out", "model")), _single("search", "search", "out")),
)  # fmt: skip
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}
