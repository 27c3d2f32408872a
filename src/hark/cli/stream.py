"""``hark stream``: classify audio as it arrives and print each event as soon as it ends."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from hark.errors import HarkError

EXAMPLE = """Example:

  hark stream --model model song.wav
  hark stream --model model --speed 0 --report-latency song.wav
  arecord -q -t raw -f S16_LE -r 2500 | hark stream -m model --stdin --rate 2500

A recording plays at real-time speed (--speed 0: as fast as it can be read);
--stdin reads raw little-endian samples. Each event is printed when it ends,
as a row wavfile,start,stop,predicted,label (samples from the start of the
stream; wavfile is the recording's name or stdin); --onsets adds a row
wavfile,start,,onset,label when one begins. Thresholds are hark accuracy's at
--ratio; a frozen model (hark freeze) streams fastest.
"""


def stream_command(
    recording: Path | None = typer.Argument(None, help="Recording to play at --speed times real time (or give --stdin)."),
    model: Path = typer.Option(..., "--model", "-m", help="Model folder (written by hark train, thresholds by hark accuracy)."),
    stdin: bool = typer.Option(False, "--stdin", help="Read raw interleaved little-endian samples from standard input."),
    sample_format: str = typer.Option("int16", "--format", help="--stdin: sample format, int16 or float32."),
    rate: int | None = typer.Option(None, "--rate", help="--stdin: sample rate in Hz (must be the model's)."),
    channels: int = typer.Option(1, "--channels", min=1, help="--stdin: interleaved channels."),
    channel: int = typer.Option(0, "--channel", min=0, help="Channel to classify (from 0)."),
    chunk_ms: float = typer.Option(25.6, "--chunk-ms", help="Milliseconds of audio per chunk: results come at least this often."),
    ratio: float = typer.Option(1.0, "--ratio", help="Precision-recall ratio whose thresholds to use (from MODEL/accuracy/thresholds.csv)."),
    engine: str = typer.Option("auto", "--engine", help="onnx (MODEL/frozen.onnx), torch (a checkpoint) or auto (onnx when the frozen model is up to date)."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads of the engine (one is fastest for small chunks)."),
    speed: float = typer.Option(1.0, "--speed", help="Playback speed of a recording: 1 real time, 0 as fast as possible."),
    onsets: bool = typer.Option(False, "--onsets", help="Also print a row when an event begins."),
    report_latency: bool = typer.Option(False, "--report-latency", help="At the end, print latency percentiles per chunk to standard error."),
) -> None:
    """Classify audio in real time and print events as they end, with bounded latency."""
    from hark.audio.recording import open_recording
    from hark.infer.ethogram import read_thresholds, thresholds_path
    from hark.infer.stream import (
        EventTracker, StreamingClassifier, chunk_samples_for, file_chunks, open_streaming_engine, raw_chunks, run_stream,
    )
    from hark.models.store import load_config

    # everything is checked before the model is loaded or the first sample read
    if engine not in ("auto", "torch", "onnx"):
        raise HarkError(f"--engine {engine!r}: expected auto, torch or onnx")
    config = load_config(model)
    if config.kind != "frame":
        raise HarkError(f"{model}: is a clip model (one label per clip); streaming needs a frame model")
    thresholds = read_thresholds(model, ratio)
    unknown = sorted(set(thresholds) - set(config.output_names))
    if unknown:
        raise HarkError(f"{thresholds_path(model)} has thresholds for {unknown[0]!r}, which {model} does not output; run hark accuracy {model}")
    chunk_samples = chunk_samples_for(config.samplerate, chunk_ms)
    if (recording is None) == (not stdin):
        raise HarkError("give either a recording or --stdin (not both)")
    if stdin:
        if rate is None:
            raise HarkError("--stdin needs --rate HZ, the sample rate of the raw samples")
        source_rate, name = rate, "stdin"
        if sample_format not in ("int16", "float32"):
            raise HarkError(f"--format {sample_format!r}: expected int16 or float32")
        if channel >= channels:
            raise HarkError(f"--channel {channel} does not exist in {channels} channel(s), numbered from 0")
    else:
        if not speed >= 0:
            raise HarkError(f"--speed {speed:g} must be 0 (as fast as possible) or positive")
        opened = open_recording(recording, channel=channel)
        source_rate, name = opened.samplerate, opened.name
    if source_rate != config.samplerate:
        raise HarkError(
            f"{name}: sampled at {source_rate} Hz, but the model {model} was trained at {config.samplerate} Hz; "
            "resample the audio or use a model of its rate"
        )
    streaming = open_streaming_engine(model, engine, threads, chunk_samples)  # type: ignore[arg-type]
    classifier = StreamingClassifier(streaming, chunk_samples)
    classifier.warm_up(chunk_samples)
    tracker = EventTracker.for_model(streaming.spec, config.supervision, thresholds, onsets)
    fell_back = engine == "auto" and streaming.name == "torch" and not classifier.incremental  # no (up-to-date) frozen model
    hint = f"; hark freeze {model} makes the faster onnx engine available" if fell_back else ""
    how = ", each frame computed once" if classifier.incremental else ""
    print(
        f"hark: streaming {name} through {model} ({streaming.name} engine{how}, {threads} thread(s)) in chunks of "
        f"{chunk_samples} samples ({1000 * chunk_samples / source_rate:.4g} ms){hint}",
        file=sys.stderr,
    )
    if stdin:
        chunks = raw_chunks(sys.stdin.buffer, chunk_samples, sample_format, channels, channel)  # type: ignore[arg-type]
    else:
        chunks = file_chunks(opened, chunk_samples, speed)
    emit = event_printer(name)
    latencies: list[float] = []
    try:
        run_stream(chunks, classifier, tracker, emit, latencies)
    except KeyboardInterrupt:  # Ctrl-C ends a live stream: report what is still open, as at its end
        emit(tracker.finish(classifier.samples_seen))
    except BrokenPipeError:  # the reader of standard output has gone (e.g. | head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor at exit, when Python flushes it
        return
    if report_latency:
        print(latency_summary(latencies, chunk_samples / source_rate), file=sys.stderr)


def event_printer(name: str):
    """A function printing events as SongExplorer rows to standard output, flushed at once."""

    def emit(events) -> None:
        if not events:
            return
        out = sys.stdout
        for event in events:
            if event.is_onset:
                out.write(f"{name},{event.start},,onset,{event.label}\n")
            else:
                out.write(f"{name},{event.start},{event.stop},predicted,{event.label}\n")
        out.flush()

    return emit


def latency_summary(latencies: list[float], chunk_seconds: float) -> str:
    from hark.infer.stream import latency_percentiles

    if not latencies:
        return "hark: latency: no chunks were classified"
    p = latency_percentiles(latencies, (50, 90, 99, 100))
    late = sum(latency > chunk_seconds for latency in latencies)
    return (
        f"hark: latency over {len(latencies)} chunks of {1000 * chunk_seconds:.4g} ms: median {p[50]:.2f} ms, "
        f"90th percentile {p[90]:.2f} ms, 99th {p[99]:.2f} ms, max {p[100]:.2f} ms; "
        f"{late} chunk(s) took longer than their own duration"
    )


def register(app: typer.Typer) -> None:
    app.command("stream", epilog=EXAMPLE, help=stream_command.__doc__)(stream_command)
