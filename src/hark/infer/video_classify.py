"""``hark classify`` of a video model: the movie beside each recording read with its audio (docs/video.md).

The model's training settings name the video finder and reader (``DataParams.video_finder``,
``video_reader``): each recording's movie is found as training found them, checked to last the
recording (:func:`hark.video.check_covers`) before anything is classified, decoded once at the
model's picture size, and each chunk of audio goes to the model with the pictures of its
output frames (:class:`hark.train.data_video.VideoWindows`). Video models run with torch only
(they have no ONNX form), so no auto-freezing either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from hark.audio import open_recording
from hark.infer.engines import activated
from hark.models.store import ModelConfig
from hark.train.data_video import VideoWindows, movie_of, read_pictures
from hark.video import check_covers, open_video


def needs_video(engine) -> bool:
    """Whether ``engine`` runs a model that reads a movie's pictures beside the audio."""
    return bool(getattr(getattr(engine, "model", None), "needs_video", False))


def _settings(config: ModelConfig) -> dict:
    data = config.data or {}
    return {
        "finder": data.get("video_finder", "same-name"),
        "finder_params": data.get("video_finder_params"),
        "reader": data.get("video_reader", "pyav"),
        "reader_params": data.get("video_reader_params"),
    }


def check_movies(config: ModelConfig, recordings: Sequence[str | Path], reader: str = "auto", reader_params: dict | None = None) -> None:
    """A one-line error for the first recording whose movie is missing, unreadable or shorter than it
    (read from the movies' headers only)."""
    settings = _settings(config)
    for path in recordings:
        recording = open_recording(path, reader=reader, reader_params=reader_params)
        movie = movie_of(recording.path, settings["finder"], settings["finder_params"])
        stream = open_video(movie, settings["reader"], dict(settings["reader_params"] or {}))
        try:
            check_covers(stream.info, recording.frames / recording.samplerate, movie, recording.path)
        finally:
            stream.close()


def stream_video_frames(
    engine, recording, config: ModelConfig, chunk_samples: int, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_row, rows)`` as :func:`hark.infer.classify.stream_frames` does, each chunk with its pictures."""
    spec, model = engine.spec, engine.model.to(engine.device)
    settings = _settings(config)
    movie = read_pictures(
        recording.path, recording.frames / recording.samplerate, int(model.video_size),
        settings["finder"], settings["finder_params"], settings["reader"], settings["reader_params"],
    )
    windows = VideoWindows({"": movie}, spec.samplerate, int(model.video_size), int(model.video_margin))
    wrapper = engine.module  # its calibration (temperature) and output activation
    for chunk in recording.chunks(chunk_samples, overlap=spec.context - spec.stride):
        frames = spec.frames(len(chunk.data))
        if frames == 0:
            continue
        audio = np.zeros(spec.context + (frames - 1) * spec.stride, np.float32)
        audio[:] = chunk.data[: len(audio)]
        pictures = windows.for_windows([""], np.array([chunk.start]), spec.context, spec.stride, frames)
        with torch.inference_mode():
            logits = model(torch.from_numpy(audio)[None, None].to(engine.device), torch.from_numpy(pictures).to(engine.device))
            rows = activated(logits, wrapper.overlapped, wrapper.temperature, dim=1)[0].T.float().cpu().numpy()
        yield chunk.start // spec.stride, rows
        if progress:
            progress(min(chunk.start + chunk_samples, recording.frames) / max(recording.frames, 1))
