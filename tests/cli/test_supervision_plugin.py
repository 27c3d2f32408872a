"""A toy supervision added from outside hark, through the entry point group, used by the real ``hark`` CLI.

Must-show of issue 15: nothing in hark names the toy; a fake distribution on the PYTHONPATH
of a ``hark`` subprocess registers it (tests/plugins.py), and then ``hark train --supervision toy``
trains a small model end to end with the toy's own data builder (sparse supervision on the
centre of each annotation), and ``hark train --help`` and an unknown name list it.
"""

from __future__ import annotations

import json

import pytest

from hark.demo import generate_fly
from hark.models.store import list_checkpoints, load_config
from hark.train.supervisions import supervisions
from tests.plugins import TOYS, fake_distribution, run_hark

SMALL = ["-a", "n_conv_layers=1", "-a", "feature_maps=4", "-a", "dense_layers=4", "--steps", "4", "--validation-period", "2", "--batch-size", "4"]


@pytest.fixture(scope="module")
def toy_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    return fake_distribution(root, "hark_toy_supervision", {"hark.supervisions": {"toy": "toy_supervision:TOY"}}, [TOYS / "toy_supervision.py"])


@pytest.fixture(scope="module")
def fly(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fly")
    generate_fly(folder, n_recordings=2, duration_s=30.0, seed=5)
    return folder


def test_hark_trains_with_a_supervision_registered_from_outside(tmp_path, toy_site, fly):
    assert "toy" not in supervisions  # this process knows nothing of it: only the subprocess does
    model = tmp_path / "model"
    done = run_hark("train", "--data", fly, "--labels", "mel-pulse,mel-sine", "--supervision", "toy", "--out", model, "--no-progress", *SMALL, path=[toy_site])
    assert done.returncode == 0, done.stderr
    assert f"trained {model} for 4 steps" in done.stdout
    config = load_config(model)
    assert (config.supervision, config.architecture, config.kind) == ("toy", "convnet", "frame")  # sparse's default architecture
    assert config.output_names == ["mel-pulse", "mel-sine"]
    assert [step for step, _ in list_checkpoints(model)][-1] == 4

    # the toy's builder ran: every example is a point at the middle of its annotation
    split = json.loads((model / "split.json").read_text())
    examples = split["training"] + split["validation"]
    assert examples and all(e["start"] == e["stop"] for e in examples)
    summary = json.loads((model / "dataset" / "summary.json").read_text())
    assert summary["supervision"] == "toy" and set(summary["annotations"]["training"]) <= {"mel-pulse", "mel-sine"}


def test_hark_lists_the_plugin_supervision(toy_site):
    helped = run_hark("train", "--help", path=[toy_site])
    assert helped.returncode == 0 and "toy: sparse supervision on the centre of each annotation (default architecture convnet)" in " ".join(helped.stdout.split())

    done = run_hark("train", "--data", ".", "--labels", "a", "--supervision", "weak", "--out", "x", path=[toy_site])
    assert done.returncode != 0
    assert "supervision: unknown supervision 'weak'; known: clip, dense, events, sparse, toy, unsupervised" in done.stderr
    assert "Traceback" not in done.stderr
