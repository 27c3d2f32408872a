"""``write_ethograms``: from probabilities to predicted events, at the thresholds of a chosen ratio.

``hark accuracy`` writes ``MODEL/accuracy/thresholds.csv`` (``label,ratio,threshold,precision,
recall``): for each label and precision-recall ratio, the probability threshold at which
precision / recall is that ratio on the validation data. A ratio of 1.0 balances false
alarms and misses; 2.0 prefers precision. ``hark congruence`` writes
``thresholds-dense.csv`` in the same form (``dense=True``).

The probabilities are read in blocks, so a recording of any length costs bounded memory;
runs of frames that cross a block's edge are joined, so the events are those of one pass
(:func:`hark.evaluate.events.probabilities_to_events`).

Dense models (``supervision`` "dense": column 0 is the background) are segmented instead
(:func:`hark.evaluate.segments.segment`): one event per syllable, where the probability of
sound, ``1 - p(background)``, reaches the sound threshold. That threshold is ``1 - t``, ``t``
being the background's threshold at ratio ``1 / R`` for ``--ratio R``: the background's
false positives are the sound's misses and its misses the sound's false alarms, so at
``R = 1`` sound precision equals sound recall, and a larger ``R`` makes the background
threshold lower, calling sound only where the model is surer (preferring precision, as
``R`` does for every other model). Without a background row (``thresholds-dense.csv``, which
``hark congruence`` writes per label) the labels' own thresholds decide what is sound.

Sensitivity presets name three ratios (:data:`SENSITIVITY_RATIOS`): ``high-recall`` 0.5,
``balanced`` 1.0 and ``high-precision`` 2.0, DeepSqueak's detection settings in hark's terms.
A ratio below 1 never finds fewer events than ``balanced``: its lower threshold can join
neighbouring calls into one run, so its events are compared with those of each preset ratio
between it and 1 (stricter first, :func:`not_fewer_events`): where one of its events spans
several of the stricter ones, those are kept instead, and stricter events it lacks are added.

``hark train`` writes a first ``thresholds.csv`` (the presets' ratios, for the checkpoint
used by default); ``hark accuracy`` rewrites it. The probabilities are calibrated (each
checkpoint's temperature, :mod:`hark.evaluate.calibration`) and the thresholds found on
calibrated probabilities, so probabilities computed before the model's calibration changed
are refused: classify them again.

Events of dense models are boxes: with the recording's audio at hand (its path on the
command line, or the one ``hark classify`` recorded), each event gets ``low_hz`` and
``high_hz`` from the spectrogram energy inside it (:mod:`hark.infer.boxes`), searched
between frequency cut-offs (default: the band the model's spectrogram keeps). Every event
carries a score (the run's peak probability; a syllable's mean probability of its label),
and ``min_score`` drops those below it.

The probabilities of one channel among several (``hark classify --channel all``,
``<rec>-ch<N>-probabilities.npy``) give that channel's ``<rec>-ch<N>-predicted-<ratio>pr.csv``,
whose rows carry the channel; a recording named without its probabilities' channel stands for
each of its channels (docs/channels.md).
"""

from __future__ import annotations

import glob
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hark.annotations.event import Event, Kind
from hark.annotations.naming import annotation_csv_name, split_channel
from hark.annotations.songexplorer import write_csv
from hark.audio.recording import Recording, open_recording
from hark.errors import HarkError, ParameterError
from hark.evaluate import report
from hark.evaluate.event_sets import not_fewer_events
from hark.evaluate.events import frames_to_samples, probability_runs
from hark.evaluate.points import events_as_points
from hark.evaluate.segments import SegmentationParams, segment
from hark.fileio import ensure_writable_dir
from hark.infer.boxes import BoxParams, check_cutoffs, model_band, with_frequency_bounds
from hark.infer.engines import config_digest
from hark.infer.probabilities import ProbabilitiesMeta, open_probabilities, read_meta
from hark.infer.requests import SENSITIVITY_RATIOS, EthogramJobParams, EthogramRequest
from hark.jobs.per_recording import run_per_recording
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import JobOutcome
from hark.models.store import ModelConfig, load_config, read_calibration
from hark.params import validate_params
from hark.train.supervisions import supervision_of

BLOCK_ROWS = 2**20  # rows of probabilities examined at a time

def sensitivity_ratio(sensitivity: str) -> float:
    """The precision/recall ratio of a sensitivity preset."""
    if sensitivity not in SENSITIVITY_RATIOS:
        raise HarkError(f"sensitivity {sensitivity!r}: expected one of {', '.join(SENSITIVITY_RATIOS)}")
    return SENSITIVITY_RATIOS[sensitivity]


class BoxSettings:
    """Whether and how events get frequency bounds: ``enabled`` None boxes a dense model's events
    when their audio is found, True requires it, False never boxes; cut-offs None: the model's band."""

    def __init__(self, enabled: bool | None = None, low_hz: float | None = None, high_hz: float | None = None, params: BoxParams | None = None):
        self.enabled, self.low_hz, self.high_hz, self.params = enabled, low_hz, high_hz, params or BoxParams()

    def cutoffs(self, config: ModelConfig) -> tuple[float, float]:
        """The band searched for bounds: the given cut-offs, else the model's spectrogram band."""
        low, high = model_band(config)
        low = low if self.low_hz is None else self.low_hz
        high = high if self.high_hz is None else self.high_hz
        return check_cutoffs(low, high, config.samplerate, f"{config.samplerate:g} Hz model: the frequency cut-offs")


def thresholds_path(model: str | Path, dense: bool = False) -> Path:
    return Path(model) / "accuracy" / ("thresholds-dense.csv" if dense else "thresholds.csv")


def read_thresholds(model: str | Path, ratio: float, dense: bool = False) -> dict[str, float]:
    """label -> threshold at ``ratio``; a missing file or ratio tells the user what to run."""
    path = thresholds_path(model, dense)
    remedy = "hark congruence (it writes this file)" if dense else f"hark accuracy {model} --ratio {ratio:g}"
    if not path.is_file():
        raise HarkError(f"{path}: no thresholds yet; run {remedy} first")
    rows = report.read_thresholds(path)
    try:
        return report.thresholds_at_ratio(rows, ratio)
    except HarkError as err:
        raise HarkError(f"{path}: {err}; run {remedy}") from None


@dataclass(frozen=True)
class EthogramResult:
    recording: str
    output: Path | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def write_ethograms(
    model: str | Path,
    recordings: Sequence[str | Path] | None,
    probabilities_dir: str | Path,
    out_dir: str | Path,
    ratio: float,
    dense: bool = False,
    segmentation: SegmentationParams | None = None,
    *,
    boxes: BoxSettings | None = None,
    min_score: float | None = None,
) -> list[Path]:
    """Write ``<rec>-predicted-<ratio>pr.csv`` in ``out_dir`` for each recording; returns the paths.

    ``recordings`` are paths or names of recordings classified into ``probabilities_dir``
    (``None``: all of them). Events carry their run's highest probability as the score; a
    dense model's syllables the mean probability of their label. ``segmentation`` (dense
    models only; None: the defaults) sets how syllables are made. ``boxes`` says whether
    and within which cut-offs events get frequency bounds (default: a dense model's events,
    when their audio is found); ``min_score`` drops events scored below it. Everything is
    checked before the first file is written. Here, one recording after another; see
    :func:`ethograms` for an :class:`~hark.infer.requests.EthogramRequest` run in processes or as jobs.
    """
    written = []
    for job in plan_ethograms(model, recordings, probabilities_dir, out_dir, ratio, dense, segmentation, boxes=boxes, min_score=min_score):
        result = run_ethogram_job(job)
        if not result.ok:
            raise HarkError(result.error)
        written.append(result.output)
    return written


def ethograms(
    request: EthogramRequest,
    *,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    cluster: ClusterSettings | str | None = None,
) -> list[EthogramResult]:
    """``hark ethogram``: the request's recordings' predicted events, one ``ethogram`` job per
    recording (:func:`hark.jobs.run_per_recording`: here, in ``workers`` local processes, or on
    ``cluster``); results in the order planned, a failure as a failed result."""
    jobs = plan_ethogram_request(request)
    return run_per_recording(
        jobs, run_ethogram_job, [job.frames for job in jobs], kind="ethogram", from_outcome=_result_of, workers=workers,
        progress=progress, cluster=cluster,
    )


def plan_ethogram_request(request: EthogramRequest) -> list[EthogramJobParams]:
    """The ``ethogram`` jobs of ``request`` (one per recording), everything checked first."""
    ratio = request.chosen_ratio()
    if request.boxes is False and (request.low_hz is not None or request.high_hz is not None or request.box_params):
        raise ParameterError(
            "boxes", "{low_hz}, {high_hz} and {box_params} set the frequency bounds that {param} turns off", others=("low_hz", "high_hz", "box_params")
        )
    try:
        box_params = validate_params(BoxParams, request.box_params, "{param}")
    except HarkError as err:  # named as the request's field: --box-param on the command line
        raise ParameterError("box_params", str(err)) from None
    probabilities = request.probabilities or request.out
    if not probabilities.is_dir():
        raise HarkError(f"{probabilities}: no such folder; run hark classify --model {request.model} --out {probabilities} REC... first")
    given = {"threshold": request.threshold, "min_duration_ms": request.min_duration_ms, "fill_gap_ms": request.fill_gap_ms}
    given = {name: value for name, value in given.items() if value is not None}
    segmentation = SegmentationParams(**given) if given else None
    return plan_ethograms(
        request.model, request.recordings or None, probabilities, request.out, ratio, request.dense, segmentation,
        boxes=BoxSettings(request.boxes, request.low_hz, request.high_hz, box_params), min_score=request.min_score,
    )  # fmt: skip


def _result_of(job: EthogramJobParams, outcome: JobOutcome) -> EthogramResult:
    """An ``ethogram`` job's outcome as the recording's result."""
    if outcome.ok:
        return EthogramResult(job.recording, Path(outcome.result["output"]))
    return EthogramResult(job.recording, None, outcome.error)


def plan_ethograms(
    model: str | Path,
    recordings: Sequence[str | Path] | None,
    probabilities_dir: str | Path,
    out_dir: str | Path,
    ratio: float,
    dense: bool = False,
    segmentation: SegmentationParams | None = None,
    *,
    boxes: BoxSettings | None = None,
    min_score: float | None = None,
) -> list[EthogramJobParams]:
    """Check everything :func:`write_ethograms` needs and return one job record per recording."""
    config = load_config(model)
    if min_score is not None and not 0 <= min_score <= 1:
        raise HarkError(f"minimum score {min_score:g} must lie between 0 and 1")
    boxes = boxes or BoxSettings()
    segmenting = supervision_of(config.supervision).dense  # dense models segment: their runs are syllables
    boxing = boxes.enabled is not False and config.kind == "frame" and (boxes.enabled or segmenting)
    cutoffs = boxes.cutoffs(config) if boxing else None
    if segmentation is not None and not segmenting:
        raise HarkError(f"{model} was trained with {config.supervision} supervision; segmentation settings apply to dense models only")
    segmentation = segmentation or SegmentationParams()
    _decision_rule(model, config, ratio, dense, segmentation)  # its thresholds must exist before anything is written
    calibration = read_calibration(model)
    digest = config_digest(config)
    paths = _recording_paths(recordings)
    names = _recording_names(recordings, probabilities_dir)
    out_dir = ensure_writable_dir(out_dir)
    jobs = []
    for name in names:
        meta, _ = read_meta(name, probabilities_dir)
        if meta.config_digest != digest or meta.output_names != list(config.output_names):
            raise HarkError(
                f"{probabilities_dir}: the probabilities of {name} come from another model ({meta.model}); "
                f"run hark classify --model {model} --out {probabilities_dir} {name} again"
            )
        calibrated = calibration.temperature(meta.checkpoint_step)
        if not math.isclose(meta.temperature, calibrated, rel_tol=1e-6):
            raise HarkError(
                f"{probabilities_dir}: the probabilities of {name} were computed at temperature {meta.temperature:.4g}, but "
                f"{model} is now calibrated at {calibrated:.4g} (its thresholds are for those probabilities); "
                f"run hark classify --model {model} --out {probabilities_dir} {name} again"
            )
        output = Path(out_dir) / annotation_csv_name(name, Kind.PREDICTED, ratio=float(ratio))
        audio = _audio_of(name, paths.get(split_channel(name)[0]), meta, required=bool(boxes.enabled)) if boxing else None
        jobs.append(EthogramJobParams(
            recording=name, output=str(output.absolute()), probabilities=str(Path(probabilities_dir).absolute()), model=str(Path(model).absolute()),
            ratio=float(ratio), dense=dense, segmentation=segmentation.model_dump(mode="json"), min_score=min_score,
            audio=None if audio is None else str(audio.path.absolute()), low_hz=None if cutoffs is None else cutoffs[0],
            high_hz=None if cutoffs is None else cutoffs[1], box_params=boxes.params.model_dump(mode="json"), frames=meta.frames,
        ))  # fmt: skip
    return jobs


def run_ethogram_job(job: EthogramJobParams, progress: Callable[[float], None] | None = None) -> EthogramResult:
    """One recording's predicted events, written to its CSV; a HarkError becomes a failed result."""
    try:
        model, probabilities_dir = Path(job.model), Path(job.probabilities)
        config = load_config(model)
        segmentation = validate_params(SegmentationParams, job.segmentation, "segmentation")  # a job spec may come from elsewhere
        segmenting = supervision_of(config.supervision).dense
        rule = _decision_rule(model, config, job.ratio, job.dense, segmentation)
        stricter = [] if segmenting and segmentation.threshold is not None else _stricter_rules(model, config, job.ratio, job.dense, segmentation)
        array, meta = open_probabilities(job.recording, probabilities_dir)
        events: list[Event] | None = None
        for each in [*stricter, rule]:  # from the strictest ratio to the one asked for
            found = _scored_at_least(each.ranges(array, meta, segmentation), job.min_score)
            events = found if events is None else not_fewer_events(found, events, per_label=meta.overlapped)
        # ranges merged first, then points: a pulse both ratios find is one point, not two
        events = _scored_at_least(rule.as_points(events, array, meta), job.min_score)
        if job.audio is not None and job.low_hz is not None and job.high_hz is not None:
            audio = _audio_of(job.recording, Path(job.audio), meta, required=True)
            events = with_frequency_bounds(events, audio, job.low_hz, job.high_hz, validate_params(BoxParams, job.box_params, "box_params"))
        channel = split_channel(job.recording)[1]  # one channel's probabilities among several
        if channel is not None:
            events = [event.with_(channel=channel) for event in events]
        write_csv(Path(job.output), events, extras=True)
    except HarkError as err:
        return EthogramResult(job.recording, None, str(err))
    if progress:
        progress(1.0)
    return EthogramResult(job.recording, Path(job.output))


@dataclass(frozen=True)
class _DecisionRule:
    """How the events of one ratio are made: the labels' thresholds, or a dense model's sound threshold."""

    thresholds: dict[str, float]
    sound: float | dict[str, float] | None
    point_labels: tuple[str, ...] = ()  # labels reported as points at peaks (annotated only as points)
    point_distance_ms: float = 10.0
    log_odds: bool = False  # peaks of the log-odds (sparse softmax models: see hark.evaluate.points)

    def ranges(self, array: np.ndarray, meta: ProbabilitiesMeta, segmentation: SegmentationParams) -> list[Event]:
        """The events before the point labels' ranges become points."""
        if self.sound is None:
            return predicted_events(array, meta, self.thresholds)
        return segmented_events(array, meta, self.sound, segmentation)

    def as_points(self, ranges: list[Event], array: np.ndarray, meta: ProbabilitiesMeta) -> list[Event]:
        if meta.kind == "clip" or not self.point_labels:
            return ranges
        return events_as_points(
            ranges, array, meta.output_names, self.point_labels, hop=meta.stride, offset=meta.offset,
            length=meta.recording_samples, min_distance=int(round(self.point_distance_ms / 1000 * meta.samplerate)),
            log_odds=self.log_odds,
        )  # fmt: skip


def _decision_rule(model: str | Path, config: ModelConfig, ratio: float, dense: bool, segmentation: SegmentationParams) -> _DecisionRule:
    segmenting = supervision_of(config.supervision).dense
    if segmenting and segmentation.threshold is not None:
        thresholds = {}
    elif segmenting and not dense:
        thresholds = _background_thresholds(model, ratio, config.output_names[0])
    else:
        thresholds = read_thresholds(model, ratio, dense)
    unknown = sorted(set(thresholds) - set(config.output_names))
    if unknown:
        raise HarkError(f"{thresholds_path(model, dense)} has thresholds for {unknown[0]!r}, which {model} does not output")
    points = point_labels_of(model)
    if not segmenting:
        # A sparse model's exclusive labels saturate (a sharpening temperature): their peaks are looked for in the log-odds.
        return _DecisionRule(thresholds, None, points, float(config.data.get("point_width_ms", 10.0)), log_odds=not config.overlapped)
    return _DecisionRule(thresholds, sound_threshold(thresholds, config.output_names, segmentation), points, float(config.data.get("point_width_ms", 10.0)))


def point_labels_of(model: str | Path) -> tuple[str, ...]:
    """The labels a dense or sparse model was trained on as points only (its ``dataset/summary.json``,
    written by ``hark train``; none for models trained before sparse models recorded them): its
    ethogram gives them as points at the probability's peaks, at least ``point_width_ms`` (the
    training's) apart (:mod:`hark.evaluate.points`)."""
    path = Path(model) / "dataset" / "summary.json"
    try:
        labels = json.loads(path.read_text(encoding="utf-8")).get("point_labels", [])
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(label for label in labels if isinstance(label, str))


def _stricter_rules(model, config: ModelConfig, ratio: float, dense: bool, segmentation: SegmentationParams) -> list[_DecisionRule]:
    """The rules of the preset ratios above ``ratio`` up to 1 (balanced), strictest first; those
    without thresholds are left out."""
    rules = []
    for stricter in sorted((r for r in SENSITIVITY_RATIOS.values() if ratio < r <= 1.0), reverse=True):
        try:
            rules.append(_decision_rule(model, config, stricter, dense, segmentation))
        except HarkError:
            continue
    return rules


def _scored_at_least(events: list[Event], min_score: float | None) -> list[Event]:
    return events if min_score is None else [e for e in events if e.score is None or e.score >= min_score]


def _recording_paths(recordings: Sequence[str | Path] | None) -> dict[str, Path]:
    """Name -> path of the recordings given as existing files (their audio is at hand)."""
    return {Path(r).name: Path(r) for r in recordings or () if Path(r).is_file()}


def _audio_of(name: str, path: Path | None, meta: ProbabilitiesMeta, required: bool) -> Recording | None:
    """The recording whose probabilities ``meta`` describes: ``path``, else where hark classify read it.

    Read the way classify read it (channel, reader); it must have the length classify saw.
    None when it is nowhere to be found, unless ``required``.
    """
    extra = meta.extra or {}
    if path is None and extra.get("recording_path") and Path(extra["recording_path"]).is_file():
        path = Path(extra["recording_path"])
    if path is None:
        if required:
            raise HarkError(f"{name}: frequency bounds need its audio; give the recording's path (not only its name)")
        return None
    recording = open_recording(path, channel=int(extra.get("channel", 0)), reader=extra.get("reader", "auto"), reader_params=extra.get("reader_params"))
    if recording.samplerate != meta.samplerate or recording.frames != meta.recording_samples:
        raise HarkError(
            f"{path}: {recording.frames} samples at {recording.samplerate} Hz, but the probabilities of {name} were "
            f"computed from {meta.recording_samples} at {meta.samplerate} Hz; give the recording that was classified"
        )
    return recording


def predicted_events(array: np.ndarray, meta: ProbabilitiesMeta, thresholds: dict[str, float]) -> list[Event]:
    """The events of one recording's probabilities (``(frames, outputs)``, possibly memory-mapped)."""
    labels = list(meta.output_names)
    limits = [thresholds.get(label, math.nan) for label in labels]  # no threshold: no events
    exclusive = not meta.overlapped
    runs: list[list[tuple[int, int, float]]] = [[] for _ in labels]
    for first in range(0, len(array), BLOCK_ROWS):
        block = np.asarray(array[first : first + BLOCK_ROWS])
        for c, label_runs in enumerate(probability_runs(block, labels, limits, exclusive=exclusive)):
            for start, stop, peak in zip(label_runs.starts.tolist(), label_runs.stops.tolist(), label_runs.peaks.tolist()):
                start, stop = start + first, stop + first
                if runs[c] and runs[c][-1][1] == start:  # a run cut by the block's edge
                    previous = runs[c].pop()
                    start, peak = previous[0], max(previous[2], peak)
                runs[c].append((start, stop, peak))
    events = []
    for label, label_runs in zip(labels, runs):
        if not label_runs:
            continue
        starts, stops, peaks = (np.array(column) for column in zip(*label_runs))
        if meta.kind == "clip":  # the single row stands for the whole recording
            spans = np.array([[0, meta.recording_samples]] * len(starts))
        else:
            spans = frames_to_samples(starts, stops, meta.stride, meta.offset, meta.recording_samples)
        for (start, stop), peak in zip(spans.tolist(), peaks.tolist()):
            if stop > start:
                events.append(Event(meta.recording, start, stop, Kind.PREDICTED, label, score=peak))
    events.sort(key=lambda e: (e.start, e.stop, e.label))
    return events


def _background_thresholds(model: str | Path, ratio: float, background: str) -> dict[str, float]:
    """The thresholds at ``1 / ratio`` when they hold the background's (see the module doc), else at ``ratio``."""
    path = thresholds_path(model)
    rows = report.read_thresholds(path) if path.is_file() else []
    if not any(row.label == background for row in rows):
        return read_thresholds(model, ratio)  # the usual thresholds, or the usual error
    try:
        return report.thresholds_at_ratio(rows, 1 / ratio)
    except HarkError as err:
        raise HarkError(
            f"{path}: {err}; run hark accuracy {model} --ratio {1 / ratio:g} "
            f"(a dense model's --ratio {ratio:g} uses the {background} threshold at ratio {1 / ratio:g})"
        ) from None


def sound_threshold(thresholds: dict[str, float], output_names: Sequence[str], params: SegmentationParams) -> float | dict[str, float]:
    """A dense model's sound threshold (see the module doc), or per-label thresholds without a background row.

    ``thresholds`` are those at ratio ``1 / R`` when they come from ``hark accuracy``.
    """
    if params.threshold is not None:
        return params.threshold
    background = output_names[0]
    if background in thresholds:
        return 1.0 - thresholds[background]  # NaN stays NaN: no syllables
    return {label: value for label, value in thresholds.items() if label != background}


def segmented_events(array: np.ndarray, meta: ProbabilitiesMeta, sound: float | dict[str, float], params: SegmentationParams) -> list[Event]:
    """The syllables of one recording's dense probabilities (column 0 the background), read in blocks."""
    return segment(
        array, meta.output_names, threshold=sound, recording=meta.recording, samplerate=meta.samplerate, hop=meta.stride,
        offset=meta.offset, length=meta.recording_samples, min_duration_ms=params.min_duration_ms,
        fill_gap_ms=params.fill_gap_ms, block_rows=BLOCK_ROWS,
    )  # fmt: skip


def _recording_names(recordings: Sequence[str | Path] | None, probabilities_dir: str | Path) -> list[str]:
    folder = Path(probabilities_dir)
    if not recordings:
        found = sorted(p.name[: -len("-probabilities.json")] for p in folder.glob("*-probabilities.json"))
        if not found:
            raise HarkError(f"{folder}: holds no probabilities; run hark classify --model MODEL --out {folder} REC... first")
        return found
    names = []
    for recording in recordings:
        path = Path(recording)
        if path.is_dir():
            raise HarkError(f"{path}: is a folder; give recordings (or none: every recording classified into {folder})")
        names.extend(_classified_names(path.name, folder))
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise HarkError(f"two recordings named {sorted(duplicates)[0]} would write the same CSV")
    return names


def _classified_names(name: str, folder: Path) -> list[str]:
    """What ``name`` stands for in ``folder``: itself when it has probabilities there (or none of its
    channels has: the usual error follows), else each of its channels' (``song.wav-ch0``, ...)."""
    if (folder / f"{name}-probabilities.json").is_file():
        return [name]
    channels = []
    for meta_path in folder.glob(f"{glob.escape(name)}-ch*-probabilities.json"):
        recording, channel = split_channel(meta_path.name[: -len("-probabilities.json")])
        if recording == name and channel is not None:
            channels.append(channel)
    return [f"{name}-ch{channel}" for channel in sorted(channels)] or [name]
