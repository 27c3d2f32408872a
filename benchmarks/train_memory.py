"""Calibrates hark.train.memory's estimate against the measured peak memory of training steps.

    python -m benchmarks.train_memory

For each architecture, sample rate, window length and batch size, a fresh process builds the
model, takes a random batch and runs three training steps (forward, backward, Adam), and
reports the peak resident memory (``ru_maxrss``) above what it held before the first step,
beside the bytes autograd saves (what the estimate starts from) and the estimate itself
(weights and optimiser state, activations; not the input, made before the baseline).
``peak/estimate`` must stay below 1 for the check never to pass a batch that does not fit.
"""

from __future__ import annotations

import json
import subprocess
import sys

if __name__ == "__main__" and len(sys.argv) > 1:  # python -m benchmarks.train_memory 6 7: those cases only (1-based)
    ONLY = {int(arg) for arg in sys.argv[1:]}
else:
    ONLY = None

CASES = [
    # architecture, architecture params, sample rate, seconds, batch
    ("resnet", {}, 44100, 2.0, 4),
    ("resnet", {}, 44100, 5.0, 4),
    ("resnet", {}, 44100, 5.0, 8),
    ("resnet", {"window_ms": 32, "stride_ms": 16}, 44100, 5.0, 8),
    # what clip supervision trains at 16-50 kHz (hark.models.resnet.WIDEBAND_CLIP_DEFAULTS): mel, resnet18-quarter
    ("resnet", {"front_end": "mel", "n_mels": 64, "window_ms": 23.22, "stride_ms": 11.61, "preset": "resnet18-quarter"}, 44100, 5.0, 8),
    ("resnet", {"front_end": "mel", "n_mels": 64, "window_ms": 23.22, "stride_ms": 11.61, "preset": "resnet18-quarter"}, 44100, 5.0, 32),
    ("resnet", {}, 2000, 2.0, 32),
    ("convnet", {}, 10000, 0.3, 32),
]

CHILD = r"""
import json, resource, sys
import torch
torch.set_num_threads(1)
from hark.models.base import architectures
from hark.train.memory import _output_bytes, estimate_memory
name, params, rate, seconds, batch = json.loads(sys.argv[1])
arch = architectures.get(name)
module = arch.build(arch.validate(params), rate, 8)
samples = int(rate * seconds) if arch.kind == "clip" else module.context
outputs = _output_bytes(module, samples)
estimate = estimate_memory(module, samples)
optimizer = torch.optim.Adam(module.parameters())
x = torch.randn(batch, 1, samples)
y = torch.randint(0, 8, (batch,))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
module.train()
for _ in range(3):
    logits = module(x)
    if logits.dim() == 3:
        logits = logits[:, :, logits.shape[2] // 2]
    loss = torch.nn.functional.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
# the batch's input is made before the baseline is taken: leave it out of the estimate
print(json.dumps({"peak": peak, "outputs": outputs * batch, "estimate": estimate.batch_bytes(batch) - estimate.input_per_example * batch}))
"""


def main() -> None:
    print("architecture  params                      rate    s  batch  peak_MB  saved_MB  estimate_MB  peak/saved  peak/estimate")
    for number, case in enumerate(CASES, start=1):
        if ONLY is not None and number not in ONLY:
            continue
        result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True, text=True, check=True)
        r = json.loads(result.stdout.strip().splitlines()[-1])
        name, params, rate, seconds, batch = case
        print(
            f"{name:12s}  {json.dumps(params):26s}  {rate:6d}  {seconds:3g}  {batch:5d}  {r['peak'] / 1e6:7.0f}  "
            f"{r['outputs'] / 1e6:8.0f}  {r['estimate'] / 1e6:11.0f}  {r['peak'] / max(r['outputs'], 1):10.2f}  {r['peak'] / r['estimate']:13.2f}"
        )


if __name__ == "__main__":
    main()
