"""``classify_recordings``: a model's probabilities over time for recordings of any length.

Everything is checked before any work starts (the model folder and its checkpoint or frozen
export, every recording's sample rate and channel, the priors, the output folder), so a
mistake costs seconds, not the first hour of a batch. Then each recording is streamed in
chunks: chunk ``i`` begins at ``i * size`` (``size`` a multiple of the stride) and reads
``context - stride`` samples more, so its frames are exactly the frames ``i * size / stride``
onwards of a single pass over the whole recording. Each chunk is cut into equal pieces that
overlap the same way and run as one batch; on a CPU two chunks are in the model at once
(:mod:`hark.infer.parallel_chunks`), with the same rows. Memory is bounded by the chunk, whatever the
recording's length; the rows go straight into the memory-mapped output (see
:mod:`hark.infer.probabilities`). Several channels of a recording (``channel`` a list or
``all``) are classified each on its own, into ``<rec>-ch<N>-probabilities.npy`` (docs/channels.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from hark.annotations.naming import channel_stem, split_channel
from hark.audio.channel_group import open_channels
from hark.audio.channels import chosen_channels
from hark.audio.recording import Recording, open_recording
from hark.dsp.clip_windows import hop_of
from hark.errors import HarkError, ParameterError
from hark.fileio import check_free_space, ensure_writable_dir, sweep_stale_temporaries
from hark.infer.boxes import model_band
from hark.infer.clip_windows import check_window_settings, clip_rows, windows_path, write_predictions
from hark.infer.auto_freeze import AUTO_FREEZE_MIN_SAMPLES, freeze_if_it_pays
from hark.infer.engines import Engine, EngineName, ModelSpec, TorchEngine, open_engine
from hark.infer.parallel_chunks import chunks_in_flight, engine_for_chunks, in_order
from hark.infer.video_classify import check_movies, needs_video, stream_video_frames
from hark.infer.priors import prior_weights, reweight, training_prevalences
from hark.infer.probabilities import (
    ProbabilitiesMeta,
    array_bytes,
    describe_model,
    move_aside,
    outputs_of_other_models,
    probabilities_paths,
    probabilities_writer,
)
from hark.infer.requests import ClassifyRequest
from hark.jobs.per_recording import run_per_recording
from hark.jobs.settings import ClusterSettings
from hark.jobs.spec import JobOutcome
from hark.models.channels import trained_channels
from hark.models.store import load_config

# Samples of new audio per chunk when not given: long enough that the overlap between chunks
# costs little, short enough that a spectrogram model's activations stay far below 1 GB (the USV
# calls detector: about 90 MB a chunk at 250 and at 500 kHz alike, its spectrogram's rows growing
# as its frames shrink; docs/performance.md). Where the chunks in flight would not fit in the memory
# there is, a shorter one is chosen (:func:`fitting_chunk_samples`).
DEFAULT_CHUNK_SAMPLES = 2**20
# The shortest chunk memory may choose, in contexts: below it the overlap each chunk reads again
# costs more than a tenth of the work, and a machine that cannot hold it should refuse instead.
MIN_CHUNK_OVER_CONTEXT = 8
# Each piece of a batch reads at least this many times its overlap in new samples: the overlap is
# computed twice, so 16 keeps it near 6% (4 cost the USV calls detector 21% more work and 5-25%
# of its speed across runs; docs/performance.md). Pieces change the results by rounding only.
MIN_PIECE_OVER_OVERLAP = 16


@dataclass(frozen=True)
class ClassificationJob:
    """One recording to classify; plain data, so it can be sent to another process."""

    recording: Path
    output: Path
    samples: int
    model: Path
    checkpoint: str | None
    engine: str  # "torch" or "onnx", already chosen
    device: str
    chunk_samples: int
    priors: dict[str, float] | None
    channel: int = 0
    reader: str = "auto"
    reader_params: dict[str, Any] | None = None
    threads: int = 0
    window_overlap: float | None = None  # clip models: overlap of neighbouring windows (None: the model's clip_overlap)
    aggregation: str | None = None  # clip models: mean or max of the windows (None: the model's clip_aggregation)
    channels: tuple[int, ...] | None = None  # a model of several channels: the channels it reads at once (docs/channels.md)
    chunks_in_flight: int = 0  # chunks in the model at once (0: automatic; hark.infer.parallel_chunks)


@dataclass(frozen=True)
class ClassificationResult:
    recording: Path
    output: Path | None
    frames: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def chunk_samples_for(spec: ModelSpec, chunk_seconds: float | None) -> int:
    """New samples per chunk: a positive multiple of the stride, so frames of chunks tile."""
    if spec.kind == "clip":
        return 0
    wanted = DEFAULT_CHUNK_SAMPLES if chunk_seconds is None else int(round(chunk_seconds * spec.samplerate))
    if chunk_seconds is not None and chunk_seconds <= 0:
        raise ParameterError("chunk_seconds", f"{{param}} {chunk_seconds:g} must be positive")
    return max(1, wanted // spec.stride) * spec.stride


def plan_classification(
    model: str | Path,
    recordings: Sequence[str | Path],
    out_dir: str | Path,
    engine: EngineName = "auto",
    device: str = "auto",
    chunk_seconds: float | None = None,
    priors: Mapping[str, float] | None = None,
    *,
    checkpoint: str | int | Path | None = None,
    channel: int | list[int] | str = 0,
    reader: str = "auto",
    reader_params: dict[str, Any] | None = None,
    move_old: bool = False,
    window_overlap: float | None = None,
    aggregation: str | None = None,
    report: Callable[[str], None] | None = None,
    auto_freeze_samples: int = AUTO_FREEZE_MIN_SAMPLES,
    in_flight: int = 0,
) -> tuple[list[ClassificationJob], Engine]:
    """Check every input and output; returns the jobs and the opened engine (HarkError on a problem).

    The output folder must have room for every array, and must not hold probabilities of
    another model or checkpoint (a folder mixing models across recordings is silently wrong
    downstream): they are refused, or with ``move_old`` moved into ``oldfiles-<time>``.
    Temporary files of earlier runs that were killed are removed. With ``engine`` auto and no
    ``checkpoint``, work of at least ``auto_freeze_samples`` samples first freezes the model for
    onnxruntime where that is faster (:mod:`hark.infer.auto_freeze`), and ``report`` gets a
    line saying so. ``channel``: one channel, a list or ``all`` (:mod:`hark.audio.channels`):
    one job per channel, each channel's output named ``<rec>-ch<N>-probabilities.npy``.
    A torch model's chunks in flight (``in_flight``, 0: as many as the run will use) must fit in
    memory: without ``chunk_seconds`` the longest chunk that fits is chosen (at most the
    default), with it a chunk that does not fit is refused in one line.
    """
    if not recordings:
        raise HarkError("no recordings given")
    check_window_settings(window_overlap, aggregation)
    model = Path(model)
    config = load_config(model)
    opened = open_engine(model, checkpoint, engine, device)  # reads the checkpoint or export: a bad one fails here
    spec = opened.spec
    model_channels = trained_channels(config)
    if model_channels is not None:  # before anything is written (an auto-freeze too)
        _check_model_channels(model, model_channels, channel, recordings, reader, reader_params)
    if priors:
        prior_weights(priors, spec.output_names, training_prevalences(config), spec.overlapped)
    chunk = chunk_samples_for(spec, chunk_seconds)
    video = needs_video(opened)
    if video:  # the movie beside each recording, checked now (docs/video.md, "Video models")
        check_movies(config, recordings, reader, reader_params)
    if engine == "auto" and checkpoint is None and isinstance(opened, TorchEngine) and spec.kind == "frame" and not video:
        note = freeze_if_it_pays(
            model, recordings, device, opened, chunk, channel=channel if isinstance(channel, int) else 0, reader=reader, reader_params=reader_params,
            min_samples=auto_freeze_samples,
        )
        if note is not None:
            if report is not None:
                report(note)
            opened = open_engine(model, None, "auto", device)
    out_dir = ensure_writable_dir(out_dir)
    # absolute: a job may run in another folder or on another machine
    checkpoint_path = str(Path(opened.checkpoint).absolute()) if getattr(opened, "checkpoint", None) else None
    jobs, outputs = [], {}
    for path in recordings:
        recording = open_recording(path, reader=reader, reader_params=reader_params)
        chosen, per_channel = chosen_channels(channel, recording.info.channels, recording.path) if model_channels is None else ([model_channels[0]], False)
        if recording.samplerate != spec.samplerate:
            low_hz, high_hz = model_band(config)
            if recording.samplerate / 2 <= low_hz:
                raise HarkError(
                    f"{recording.path}: sampled at {recording.samplerate} Hz, so nothing above {recording.samplerate / 2:g} Hz "
                    f"(Nyquist) is in it, but the model {model} looks for sounds between {low_hz:g} and {high_hz:g} Hz; "
                    "give recordings made at its rate"
                )
            raise HarkError(
                f"{recording.path}: sampled at {recording.samplerate} Hz, but the model {model} was trained "
                f"at {spec.samplerate} Hz; resample the recording (hark resample --rate {spec.samplerate}) or use a model of its rate"
            )
        for each in chosen:
            output = probabilities_paths(channel_stem(recording.name, each if per_channel else None), out_dir)[0]
            if output in outputs:
                raise ParameterError("out_dir", f"{path} and {outputs[output]} would both write {output}; classify them into separate {{param}} folders")
            outputs[output] = path
            jobs.append(ClassificationJob(
                recording.path, output, recording.frames, model, checkpoint_path, opened.name, opened.device, chunk,
                dict(priors) if priors else None, each, reader, reader_params, 0, window_overlap, aggregation,
                tuple(model_channels) if model_channels else None,
            ))
    fitted = _check_memory(opened, jobs, int(config.context), chunks_in_flight(opened.device, 0, in_flight), chunk_seconds is None)
    if jobs and fitted != jobs[0].chunk_samples:
        jobs = [replace(job, chunk_samples=fitted) for job in jobs]
    sweep_stale_temporaries(out_dir)
    needed = sum(array_bytes(spec.frames(job.samples), len(spec.output_names)) for job in jobs)
    check_free_space(out_dir, needed, f"the probabilities of {len(jobs)} recording(s)")
    _refuse_or_move_other_models(out_dir, spec, move_old)
    return jobs, opened


def _check_model_channels(model: Path, channels: list[int], channel, recordings, reader: str, reader_params) -> None:
    """A model of several channels reads the channels it was trained on, from every recording:
    another ``channel`` or a recording without them is a one-line error."""
    listed = ",".join(str(c) for c in channels)
    if not (isinstance(channel, int) and channel == 0):
        raise ParameterError("channel", f"{{param}} {channel}: the model {model} reads channels {listed} at once (chosen when it was trained); leave {{param}} out")
    for path in recordings:
        open_channels(path, channels, reader, reader_params, wanted_by=f"the model {model}")


def _check_memory(opened: Engine, jobs: Sequence[ClassificationJob], clip_window: int, in_flight: int = 1, fit_chunk: bool = False) -> int:
    """Refuse (one line, with the numbers) a model whose batches would not fit in memory, before
    any recording is read: a clip model's batch of windows (or its longest file, for a model of
    whole clips), a frame model's ``in_flight`` chunks. With ``fit_chunk`` (no chunk length
    given) a frame model's chunk is first shortened to fit (:func:`fitting_chunk_samples`).
    Returns the chunk's new samples. Only a torch model can be measured; an export is not."""
    from hark.infer.clip_windows import WINDOWS_PER_BATCH
    from hark.train.memory import available_memory, check_inference_memory, estimate_memory

    module, spec = getattr(opened, "module", None), opened.spec
    chunk = jobs[0].chunk_samples if jobs else 0
    if module is None or not jobs:
        return chunk
    if spec.kind == "clip":
        samples, batch = (clip_window, WINDOWS_PER_BATCH) if clip_window > 0 else (max(job.samples for job in jobs), 1)
        hint = "train the model on shorter windows (clip_window_s)" if clip_window > 0 else "cut the longest files shorter, or train the model on windows (clip_window_s)"
    else:
        if fit_chunk:
            available, _ = available_memory(opened.device)
            if available is not None:
                estimate = estimate_memory(module, chunk + spec.context, training=False)
                chunk = fitting_chunk_samples(estimate.parameters, estimate.per_example, chunk, spec.context, spec.stride, in_flight, available)
        samples, batch = chunk + spec.context, in_flight
        hint = "classify in shorter chunks (chunk_seconds)" + (" or one at a time (in_flight 1)" if in_flight > 1 else "")
    check_inference_memory(module, samples, batch, spec.samplerate, opened.device, hint)
    return chunk


def fitting_chunk_samples(fixed: int, per_chunk: int, chunk: int, context: int, stride: int, in_flight: int, available: int) -> int:
    """The longest of ``chunk`` and its halvings (each a multiple of ``stride``, none shorter than
    :data:`MIN_CHUNK_OVER_CONTEXT` contexts) whose ``in_flight`` chunks fit in ``available`` bytes;
    the shortest when none does (the memory check then refuses it in one line).

    ``fixed`` bytes are taken whatever the chunk, ``per_chunk`` by one chunk of ``chunk + context``
    samples; a convolutional model's activations grow in proportion to its input
    (:func:`hark.train.memory.estimate_memory`), so a shorter chunk costs proportionally less.
    """
    shortest = max(stride, -(-MIN_CHUNK_OVER_CONTEXT * context // stride) * stride)
    fitted = chunk
    while fitted > shortest and fixed + in_flight * per_chunk * (fitted + context) / (chunk + context) > available:
        fitted = max(shortest, fitted // 2 // stride * stride)
    return fitted


def _refuse_or_move_other_models(out_dir: Path, spec: ModelSpec, move_old: bool) -> None:
    others = outputs_of_other_models(out_dir, spec.folder, spec.step, spec.config_digest)
    if not others:
        return
    first = others[0][1]
    if not move_old:
        raise HarkError(
            f"{out_dir}: holds probabilities of {describe_model(first.model, first.checkpoint_step)} "
            f"({len(others)} recording(s), e.g. {first.recording}), not of {describe_model(spec.folder, spec.step)}; "
            "classify into another folder, or move them aside (hark classify --move-old)"
        )
    move_aside(out_dir, [path for path, _ in others], time.strftime("%Y%m%dT%H%M%S"))


def classify_recordings(
    model: str | Path,
    recordings: Sequence[str | Path],
    out_dir: str | Path,
    engine: EngineName = "auto",
    device: str = "auto",
    chunk_seconds: float | None = None,
    priors: Mapping[str, float] | None = None,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    *,
    checkpoint: str | int | Path | None = None,
    channel: int | list[int] | str = 0,
    reader: str = "auto",
    reader_params: dict[str, Any] | None = None,
    cluster: ClusterSettings | str | None = None,
    move_old: bool = False,
    window_overlap: float | None = None,
    aggregation: str | None = None,
    report: Callable[[str], None] | None = None,
    in_flight: int = 0,
) -> list[ClassificationResult]:
    """Write ``<rec>-probabilities.npy`` and ``.json`` in ``out_dir`` for each recording.

    ``engine``: ``torch`` runs a checkpoint (``checkpoint``: a step, ``best``, ``last`` or a
    path; default the best by ``hark accuracy``, else the last), ``onnx`` runs ``frozen.onnx``,
    ``auto`` the frozen model when it is up to date with that checkpoint. ``device``: ``auto``
    (a GPU when there is one), ``cpu``, ``cuda``. ``priors``: label -> prevalence where the
    recordings come from (see :mod:`hark.infer.priors`). ``workers`` > 1 classifies that many
    recordings at once in local processes, sharing the CPU cores. ``progress`` is called
    with the fraction of all audio done. Results come back in the order of ``recordings``; a
    recording that fails mid-way has ``error`` set and the others still run. ``cluster``
    (settings or a ``--cluster`` value) runs one ``classify`` job per recording there instead,
    each with its log ``<rec>-probabilities.log`` beside its output (docs/jobs.md).
    ``move_old``: see :func:`plan_classification`; what is guaranteed of the outputs is in
    docs/inference.md. A clip model classifies each file window by window, ``window_overlap``
    apart, and aggregates them by ``aggregation`` (mean or max; None: the model's training
    settings), writing each file's ``<rec>-windows.csv`` and ``out_dir/predictions.csv``
    (:mod:`hark.infer.clip_windows`). ``in_flight``: chunks of one recording in the model at once
    (0: two on a CPU of two cores or more, each engine call on half of them; 1: one at a time,
    the engine's threads on each; :mod:`hark.infer.parallel_chunks`), the same outputs either way.
    """
    chunks_in_flight("cpu", 0, in_flight)  # a bad value fails before any work
    jobs, opened = plan_classification(
        model, recordings, out_dir, engine, device, chunk_seconds, priors,
        checkpoint=checkpoint, channel=channel, reader=reader, reader_params=reader_params, move_old=move_old,
        window_overlap=window_overlap, aggregation=aggregation, report=report, in_flight=in_flight,
    )
    spec = opened.spec
    if in_flight:
        jobs = [replace(job, chunks_in_flight=in_flight) for job in jobs]
    workers = max(1, min(workers, len(jobs)))
    run_here = None
    if cluster is not None:
        jobs = for_workers(jobs, device)
    elif workers > 1:  # each process opens its own model
        threads = max(1, (os.cpu_count() or 1) // workers)
        jobs = [replace(job, threads=threads) for job in jobs]
    else:
        run_here = partial(run_classification_job, engine=opened)
    del opened
    results = run_per_recording(
        jobs, run_classification_job, [job.samples for job in jobs], kind="classify", from_outcome=_result_of, workers=workers,
        progress=progress, cluster=cluster, run_here=run_here, preload_modules=plugin_modules(jobs[0].model),
    )
    if spec.kind == "clip":
        given = {Path(path): str(path) for path in recordings}
        done = [(_row_name(given[job.recording], job), result) for job, result in zip(jobs, results) if result.ok and result.output is not None]
        rows = [np.load(result.output)[0] for _, result in done]
        write_predictions(Path(out_dir), [name for name, _ in done], rows, list(spec.output_names))
    return results


def _row_name(given: str, job: ClassificationJob) -> str:
    """A clip model's row of ``predictions.csv``: the recording as given, ``-ch<N>`` after it for
    one channel's output among several."""
    _, channel = split_channel(job.output.name.removesuffix("-probabilities.npy"))
    return given if channel is None else f"{given}-ch{channel}"


def classify(
    request: ClassifyRequest,
    *,
    workers: int = 1,
    progress: Callable[[float], None] | None = None,
    cluster: ClusterSettings | str | None = None,
    report: Callable[[str], None] | None = None,
) -> list[ClassificationResult]:
    """``hark classify``: :func:`classify_recordings` with the parameters of ``request``."""
    return classify_recordings(**request.arguments(), workers=workers, progress=progress, cluster=cluster, report=report)


def for_workers(jobs: Sequence[ClassificationJob], device: str) -> list[ClassificationJob]:
    """The jobs to run elsewhere (as ``classify`` jobs): on the device asked for, not the one
    chosen here, since ``auto`` is decided by the worker (it may have a GPU where this machine has none)."""
    return [replace(job, device=device) for job in jobs]


def _result_of(job: ClassificationJob, outcome: JobOutcome) -> ClassificationResult:
    """A ``classify`` job's outcome as the recording's result."""
    if outcome.ok:
        return ClassificationResult(job.recording, job.output, int(outcome.result["frames"]))
    return ClassificationResult(job.recording, None, 0, outcome.error)


def run_classification_job(
    job: ClassificationJob, progress: Callable[[float], None] | None = None, engine: Engine | None = None
) -> ClassificationResult:
    """Classify one recording and write its probabilities; a HarkError becomes a failed result."""
    try:
        if engine is None:
            engine = open_engine(job.model, job.checkpoint, job.engine, job.device, job.threads)  # type: ignore[arg-type]
        if job.channels:  # a model of several channels: (T, C) chunks
            recording = open_channels(job.recording, job.channels, job.reader, job.reader_params)
        else:
            recording = open_recording(job.recording, channel=job.channel, reader=job.reader, reader_params=job.reader_params)
        spec = engine.spec
        meta = ProbabilitiesMeta(
            recording=recording.name, output_names=list(spec.output_names), samplerate=spec.samplerate,
            stride=spec.stride, offset=spec.context // 2, context=spec.context, frames=spec.frames(recording.frames),
            recording_samples=recording.frames, kind=spec.kind, overlapped=spec.overlapped, model=spec.folder,
            checkpoint_step=spec.step, config_digest=spec.config_digest, engine=engine.name, temperature=spec.temperature, priors=job.priors,
            # where and how the audio was read, so that hark ethogram can measure events' frequency bounds
            extra={"recording_path": str(recording.path.resolve()), "channel": job.channel, "reader": job.reader, "reader_params": job.reader_params,
                   **({"channels": list(job.channels)} if job.channels else {})},
        )
        weights = None
        if job.priors:
            weights = prior_weights(job.priors, spec.output_names, training_prevalences(load_config(job.model)), spec.overlapped)
        # a frame model's chunks share the engine's cores, several in flight (hark.infer.parallel_chunks)
        in_flight = 1 if spec.kind == "clip" or needs_video(engine) else chunks_in_flight(engine.device, job.threads, job.chunks_in_flight)
        with engine_for_chunks(engine, in_flight, job.threads) as chunk_engine:
            if spec.kind == "clip":
                row_blocks, windows = _clip_rows(chunk_engine, recording, job, weights)
                meta = replace(meta, extra={**meta.extra, "windows": windows})
                weights = None  # applied to each window already
            elif needs_video(engine):
                row_blocks = stream_video_frames(chunk_engine, recording, load_config(job.model), job.chunk_samples, progress)
            else:
                row_blocks = stream_frames(chunk_engine, recording, job.chunk_samples, progress, in_flight)
            with probabilities_writer(job.output, meta) as write:
                for first_row, rows in row_blocks:
                    write(first_row, rows if weights is None else reweight(rows, weights, spec.overlapped))
    except HarkError as err:
        return ClassificationResult(job.recording, None, 0, str(err))
    if progress:
        progress(1.0)
    return ClassificationResult(job.recording, job.output, meta.frames)


def stream_frames(
    engine: Engine, recording: Recording, chunk_samples: int, progress: Callable[[float], None] | None = None, in_flight: int = 1
):
    """Yield ``(first_row, rows)``: the recording's probabilities, ``(frames, outputs)``, chunk by chunk;
    ``in_flight`` chunks in the engine at once, on threads, yielded in order (the same rows as one at a time)."""
    spec = engine.spec
    overlap = spec.context - spec.stride
    piece = _piece_samples(chunk_samples, spec.stride, overlap)
    chunks = (chunk for chunk in recording.chunks(chunk_samples, overlap=overlap) if spec.frames(len(chunk.data)) > 0)
    for start, rows in in_order(partial(_chunk_rows, engine, piece, overlap), chunks, in_flight):
        yield start // spec.stride, rows
        if progress:
            progress(min(start + chunk_samples, recording.frames) / max(recording.frames, 1))


def _chunk_rows(engine: Engine, piece: int, overlap: int, chunk) -> tuple[int, np.ndarray]:
    """One chunk's rows: the chunk cut into pieces of ``piece`` new samples, run as one batch."""
    spec = engine.spec
    frames = spec.frames(len(chunk.data))
    pieces = -(-frames * spec.stride // piece)
    window = piece + overlap
    # zeros after the end only feed frames past it, which are dropped: frames never mix
    padded = np.zeros(((pieces - 1) * piece + window, *chunk.data.shape[1:]), np.float32)
    used = min(len(chunk.data), len(padded))  # samples past the last whole frame feed none
    padded[:used] = chunk.data[:used]
    if padded.ndim == 1:
        batch = np.lib.stride_tricks.as_strided(padded, (pieces, window), (piece * 4, 4))
    else:  # several channels, (T, C): pieces (pieces, C, window)
        channels = padded.shape[1]
        batch = np.lib.stride_tricks.as_strided(padded, (pieces, channels, window), (piece * channels * 4, 4, channels * 4))
    output = engine(batch)  # (pieces, outputs, piece // stride)
    return chunk.start, output.transpose(0, 2, 1).reshape(-1, output.shape[1])[:frames]


def _piece_samples(chunk_samples: int, stride: int, overlap: int, over_overlap: int | None = None) -> int:
    """New samples per batch element: the chunk cut into equal pieces, each at least ``over_overlap``
    (default :data:`MIN_PIECE_OVER_OVERLAP`) times the overlap."""
    ratio = MIN_PIECE_OVER_OVERLAP if over_overlap is None else over_overlap
    longest = max(1, chunk_samples // (ratio * max(overlap, stride)))
    pieces = min(longest, 64)  # more pieces than this buys no parallelism, only overlap
    while chunk_samples % (pieces * stride):
        pieces -= 1
    return chunk_samples // pieces


def _clip_rows(engine: Engine, recording: Recording, job: ClassificationJob, weights: np.ndarray | None) -> tuple[list, dict]:
    """A clip model's single row, its windows aggregated (:mod:`hark.infer.clip_windows`), and how
    it was made; the windows' timeline is written beside the probabilities."""
    config = load_config(job.model)
    settings = config.data
    window = int(config.context)  # 0: a model trained on whole clips reads the whole file
    overlap = job.window_overlap if job.window_overlap is not None else float(settings.get("clip_overlap", 0.5))
    aggregation = job.aggregation or str(settings.get("clip_aggregation", "mean"))
    padding = str(settings.get("clip_padding", "zeros"))  # models from before windows padded with zeros
    spec = engine.spec
    reweight_rows = None if weights is None else (lambda rows: reweight(rows, weights, spec.overlapped))
    row = clip_rows(engine, recording, window, overlap, aggregation, padding, list(spec.output_names), reweight_rows, windows_path(job.output))
    hop = hop_of(window, overlap) if window > 0 else recording.frames
    windows = {"window": window, "hop": hop, "overlap": overlap, "aggregation": aggregation, "padding": padding, "timeline": windows_path(job.output).name}
    return [(0, row)], windows


def plugin_modules(model: Path) -> list[str]:
    """The module defining the model's architecture: a fresh process imports it to find the plugin
    (architectures registered by code, not by an entry point, exist only where that code ran)."""
    from hark.models.base import architectures

    config = load_config(model)
    if config.architecture not in architectures:
        return []
    return [architectures.get(config.architecture).__module__]
