"""Training: data from ground-truth folders, the training loop, and ``train_model``.

>>> from hark.train import DataParams, TrainParams, train_model
>>> train_model("groundtruth", DataParams(labels=["mel-pulse", "mel-sine", "ambient"]), TrainParams(), "model")
"""

from hark.train.data import DataParams, TrainingData
from hark.train.params import TrainParams
from hark.train.run import TrainResult, train_model
from hark.train.supervisions import Supervision, supervision_of, supervisions

__all__ = ["DataParams", "Supervision", "TrainParams", "TrainResult", "TrainingData", "supervision_of", "supervisions", "train_model"]
