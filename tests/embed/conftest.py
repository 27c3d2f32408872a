"""A small convnet trained once per module on generated fly song, and its activations."""

import pytest

from hark.demo import generate_fly
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import train_model

SMALL = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}


@pytest.fixture(scope="module")
def fly_model(tmp_path_factory):
    """(data folder, model folder): pulse, sine and ambient, 150 steps of a small convnet."""
    root = tmp_path_factory.mktemp("embed")
    data = root / "fly"
    generate_fly(data, n_recordings=2, duration_s=30.0, seed=11)
    model = root / "model"
    train_model(
        data, DataParams(labels=["mel-pulse", "mel-sine", "ambient"]),
        TrainParams(architecture="convnet", architecture_params=SMALL, steps=150, batch_size=16, validation_period=150),
        model, progress=False,
    )
    return data, model
