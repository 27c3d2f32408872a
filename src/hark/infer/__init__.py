"""Applying a trained model: freeze it, classify recordings, turn probabilities into events.

- :func:`freeze_model` exports ``MODEL/frozen.onnx`` (checked against torch);
- :func:`classify_recordings` streams recordings of any length through a checkpoint (torch)
  or the frozen model (onnxruntime) and writes ``<rec>-probabilities.npy`` + ``.json``,
  read back in slices with :func:`read_probabilities`;
- :func:`write_ethograms` applies ``hark accuracy``'s thresholds: ``<rec>-predicted-<ratio>pr.csv``;
- :func:`write_misses` lists detected sounds no prediction covers: ``<rec>-missed.csv``.

See docs/inference.md.
"""

from hark.infer.classify import ClassificationResult, classify_recordings, plan_classification
from hark.infer.engines import ModelSpec, OnnxEngine, TorchEngine, open_engine
from hark.infer.ethogram import read_thresholds, write_ethograms
from hark.infer.freeze import freeze_model
from hark.infer.misses import write_misses
from hark.infer.priors import prior_weights, reweight, training_prevalences
from hark.infer.probabilities import ProbabilitiesMeta, open_probabilities, read_probabilities

__all__ = [
    "ClassificationResult",
    "ModelSpec",
    "OnnxEngine",
    "ProbabilitiesMeta",
    "TorchEngine",
    "classify_recordings",
    "freeze_model",
    "open_engine",
    "open_probabilities",
    "plan_classification",
    "prior_weights",
    "read_probabilities",
    "read_thresholds",
    "reweight",
    "training_prevalences",
    "write_ethograms",
    "write_misses",
]
