"""Errors name parameters: the library by their Python names, the command line by the flag the
user typed, the GUI by the form's field (hark.errors.ParameterError)."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hark.annotations.resample import resample_recordings
from hark.cli.app import main
from hark.errors import HarkError, ParameterError
from hark.infer.engines import resolve_device
from tests.infer.helpers import make_model, tiny_architectures, write_recording  # noqa: F401 (a fixture)


def _wav(path):
    sf.write(path, np.zeros(800, np.float32), 8000)
    return path


def test_the_library_names_the_parameter_not_a_flag(tmp_path):
    with pytest.raises(ParameterError) as raised:
        resolve_device("tpu")
    assert raised.value.param == "device"
    assert str(raised.value) == "device 'tpu': expected auto, cpu, cuda or cuda:N"
    with pytest.raises(ParameterError) as raised:
        resample_recordings([_wav(tmp_path / "a.wav")], tmp_path / "out", 0)
    assert raised.value.param == "rate" and str(raised.value) == "rate 0: must be a positive whole number of Hz"


SRC = Path(__file__).resolve().parents[1] / "src" / "hark"
FRONT_ENDS = ("cli", "gui")  # they speak the user's words: flags and form fields
COMMAND_SUGGESTION = re.compile(r"hark [a-z][a-z-]*[^;]*")  # "run hark accuracy MODEL --ratio 2 first": a command to type
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def _error_texts(path: Path):
    """(line, text) of each literal message of each ``raise SomethingError(...)`` in ``path``, an
    f-string's fields shown as ``{}``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        called = node.exc.func
        if not getattr(called, "id", getattr(called, "attr", "")).endswith("Error"):
            continue
        for arg in node.exc.args:
            parts = arg.values if isinstance(arg, ast.JoinedStr) else [arg]
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}" for v in parts)


def test_no_library_error_names_a_command_line_flag():
    """Below the front ends an error names a parameter through ParameterError's ``{param}``, so the
    command line shows the flag and the GUI the field; a flag may appear only in a command to run."""
    named = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] in FRONT_ENDS:
            continue
        for line, text in _error_texts(path):
            if FLAG.search(COMMAND_SUGGESTION.sub("", text)):
                named.append(f"{path.relative_to(SRC)}:{line}: {text[:100]}")
    assert named == []


def test_the_scan_finds_a_flag_in_a_message_and_spares_a_command_to_run(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        'raise HarkError(f"{x}: give --out")\n'
        'raise HarkError(f"{x}: no index; run hark embed --out {x} first")\n'
        'raise ParameterError("out", "{param} is missing")\n'
    )
    flagged = [line for line, text in _error_texts(planted) if FLAG.search(COMMAND_SUGGESTION.sub("", text))]
    assert flagged == [1]


def test_a_parameter_error_keeps_its_fields_across_processes():
    error = ParameterError("threshold", "give {param} or {ratio}, not both", others=("ratio",))
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.param, str(copy)) == ("threshold", "give threshold or ratio, not both")
    assert copy.phrased(lambda name: f"--{name}") == "give --threshold or --ratio, not both"
    assert pickle.loads(pickle.dumps(HarkError("bad", param="out"))).param == "out"


@pytest.mark.parametrize(("typed", "said"), [("--out", "--out"), ("-o", "-o"), ("--out=", "--out")])
def test_the_command_line_names_the_flag_the_user_typed(typed, said, tmp_path, capsys):
    wav = _wav(tmp_path / "a.wav")  # the library's out_dir is the command's -o/--out
    out = [typed + str(tmp_path)] if typed.endswith("=") else [typed, str(tmp_path)]
    assert main(["resample", "--rate", "4000", *out, str(wav), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == f"hark: error: {wav}: the output would overwrite it; choose another {said}"


def test_the_gui_names_the_form_field(tmp_path, tiny_architectures):
    from hark.gui.actions import ACTIONS_BY_NAME, plan_action
    from hark.gui.paths import DataFolder

    root = tmp_path / "data"
    root.mkdir()
    make_model(root / "model")
    write_recording(root / "rec.wav", 1.0)
    texts = {"files": {"model": "model", "recordings": "rec.wav", "out": "probabilities", "device": "tpu"}}
    with pytest.raises(HarkError) as raised:
        plan_action(ACTIONS_BY_NAME["classify"], texts, DataFolder(root), lambda kind: tmp_path / f"{kind}.log")
    assert str(raised.value) == "files.device 'tpu': expected auto, cpu, cuda or cuda:N"
    assert raised.value.param == "device"
