"""``search_index`` (``hark search``): the sounds of an indexed corpus most like a query sound.

The query, ``[start, stop)`` seconds of a recording (in the index or not), is embedded with the
index's model and settings into ``L = round((stop - start) / hop)`` rows (at least one) on the
grid the index's rows lie on: its start moves to the nearest row time ``t * hop + context // 2``
(at most half a hop). A query in an indexed recording takes its rows from the index, which are
its embedding already, so that the query sound itself always scores 1. The similarity of the stretch starting at row ``t`` of an indexed recording is the mean
cosine ``(1/L) sum_i <q_i, x_(t+i)>`` (rows centred on the corpus's mean and L2-normalised,
see :mod:`hark.embed.index`): a matched filter in
embedding space, so a long query must match in its course, not only on average, and a query
of one row is plain cosine search. The query itself, when it lies in the index on the grid,
scores 1.

Exact search with numpy, no approximate-nearest-neighbour library: an hour at the default
hop is a few hundred thousand rows of a few dozen dimensions, and one matrix product over the
memory-mapped vectors, block by block, takes a fraction of a second (``python -m
benchmarks.search`` measures it), which is less than loading the model; an ANN index would add
a dependency, a build step and approximate answers for no gain at that size. Scores are
computed per recording in blocks of rows (bounded memory), then **non-maximum suppression**
keeps the top K distinct sounds: a stretch overlapping a better one of the same recording by
any of its ``L`` rows is dropped, so the hits are K sounds, not K shifts of one.

The GUI calls :func:`search_index` with a recording, a start and a stop, as the command does.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from hark.annotations.event import Event, Kind
from hark.embed.index import EmbeddingIndex, Embedder, EmbedParams, centre, load_embedder, normalise, read_index
from hark.errors import HarkError
from hark.params import Params

QUERY_PATTERN = re.compile(r"(?P<recording>.+):(?P<start>[0-9]*\.?[0-9]+)-(?P<stop>[0-9]*\.?[0-9]+)")
BLOCK_VALUES = 1 << 22  # scores of one block: rows x query rows, float32 (16 MB)


class SearchParams(Params):
    """How many hits ``hark search`` returns."""

    top: int = Field(10, ge=1, le=100_000, description="number of distinct sounds to return, best first")


@dataclass(frozen=True)
class Hit:
    """A stretch of an indexed recording like the query: samples ``[start, stop)``, best similarity first."""

    recording: Path
    start: int
    stop: int
    samplerate: int
    similarity: float

    def event(self, label: str) -> Event:
        return Event(self.recording.name, self.start, self.stop, Kind.FOUND, label, score=round(self.similarity, 6))


def parse_query(text: str) -> tuple[Path, float, float]:
    """``REC:START-STOP`` (seconds) as ``(recording, start, stop)``; a malformed one is a one-line error."""
    match = QUERY_PATTERN.fullmatch(text.strip())
    if not match:
        raise HarkError(f"query {text!r}: expected REC:START-STOP in seconds, e.g. song.wav:12.5-13.25")
    return Path(match["recording"]), float(match["start"]), float(match["stop"])


def search_index(
    index: str | Path | EmbeddingIndex,
    recording: str | Path,
    start_s: float,
    stop_s: float,
    params: SearchParams | None = None,
    model: str | Path | None = None,
    embedder: Embedder | None = None,
) -> list[Hit]:
    """The ``params.top`` stretches of the index most like ``[start_s, stop_s)`` of ``recording``, best first.

    ``model``, if given, must be the model the index was built with. The model's checkpoint must
    be the one the index was built with (its SHA-256); anything else is a one-line error. A caller
    that searches often (the GUI) may keep ``index_embedder(index)`` and pass it as ``embedder``:
    the model is then loaded and checked once.
    """
    params = params or SearchParams()
    index = index if isinstance(index, EmbeddingIndex) else read_index(index)
    opened = check_query(index, recording, start_s, stop_s)
    embedder = embedder or index_embedder(index, model)
    queries = query_rows(index, embedder, opened, start_s, stop_s)
    vectors, count = index.vectors(), len(queries)
    duration = round((stop_s - start_s) * embedder.samplerate)
    candidates = []  # (similarity, recording number, row t)
    for number, entry in enumerate(index.recordings):
        scores = _scores(vectors, entry["first_row"], entry["rows"], queries)
        if len(scores) == 0:
            continue
        keep = min(len(scores), params.top * (2 * count - 1))  # enough for greedy suppression to find top K
        best = np.argpartition(-scores, keep - 1)[:keep] if keep < len(scores) else np.arange(len(scores))
        candidates.extend((float(scores[t]), number, int(t)) for t in best)
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: dict[int, list[int]] = {}
    hits = []
    for similarity, number, t in candidates:
        taken = chosen.setdefault(number, [])
        if any(abs(t - other) < count for other in taken):
            continue
        taken.append(t)
        entry = index.recordings[number]
        start = t * embedder.hop + embedder.context // 2
        stop = min(start + duration, entry["samples"])
        hits.append(Hit(Path(entry["path"]), start, max(stop, start), entry["samplerate"], min(max(similarity, -1.0), 1.0)))
        if len(hits) == params.top:
            break
    return hits


def index_embedder(index: EmbeddingIndex, model: str | Path | None = None) -> Embedder:
    """The embedder the index was built with, checked: the same model folder, the same checkpoint bytes."""
    settings = index.manifest["settings"]
    fingerprint = settings["fingerprint"]
    if model is not None and Path(model).resolve() != Path(fingerprint["model"]):
        raise HarkError(f"{index.folder}: built with the model {fingerprint['model']}, not {Path(model).resolve()}; embed with it first")
    checkpoint = Path(fingerprint["checkpoint"])
    if not checkpoint.is_file():
        raise HarkError(f"{index.folder}: built with {checkpoint}, which is gone; run hark embed again")
    # a short probe: the layer is known, and a query is seconds long, not hours
    embedder = load_embedder(fingerprint["model"], EmbedParams(layer=settings["layer"]), checkpoint, probe_frames=4)
    embedder = dataclasses.replace(embedder, hop_frames=settings["hop_frames"], window_frames=settings["window_frames"])
    if embedder.fingerprint != fingerprint:
        raise HarkError(f"{index.folder}: the model {fingerprint['model']} changed since the index was built "
                        f"(checkpoint {checkpoint.name} or config.json differ); run hark embed again")  # fmt: skip
    if embedder.settings() != {k: v for k, v in settings.items() if k != "dtype"}:
        raise HarkError(f"{index.folder}: the model's layers changed since the index was built; run hark embed again")
    return embedder


def check_query(index: EmbeddingIndex, recording: str | Path, start_s: float, stop_s: float):
    """The query's recording, opened, once its sample rate and ``[start_s, stop_s)`` are checked."""
    from hark.audio import open_recording

    opened = open_recording(recording)
    rate = index.manifest["settings"]["samplerate"]
    if opened.samplerate != rate:
        raise HarkError(f"{opened.path}: sampled at {opened.samplerate} Hz, but the index's model was trained at {rate} Hz")
    if not start_s < stop_s:
        raise HarkError(f"query {recording}:{start_s:g}-{stop_s:g}: the start must come before the stop")
    if start_s < 0 or stop_s > opened.duration:
        raise HarkError(f"query {recording}:{start_s:g}-{stop_s:g}: outside the recording (0-{opened.duration:g} s)")
    return opened


def query_rows(index: EmbeddingIndex, embedder: Embedder, opened, start_s: float, stop_s: float) -> np.ndarray:
    """The query as ``L`` centred unit rows, float32, from the row of the grid nearest its start.

    A query in an indexed recording reads its rows from the index (they are its embedding, so
    the query itself scores exactly 1); any other is embedded, zeros padded past its ends.
    """
    hop, offset = embedder.hop, embedder.context // 2
    t0 = round((start_s * embedder.samplerate - offset) / hop)
    count = max(1, round((stop_s - start_s) * embedder.samplerate / hop))
    path = opened.path.resolve()
    for entry in index.recordings:
        if Path(entry["path"]) == path and entry["samples"] == opened.frames and 0 <= t0 and t0 + count <= entry["rows"]:
            rows = np.asarray(index.vectors()[entry["first_row"] + t0 : entry["first_row"] + t0 + count], np.float32)
            return normalise(rows).astype(np.float32)

    def read(lo: int, hi: int) -> np.ndarray:
        audio = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, opened.frames)
        if b > a:
            audio[a - lo : b - lo] = opened.read(a, b)
        return audio

    return centre(np.concatenate(list(embedder.rows_of(read, t0 * hop, count))), index.mean())


def query_label(recording: str | Path, start_s: float, stop_s: float) -> str:
    """The label of the annotated event beside ``recording`` that overlaps the query most; ``found`` if none."""
    from hark.annotations.naming import parse_annotation_name
    from hark.annotations.songexplorer import read_csv

    recording = Path(recording)
    best, label = 0, Kind.FOUND.value
    for path in sorted(recording.parent.glob(f"{recording.name}-annotated-*.csv")):
        parsed = parse_annotation_name(path)
        if parsed is None or parsed.kind is not Kind.ANNOTATED:
            continue
        try:
            events = read_csv(path, allow_empty=True)
        except HarkError:
            continue  # a label is a convenience; a broken file is hark info's to report
        from hark.audio import open_recording

        rate = open_recording(recording).samplerate
        lo, hi = start_s * rate, stop_s * rate
        for event in events:
            overlap = min(hi, event.stop) - max(lo, event.start)
            if event.kind is Kind.ANNOTATED and overlap > best:
                best, label = overlap, event.label
    return label


def _scores(vectors: np.ndarray, first_row: int, rows: int, queries: np.ndarray) -> np.ndarray:
    """Mean cosine of the query's rows with each stretch of ``rows`` rows from ``first_row``."""
    count = len(queries)
    n = rows - count + 1
    if n <= 0:
        return np.zeros(0, np.float32)
    scores = np.empty(n, np.float32)
    block = max(1024, BLOCK_VALUES // count)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        block_rows = np.asarray(vectors[first_row + lo : first_row + hi + count - 1], np.float32)
        norms = np.linalg.norm(block_rows, axis=1)  # stored rows are unit vectors up to their float16 rounding
        products = (block_rows @ queries.T) / np.where(norms > 0, norms, 1.0)[:, None]
        total = np.zeros(hi - lo, np.float32)
        for i in range(count):  # the diagonals: stretch t, query row i meets index row t + i
            total += products[i : i + hi - lo, i]
        scores[lo:hi] = total / count
    return scores
