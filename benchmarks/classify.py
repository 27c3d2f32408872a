"""Classification throughput (seconds of audio per second) and peak memory.

    python -m benchmarks.classify [--model MODEL] [--engine torch|onnx|both] [--device auto|cpu|cuda]

1. A "convnet" with default parameters at 2.5 kHz (random weights: speed does not depend on
   them), or the model folder given with --model, on a 1-hour fly recording made by
   concatenating the three recordings of ../shared/data/fly (or $HARK_SHARED_DIR/fly) in turn,
   six times over. Target: >= 300 s of audio per second on 2 cores.
2. A "convnet" with a spectrogram front end on a 1-hour 250 kHz recording (USV-like calls
   in noise, shared with benchmarks.detect). Target: peak memory < 1.5 GB.
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


def make_random_model(folder: Path, params: dict, samplerate: int, outputs: list[str]) -> Path:
    """A model folder of the architecture "convnet" with random weights."""
    import torch

    from hark.models import build_model
    from hark.models.store import ModelConfig, list_checkpoints, save_checkpoint, save_config

    if list_checkpoints(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    module = build_model("convnet", params, samplerate, len(outputs))
    save_config(folder, ModelConfig(
        architecture="convnet", architecture_params=params, kind="frame", samplerate=samplerate,
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


def run(args: argparse.Namespace) -> None:
    out = args.out
    print(f"hark classify benchmark ({cpu_summary()}, device {args.device})")
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
            f"peak memory {peak:.0f} MB (target < 1536 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder for the fly recording (default: a random convnet)")
    parser.add_argument("--engine", choices=["torch", "onnx", "both"], default="both", help="inference engine(s) to time")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fly recording")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings, models and outputs go")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
