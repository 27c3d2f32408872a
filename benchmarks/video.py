"""Video frames: what one frame costs the GUI and a model, by access pattern and codec.

    python -m benchmarks.video [--minutes 2] [--fps 25] [--width 640] [--height 480] [--repeats 200]

1. Time-code movies (hark.video.write_time_movie) of --minutes at --fps and the given size,
   written once to bench-output/video/: MPEG-4 (a key frame every 12 frames, FFmpeg's default)
   and H.264 (libx264, a key frame every 250 frames: seeking lands far before the frame).
2. For each: the frame at a random time (a jump of the view), frames in order (playback:
   the decoder runs on), and the same frames again (the cache), each scaled to 320 pixels
   wide as the GUI shows it and encoded as the GUI's JPEG; median and 95th percentile in ms.
   Every frame read is checked to carry its index. Target for the GUI: a random frame under
   40 ms (25 updates a second), a frame in order under 10 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from benchmarks.measure import cpu_summary


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(1000 * statistics.median(ordered), 2), "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2)}


def measure(movie: Path, repeats: int, seed: int = 0) -> dict:
    from hark.gui.video_view import FRAME_WIDTH, frame_data_url
    from hark.video import frame_index_of, open_video

    stream = open_video(movie)
    info = stream.info
    rng = random.Random(seed)

    def timed(indices: list[int]) -> list[float]:
        spent = []
        for index in indices:
            began = time.perf_counter()
            image = stream.frame(index, FRAME_WIDTH)
            frame_data_url(image)
            spent.append(time.perf_counter() - began)
            if frame_index_of(image) != index:
                raise AssertionError(f"{movie}: frame {index} carries {frame_index_of(image)}")
        return spent

    jumps = timed([rng.randrange(info.frames) for _ in range(repeats)])
    start = rng.randrange(max(1, info.frames - repeats))
    in_order = timed(list(range(start, min(info.frames, start + repeats))))
    again = timed(list(range(start + repeats - 8, start + repeats)))  # the cache's last frames
    stream.close()
    return {"movie": movie.name, "codec": info.codec, "size": f"{info.width}x{info.height}", "frames": info.frames,
            "random": _percentiles(jumps), "in_order": _percentiles(in_order), "cached": _percentiles(again)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench-output"))
    args = parser.parse_args()
    from hark.video import write_time_movie

    folder = args.out / "video"
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for codec in ("mpeg4", "libx264"):
        movie = folder / f"clock-{codec}-{args.width}x{args.height}-{args.fps:g}fps-{args.minutes:g}min.mp4"
        if not movie.exists():
            write_time_movie(movie, args.minutes * 60, fps=args.fps, width=args.width, height=args.height, codec=codec)
        results.append(measure(movie, args.repeats))
    print(json.dumps({"machine": cpu_summary(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
