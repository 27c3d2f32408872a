"""Applying a trained model: freeze it, classify recordings, turn probabilities into events.

- :func:`freeze_model` exports ``MODEL/frozen.onnx`` (checked against torch);
- :func:`classify_recordings` streams recordings of any length through a checkpoint (torch)
  or the frozen model (onnxruntime) and writes ``<rec>-probabilities.npy`` + ``.json``,
  read back in slices with :func:`read_probabilities`;
- :func:`write_ethograms` applies ``hark accuracy``'s thresholds: ``<rec>-predicted-<ratio>pr.csv``;
- :func:`write_misses` lists detected sounds no prediction covers: ``<rec>-missed.csv``.

See docs/inference.md.
"""

import importlib

# name -> the module defining it; imported when first asked for (PEP 562), so that
# ``hark.infer.requests`` (the commands' options) loads without torch
_WHERE = {
    "ClassificationResult": "classify", "classify_recordings": "classify", "plan_classification": "classify",
    "ModelSpec": "engines", "OnnxEngine": "engines", "TorchEngine": "engines", "open_engine": "engines",
    "read_thresholds": "ethogram", "write_ethograms": "ethogram",
    "freeze_model": "freeze",
    "write_misses": "misses",
    "prior_weights": "priors", "reweight": "priors", "training_prevalences": "priors",
    "ProbabilitiesMeta": "probabilities", "open_probabilities": "probabilities", "read_probabilities": "probabilities",
}  # fmt: skip


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'hark.infer' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hark.infer.{_WHERE[name]}"), name)


__all__ = sorted(_WHERE)
