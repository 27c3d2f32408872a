"""Call detection (hark classify + hark ethogram with boxes) on long ultrasonic recordings.

    python -m benchmarks.usv [--hours 1] [--minutes-500k 10] [--device auto|cpu|cuda] [--detect-only]

0. ``hark detect`` with the README's USV settings on each recording below, beside a numpy
   256-point power spectrogram of the same file measured in the same process (the ratio holds on
   a shared machine). Target (issue 17): 100 s of audio per second at 250 kHz, 50 at 500 kHz,
   peak memory under 1 GB.

1. A dense ``calls`` detector (the default for dense supervision above 100 kHz), trained for
   200 steps on a minute of hark's synthetic USVs at the recording's rate, so that it finds
   calls as a real one would (its events, whose boxes ethogram measures, are part of the cost).
2. A 1-hour 250 kHz recording (shared with benchmarks.detect and benchmarks.classify) and a
   500 kHz recording (10 minutes by default; 500 kHz is twice the samples per second),
   both of synthetic calls in noise, written block by block.
3. Detection of each in a fresh process (benchmarks.measure: its own peak memory): classify
   to probabilities, then ethogram to events with frequency bounds and scores.
   Target: the 1-hour 250 kHz recording with peak memory under 1.5 GB.
Prints seconds of audio per second per rate, on the CPU, and on a GPU when one is there
(``--device auto`` uses it; ``--device cpu`` forces the CPU).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.detect import USV_SETTINGS, detect_beside_reference, make_long_usv_recording, report_beside_reference
from benchmarks.measure import cpu_summary, measure_in_child

DETECT = (
    "from hark.infer.classify import classify_recordings\n"
    "from hark.infer.ethogram import write_ethograms\n"
    "from hark.annotations.songexplorer import read_csv\n"
    "import soundfile, torch\n"
    "model, recording, out, device = args\n"
    "results = classify_recordings(model, [recording], out, engine='torch', device=device)\n"
    "assert results[0].ok, results[0].error\n"
    "classified = time.perf_counter() - start\n"
    "[csv] = write_ethograms(model, [recording], out, out, ratio=1.0)\n"
    "events = read_csv(csv, allow_empty=True)\n"
    "result = {'audio_seconds': soundfile.info(recording).duration, 'classify_seconds': classified, 'events': len(events),\n"
    "          'boxed': sum(e.has_frequency for e in events), 'cuda': torch.cuda.is_available() and device != 'cpu'}\n"
)


def make_usv_recording(path: Path, samplerate: int, seconds: float, seed: int = 1) -> Path:
    """Synthetic USVs at ``samplerate``, ``seconds`` long, 16-bit, written ten seconds at a time."""
    from hark.demo.usv import synthesize_usv

    if path.exists() and abs(sf.info(path).duration - seconds) < 1:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.wav")
    rng = np.random.default_rng(seed)
    with sf.SoundFile(tmp, "w", samplerate, 1, "PCM_16") as out:
        for _ in range(int(np.ceil(seconds / 10))):
            out.write(synthesize_usv(10.0, samplerate=samplerate, rng=rng)[0])
    tmp.replace(path)
    return path


def make_detector(folder: Path, samplerate: int) -> Path:
    """A ``calls`` detector trained briefly on a minute of synthetic USVs at ``samplerate`` (cached)."""
    from hark.annotations.songexplorer import write_csv
    from hark.demo.usv import synthesize_usv
    from hark.evaluate.model_accuracy import model_accuracy
    from hark.models.store import list_checkpoints
    from hark.train.data import DataParams
    from hark.train.params import TrainParams
    from hark.train.run import train_model

    if list_checkpoints(folder) and (folder / "accuracy" / "thresholds.csv").is_file():
        return folder
    data = folder.parent / f"{folder.name}-data"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        samples, events = synthesize_usv(20.0, samplerate=samplerate, rng=100 + i, recording=f"train{i}.wav")
        sf.write(data / f"train{i}.wav", samples, samplerate, subtype="PCM_16")
        write_csv(data / f"train{i}.wav-annotated-demo.csv", events)
    train_model(
        data, DataParams(labels=["usv"], supervision="dense"),
        TrainParams(steps=200, batch_size=16, frames=128, validation_period=200, device="cpu"), folder,
    )  # fmt: skip
    model_accuracy(folder, ratios=(1.0,), draw=False)
    return folder


def detect(model: Path, recording: Path, out: Path, device: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    return measure_in_child(DETECT, str(model), str(recording), str(out), device)


def report(label: str, r: dict) -> str:
    hours = r["audio_seconds"] / 3600
    where = "GPU" if r["cuda"] else "CPU"
    return (
        f"{label}, {hours:.2g} h, {where}: {r['audio_seconds'] / r['seconds']:.0f} s of audio/s "
        f"(classify {r['audio_seconds'] / r['classify_seconds']:.0f} s/s, {r['seconds']:.0f} s wall), "
        f"peak memory {r['peak_mb']:.0f} MB, {r['events']} events, {r['boxed']} with frequency bounds"
    )


def run(args: argparse.Namespace) -> None:
    out = args.out
    print(f"hark USV detection benchmark ({cpu_summary()}, device {args.device})")
    recordings = {
        250_000: make_long_usv_recording(out / f"usv-250kHz-{args.hours:g}h.wav", args.hours),
        500_000: make_usv_recording(out / f"usv-500kHz-{args.minutes_500k:g}min.wav", 500_000, args.minutes_500k * 60),
    }
    if args.device == "auto":
        import torch

        devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    else:
        devices = ["cpu"] if args.device == "cpu" else ["cpu", args.device]
    for rate, recording in recordings.items():
        # hark detect with the README's USV settings, beside numpy's spectrogram in the same process
        r = detect_beside_reference(recording, out / f"usv-detect-{rate // 1000}kHz-heuristic", USV_SETTINGS)
        target = 100 * 250_000 / rate  # issue 17: 100 s/s at 250 kHz, half at 500 kHz
        print(report_beside_reference(f"{rate // 1000} kHz, {r['audio_seconds'] / 3600:.2g} h", r, target), flush=True)
    if args.detect_only:
        return
    for rate, recording in recordings.items():
        model = make_detector(out / f"model-usv-calls-{rate // 1000}kHz", rate)
        config = json.loads((model / "config.json").read_text())
        for device in devices:
            r = detect(model, recording, out / f"usv-detect-{rate // 1000}kHz-{device}", device)
            line = report(f"{rate // 1000} kHz {config['architecture']} (context {config['context']}, stride {config['stride']})", r)
            target = " (target < 1536 MB)" if rate == 250_000 else ""
            print(line + target, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--minutes-500k", type=float, default=10.0, help="length of the generated 500 kHz recording (minutes)")
    parser.add_argument("--detect-only", action="store_true", help="measure hark detect only, not the trained detector")
    parser.add_argument("--device", default="auto", help="auto (CPU, then a GPU when there is one), cpu or cuda")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings, models and outputs go")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
