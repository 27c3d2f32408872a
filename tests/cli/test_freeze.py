import json

import numpy as np
import pytest
import torch

from hark.cli.app import main
from hark.models.store import checkpoint_path
from tests.infer.helpers import make_model, tiny_architectures  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("tiny_architectures")


def test_freeze_writes_a_checked_export(tmp_path, capsys):
    model = make_model(tmp_path / "model", steps=(100, 200))
    assert main(["freeze", str(model), "--checkpoint", "100"]) == 0
    out = capsys.readouterr().out
    assert "frozen.onnx: checkpoint of step 100" in out and "agrees with torch" in out
    assert json.loads((model / "frozen.json").read_text())["step"] == 100


def test_freeze_bad_inputs_are_one_line(tmp_path, capsys):
    model = make_model(tmp_path / "model")
    cases = [
        ([str(tmp_path / "missing")], "no such model folder"),
        ([str(tmp_path)], "not a hark model folder"),
        ([str(model), "--checkpoint", "5"], "no checkpoint of step 5"),
        ([str(model), "--checkpoint", "soon"], "expected a step number"),
    ]
    checkpoint_path(model, 100).write_bytes(np.random.default_rng(1).bytes(500))
    cases.append(([str(model)], "not a readable checkpoint"))
    for argv, message in cases:
        assert main(["freeze", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("hark: error: ") and message in err and "\n" not in err, (argv, err)
    torch.save({"state_dict": {}}, checkpoint_path(model, 100))
    assert main(["freeze", str(model)]) == 2
    assert "not a hark checkpoint" in capsys.readouterr().err
    assert not (model / "frozen.onnx").exists()
