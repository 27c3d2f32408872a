"""``hark delete-checkpoints``: the kept checkpoints still serve accuracy, classify and resume; the rest go."""

from __future__ import annotations

import pytest

from hark.cli.app import main
from hark.demo import generate_fly
from hark.models.store import best_step, list_checkpoints
from hark.train.data import DataParams
from hark.train.params import TrainParams
from hark.train.run import train_model

SMALL = {"n_conv_layers": 2, "feature_maps": 8, "dense_layers": [8]}


@pytest.fixture(scope="module")
def fly(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    generate_fly(root / "fly", n_recordings=2, duration_s=20.0, seed=5)
    return root / "fly"


def _train(fly, out):
    train_model(
        fly, DataParams(labels=["mel-pulse", "mel-sine", "ambient"]),
        TrainParams(architecture="convnet", architecture_params=SMALL, steps=80, batch_size=8, validation_period=20),
        out, progress=False,
    )  # fmt: skip
    return out


def _files(model):
    return sorted(p.name for p in model.iterdir() if p.name.startswith(("ckpt-", "validation-")))


def test_keep_best_and_last_deletes_the_others_and_the_model_still_classifies(fly, tmp_path, capsys):
    model = _train(fly, tmp_path / "model")
    assert [s for s, _ in list_checkpoints(model)] == [20, 40, 60, 80]
    assert main(["delete-checkpoints", str(model), "--keep", "best"]) == 2  # accuracy has not chosen yet
    assert "run hark accuracy" in capsys.readouterr().err and len(list_checkpoints(model)) == 4
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    best = best_step(model)
    before = _files(model)
    assert main(["delete-checkpoints", str(model), "--keep", "best,last", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert _files(model) == before and "would delete" in out
    assert main(["delete-checkpoints", str(model), "--keep", "best", "--keep", "last"]) == 0
    out = capsys.readouterr().out
    kept = sorted({best, 80})
    assert [s for s, _ in list_checkpoints(model)] == kept
    assert _files(model) == sorted([f"ckpt-{s:06d}.pt" for s in kept] + [f"validation-{s:06d}.npz" for s in kept])
    assert f"step {best} (best)" in out and "MB" in out
    # what remains still works: classify with the best, accuracy chooses among the kept
    recording = sorted(fly.glob("*.wav"))[0]
    assert main(["classify", "--model", str(model), "--out", str(tmp_path / "p"), "--device", "cpu", str(recording)]) == 0
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    assert best_step(model) in kept


def test_keep_the_latest_n_and_bad_values(fly, tmp_path, capsys):
    model = _train(fly, tmp_path / "model")
    assert main(["delete-checkpoints", str(model), "--keep", "2"]) == 0
    assert [s for s, _ in list_checkpoints(model)] == [60, 80]
    capsys.readouterr()
    for bad, message in (("0", "--keep '0'"), ("newest", "--keep 'newest'")):
        assert main(["delete-checkpoints", str(model), "--keep", bad]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert main(["delete-checkpoints", str(tmp_path), "--keep", "last"]) == 2
    assert "not a model folder" in capsys.readouterr().err
    assert [s for s, _ in list_checkpoints(model)] == [60, 80]



def test_the_docs_commands_run_as_printed_after_accuracy(fly, tmp_path):
    from tests.conftest import REPO_ROOT
    from tests.docs_blocks import Tutorial, find_block, page_blocks

    model = _train(fly, tmp_path / "model")
    assert main(["accuracy", str(model), "--no-figures"]) == 0  # the prose: "once hark accuracy has chosen"
    best = best_step(model)
    block = find_block(page_blocks(REPO_ROOT / "docs" / "training.md", REPO_ROOT), "Deleting checkpoints", 0)
    assert [c.text.split()[:2] for c in block.commands] == [["hark", "delete-checkpoints"]] * 3
    Tutorial(tmp_path, placeholders={"MODEL": str(model)}).run(block)
    assert [s for s, _ in list_checkpoints(model)] == [best]  # --keep best; then nothing more to delete
