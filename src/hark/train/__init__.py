"""Training: data from ground-truth folders, the training loop, and ``train_model``.

>>> from hark.train import DataParams, TrainParams, train_model
>>> train_model("groundtruth", DataParams(labels=["mel-pulse", "mel-sine", "ambient"]), TrainParams(), "model")

The names load on first use: the parameter models (``hark.train.data_params``,
``hark.train.params``) are light, so a command's options can be declared from them without
loading torch, which the training loop needs.
"""

from importlib import import_module

_HOMES = {
    "DataParams": "hark.train.data_params",
    "TrainParams": "hark.train.params",
    "TrainingData": "hark.train.data",
    "TrainResult": "hark.train.run",
    "train_model": "hark.train.run",
    "Supervision": "hark.train.supervisions",
    "supervision_of": "hark.train.supervisions",
    "supervisions": "hark.train.supervisions",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'hark.train' has no attribute {name!r}")
