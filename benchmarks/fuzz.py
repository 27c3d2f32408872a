"""Seeded fuzzing of every annotation format and audio reader: no traceback, no hang, short errors.

    python -m benchmarks.fuzz [--cases 5000] [--seed 0] [--timeout 10] [--only raven,wav16]

Each target starts from a valid file (an annotation format's from its own writer, beside a
short recording; a recording from soundfile) and mutates it with a seeded random mutator:
byte flips, truncation, huge numbers (over Python's 4,300-digit limit), ``inf``/``nan``/
``1e999``, bare CR and CRLF line ends, lines over 128 KB, NUL and non-UTF-8 bytes, cells of
the wrong JSON type, broken MAT variables, corrupt audio headers and bodies, float samples of
NaN or beyond ±1. Then it calls hark's public entry points on the result:

- annotations: the format the registry recognises, read through it; ``hark convert`` to hark's
  CSV (a soundevent project: into a folder); ``hark info DIR`` of the folder, run as the command
  in this process (typer's CliRunner), which must warn in one line per bad file and exit 0;
- audio: :func:`hark.audio.open_recording`, the whole recording read and read in chunks, read
  through the ``highpass`` reader, and ``hark info`` of the file and of its folder.

Every case ends in one of: ``ok``; ``error`` (a :class:`~hark.errors.HarkError` of one line of
at most 300 characters naming the file); ``bad-error`` (a HarkError of several lines, longer
than 300 characters or not naming the file); ``traceback`` (any other exception);
``hang`` (past ``--timeout`` seconds); ``wrong`` (samples read back that are not finite, or
``hark info`` of a folder that stopped). Only ``ok`` and ``error`` pass. ``--cases`` is the
total, shared round-robin by the targets. Prints a table of outcomes per target, and the
first failing cases with their reproduction (seed, target, case number, mutation).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import signal
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from benchmarks.fuzz_mutators import RATE, mutate_audio, mutate_float_wav, mutate_json, mutate_mat, mutate_rate_field, mutate_rec, mutate_text

RECORDING = "song.wav"
MAX_ERROR = 300
PASSING = ("ok", "error")
OUTCOMES = ("ok", "error", "bad-error", "traceback", "hang", "crash", "wrong")


class Hang(Exception):
    """A case ran past its time limit."""


@dataclass
class Case:
    target: str
    number: int
    mutation: str
    outcome: str = "ok"
    detail: str = ""


@dataclass
class Target:
    """A valid seed file (made in ``folder`` by ``make``), its mutators and the calls made on a mutant."""

    name: str
    make: Callable[[Path], Path]
    mutate: Callable[[random.Random, bytes, Path], tuple[bytes, str]]
    run: Callable[[Path], None]


# ---------------------------------------------------------------- seeds


def _write_recording(path: Path, subtype: str = "PCM_16", fmt: str | None = None, seconds: float = 0.25) -> Path:
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal(int(RATE * seconds))).astype(np.float32)
    sf.write(path, samples, RATE, subtype=subtype, format=fmt)
    return path


def _events():
    from hark.annotations.event import Event, Kind

    spans = [(800, 1200, "a", 500.0, 1500.0), (1600, 2000, "b", 300.0, 2500.0), (2400, 3000, "a", 400.0, 1200.0)]
    return [Event(RECORDING, s, e, Kind.ANNOTATED, label, low_hz=lo, high_hz=hi, score=0.5) for s, e, label, lo, hi in spans]


def _soundevent_seed(folder: Path) -> Path:
    recording = "11111111-1111-1111-1111-111111111111"
    clip = "22222222-2222-2222-2222-222222222222"
    events = []
    for number, (start, end, label) in enumerate(((0.1, 0.15, "a"), (0.2, 0.25, "b"))):
        events.append(
            (
                {"uuid": f"e{number}", "recording": recording, "geometry": {"type": "BoundingBox", "coordinates": [start, 300.0, end, 1500.0]}},
                {"uuid": f"a{number}", "sound_event": f"e{number}", "tags": [number], "created_by": "u1"},
                {"id": number, "key": "species", "value": label},
            )
        )
    document = {
        "version": "1.1.0",
        "data": {
            "uuid": "33333333-3333-3333-3333-333333333333",
            "collection_type": "annotation_project",
            "name": "fuzz",
            "users": [{"uuid": "u1", "username": "ann"}],
            "tags": [tag for _, _, tag in events],
            "recordings": [{"uuid": recording, "path": RECORDING, "samplerate": RATE, "duration": 0.5, "channels": 1}],
            "clips": [{"uuid": clip, "recording": recording, "start_time": 0.0, "end_time": 0.5}],
            "clip_annotations": [{"uuid": "c1", "clip": clip, "notes": [{"message": "done"}]}],
            "sound_events": [event for event, _, _ in events],
            "sound_event_annotations": [annotation for _, annotation, _ in events],
        },
    }
    path = folder / "project.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def _annotation_seed(format_name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        from hark.annotations.formats import get_format

        _write_recording(folder / RECORDING, seconds=0.5)
        fmt = get_format(format_name)
        if format_name == "soundevent":
            return _soundevent_seed(folder)
        path = folder / fmt.file_name(RECORDING, "fuzz")
        fmt.write(path, _events(), float(RATE))
        return path

    return make


# ---------------------------------------------------------------- entry points


def _run_annotation(path: Path) -> None:
    """What a user does with an annotation file: read it (as the registry recognises it), convert it, info its folder."""
    from hark.annotations.convert import convert_annotations, convert_soundevent_project
    from hark.annotations.formats import Source, detect_format, get_format
    from hark.errors import HarkError

    failures: list[HarkError] = []
    for call in (
        lambda: get_format(detect_format(path)).read(Source(path)),
        lambda: (
            convert_soundevent_project(path, path.parent / "converted", "hark")
            if path.suffix == ".json"
            else convert_annotations(path, path.parent / "converted.csv", "hark")
        ),
    ):
        try:
            call()
        except HarkError as err:
            failures.append(err)
    _info_folder(path.parent)
    if failures:
        raise failures[0]


def _info_folder(folder: Path) -> None:
    """``hark info DIR``, run as the command in this process: every file reported, bad ones as one-line warnings, exit 0."""
    from typer.testing import CliRunner

    from hark.cli.app import app

    result = CliRunner().invoke(app, ["info", str(folder)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        from hark.errors import HarkError

        if isinstance(result.exception, HarkError):
            raise WrongOutput(f"hark info of the folder stopped: {result.exception}")
        raise result.exception
    if result.exit_code != 0:
        raise WrongOutput(f"hark info of the folder exited {result.exit_code}: {result.output[-200:]!r}")
    for line in result.output.splitlines():
        if line.startswith("warning:") and len(line) > 2 * MAX_ERROR:
            raise WrongOutput(f"hark info printed a warning of {len(line)} characters: {line[:120]!r}")


class WrongOutput(Exception):
    """Output that is silently wrong: non-finite samples, a folder report that stopped."""


def _run_audio(path: Path) -> None:
    from hark.annotations.report import describe_recording
    from hark.audio import open_recording

    recording = open_recording(path)
    whole = recording.read()
    if not np.isfinite(whole).all():
        raise WrongOutput("read returned samples that are not finite")
    if len(whole) != recording.frames:
        raise WrongOutput(f"read returned {len(whole)} samples of {recording.frames}")
    total = sum(len(chunk.data) for chunk in recording.chunks(size=1000))
    if total != recording.frames:
        raise WrongOutput(f"chunks returned {total} samples of {recording.frames}")
    filtered = open_recording(path, reader="highpass", reader_params={"cutoff_hz": recording.samplerate / 8})
    if len(filtered.read(0, min(filtered.frames, 4000))) != min(filtered.frames, 4000):
        raise WrongOutput("the high-pass reader returned the wrong number of samples")
    describe_recording(path)
    _info_folder(path.parent)


def _cbin_seed(folder: Path) -> Path:
    samples = (3000 * np.random.default_rng(0).standard_normal(RATE // 4)).astype(">i2")
    path = folder / "song.cbin"
    samples.tofile(path)
    (folder / "song.rec").write_text("ADFREQ = 8000\nChans = 1\nSamples = 2000\n")
    return path


def targets() -> list[Target]:
    """One target per registered annotation format that has a seed, and one per audio variant."""
    from hark.annotations.formats import annotation_formats

    found = []
    for name, fmt in annotation_formats.items():
        if not (fmt.can_write or name == "soundevent") or fmt.read_as:
            continue  # hark's CSV is read as SongExplorer's; a format that cannot be written has no seed
        mutate = mutate_mat if name == "notmat" else mutate_json if name == "soundevent" else mutate_text
        found.append(Target(name, _annotation_seed(name), mutate, _run_annotation))
    audio = [
        ("wav16", lambda f: _write_recording(f / RECORDING), mutate_rate_field),
        ("wav-float", lambda f: _write_recording(f / RECORDING, "FLOAT"), mutate_float_wav),
        ("flac", lambda f: _write_recording(f / "song.flac"), mutate_audio),
        ("aiff", lambda f: _write_recording(f / "song.aiff"), mutate_audio),
        ("ogg", lambda f: _write_recording(f / "song.ogg", "VORBIS"), mutate_audio),
        ("cbin", _cbin_seed, mutate_rec),
    ]
    for name, make, mutate in audio:
        found.append(Target(name, make, mutate, _run_audio))
    return found


# ---------------------------------------------------------------- running


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in this (main) thread after ``seconds``."""

    def expire(signum, frame):
        raise Hang(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(error: BaseException, path: Path) -> tuple[str, str]:
    """The outcome of a case that raised ``error`` on ``path``."""
    from hark.errors import HarkError

    if isinstance(error, Hang):
        return "hang", str(error)
    if isinstance(error, WrongOutput):
        return "wrong", str(error)
    if isinstance(error, HarkError):
        message = str(error)
        if "\n" in message or "\r" in message:
            return "bad-error", f"{message.count(chr(10)) + 1} lines: {message[:200]!r}"
        if len(message) > MAX_ERROR:
            return "bad-error", f"{len(message)} chars: {message[:200]!r}"
        if path.name not in message and path.with_suffix(".rec").name not in message:
            return "bad-error", f"does not name {path.name}: {message!r}"
        return "error", message
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    where = next((line.strip() for line in reversed(lines) if 'File "' in line and "/hark/" in line), "")
    return "traceback", f"{type(error).__name__}: {str(error)[:150]} [{where[:200]}]"


def run_case(target: Target, seed_folder: Path, seed_file: Path, work: Path, seed: int, number: int, timeout: float) -> Case:
    """Mutate ``target``'s seed as case ``number`` of ``seed`` in a fresh folder under ``work`` and judge the calls made on it."""
    rng = random.Random(f"{seed}:{target.name}:{number}")
    folder = work / f"{target.name}-{number}"
    shutil.copytree(seed_folder, folder)
    path = folder / seed_file.name
    case = Case(target.name, number, "")
    try:
        data, case.mutation = target.mutate(rng, path.read_bytes(), path)
        path.write_bytes(data)
        with time_limit(timeout):
            target.run(path)
    except BaseException as error:  # noqa: BLE001  (judging every outcome is the point)
        if isinstance(error, KeyboardInterrupt):
            raise
        case.outcome, case.detail = judge(error, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return case


def _plan(only: set[str] | None) -> list[Target]:
    chosen = [t for t in targets() if not only or t.name in only]
    if not chosen:
        raise SystemExit(f"no target named {', '.join(sorted(only or ()))}; targets: {', '.join(t.name for t in targets())}")
    return chosen


def _run_in_process(cases: int, seed: int, timeout: float, only: set[str] | None, first: int = 0) -> Iterator[tuple[int, Case | None]]:
    """Cases ``first`` to ``cases - 1`` run here: yields (index, None) as each starts, then (index, its case)."""
    chosen = _plan(only)
    with tempfile.TemporaryDirectory(prefix="hark-fuzz-") as tmp:
        work = Path(tmp)
        seeds = {}
        for target in chosen:
            folder = work / f"seed-{target.name}"
            folder.mkdir()
            seeds[target.name] = (folder, target.make(folder))
        for index in range(first, cases):
            target = chosen[index % len(chosen)]
            folder, file = seeds[target.name]
            yield index, None
            yield index, run_case(target, folder, file, work, seed, index // len(chosen), timeout)


def fuzz(cases: int, seed: int = 0, timeout: float = 10.0, only: set[str] | None = None, isolated: bool = True) -> list[Case]:
    """Run ``cases`` cases shared round-robin by the targets (all, or those named in ``only``).

    ``isolated`` runs them in a child process, started again after a case that kills it (a
    segmentation fault in a C library is an outcome too: ``crash``) or hangs in C code,
    where the in-process time limit cannot interrupt it.
    """
    if not isolated:
        return [case for _, case in _run_in_process(cases, seed, timeout, only) if case is not None]
    import subprocess
    import sys

    chosen = _plan(only)
    results: list[Case] = []
    first = 0
    while first < cases:
        command = [sys.executable, "-m", "benchmarks.fuzz", "--worker", "--cases", str(cases), "--seed", str(seed)]
        command += ["--timeout", str(timeout), "--first", str(first), "--only", ",".join(sorted(only or ()))]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).parent.parent)
        started = None
        try:
            for line in _lines_within(child, timeout + 60):
                message = json.loads(line)
                if "start" in message:
                    started = message["start"]
                else:
                    results.append(Case(**message))
                    first, started = started + 1, None
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        if started is not None:  # the child died (or hung in C code) inside this case
            target = chosen[started % len(chosen)]
            outcome = "hang" if child.returncode == -signal.SIGKILL else "crash"
            results.append(Case(target.name, started // len(chosen), "(see --only and the seed)", outcome, f"child exit {child.returncode}"))
            first = started + 1
        elif child.returncode not in (0, None) and first < cases:
            raise RuntimeError(f"fuzz worker failed before any case (exit {child.returncode}); run with --in-process to see why")
    return results


def _lines_within(child, seconds: float) -> Iterator[str]:
    """The child's output lines; stops (the caller kills it) when none comes within ``seconds``."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while True:
            if not selector.select(seconds):
                return
            line = child.stdout.readline()
            if not line:
                return
            yield line


def _worker(cases: int, seed: int, timeout: float, only: set[str] | None, first: int) -> None:
    import dataclasses
    import sys

    for index, case in _run_in_process(cases, seed, timeout, only, first):
        message = {"start": index} if case is None else dataclasses.asdict(case)
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def table(results: list[Case]) -> str:
    counts: dict[str, Counter] = {}
    for case in results:
        counts.setdefault(case.target, Counter())[case.outcome] += 1
    header = "| target | cases | " + " | ".join(OUTCOMES) + " |"
    rows = [header, "| " + " | ".join(["---"] * (len(OUTCOMES) + 2)) + " |"]
    total: Counter = Counter()
    for name, count in counts.items():
        total.update(count)
        rows.append(f"| {name} | {sum(count.values())} | " + " | ".join(str(count[o]) for o in OUTCOMES) + " |")
    rows.append(f"| all | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases in all, shared by the targets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a case counts as a hang")
    parser.add_argument("--only", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--show", type=int, default=20, help="failing cases to print")
    parser.add_argument("--in-process", action="store_true", help="run the cases in this process (a crash ends the run)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    if args.worker:
        _worker(args.cases, args.seed, args.timeout, only, args.first)
        return 0
    started = time.perf_counter()
    results = fuzz(args.cases, args.seed, args.timeout, only, isolated=not args.in_process)
    elapsed = time.perf_counter() - started
    print(table(results))
    print(f"\n{len(results)} cases in {elapsed:.1f} s (seed {args.seed})")
    failures = [c for c in results if c.outcome not in PASSING]
    seen: set[tuple[str, str]] = set()
    shown = 0
    for case in failures:
        key = (case.outcome, case.detail[:80])
        if key in seen or shown >= args.show:
            continue
        seen.add(key)
        shown += 1
        print(f"{case.outcome}: {case.target} #{case.number} ({case.mutation}): {case.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
