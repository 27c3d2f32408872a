"""A TCN (``tcn``, ``calls``) run on a stream with every frame computed once: each layer keeps its past.

Offline, a frame of a :class:`~hark.models.tcn.TCNFrameModel` sees ``context`` samples: for the
default dense ``tcn`` at 32 kHz some 886 ms, recomputed through every block for each 25.6 ms
chunk when a stream is classified by context alone (:class:`hark.infer.stream.StreamingClassifier`).
Every conv here is valid (no padding in time) and every normalisation acts on one frame, so a
layer's output frame depends only on a fixed stretch of its input frames. :class:`TCNStream`
therefore keeps, between chunks,

- the samples the front end's next frame starts with (its window less a hop, plus any part of a hop),
- for each residual block, its last ``dilation * (kernel_size - 1)`` input frames,
- for each block's skip output, the frames the final sum has not used yet (block ``b``'s skip
  frame ``j + skip_offsets[b]`` joins the final frame ``j``),

and runs each layer on the new frames only. The logits are those of one pass over the whole
signal, to float rounding (tests/models/test_tcn_stream.py); the work per chunk is the chunk's
own frames, not the context's.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from hark.models.tcn import ResidualBlock, TCNFrameModel


class _Frames:
    """Frames of one tensor stream ``(channels, frames)`` not consumed yet, and the index of the first."""

    def __init__(self) -> None:
        self.data: torch.Tensor | None = None
        self.first = 0

    def append(self, new: torch.Tensor) -> None:
        self.data = new if self.data is None else torch.cat((self.data, new), dim=-1)

    @property
    def end(self) -> int:
        """The index after the last frame held."""
        return self.first + (0 if self.data is None else self.data.shape[-1])

    def take(self, start: int, length: int) -> torch.Tensor:
        assert self.data is not None and start >= self.first and start + length <= self.end
        return self.data.narrow(-1, start - self.first, length)

    def drop_before(self, index: int) -> None:
        if self.data is not None and index > self.first:
            self.data = self.data[..., index - self.first :]
            self.first = index


class _MatrixBlock:
    """A residual block in eval mode as matrix products on ``(channels, frames)``: its batch norm
    folded into its conv (rounding only, ~1e-7), the dilated conv as one product with the input's
    ``kernel_size`` shifted copies stacked. torch's dilated ``conv1d`` on the CPU takes a slow
    path that costs far more than the arithmetic of a chunk's few frames."""

    def __init__(self, block: ResidualBlock):
        conv, norm = block.conv, block.norm
        if isinstance(norm, nn.BatchNorm1d):
            conv, norm = fuse_conv_bn_eval(conv, norm), None
        out_channels, in_channels, taps = conv.weight.shape
        # stacked copies are ordered tap by tap, the channels within each
        self.weight = conv.weight.detach().permute(0, 2, 1).reshape(out_channels, taps * in_channels).contiguous()
        self.bias = conv.bias.detach()[:, None]
        self.norm = norm  # a per-frame group norm stays a module: (1, channels, frames)
        self.mix_weight, self.mix_bias = block.mix.weight.detach()[:, :, 0], block.mix.bias.detach()[:, None]
        self.taps, self.dilation = taps, conv.dilation[0]
        self.shrink, self.offset = block.shrink, block.offset

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` ``(channels, frames)`` -> (residual output, skip output), ``shrink`` frames fewer."""
        x = x.contiguous()
        channels, frames = x.shape[0], x.shape[-1] - self.shrink
        # the shifted copies as one strided view of x (tap, channel, frame), then one copy
        shifted = x.as_strided((self.taps, channels, frames), (self.dilation * x.stride(1), x.stride(0), x.stride(1)))
        stacked = shifted.reshape(self.taps * channels, frames)
        h = torch.addmm(self.bias, self.weight, stacked)
        if self.norm is not None:
            h = self.norm(h[None])[0]
        skip = torch.addmm(self.mix_bias, self.mix_weight, torch.relu(h))  # (dropout is the identity in eval mode)
        return x.narrow(-1, self.offset, frames) + skip, skip


class TCNStream:
    """Feeds audio to ``model`` (in eval mode) chunk by chunk; :meth:`push` returns the logits of the frames each completes."""

    def __init__(self, model: TCNFrameModel):
        self.model = model.eval()
        self.window, self.hop = int(model.front_end.window), int(model.front_end.hop)
        self._blocks = [_MatrixBlock(block) for block in model.blocks]
        self._samples = torch.zeros(0)
        self._block_inputs = [_Frames() for _ in model.blocks]  # each block's last `shrink` input frames
        self._skips = [_Frames() for _ in model.blocks]  # block outputs the final sum has yet to use
        self._last_outputs = _Frames()  # the last block's residual output (without skip connections)
        self._final_done = 0  # final frames returned so far

    @torch.inference_mode()
    def push(self, audio: torch.Tensor) -> torch.Tensor:
        """``(outputs, new_frames)`` logits for the frames whose context ``audio`` (1-D, float32) completes."""
        model = self.model
        samples = torch.cat((self._samples, audio)) if self._samples.numel() else audio
        n = (samples.shape[0] - self.window) // self.hop + 1 if samples.shape[0] >= self.window else 0
        if n <= 0:
            self._samples = samples
            return self._no_frames()
        x = model.project(model.input_norm(model.front_end(samples[: (n - 1) * self.hop + self.window][None, None])))[0]
        self._samples = samples[n * self.hop :].clone()
        for block, inputs, skips in zip(self._blocks, self._block_inputs, self._skips):
            inputs.append(x)
            if inputs.data.shape[-1] <= block.shrink:
                return self._no_frames()  # (only while the stream is younger than the context)
            x, skip = block(inputs.data)
            inputs.drop_before(inputs.end - block.shrink)
            skips.append(skip)
        self._last_outputs.append(x)
        return self._final()

    def _final(self) -> torch.Tensor:
        """The final frames every block has now reached: one per new frame of the last block."""
        model, start = self.model, self._final_done
        ready = self._last_outputs.end - start
        if model.skip_connections:
            x = self._skips[-1].take(start, ready)
            for skips, offset in zip(self._skips[:-1], model.skip_offsets[:-1]):
                x = x + skips.take(start + offset, ready)
        else:
            x = self._last_outputs.take(start, ready)
        self._final_done += ready
        self._last_outputs.drop_before(self._final_done)
        for skips, offset in zip(self._skips, model.skip_offsets):
            skips.drop_before(self._final_done + offset if model.skip_connections else skips.end)
        return model.output(torch.relu(x)[None])[0]

    def _no_frames(self) -> torch.Tensor:
        return torch.zeros(self.model.n_outputs, 0)
