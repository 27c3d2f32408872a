"""Search by example: embedding speed (x real time), index size and query time.

    python -m benchmarks.search [--minutes 10] [--rounds 2] [--runs torch:1,auto:0] [--hop SECONDS]
                                [--context-ms MS] [--fly-hours 1] [--repeats 5]

1. A generated 250 kHz recording (USV-like calls in noise, as benchmarks.detect makes them) of
   --minutes minutes (default 10, long enough for ``--engine auto`` to export the model; 60 for
   the full hour: 1.8 GB and some minutes of a busy machine), and a "convnet" with a
   spectrogram front end and random weights (speed does not depend on them; the model of
   benchmarks.classify). Both written once to bench-output/.
2. ``hark embed`` of it in a fresh process each (imports and model loading included), for each
   ENGINE:IN_FLIGHT of --runs (default: ``torch:1``, how hark embed ran before it had engines,
   and ``auto:0``, its default now), interleaved over --rounds rounds so that both see the same
   load. The first auto run of the benchmark starts without a cached export, so it includes
   exporting the layer and timing both engines; later ones reuse them. Each: seconds of audio
   per second of wall time, CPU seconds (all threads) per second of audio (what the machine's
   load does not change much), peak memory and the engine embed.log names. Target: >= 50x real
   time on 2 cores.
3. The index's size, and scaled to one hour. Target: < 500 MB for an hour.
4. Queries of 0.1 s: the first (model loaded, checkpoint hashed, query embedded) and the median
   of the next --repeats, in one process; then exact search alone (the scores of every row and
   the suppression) over an index of one hour's rows (random unit vectors of the same size,
   memory-mapped from disk), to show that numpy's exact search is fast enough at that size.
   Target: a query under 0.5 s.
5. Search by example among an hour of background: a tiny fly convnet trained in seconds on two
   generated 30 s recordings, and --fly-hours of noise at 2.5 kHz with one sine bout of that
   data planted twice (the copy off the grid of rows); searching the first, the ranks of the
   bout itself (should be 1) and of its copy (should be 2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.classify import USV_PARAMS, make_random_model
from benchmarks.detect import make_long_usv_recording
from benchmarks.measure import cpu_summary, measure_in_child

EMBED = (
    "from hark.embed.index import EmbedParams, embed_corpus\n"
    "import pathlib, re, resource, soundfile\n"
    "hop = float(args[3]) if args[3] else None\n"
    "index = embed_corpus(args[0], [args[1]], args[2], EmbedParams(hop_s=hop, engine=args[4], in_flight=int(args[5])))\n"
    "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "log = (pathlib.Path(args[2]) / 'embed.log').read_text()\n"
    "result = {'audio_seconds': soundfile.info(args[1]).duration, 'rows': index.manifest['rows'], 'cpu_seconds': usage.ru_utime + usage.ru_stime,\n"
    "          'dims': index.manifest['settings']['dims'], 'hop': index.manifest['hop'] / index.manifest['settings']['samplerate'],\n"
    "          'engine': re.search(r'^engine .*$', log, re.M).group(0)}\n"
)


def fly_hour_with_a_planted_bout(out: Path, hours: float, seed: int = 11) -> tuple[Path, Path, float, float, float]:
    """A tiny fly model (trained in seconds on two generated 30 s recordings) and ``hours`` of noise at
    2.5 kHz with that data's longest sine bout planted at a quarter and again at 70.37 % of it:
    ``(model, recording, first s, copy s, bout s)``."""
    import soundfile as sf

    from hark.annotations.folder import scan_folder
    from hark.audio import open_recording
    from hark.demo import generate_fly
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    data, model = out / "fly-demo", out / "model-fly-tiny"
    if not (model / "config.json").exists():
        generate_fly(data, n_recordings=2, duration_s=30.0, seed=seed)
        params = TrainParams(architecture="convnet", architecture_params={"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [16]},
                             steps=150, batch_size=16, validation_period=150)  # fmt: skip
        train_model(data, DataParams(labels=["mel-pulse", "mel-sine", "ambient"]), params, model, progress=False)
    source = open_recording(data / "fly-01.wav")
    rate = source.samplerate
    sines = [e for e in scan_folder(data).load_events(["annotated"], ["mel-sine"]) if e.recording == "fly-01.wav"]
    bout = max(sines, key=lambda e: e.stop - e.start)
    audio = source.read()
    sound = audio[bout.start : bout.stop]
    level = 1.4826 * float(np.median(np.abs(audio - np.median(audio))))
    total = round(hours * 3600 * rate)
    at = (round(total * 0.25 / rate, 3), round(total * 0.7037 / rate, 3))
    path = out / f"fly-noise-{hours:g}h-planted.wav"
    rng = np.random.default_rng(seed)
    block = 600 * rate
    with sf.SoundFile(path, "w", rate, 1, "FLOAT") as f:
        for lo in range(0, total, block):
            samples = rng.normal(0.0, level, min(block, total - lo)).astype(np.float32)
            for seconds in at:
                first = round(seconds * rate) - lo
                if -len(sound) < first < len(samples):
                    a, b = max(first, 0), min(first + len(sound), len(samples))
                    samples[a:b] += sound[a - first : b - first]
            f.write(samples)
    return model, path, at[0], at[1], len(sound) / rate


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def time_queries(index: Path, recording: Path, repeats: int) -> tuple[float, float]:
    """Seconds of the first query (model loaded) and the median of the next ``repeats``."""
    from hark.embed.index import read_index
    from hark.embed.search import SearchParams, search_index

    loaded = read_index(index)
    duration = loaded.recordings[0]["samples"] / loaded.recordings[0]["samplerate"]
    starts = np.linspace(1.0, duration - 1.0, repeats + 1)
    seconds = []
    for start in starts:
        began = time.perf_counter()
        search_index(loaded, recording, float(start), float(start) + 0.1, SearchParams(top=10))
        seconds.append(time.perf_counter() - began)
    return seconds[0], statistics.median(seconds[1:])


def time_exact_search(rows: int, dims: int, query_rows: int, folder: Path, repeats: int) -> float:
    """Median seconds of scoring ``rows`` memory-mapped float16 rows against a query, with suppression."""
    from hark.embed.search import _scores

    path = folder / f"random-{rows}x{dims}.npy"
    if not path.exists():
        rng = np.random.default_rng(0)
        vectors = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(rows, dims))
        for lo in range(0, rows, 1 << 16):
            block = rng.normal(size=(min(1 << 16, rows - lo), dims))
            vectors[lo : lo + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
        vectors.flush()
        del vectors
    vectors = np.load(path, mmap_mode="r")
    query = np.asarray(vectors[1000 : 1000 + query_rows], np.float32)
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        scores = _scores(vectors, 0, rows, query)
        keep = 10 * (2 * query_rows - 1)
        best = np.argpartition(-scores, keep - 1)[:keep]
        sorted(best, key=lambda t: -scores[t])
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def run(args: argparse.Namespace) -> None:
    out = args.out
    print(f"hark embed / hark search benchmark ({cpu_summary()})")
    recording = make_long_usv_recording(out / f"usv-250kHz-{args.minutes:g}min.wav", args.minutes / 60)
    params = {**USV_PARAMS, "context_ms": args.context_ms} if args.context_ms else USV_PARAMS
    name = f"model-usv-convnet-spectrogram{f'-{args.context_ms:g}ms' if args.context_ms else ''}"
    model = make_random_model(out / name, params, 250_000, ["usv", "ambient"])
    config = json.loads((model / "config.json").read_text())
    for cached in model.glob("embedding-*"):  # the first auto run exports and times, as a user's first run does
        cached.unlink()
    print(f"embedding {args.minutes:g} min at 250 kHz, convnet {params} (context {config['context']}, stride {config['stride']}); "
          f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
    index = out / f"index-{args.minutes:g}min"
    runs: dict[str, list[dict]] = {}
    for round_ in range(1, args.rounds + 1):
        for spec in args.runs.split(","):
            engine, in_flight = spec.split(":")
            if index.exists():
                shutil.rmtree(index)
            run_ = measure_in_child(EMBED, str(model), str(recording), str(index), "" if args.hop is None else str(args.hop), engine, in_flight)
            runs.setdefault(spec, []).append(run_)
            print(
                f"  round {round_}, --engine {engine} --in-flight {in_flight}: {run_['audio_seconds'] / run_['seconds']:.1f}x real time "
                f"({run_['seconds']:.1f} s wall, imports and model loading included), {run_['cpu_seconds'] / run_['audio_seconds'] * 1000:.1f} ms "
                f"of CPU per second of audio, peak memory {run_['peak_mb']:.0f} MB; {run_['engine']}; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    for spec, done in runs.items():
        speeds = [r["audio_seconds"] / r["seconds"] for r in done]
        cpu = [r["cpu_seconds"] / r["audio_seconds"] * 1000 for r in done]
        print(f"{spec}: best {max(speeds):.1f}x real time (target >= 50x on 2 cores), best {min(cpu):.1f} ms of CPU per second of audio")
    size = folder_bytes(index)
    per_hour = size * 3600 / run_["audio_seconds"]
    print(
        f"index: {run_['rows']} rows of {run_['dims']} dimensions, one every {run_['hop']:g} s; {size / 1e6:.2f} MB "
        f"(parts included), {per_hour / 1e6:.1f} MB per hour (target < 500 MB)"
    )
    first, warm = time_queries(index, recording, args.repeats)
    print(f"query of 0.1 s, top 10: first {first:.3f} s (model loaded and hashed), then median {warm:.3f} s (target < 0.5 s)")
    hour_rows = int(round(3600 / run_["hop"]))
    query_rows = max(1, round(0.1 / run_["hop"]))
    exact = time_exact_search(hour_rows, run_["dims"], query_rows, out, args.repeats)
    print(f"exact search alone over one hour's {hour_rows} rows x {run_['dims']} (float16, memory-mapped): median {exact * 1000:.1f} ms")
    quality(out, args.fly_hours)


def quality(out: Path, hours: float) -> None:
    """The query itself first and its planted copy second, among an hour of background (a trained model)."""
    from hark.embed.index import embed_corpus
    from hark.embed.search import SearchParams, search_index

    model, recording, first_s, copy_s, bout_s = fly_hour_with_a_planted_bout(out, hours)
    index = out / f"index-fly-{hours:g}h"
    if index.exists():
        shutil.rmtree(index)
    began = time.perf_counter()
    embedded = embed_corpus(model, [recording], index)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    hits = search_index(embedded, recording, first_s, first_s + bout_s, SearchParams(top=5))
    query = time.perf_counter() - began
    ranks = [next((r for r, hit in enumerate(hits, 1) if abs(hit.start / hit.samplerate - at) < bout_s / 2), None) for at in (first_s, copy_s)]
    print(
        f"a fly sine bout ({bout_s:.2f} s) planted at {first_s:g} s and copied at {copy_s:g} s in {hours:g} h of noise at 2.5 kHz, "
        f"tiny convnet trained for 150 steps ({embedded.manifest['rows']} rows, embedded at {hours * 3600 / seconds:.0f}x real time): "
        f"searching the first ranks it {ranks[0]} and the copy {ranks[1] or 'below 5'}; similarities "
        f"{', '.join(f'{hit.similarity:.3f}' for hit in hits)}; query {query:.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--runs", default="torch:1,auto:0", help="ENGINE:IN_FLIGHT of each embedding run, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --runs, interleaved")
    parser.add_argument("--hop", type=float, default=None, help="seconds between rows (default: hark embed's)")
    parser.add_argument("--context-ms", type=float, default=None, help="the model's context (default: the convnet's 204.8 ms)")
    parser.add_argument("--fly-hours", type=float, default=1.0, help="hours of 2.5 kHz noise for the planted-copy check")
    parser.add_argument("--repeats", type=int, default=5, help="queries timed after the first")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings, models and outputs go")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
