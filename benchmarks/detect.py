"""Detection throughput (seconds of audio per second) and peak memory.

    python -m benchmarks.detect [--hours 1.0] [--repeats 3]

1. The real fly recording PS_20130625111709_ch3.wav (2.5 kHz, 200 s) from ../shared/data
   (or $HARK_SHARED_DIR). Target: >= 200 s of audio per second on 2 cores.
2. A generated mono 250 kHz recording of --hours hours (USV-like calls in noise), written
   once to bench-output/ and reused. Target: peak memory under 1 GB for one hour.
Every figure comes from a fresh process; ratios are within this one run.
"""

from __future__ import annotations

import argparse
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
    r = measure_in_child(DETECT, str(long), str(out_dir))
    print(
        f"USV 250 kHz, {r['audio_seconds'] / 3600:g} h: {r['audio_seconds'] / r['seconds']:.1f} s of audio/s "
        f"({r['seconds']:.0f} s wall), peak memory {r['peak_mb']:.0f} MB (target < 1024 MB for 1 h), {r['events']} events"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=1.0, help="length of the generated 250 kHz recording")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fly recording")
    parser.add_argument("--out", type=Path, default=Path("bench-output"), help="where recordings and CSVs go")
    args = parser.parse_args()
    run(args.hours, args.repeats, args.out)


if __name__ == "__main__":
    main()
