"""Models that see the movie filmed with a recording: architectures ``video`` and ``audio-video``.

Both are frame models (:mod:`hark.models.base`) on the audio's frame grid: output frame ``j``
describes the recording's time ``j * stride + context // 2`` (samples), and besides the audio
``(B, 1, T)`` they take ``video`` ``(B, frames + 2 * video_margin, S, S)``: one grey picture
(``uint8`` 0-255 or float 0-1, ``S = frame_size``) per output frame, the movie's frame shown at
that frame's time (the nearest frame: a 25 fps movie repeats each picture over the frames of
a 5 ms stride), with ``video_margin`` more frames before the first and after the last, so
that the temporal convolution needs no padding and a long chunk gives what each window alone
gives (the frame contract, with the video cut to match).

- ``video`` sees the pictures only (the audio sets the grid and nothing else): a small 2-D CNN
  per picture, a dilated 1-D convolution over the pictures' features, a 1x1 convolution to
  the logits.
- ``audio-video`` joins an audio frame architecture (``audio``, e.g. ``convnet`` or ``tcn``,
  with its own ``audio_params``; its ``audio_features`` outputs are taken as features) and the
  same video branch: their features per frame are concatenated and a 1x1 convolution gives
  the logits. The grid is the audio model's.

Training and ``hark classify`` hand the pictures to any model whose ``needs_video`` is True
(:mod:`hark.train.data_video`). Without ``video`` (memory estimates, shape probes) the branch
sees black pictures; nothing that classifies real audio passes None.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import torch
from pydantic import Field, field_validator
from torch import nn

from hark.errors import HarkError
from hark.models.base import Architecture, FrameModel, architectures, register_architecture
from hark.params import Params


class VideoBranchParams(Params):
    """The video branch's settings (shared by ``video`` and ``audio-video``)."""

    frame_size: int = Field(32, ge=8, le=128, description="each movie frame is read as a frame_size x frame_size grey picture (a multiple of 4)")
    video_channels: int = Field(8, ge=1, le=128, description="feature maps of the first of the two 3x3 convolutions per picture (the second has twice as many)")
    video_features: int = Field(32, ge=1, le=1024, description="features per picture, and per frame after the temporal convolution")
    temporal_kernel: int = Field(3, ge=1, le=15, description="pictures the temporal convolution joins (odd; 1: each frame sees its own picture only)")
    temporal_spacing_ms: float = Field(
        40.0, gt=0, le=10_000, description="time between the pictures the temporal convolution joins (ms; rounded to whole output frames; 40 ms: one frame of a 25 fps movie)"
    )

    @field_validator("frame_size")
    @classmethod
    def _multiple_of_four(cls, value: int) -> int:
        if value % 4:
            raise ValueError(f"frame_size {value} must be a multiple of 4 (two 2x2 poolings)")
        return value

    @field_validator("temporal_kernel")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"temporal_kernel {value} must be odd (centred on its frame)")
        return value


class VideoBranch(nn.Module):
    """Pictures ``(B, N, S, S)`` -> features ``(B, video_features, N - 2 * margin)``."""

    def __init__(self, params: VideoBranchParams, dilation: int):
        super().__init__()
        size, channels, features = params.frame_size, params.video_channels, params.video_features
        self.size = size
        self.margin = dilation * (params.temporal_kernel - 1) // 2
        self.pictures = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * channels * (size // 4) ** 2, features),
            nn.ReLU(),
        )
        self.temporal = nn.Conv1d(features, features, params.temporal_kernel, dilation=dilation)
        self.kernel, self.dilation = params.temporal_kernel, dilation

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        batch, count = video.shape[:2]
        frames = count - 2 * self.margin
        pictures = video.float() / 255.0 if video.dtype == torch.uint8 else video
        # a few frames (a sparse example's one) of a dilated convolution read few of the pictures: only those go through the CNN
        taps = torch.arange(self.kernel, device=video.device) * self.dilation  # the pictures each frame's convolution reads
        read = torch.unique(torch.arange(frames, device=video.device)[:, None] + taps[None, :]) if frames < self.dilation else None
        chosen = pictures if read is None else pictures[:, read]
        features = self._each_picture(chosen)
        if read is not None:
            every = features.new_zeros(batch, count, features.shape[-1])
            every[:, read] = features
            features = every
        return torch.relu(self.temporal(features.transpose(1, 2)))

    def _each_picture(self, pictures: torch.Tensor) -> torch.Tensor:
        """``(B, N, S, S)`` -> ``(B, N, features)``; a picture equal to the one before it (a movie
        frame repeated over the output frames it spans) is computed once."""
        batch, count = pictures.shape[:2]
        flat = pictures.reshape(batch * count, 1, self.size, self.size)
        new = torch.ones(batch, count, dtype=torch.bool, device=pictures.device)
        if count > 1:
            new[:, 1:] = (pictures[:, 1:] != pictures[:, :-1]).flatten(2).any(dim=2)
        new = new.reshape(-1)
        features = self.pictures(flat[new])
        return features[torch.cumsum(new.long(), 0) - 1].reshape(batch, count, -1)

    def pictures_for(self, video: torch.Tensor | None, audio: torch.Tensor, frames: int) -> torch.Tensor:
        """``video`` checked against the ``frames`` the audio gives; None: black pictures."""
        wanted = frames + 2 * self.margin
        if video is None:
            return audio.new_zeros(audio.shape[0], wanted, self.size, self.size)
        if video.dim() != 4 or video.shape[0] != audio.shape[0] or tuple(video.shape[1:]) != (wanted, self.size, self.size):
            raise HarkError(
                f"video of shape {tuple(video.shape)} given; {audio.shape[0]} x {wanted} pictures of {self.size}x{self.size} expected "
                f"({frames} output frames and {self.margin} more on each side)"
            )
        return video


def _dilation(spacing_ms: float, stride: int, samplerate: float) -> int:
    return max(1, round(spacing_ms * samplerate / 1000 / stride))


class VideoNet(FrameModel):
    """Frames of the movie only; the audio sets the frame grid."""

    needs_video: ClassVar[bool] = True

    def __init__(self, params: VideoParams, samplerate: float, n_outputs: int):
        super().__init__()
        self.context = max(1, round(params.context_ms * samplerate / 1000))
        self.stride = max(1, round(params.stride_ms * samplerate / 1000))
        if self.stride > self.context:
            raise HarkError(f"stride_ms {params.stride_ms} is longer than context_ms {params.context_ms}")
        self.n_outputs = n_outputs
        self.branch = VideoBranch(params, _dilation(params.temporal_spacing_ms, self.stride, samplerate))
        self.video_size, self.video_margin = self.branch.size, self.branch.margin
        self.output = nn.Conv1d(params.video_features, n_outputs, 1)

    def forward(self, audio: torch.Tensor, video: torch.Tensor | None = None) -> torch.Tensor:
        frames = self.output_frames(audio.shape[-1])
        return self.output(self.branch(self.branch.pictures_for(video, audio, frames)))


class AudioVideoNet(FrameModel):
    """An audio frame model and the video branch, their features joined per frame."""

    needs_video: ClassVar[bool] = True

    def __init__(self, audio_model: FrameModel, params: AudioVideoParams, samplerate: float, n_outputs: int):
        super().__init__()
        self.audio = audio_model
        self.context, self.stride = audio_model.context, audio_model.stride
        self.n_outputs = n_outputs
        self.branch = VideoBranch(params, _dilation(params.temporal_spacing_ms, self.stride, samplerate))
        self.video_size, self.video_margin = self.branch.size, self.branch.margin
        self.output = nn.Conv1d(params.audio_features + params.video_features, n_outputs, 1)

    def forward(self, audio: torch.Tensor, video: torch.Tensor | None = None) -> torch.Tensor:
        heard = self.audio(audio)
        seen = self.branch(self.branch.pictures_for(video, audio, heard.shape[-1]))
        return self.output(torch.relu(torch.cat([heard, seen], dim=1)))


class VideoParams(VideoBranchParams):
    context_ms: float = Field(40.0, gt=0, le=60_000, description="audio each output frame stands for (ms): a sparse example's window")
    stride_ms: float = Field(10.0, gt=0, le=10_000, description="time between output frames (ms), at most context_ms")


class AudioVideoParams(VideoBranchParams):
    audio: str = Field("convnet", description="the audio frame architecture (convnet, tcn, ...) whose outputs are the audio features")
    audio_params: dict[str, Any] = Field({}, description="the audio architecture's parameters (as -a NAME=VALUE would give them to it alone)")
    audio_features: int = Field(16, ge=1, le=1024, description="features the audio model gives per frame (its number of outputs)")

    @field_validator("audio_params", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        # from the command line (-a 'audio_params={"context_ms": 100}') the table comes as JSON text
        if isinstance(value, str):
            try:
                return json.loads(value) if value.strip() else {}
            except ValueError as err:
                raise ValueError(f"not a JSON table of the audio architecture's parameters ({err})") from None
        return value


@register_architecture("video")
class VideoArchitecture(Architecture):
    """pictures of the movie filmed with the recording only (a small CNN per picture, a temporal convolution)"""

    kind = "frame"
    needs_video: ClassVar[bool] = True
    Params = VideoParams

    @classmethod
    def build(cls, params: VideoParams, samplerate: int, n_outputs: int) -> VideoNet:
        return VideoNet(params, samplerate, n_outputs)


@register_architecture("audio-video")
class AudioVideoArchitecture(Architecture):
    """an audio frame architecture joined with the video branch: features of both per frame, then the logits"""

    kind = "frame"
    needs_video: ClassVar[bool] = True
    Params = AudioVideoParams

    @classmethod
    def build(cls, params: AudioVideoParams, samplerate: int, n_outputs: int) -> AudioVideoNet:
        if params.audio not in architectures:
            raise HarkError(f"audio {params.audio!r}: unknown architecture; known: {', '.join(architectures.names())}")
        audio = architectures.get(params.audio)
        if audio.kind != "frame" or getattr(audio, "needs_video", False) or getattr(audio, "made_by", None):
            raise HarkError(f"audio {params.audio!r}: an audio frame architecture trained with hark train is needed (e.g. convnet, tcn)")
        audio_params = audio.validate(params.audio_params)
        if getattr(audio_params, "input_channels", 1) > 1:
            raise HarkError(f"audio_params: input_channels {audio_params.input_channels}: the joined model reads one channel")
        model = audio.build(audio_params, samplerate, params.audio_features)
        return AudioVideoNet(model, params, samplerate, n_outputs)
