"""Contract of every registered supervision (hark.train.supervisions): hark's five and any plugin's.

Each must name a default architecture that exists and learns what it teaches (the model kind
and the objective agree), declare valid objectives, and build training data from the demo
folder it describes itself, with batches of the shapes training feeds its models.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hark.demo import generate_fly, generate_whale
from hark.errors import HarkError
from hark.models.base import architectures
from hark.params import validate_params
from hark.train.data import DataParams, TrainingData, Window
from hark.train.params import default_architecture
from hark.train.supervisions import OBJECTIVES, Supervision, supervision_of, supervisions
from tests.toys.toy_supervision import TOY

NAMES = supervisions.names()
PLUGINS = {**dict(supervisions.items()), TOY.name: TOY}
"""Every registered supervision, and the toy one from outside hark (registered only in tests/cli/test_supervision_plugin.py's subprocesses)."""
DEMOS = {"fly": lambda folder: generate_fly(folder, n_recordings=2, duration_s=10.0, seed=0), "whale": lambda folder: generate_whale(folder, n_clips=20, seed=0)}


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """Each demo folder generated once, on first use."""
    made = {}

    def folder(name: str):
        if name not in made:
            made[name] = tmp_path_factory.mktemp(name)
            DEMOS[name](made[name])
        return made[name]

    return folder


def test_hark_registers_its_five_supervisions_through_the_entry_points():
    assert {"sparse", "dense", "clip", "events", "unsupervised"} <= set(NAMES)


def test_an_unknown_supervision_names_the_known_ones():
    with pytest.raises(HarkError, match=r"^unknown supervision 'weak'; known: " + ", ".join(NAMES) + "$"):
        supervision_of("weak")


@pytest.mark.parametrize("name", PLUGINS)
def test_declares_a_valid_objective_and_an_existing_default_architecture(name):
    supervision = PLUGINS[name]
    assert isinstance(supervision, Supervision) and supervision.name == name and supervision.description
    assert supervision.objectives and set(supervision.objectives) <= set(OBJECTIVES)
    assert supervision.reconstructs == (supervision.objectives == ("reconstruction",))  # reconstruction goes alone
    assert supervision.objective(False) in supervision.objectives
    if "overlapped" in supervision.objectives:
        assert supervision.objective(True) == "overlapped"
    assert supervision.model_kind in ("frame", "clip")
    assert supervision.architecture_for(None) == supervision.default_architecture
    if name in supervisions:
        assert default_architecture(name) == supervision.default_architecture
    architecture = architectures.get(supervision.default_architecture)
    assert architecture.kind == supervision.model_kind
    reconstructs = getattr(architecture, "objective", "classification") == "reconstruction"
    supervision.check_kind(architecture.kind, supervision.default_architecture)  # no error: it can learn it
    supervision.check_objective(reconstructs, supervision.default_architecture)
    assert supervision.frames(16) == (16 if supervision.many_frames else 1)


@pytest.mark.parametrize("name", NAMES)
def test_refuses_overlapped_classes_unless_it_trains_them(name):
    supervision = supervision_of(name)  # DataParams knows the registered ones only
    values = {**supervision.demo[1], "supervision": name, "overlapped": True}
    if "overlapped" in supervision.objectives:
        assert validate_params(DataParams, values, "data").overlapped
    else:
        with pytest.raises(HarkError, match=r"^data: .*(exclusive classes|give no labels, overlapped or folds)"):
            validate_params(DataParams, values, "data")


@pytest.mark.parametrize("name", PLUGINS)
def test_refuses_an_architecture_of_the_other_kind(name):
    supervision = PLUGINS[name]
    other = next(n for n, a in architectures.items() if a.kind != supervision.model_kind and not getattr(a, "made_by", None))
    with pytest.raises(HarkError, match=other):
        supervision.check_kind(architectures.get(other).kind, other)


@pytest.mark.parametrize("name", NAMES)
def test_builds_training_data_from_its_demo_folder(name, demo_folder):
    supervision = supervision_of(name)
    demo, values = supervision.demo
    params = validate_params(DataParams, {**values, "supervision": name}, f"{name} demo")
    folder = demo_folder(demo)
    data = TrainingData.from_folder(folder, params)

    assert data.supervision is supervision and data.samplerate > 0
    labels = list(params.labels)
    if supervision.labelled:
        extra = [params.background_label] if supervision.dense else []
        assert data.output_names == [*extra, *labels]
    summary = data.summary()
    assert summary["supervision"] == name and summary["outputs"] == data.output_names
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*.wav")}
    for side in ("training", "validation"):
        assert summary["recordings"][side] and set(summary["recordings"][side]) <= on_disk
    json.dumps(data.split_manifest())  # the manifest split.json is written from

    data.check_batch_size(4)
    frames = supervision.frames(4)
    window = Window(64, 16, frames) if supervision.model_kind == "frame" else Window(0, 1, 1)
    batch = data.training_batch(np.random.default_rng(0), 4, window)
    assert batch.x.shape[0] == 4 and np.isfinite(batch.x).all()
    assert batch.y.shape[0] == 4
    if supervision.labelled:  # exclusive classes: the index of each example's (or frame's) output
        assert batch.y.dtype == np.int64 and batch.y.shape == ((4, frames) if supervision.dense else (4,))
        assert 0 <= batch.y.min() and batch.y.max() < len(data.output_names)
    validation = next(iter(data.validation_batches(4, window)))
    assert validation.x.shape[1:] == batch.x.shape[1:] or supervision.model_kind == "clip"  # clips keep their own lengths
