"""``suggest_sounds`` (``hark suggest``): which sounds of recordings to annotate next, most useful first.

1. The model classifies the recordings (:func:`hark.infer.classify.classify_recordings`, into a
   temporary folder); a model folder of replicates (``hark train --replicates``: ``1r``,
   ``2r``, ...) classifies with each, and the replicates' mean is what is thresholded.
2. Candidates: the events ``hark ethogram`` would predict (:func:`hark.infer.ethogram.predicted_events`)
   at ``candidate_fraction`` of each label's threshold, so that near misses are candidates
   too, the sounds of ``<rec>-detected.csv`` beside each recording (``hark detect``) and
   those a detector plugin finds when one is named, labelled with the output most probable over them.
   A clip model's candidates are whole unannotated files (:mod:`hark.infer.suggest_clips`).
3. Each candidate is scored and the budget filled greedily (:mod:`hark.infer.acquisition`:
   near the threshold, replicates disagree, novel in embedding space, diverse).
4. For each recording, ``OUT/<rec>-suggested.csv``: hark CSV rows
   ``wav,start,stop,suggested,label,low_hz,high_hz,score,reason`` in the order picked, the
   marginal usefulness (falling from pick to pick) in the score column. Written in the recordings' own folder (``--out`` the same),
   the GUI's review orders its queue by it ("suggestion").

Everything is checked before any work (the model, its thresholds, the recordings' sample
rate, the output folder); a recording with no candidate gets an empty file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hark.annotations.event import Event, Kind
from hark.errors import HarkError, ParameterError
from hark.fileio import atomic_write_text, ensure_writable_dir
from hark.infer.acquisition import Terms, centred, disagreement, effective_threshold, near_threshold, novelty, pick, reasons, usefulness
from hark.infer.suggest_request import SuggestParams, SuggestRequest
from hark.models.store import ModelConfig, load_config
from hark.train.supervisions import supervision_of

SUGGESTED = "suggested"


@dataclass(frozen=True)
class Suggestion:
    recording: Path
    start: int
    stop: int
    label: str
    score: float  # the marginal usefulness when picked: written to the score column
    usefulness: float  # before the diversity penalty
    reason: str
    terms: tuple[float, float, float]  # near threshold, disagreement, novelty


@dataclass(frozen=True)
class SuggestResult:
    suggestions: list[Suggestion]  # in the order picked
    files: list[Path]
    candidates: int
    members: list[Path]


def suggestion_csv_name(recording: str | Path) -> str:
    """``song.wav-suggested.csv``: the name the GUI's review looks for beside ``song.wav``."""
    return f"{Path(recording).name}-{SUGGESTED}.csv"


def model_members(model: str | Path) -> list[Path]:
    """The model folder itself, or its replicates (subfolders with a ``config.json``, by name)."""
    model = Path(model)
    if (model / "config.json").is_file():
        return [model]
    if not model.is_dir():
        raise HarkError(f"{model}: no such model folder")
    members = sorted((p for p in model.iterdir() if (p / "config.json").is_file()), key=lambda p: (len(p.name), p.name))
    if not members:
        raise HarkError(f"{model}: not a hark model folder (no config.json in it or in replicate subfolders)")
    return members


def suggest_sounds(
    model: str | Path,
    recordings: Sequence[str | Path],
    out: str | Path,
    params: SuggestParams | None = None,
    progress: Callable[[float], None] | None = None,
) -> SuggestResult:
    """Rank the candidate sounds of ``recordings`` by usefulness to annotate; write ``OUT/<rec>-suggested.csv``."""
    from hark.audio import find_recordings, open_recording
    from hark.infer.classify import classify_recordings
    from hark.infer.ethogram import read_thresholds
    from hark.infer.probabilities import open_probabilities

    params = params or SuggestParams()
    members = model_members(model)
    configs = [load_config(m) for m in members]
    config = configs[0]
    for member, other in zip(members[1:], configs[1:]):
        if (other.samplerate, other.output_names, other.kind) != (config.samplerate, config.output_names, config.kind):
            raise HarkError(f"{member}: a replicate of another model than {members[0]} (sample rate, outputs or kind differ)")
    if config.kind not in ("frame", "clip"):
        raise HarkError(f"{members[0]}: hark suggest ranks sounds of frame models and clips of clip models, not {config.kind} models")
    clips = config.kind == "clip"  # whole files ranked by their prediction's margin (hark.infer.suggest_clips)
    labels = _labels(config, params)
    thresholds = [] if clips else [read_thresholds(m, params.ratio) for m in members]
    for label in labels:
        missing = [str(m) for m, t in zip(members, thresholds) if label not in t]
        if missing:
            raise HarkError(f"{missing[0]}: no threshold for {label}; run hark accuracy {missing[0]}")
    threshold = {label: effective_threshold(float(np.mean([t[label] for t in thresholds]))) for label in labels} if not clips else {}
    # absolute, links not followed: a linked recording's annotations are those beside the link
    paths = list(dict.fromkeys(_absolute(p) for p in find_recordings(recordings)))
    if not paths:
        raise HarkError("no recordings to suggest sounds of")
    for path in paths:
        rate = open_recording(path).samplerate
        if rate != config.samplerate:
            raise HarkError(f"{path}: sampled at {rate} Hz, but {members[0]} was trained at {config.samplerate} Hz")
    _check_out(Path(out))
    detector = _detector(params)

    names = [p.name for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise HarkError(f"{twice[0]}: two recordings of that name; their {suggestion_csv_name(twice[0])} would be one file (suggest them apart)")
    annotated_sounds = _annotated_sounds(paths)
    candidates: list[tuple[Path, int, int, str, float, np.ndarray]] = []  # recording, start, stop, label, peak, member peaks
    clip_rows: dict[Path, np.ndarray] = {}  # a clip model's probability row of each file (its embedding)
    with tempfile.TemporaryDirectory(prefix="hark-suggest-") as temporary:
        for i, member in enumerate(members):
            folder = Path(temporary) / str(i)

            def member_progress(fraction: float, i: int = i) -> None:
                if progress:
                    progress(0.8 * (i + fraction) / len(members))

            results = classify_recordings(member, paths, folder, device=params.device, checkpoint=params.checkpoint, progress=member_progress)
            failed = [r for r in results if not r.ok]
            if failed:
                raise HarkError(f"{failed[0].recording}: {failed[0].error}")
        for path in paths:
            arrays = []
            for i in range(len(members)):
                array, meta = open_probabilities(path, Path(temporary) / str(i))
                arrays.append(np.asarray(array, dtype=np.float32))
            annotated_here = [(start, stop) for recording, start, stop in annotated_sounds if recording == path]
            if clips:
                from hark.infer.suggest_clips import clip_candidate

                candidate, clip_rows[path] = clip_candidate(path, np.stack(arrays), list(meta.output_names), labels, meta.recording_samples)
                found = [candidate]
            else:
                found = _candidates_of(path, np.stack(arrays), meta, labels, threshold, params, detector)
            candidates += [c for c in found if not _overlaps_any(c[1], c[2], annotated_here)]
    if progress:
        progress(0.85)

    peaks = np.array([c[4] for c in candidates])
    spans = [(str(c[0]), c[1], c[2]) for c in candidates]
    if clips:  # the probability rows: of the candidates, and of the annotated files among those given
        embeddings = np.array([clip_rows[c[0]] for c in candidates]).reshape(len(candidates), len(labels))
        drawn = dict.fromkeys(recording for recording, _, _ in _drawn(annotated_sounds, params) if recording in clip_rows)
        annotated = np.array([clip_rows[p] for p in drawn]).reshape(len(drawn), len(labels))
    else:
        embeddings, annotated = _embeddings(members[0], config, candidates, _drawn(annotated_sounds, params), params)
    mean = embeddings.mean(axis=0) if len(embeddings) else 0.0
    units, annotated_units = centred(embeddings, mean), centred(annotated, mean) if len(annotated) else annotated
    terms = Terms(
        peaks if clips else near_threshold(peaks, np.array([threshold[c[3]] for c in candidates])),  # a clip's: its margin
        disagreement(np.array([c[5] for c in candidates]).reshape(len(candidates), len(members))),
        novelty(units, annotated_units),
    )
    scores = usefulness(terms, params) if candidates else np.zeros(0)
    why = reasons(terms, params) if candidates else []
    order = pick(scores, units, spans, params.budget, params.diversity, params.seed)
    suggestions = [
        Suggestion(candidates[i][0], candidates[i][1], candidates[i][2], candidates[i][3], marginal, float(scores[i]), why[i],
                   (float(terms.near_threshold[i]), float(terms.disagreement[i]), float(terms.novelty[i])))
        for i, marginal in order
    ]  # fmt: skip
    files = _write_files(Path(out), paths, suggestions)
    if progress:
        progress(1.0)
    return SuggestResult(suggestions, files, len(candidates), members)


def suggest(request: SuggestRequest, progress: Callable[[float], None] | None = None) -> SuggestResult:
    """``hark suggest``: :func:`suggest_sounds` with the parameters of ``request``."""
    return suggest_sounds(request.model, request.recordings, request.out, request.params(), progress)


def _labels(config: ModelConfig, params: SuggestParams) -> list[str]:
    background = config.data.get("background_label") if supervision_of(config.supervision).dense else None
    outputs = [name for name in config.output_names if name != background]
    if params.labels is None:
        return outputs
    unknown = [label for label in params.labels if label not in outputs]
    if unknown:
        raise ParameterError("labels", f"{{param}} {','.join(unknown)}: not among the model's outputs ({', '.join(outputs)})")
    return list(params.labels)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ParameterError("out", f"{{param}} {out}: exists and is not a folder")


def _detector(params: SuggestParams):
    """The detector plugin asked for, built (a bad name or parameter fails here, before any work), or None."""
    if params.detector is None:
        return None
    from hark.detect import detectors

    return detectors.get(params.detector)(params.detector_params)


def _candidates_of(path: Path, stacked: np.ndarray, meta, labels: list[str], threshold: dict[str, float], params: SuggestParams, detector=None) -> list:
    """``(recording, start, stop, label, peak, member peaks)`` of the predicted stretches and detected sounds of one recording."""
    from hark.infer.ethogram import predicted_events

    if meta.frames == 0:  # shorter than the model's context: nothing to rank
        return []
    mean = stacked.mean(axis=0)
    found = []
    lowered = {label: params.candidate_fraction * threshold[label] for label in labels}
    # each label on its own, also where another is more probable: a call the model gives 0.3 is a candidate
    for event in predicted_events(mean, replace(meta, overlapped=True), lowered):
        found.append((event.start, event.stop, event.label))
    sounds = _detected_events(path) if params.detected else []
    if detector is not None:
        from hark.audio.recording import open_recording

        sounds += detector.detect(open_recording(path))
    columns = [meta.output_names.index(label) for label in labels]
    for event in sounds:
        rows = _rows_of(meta, event.start, event.stop)
        best = int(np.argmax(mean[rows][:, columns].max(axis=0)))
        found.append((event.start, event.stop, labels[best]))
    candidates = []
    for start, stop, label in dict.fromkeys(found):
        rows, column = _rows_of(meta, start, stop), meta.output_names.index(label)
        member_peaks = stacked[:, rows, column].max(axis=1)
        candidates.append((path, start, stop, label, float(mean[rows, column].max()), member_peaks))
    return candidates


def _rows_of(meta, start: int, stop: int) -> slice:
    """The probability rows that describe samples ``[start, stop]`` (at least one)."""
    first = int(np.clip(np.floor((start - meta.offset) / meta.stride), 0, meta.frames - 1))
    last = int(np.clip(np.ceil((stop - meta.offset) / meta.stride), first, meta.frames - 1))
    return slice(first, last + 1)


def _detected_events(path: Path) -> list[Event]:
    """The sounds of ``path``'s ``-detected.csv`` files (hark detect) beside it."""
    from hark.annotations.folder import read_annotation_file

    entry = _entry_of(path)
    if entry is None:
        return []
    return [e for csv in entry.csv_paths([Kind.DETECTED]) for e in read_annotation_file(csv, entry.recording) if e.kind == Kind.DETECTED]


def _entry_of(path: Path):
    """``path``'s entry of its folder: its annotation files."""
    from hark.annotations.folder import scan_folder

    for entry in scan_folder(path.parent).entries:
        if _absolute(entry.recording) == path:
            return entry
    return None


def _annotated_sounds(paths: list[Path]) -> list[tuple[Path, int, int]]:
    """``(recording, start, stop)`` of the annotated sounds of the recordings' folders (every recording there)."""
    from hark.annotations.folder import scan_folder

    sounds = []
    for folder in dict.fromkeys(p.parent for p in paths):
        scanned = scan_folder(folder)
        for entry in scanned.entries:
            if _absolute(entry.recording).parent != folder:
                continue  # a subfolder's recordings count when the subfolder's own recordings are named
            for event in _annotated_events(entry):
                sounds.append((_absolute(entry.recording), event.start, event.stop))
    return sounds


def _absolute(path: Path) -> Path:
    """``path`` made absolute without following symbolic links (``..`` folded)."""
    return Path(os.path.abspath(path))


def _drawn(sounds: list, params: SuggestParams) -> list:
    """At most ``max_annotated`` of ``sounds``, drawn with the seed (in their order)."""
    if len(sounds) <= params.max_annotated:
        return sounds
    keep = np.sort(np.random.default_rng(params.seed).choice(len(sounds), params.max_annotated, replace=False))
    return [sounds[i] for i in keep]


def _overlaps_any(start: int, stop: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``[start, stop]`` shares a sample with one of ``spans`` (an annotated sound is not suggested again)."""
    return any(s <= stop and start <= e for s, e in spans)


def _annotated_events(entry) -> Iterator[Event]:
    from hark.annotations.folder import read_annotation_file

    for path in entry.annotation_paths([Kind.ANNOTATED]):
        for event in read_annotation_file(path, entry.recording):
            if event.kind == Kind.ANNOTATED:
                yield event


def _embeddings(model: Path, config: ModelConfig, candidates: list, annotated_sounds: list, params: SuggestParams) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the candidates and of the annotated sounds: the mean of the model's last hidden
    layer at the output's frame rate over each sound's frames (see :mod:`hark.embed.index`)."""
    import torch

    from hark.audio.recording import open_recording
    from hark.embed.index import EmbedParams, load_embedder

    embedder = load_embedder(model, EmbedParams(), params.checkpoint)
    opened: dict[Path, object] = {}

    def vector(path: Path, start: int, stop: int) -> np.ndarray:
        if path not in opened:
            opened[path] = open_recording(path)
        recording = opened[path]
        if recording.samplerate != config.samplerate:
            return np.zeros(embedder.dims)
        half = embedder.context // 2
        lo = max(0, start - half)
        hi = min(recording.frames, max(stop + half + 1, lo + embedder.context))
        lo = max(0, min(lo, hi - embedder.context))
        if hi - lo < embedder.context:
            return np.zeros(embedder.dims)
        audio = recording.read(lo, hi)
        with torch.no_grad():
            hidden = embedder.module.forward_hidden(torch.from_numpy(np.ascontiguousarray(audio, np.float32))[None, None, :])
        return hidden[embedder.layer][0].double().mean(dim=1).numpy()

    candidate_vectors = np.array([vector(c[0], c[1], c[2]) for c in candidates]).reshape(len(candidates), embedder.dims)
    annotated = np.array([vector(p, s, e) for p, s, e in annotated_sounds])
    return candidate_vectors, annotated.reshape(len(annotated), embedder.dims)


def _write_files(out: Path, paths: list[Path], suggestions: list[Suggestion]) -> list[Path]:
    folder = ensure_writable_dir(out)
    files = []
    for path in paths:
        rows = [
            f"{s.recording.name},{s.start},{s.stop},{SUGGESTED},{s.label},,,{s.score:.6g},{s.reason}\n"
            for s in suggestions if s.recording == path
        ]  # fmt: skip
        target = folder / suggestion_csv_name(path)
        atomic_write_text(target, "".join(rows))
        files.append(target)
    return files
