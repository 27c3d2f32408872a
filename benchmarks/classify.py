"""Classification throughput (seconds of audio per second) and peak memory.

    python -m benchmarks.classify [--model MODEL] [--engine torch|onnx|both] [--device auto|cpu|cuda]
    python -m benchmarks.classify --calls-minutes 3   # only 3. below

1. A "convnet" with default parameters at 2.5 kHz (random weights: speed does not depend on
   them), or the model folder given with --model, on a 1-hour fly recording made by
   concatenating the three recordings of ../shared/data/fly (or $HARK_SHARED_DIR/fly) in turn,
   six times over. Target: >= 300 s of audio per second on 2 cores.
2. A "convnet" with a spectrogram front end on a 1-hour 250 kHz recording (USV-like calls
   in noise, shared with benchmarks.detect). Target: peak memory < 1 GB (issue 17).
3. The USV ``calls`` detector with its default settings (random weights) on ``--calls-minutes``
   of the same 250 kHz audio: torch and onnxruntime, each serial (one chunk at a time on the
   engine's intra-op threads) and with two chunks in flight (hark.infer.parallel_chunks, the
   default), beside reading the file alone in the same chunks, all in one run (issue 17: 150 s
   of audio per second on 2 cores, outputs within 1e-4).
Recordings and models are written once to bench-output/ and reused. Every figure comes from a
fresh process (benchmarks.measure), so its peak memory is its own; with a GPU, --device cuda.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import soundfile as sf

from benchmarks.detect import make_long_usv_recording
from benchmarks.measure import cpu_summary, measure_in_child, shared_data_dir

FLY_RECORDINGS = ("PS_20130625111709_ch3.wav", "20161207T102314_ch1.wav", "Antigua_20110313095210_ch26.wav")
USV_PARAMS = {"front_end": "spectrogram", "window_ms": 2.048, "stride_ms": 0.512}

CLASSIFY = (
    "from hark.infer.classify import classify_recordings\n"
    "import soundfile\n"
    "results = classify_recordings(args[0], [args[1]], args[2], engine=args[3], device=args[4], workers=1)\n"
    "assert results[0].ok, results[0].error\n"
    "result = {'audio_seconds': soundfile.info(args[1]).duration, 'frames': results[0].frames}\n"
)


def make_fly_hour(path: Path, repeats: int = 6) -> Path:
    """The three fly recordings in turn, ``repeats`` times over: one hour at 2.5 kHz, 16-bit."""
    if path.exists():
        return path
    sources = [shared_data_dir() / "fly" / name for name in FLY_RECORDINGS]
    missing = [s for s in sources if not s.exists()]
    if missing:
        raise SystemExit(f"{missing[0]} not found (set HARK_SHARED_DIR to the folder holding fly/)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.wav")
    with sf.SoundFile(tmp, "w", 2500, 1, "PCM_16") as out:
        for _ in range(repeats):
            for source in sources:
                out.write(sf.read(source, dtype="int16")[0])
    tmp.replace(path)
    return path


# the classification alone, its imports done: a few minutes of audio then time hark, not torch's import
CLASSIFY_TIMED = (
    "from hark.infer.classify import classify_recordings\n"
    "import soundfile\n"
    "import hark.infer.classify\n"
    "hark.infer.classify.MIN_PIECE_OVER_OVERLAP = int(args[5])  # 4: the pieces of a batch before issue 17\n"
    "began = time.perf_counter()\n"
    "results = classify_recordings(args[0], [args[1]], args[2], engine=args[3], device='cpu', in_flight=int(args[4]))\n"
    "assert results[0].ok, results[0].error\n"
    "result = {'audio_seconds': soundfile.info(args[1]).duration, 'classify_seconds': time.perf_counter() - began}\n"
)
READ_ONLY = (
    "from hark.audio.recording import open_recording\n"
    "recording = open_recording(args[0])\n"
    "for chunk in recording.chunks(int(args[1]), overlap=int(args[2])):\n"
    "    pass\n"
    "result = {'audio_seconds': recording.frames / recording.samplerate}\n"
)


def make_random_model(folder: Path, params: dict, samplerate: int, outputs: list[str], architecture: str = "convnet") -> Path:
    """A model folder of ``architecture`` with random weights."""
    import torch

    from hark.models import build_model
    from hark.models.store import ModelConfig, list_checkpoints, save_checkpoint, save_config

    if list_checkpoints(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    module = build_model(architecture, params, samplerate, len(outputs))
    save_config(folder, ModelConfig(
        architecture=architecture, architecture_params=params, kind="frame", samplerate=samplerate,
        output_names=outputs, labels=outputs, context=module.context, stride=module.stride, data={"equalize": True},
    ))
    save_checkpoint(folder, 1, {"model": module.state_dict()})
    return folder


def measure(model: Path, recording: Path, out: Path, engine: str, device: str, repeats: int) -> tuple[list[float], float]:
    if engine == "onnx":  # (re)freeze: a cached export may predate the model's configuration
        from hark.infer.freeze import freeze_model

        freeze_model(model)
    runs = [measure_in_child(CLASSIFY, str(model), str(recording), str(out), engine, device) for _ in range(repeats)]
    return [r["audio_seconds"] / r["seconds"] for r in runs], max(r["peak_mb"] for r in runs)


def compare_calls(out: Path, minutes: float, repeats: int) -> None:
    """3. of the module docs: the ``calls`` detector serial and chunk-parallel, each engine, one run."""
    import numpy as np

    from hark.infer.classify import DEFAULT_CHUNK_SAMPLES, _piece_samples
    from hark.infer.freeze import freeze_model
    from hark.infer.probabilities import read_probabilities

    recording = make_long_usv_recording(out / f"usv-250kHz-{minutes:g}min.wav", minutes / 60)
    model = make_random_model(out / "model-usv-calls-random", {}, 250_000, ["usv", "noise"], architecture="calls")
    freeze_model(model)
    config = json.loads((model / "config.json").read_text())
    chunk, overlap = DEFAULT_CHUNK_SAMPLES // config["stride"] * config["stride"], config["context"] - config["stride"]
    read = measure_in_child(READ_ONLY, str(recording), str(chunk), str(overlap))
    print(f"USV 250 kHz, {minutes:g} min, calls (context {config['context']}, stride {config['stride']}); reading alone: "
          f"{read['audio_seconds'] / read['seconds']:.0f} s of audio/s", flush=True)
    # (engine, chunks in flight (0: the default), MIN_PIECE_OVER_OVERLAP): before issue 17, each change alone, now
    cases = [(engine, in_flight, ratio) for engine in ("torch", "onnx") for in_flight, ratio in ((1, 4), (1, 16), (0, 4), (0, 16))]
    runs: dict = {case: [] for case in cases}
    folders = {case: out / "calls-{}-{}-{}".format(*case) for case in cases}
    for _ in range(repeats):  # interleaved, so that a change of the machine's load hits every case alike
        for case in cases:
            engine, in_flight, ratio = case
            runs[case].append(measure_in_child(CLASSIFY_TIMED, str(model), str(recording), str(folders[case]), engine, str(in_flight), str(ratio)))
    reference = read_probabilities(recording, folders[cases[0]])[1]
    for case in cases:
        engine, in_flight, ratio = case
        speeds = [r["audio_seconds"] / r["classify_seconds"] for r in runs[case]]
        probs = read_probabilities(recording, folders[case])[1]
        how = "serial, the engine's intra-op threads" if in_flight == 1 else "2 chunks in flight"
        pieces = chunk // _piece_samples(chunk, config["stride"], overlap, ratio)
        print(f"  {engine}, {how}, {pieces} pieces per chunk: median {statistics.median(speeds):.0f} s of audio/s (best {max(speeds):.0f}), "
              f"peak memory {max(r['peak_mb'] for r in runs[case]):.0f} MB, max |p - the first case| {np.abs(probs - reference).max():.1e}",
              flush=True)


def run(args: argparse.Namespace) -> None:
    out = args.out
    print(f"hark classify benchmark ({cpu_summary()}, device {args.device})")
    if args.calls_minutes:
        compare_calls(out, args.calls_minutes, args.repeats)
        return
    engines = ["torch", "onnx"] if args.engine == "both" else [args.engine]
    fly = make_fly_hour(out / "fly-2.5kHz-1h.wav")
    fly_model = args.model or make_random_model(out / "model-fly-convnet", {}, 2500, ["pulse", "sine", "ambient"])
    config = json.loads((fly_model / "config.json").read_text())
    for engine in engines:
        speeds, peak = measure(fly_model, fly, out, engine, args.device, args.repeats)
        print(
            f"fly 2.5 kHz, 1 h, {config['architecture']} (context {config['context']}, stride {config['stride']}), {engine}: "
            f"median {statistics.median(speeds):.0f} s of audio/s (best {max(speeds):.0f}, target >= 300), "
            f"peak memory {peak:.0f} MB"
        )
    usv = make_long_usv_recording(out / f"usv-250kHz-{args.hours:g}h.wav", args.hours)
    usv_model = make_random_model(out / "model-usv-convnet-spectrogram", USV_PARAMS, 250_000, ["usv", "ambient"])
    for engine in engines:
        speeds, peak = measure(usv_model, usv, out, engine, args.device, 1)
        print(
            f"USV 250 kHz, {args.hours:g} h, convnet {USV_PARAMS}, {engine}: {speeds[0]:.0f} s of audio/s, "
            f"peak memory {peak:.0f} MB (target < 1024 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder for the fly recording (default: a random convnet)")
    parser.add_argument("--engine", choices=["torch", "onnx", "both"], default="both", help="inference engine(s) to time")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fly recording (and of each --calls-minutes case)")
    parser.add_argument("--calls-minutes", type=float, default=0, help="only compare serial and chunk-parallel classify with the USV calls detector on this many minutes")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings, models and outputs go")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
