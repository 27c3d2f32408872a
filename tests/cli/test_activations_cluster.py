"""hark activations then hark cluster, as a user types them, on generated fly song."""

from hark.cli.app import main
from hark.embed import read_activations, read_cluster_map
from tests.embed.conftest import fly_model  # noqa: F401  (the module's trained model)


def test_activations_then_cluster_write_a_map_of_every_sound(fly_model, tmp_path, capsys):  # noqa: F811
    data, model = fly_model
    out = tmp_path / "act"
    argv = ["activations", "--model", str(model), "--data", str(data), "--out", str(out), "--kinds", "annotated",
            "--max-sounds", "60", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "60 sounds of" in capsys.readouterr().out
    activations = read_activations(out)
    assert main(["cluster", str(out), "--method", "pca", "--pca-dims", "5"]) == 0
    layer = [name for name in activations.layers if name != "output"][-1]
    rows, coordinates = read_cluster_map(out / f"cluster-{layer}.csv")
    assert len(rows) == 60 and coordinates.shape == (60, 2)
    assert (out / f"cluster-{layer}.png").is_file() and (out / f"cluster-{layer}.json").is_file()


def test_mistakes_are_one_line_errors(fly_model, tmp_path, capsys):  # noqa: F811
    data, model = fly_model
    assert main(["cluster", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"hark: error: {tmp_path}: no activations.json; run hark activations --out {tmp_path} first"
    assert main(["activations", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "a"), "--max-sounds", "0"]) == 2
    assert "max_sounds" in capsys.readouterr().err
    assert main(["activations", "--model", str(data), "--data", str(data), "--out", str(tmp_path / "b")]) == 2
    assert "config.json" in capsys.readouterr().err
