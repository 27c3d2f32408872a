"""Dense and overlapped supervision and replicates, end to end through the commands (small and quick)."""

import numpy as np

from hark.annotations.songexplorer import read_csv
from hark.cli.app import main
from hark.demo import generate_fly
from hark.infer.probabilities import read_probabilities
from hark.models.store import list_checkpoints, load_config

SMALL = ["-a", "n_conv_layers=2", "-a", "feature_maps=8", "-a", "dense_layers=8"]


def test_dense_training_classifies_every_frame_with_a_background_class(tmp_path):
    data = tmp_path / "fly"
    recordings = generate_fly(data, n_recordings=2, duration_s=30.0, seed=5)
    model, out = tmp_path / "model", tmp_path / "out"
    argv = ["train", "--data", str(data), "--labels", "mel-pulse,mel-sine", "--supervision", "dense", "--architecture", "convnet", "--frames", "16",
            "--steps", "20", "--validation-period", "10", "--batch-size", "8", "--out", str(model), "--no-progress", *SMALL]  # fmt: skip
    assert main(argv) == 0
    config = load_config(model)
    assert config.output_names == ["background", "mel-pulse", "mel-sine"] and config.supervision == "dense"
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    wav = str(recordings[0].wav)
    assert main(["classify", "--model", str(model), "--out", str(out), wav]) == 0
    times, probabilities, meta = read_probabilities(wav, out)
    assert probabilities.shape == (meta.frames, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert main(["ethogram", "--model", str(model), "--ratio", "1.0", "--out", str(out), wav]) == 0
    events = read_csv(out / f"{recordings[0].wav.name}-predicted-1.0pr.csv", allow_empty=True)
    assert {e.label for e in events} <= {"background", "mel-pulse", "mel-sine"}


def test_overlapped_classes_train_one_sigmoid_per_label_from_not_annotations(shared_data, tmp_path):
    model = tmp_path / "model"
    argv = ["train", "--data", str(shared_data / "fly"), "--labels", "mel-pulse,mel-sine", "--overlapped",
            "--steps", "20", "--validation-period", "10", "--out", str(model), "--no-progress", *SMALL]  # fmt: skip
    assert main(argv) == 0
    assert load_config(model).overlapped
    assert main(["accuracy", str(model), "--no-figures"]) == 0
    assert (model / "accuracy" / "thresholds.csv").is_file()


def test_replicates_train_with_successive_weight_seeds(tmp_path):
    data = tmp_path / "fly"
    generate_fly(data, n_recordings=2, duration_s=20.0, seed=6)
    out = tmp_path / "models"
    argv = ["train", "--data", str(data), "--labels", "mel-pulse,mel-sine,ambient", "--replicates", "2",
            "--steps", "10", "--validation-period", "10", "--batch-size", "8", "--out", str(out), "--no-progress", *SMALL]  # fmt: skip
    assert main(argv) == 0
    seeds = [load_config(out / f"{i}r").training["weights_seed"] for i in (1, 2)]
    assert seeds == [1, 2] and all(list_checkpoints(out / f"{i}r") for i in (1, 2))
