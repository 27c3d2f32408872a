"""Detection throughput (seconds of audio per second) and peak memory.

    python -m benchmarks.detect [--hours 1.0] [--repeats 3]

1. The real fly recording PS_20130625111709_ch3.wav (2.5 kHz, 200 s) from ../shared/data
   (or $HARK_SHARED_DIR). Target: >= 200 s of audio per second on 2 cores.
2. A generated mono 250 kHz recording of --hours hours (USV-like calls in noise), written
   once to bench-output/ and reused. Target: peak memory under 1 GB for one hour. Then detection
   with its defaults and with the README's USV settings, each beside a numpy power spectrogram of
   the same file measured in the same process (issue 17: at least 100 s of audio per second with
   the USV settings on 2 cores).
Every figure comes from a fresh process; ratios are within this one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.measure import cpu_summary, measure_in_child, shared_data_dir

DETECT = (
    "from hark.detect.run import detect_files\n"
    "import soundfile\n"
    "results = detect_files([args[0]], out_dir=args[1], workers=1)\n"
    "assert results[0].ok, results[0].error\n"
    "result = {'audio_seconds': soundfile.info(args[0]).duration, 'events': sum(results[0].counts.values())}\n"
)


# The README's settings for mouse USVs, with its high-pass reader
USV_SETTINGS = {
    "reader": "highpass", "reader_params": {"cutoff_hz": 15000},
    "params": {"frequency_n": 2.048, "frequency_smooth": 4.096, "time_smooth": 2, "frequency_range": "20000-"},
}  # fmt: skip

# hark detect beside a reference measured in the same process on the same audio (issue 17):
# numpy alone, a 256-point power spectrogram of the file read in blocks (one thread), before and
# after detection (the faster of the two: the file is in the page cache for at least one), so
# that the ratio holds on a machine that others share (benchmarks.usv measures the same one).
SPECTROGRAM_SECONDS = (
    "def spectrogram_seconds(path):\n"
    "    began = time.perf_counter()\n"
    "    with soundfile.SoundFile(path) as f:\n"
    "        for block in f.blocks(2**20, dtype='float32'):\n"
    "            frames = block[: len(block) // 256 * 256].reshape(-1, 256)\n"
    "            numpy.abs(numpy.fft.rfft(frames, axis=1)) ** 2\n"
    "    return time.perf_counter() - began\n"
)

DETECT_BESIDE_REFERENCE = (
    "import json, numpy, soundfile\n"
    + SPECTROGRAM_SECONDS
    + "reference = spectrogram_seconds(args[0])\n"
    "began = time.perf_counter()\n"
    "from hark.detect.run import detect_files\n"
    "results = detect_files([args[0]], out_dir=args[1], workers=1, **json.loads(args[2]))\n"
    "assert results[0].ok, results[0].error\n"
    "detect_seconds = time.perf_counter() - began\n"
    "reference = min(reference, spectrogram_seconds(args[0]))\n"
    "result = {'audio_seconds': soundfile.info(args[0]).duration, 'events': sum(results[0].counts.values()),\n"
    "          'detect_seconds': detect_seconds, 'reference_seconds': reference}\n"
)


def detect_beside_reference(recording: Path, out_dir: Path, settings: dict | None = None) -> dict:
    """``hark detect`` (``settings``: its request's fields; default its defaults) in a fresh process,
    with the numpy spectrogram of the same file measured in that process. Detection's time counts
    hark's imports, not Python's start-up; peak memory is the process's."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return measure_in_child(DETECT_BESIDE_REFERENCE, str(recording), str(out_dir), json.dumps(settings or {}))


def report_beside_reference(label: str, r: dict, target: float | None = None) -> str:
    speed = r["audio_seconds"] / r["detect_seconds"]
    reference = r["audio_seconds"] / r["reference_seconds"]
    aim = f"; target >= {target:g} s/s and < 1024 MB" if target else ""
    return (
        f"{label}: hark detect {speed:.1f} s of audio/s ({r['detect_seconds']:.0f} s), numpy 256-point power "
        f"spectrogram {reference:.0f} s/s in the same process: {speed / reference:.3f} of it; peak memory "
        f"{r['peak_mb']:.0f} MB{aim}; {r['events']} events"
    )


def make_long_usv_recording(path: Path, hours: float, seed: int = 0) -> Path:
    """A 250 kHz, 16-bit recording of ``hours`` hours, written block by block (bounded memory)."""
    from hark.demo import USV_SAMPLERATE, synthesize_usv

    if path.exists() and abs(sf.info(path).duration - hours * 3600) < 1:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.wav")
    block_s = 10.0
    rng = np.random.default_rng(seed)
    blocks = int(round(hours * 3600 / block_s))
    with sf.SoundFile(tmp, "w", USV_SAMPLERATE, 1, "PCM_16") as out:
        for i in range(blocks):
            samples, _ = synthesize_usv(block_s, rng=rng)
            out.write(samples)
            if (i + 1) % max(1, blocks // 10) == 0:
                print(f"  writing {path.name}: {100 * (i + 1) / blocks:.0f}%", flush=True)
    tmp.replace(path)
    return path


def run(hours: float, repeats: int, out_dir: Path) -> None:
    print(f"hark detect benchmark ({cpu_summary()})")
    fly = shared_data_dir() / "fly" / "PS_20130625111709_ch3.wav"
    if fly.exists():
        runs = [measure_in_child(DETECT, str(fly), str(out_dir)) for _ in range(repeats)]
        speeds = [r["audio_seconds"] / r["seconds"] for r in runs]
        print(
            f"fly 2.5 kHz, {runs[0]['audio_seconds']:.0f} s: median {statistics.median(speeds):.0f} s of audio/s "
            f"(best {max(speeds):.0f}, target >= 200), peak memory {max(r['peak_mb'] for r in runs):.0f} MB, "
            f"{runs[0]['events']} events"
        )
    else:
        print(f"fly: skipped, {fly} not found (set HARK_SHARED_DIR)")
    long = make_long_usv_recording(out_dir / f"usv-250kHz-{hours:g}h.wav", hours)
    for label, settings, target in (("defaults", None, None), ("the README's USV settings", USV_SETTINGS, 100)):
        r = detect_beside_reference(long, out_dir, settings)
        print(report_beside_reference(f"USV 250 kHz, {hours:g} h, {label}", r, target), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fly recording")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings and CSVs go")
    args = parser.parse_args()
    run(args.hours, args.repeats, args.out)


if __name__ == "__main__":
    main()
